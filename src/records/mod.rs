//! The custodian's side of the records tree: anchoring FHIR resources ([`anchor`]) and
//! condition summaries ([`summary`]).

pub mod anchor;
pub mod summary;

pub use anchor::AnchorReport;
