//! The custodian's side of the records tree: anchoring FHIR resources ([`anchor`]) and
//! condition summaries ([`summary`]).

pub mod anchor;
mod reconcile;
pub mod summary;

pub use anchor::AnchorReport;
