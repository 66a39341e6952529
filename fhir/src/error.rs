//! FHIR ingestion errors: each names the resource (`Type/id`, or its place in the bundle when
//! it has no usable id) and the field.

use super::canonical::JsonError;

/// Why a bundle or resource cannot be ingested. Every variant is malformed input (the CLI's
/// exit code 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    /// The file is not acceptable JSON.
    #[error("{0}")]
    Json(#[from] JsonError),
    /// The document's shape is wrong outside any one resource (e.g. `entry` not an array).
    #[error("{0}")]
    Structure(String),
    /// A supported resource lacks a field its record needs.
    #[error("{resource}: missing {field}")]
    Missing {
        /// `Type/id` (or the bundle position).
        resource: String,
        /// The field path, e.g. `code.coding[0].system`.
        field: String,
    },
    /// A field is present but unusable.
    #[error("{resource}: {field}: {reason}")]
    Invalid {
        /// `Type/id` (or the bundle position).
        resource: String,
        /// The field path.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}
