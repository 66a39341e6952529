//! zkconsent: zero-knowledge proofs of medical-record consent and access.
//!
//! The library the CLI (the `zkconsent-cli` crate) and services use: the statements over a
//! home ([`home`], [`statements`]), request files ([`request`]), verification by input role
//! ([`verify`], [`verdict`]), anchoring ([`records`]), the files read and written
//! ([`files`]), exports and the demo. It re-exports the crates below it: [`circuits`]
//! (gadgets and statements as types), [`prover`], [`verifier`] (`no_std`), the ledger-side
//! [`registry`], the client-side [`wallet`] and [`fhir`] ingestion.
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub use zkconsent_circuits as circuits;
pub use zkconsent_fhir as fhir;
pub use zkconsent_prover as prover;
pub use zkconsent_registry as registry;
pub use zkconsent_seal as seal;
pub use zkconsent_verifier as verifier;
pub use zkconsent_wallet as wallet;

pub mod cards;
pub mod consent;
pub mod cpu;
pub mod crashpoint;
pub mod demo;
pub mod export;
pub mod files;
pub mod home;
pub mod limits;
pub mod passphrase;
pub mod reconcile;
pub mod records;
pub mod remote;
pub mod request;
pub mod statements;
pub mod verdict;
pub mod verify;
pub mod vocab;

/// The current Unix time in seconds (0 if the clock is before 1970).
pub fn unix_now() -> zkconsent_circuits::types::Timestamp {
    zkconsent_circuits::types::Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}
