//! zkconsent circuits: gadgets with their native twins, and the statements.
//!
//! Every gadget lives in a folder with a native `mod.rs` and an in-circuit `constraints.rs`
//! using the same function names and constants. Every statement has `…Public`, `…Private`
//! and `…Circuit` types, one public-input encoder, and a native `check` that is the
//! executable specification (see `docs/spec.md` in the repository). [`statement`] makes each
//! statement a type ([`statement::Statement`]), with a decoder twin for every encoder.
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod access;
pub mod authority;
pub mod calendar;
pub mod claim;
pub mod cohort;
pub mod domain;
pub mod grant;
pub mod merkle;
pub mod poseidon;
pub mod range;
pub mod record;
pub mod scope;
pub mod statement;
pub mod types;

#[cfg(any(test, feature = "test-dependencies"))]
pub mod testing;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

/// Big-endian hex of a field element (64 digits), for KATs and logs.
pub fn fr_to_hex(x: &Fr) -> String {
    x.into_bigint()
        .to_bytes_be()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Decimal string of a field element (its canonical integer).
pub fn fr_to_decimal(x: &Fr) -> String {
    x.into_bigint().to_string()
}
