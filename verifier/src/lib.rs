//! A small `no_std` Groth16 verifier for zkconsent proofs over BN254.
//!
//! Built on `ark-bn254` and the arkworks algebra crates alone (no ark-groth16, no
//! ark-relations), so any ledger node can embed it. Verification is written directly on the
//! pairing; bytes and decimal strings from outside go through strict decoders that name
//! what is wrong and never panic.
//!
//! - [`keys`]: [`VerifyingKey`], [`PreparedVerifyingKey`], [`Proof`] (byte-compatible with
//!   ark-groth16 0.6's canonical encodings);
//! - [`verify()`] and [`prepare_verifying_key`]: single proofs, with the public-input count
//!   checked; [`verify_once`]: one proof with a key that is not prepared (a one-shot
//!   verifier: about half the cost of preparing, then verifying);
//! - [`verify_batch`]: many proofs for one key in one multi-pairing;
//! - [`Proof::from_bytes`], [`VerifyingKey::from_bytes`], [`fr_from_canonical_bytes`]:
//!   strict compressed bytes;
//! - [`parse_fr_decimal`], [`g1_from_decimal`], [`g2_from_decimal`], [`Proof::from_decimal`]:
//!   strict decimal strings (the snarkjs JSON form).
//!
//! Features: `std` (default) adds `std::error::Error` impls.
//!
//! ```
//! use zkconsent_verifier::{parse_fr_decimal, DecodeError, Proof};
//!
//! // One canonical spelling per value: no sign, no leading zero, below r.
//! assert!(parse_fr_decimal("42").is_ok());
//! assert_eq!(parse_fr_decimal("-1"), Err(DecodeError::InvalidDecimal));
//! assert_eq!(parse_fr_decimal("042"), Err(DecodeError::InvalidDecimal));
//! assert_eq!(
//!     Proof::from_bytes(&[0u8; 3]),
//!     Err(DecodeError::WrongLength { expected: 128, got: 3 })
//! );
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![deny(clippy::unwrap_used)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod batch;
pub mod decimal;
pub mod decode;
pub mod error;
mod fixed_base;
pub mod keys;
mod small_msm;
mod subgroup;
pub mod verify;

#[cfg(test)]
mod test_util;

pub use ark_bn254::{Fq, Fr, G1Affine, G2Affine};
pub use batch::{verify_batch, verify_batch_by_key};
pub use decimal::{
    fq_to_decimal, fr_to_decimal, g1_from_decimal, g1_to_decimal, g2_from_decimal, g2_to_decimal,
    parse_fq_decimal, parse_fr_decimal, DecimalProof, MAX_DECIMAL_DIGITS,
};
pub use decode::{
    fr_from_canonical_bytes, fr_to_canonical_bytes, FIELD_ELEMENT_BYTES, G1_COMPRESSED_BYTES,
    G2_COMPRESSED_BYTES, MAX_PUBLIC_INPUTS, PROOF_BYTES,
};
pub use error::{BatchError, DecodeError, VerifyError};
pub use keys::{PreparedVerifyingKey, Proof, VerifyingKey};
pub use verify::{prepare_verifying_key, verify, verify_once};
