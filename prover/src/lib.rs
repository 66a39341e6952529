//! zkconsent prover: Groth16 key generation, hash-checked parameter loading, and proving.
//!
//! Keys live in a params directory with a `manifest.json` naming each key's SHA-256; a key is
//! used only after its bytes hash to the manifest's value and the manifest's circuit shape
//! matches the circuit compiled into this binary.
//!
//! Proving is generic over the circuits' `Statement` trait:
//! `prove_statement::<Record>(&keys, &public, &private, &mut rng)`.
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod batch;
pub mod error;
pub mod groth16;
pub mod matrices;
pub mod matrices_file;
pub mod msm;
pub mod params;
pub mod profile;
pub mod prove;
pub mod qap;
pub mod statement;
#[cfg(any(test, feature = "test-dependencies"))]
pub mod testing;

pub use batch::{prove_batch, prove_batch_statement, BatchSplit, DEFAULT_BATCH_SPLIT};
pub use error::ProverError;
pub use params::{KeyEntry, LoadedKeys, Manifest, ParamsDir, SETUP_KIND_SINGLE_PARTY};
pub use profile::ProofProfile;
pub use prove::{prove, prove_statement, prove_statement_profiled};
/// Which statement, by its circuits-side name `StatementKind`: kept under this name while
/// callers move to `zkconsent_circuits::statement::StatementKind` (the `Statement` trait
/// there is the statement as a type).
pub use zkconsent_circuits::statement::StatementKind as Statement;

/// The pairing-friendly curve of every zkconsent proof.
pub type Curve = ark_bn254::Bn254;
/// Groth16 proving key over [`Curve`].
pub type ProvingKey = ark_groth16::ProvingKey<Curve>;
/// Groth16 proof over [`Curve`] (arkworks type; the verifier crate has its own).
pub type Proof = ark_groth16::Proof<Curve>;
