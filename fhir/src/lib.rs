//! zkconsent FHIR R4 ingestion: reading resources and Bundles, and extracting each supported resource
//! into the fixed record tuple that the records tree commits to.
//!
//! `docs/spec.md`, "FHIR records", is the normative description; in short:
//! - [`canonical`]: a JSON tree that keeps number tokens verbatim, and the RFC 8785-like
//!   canonical serialisation whose SHA-256 is the resource digest;
//! - [`codes`]: `code_id(system, code)` and the 248-bit digests;
//! - [`dates`]: day numbers (1800-01-01 to 2199-12-31, [`zkconsent_circuits::calendar`])
//!   from the date as written;
//! - [`decimal`]: exact decimal scaling (milli-units, cents);
//! - [`mod@extract`]: the per-type mapping and the bundle walk (references, unsupported types);
//! - [`error`]: errors naming `Type/id` and the field.
//!
//! The tuple and its leaf hash live in the circuits crate
//! ([`zkconsent_circuits::record`]), next to the circuits that will prove facts about it.
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod canonical;
pub mod codes;
pub mod consent;
pub mod dates;
pub mod decimal;
pub mod error;
pub mod extract;
#[cfg(test)]
mod tests;

pub use error::FhirError;
pub use extract::{extract, ExtractedRecord, Extraction, PatientIdentity};

/// Largest bundle file read (a Synthea patient bundle is well under 1 MiB).
pub const MAX_BUNDLE_BYTES: usize = 64 << 20;
