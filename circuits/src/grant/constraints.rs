//! The grant leaf commitment as an R1CS gadget: the twin of [`super::commit`].

use super::GRANT_FIELDS;
use crate::{domain, poseidon::constraints as poseidon};
use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::SynthesisError;

/// The leaf commitment in-circuit: 381 constraints (Poseidon, 7 inputs).
///
/// # Errors
///
/// Only errors from the constraint system.
pub fn commit(fields: &[FpVar<Fr>; GRANT_FIELDS]) -> Result<FpVar<Fr>, SynthesisError> {
    poseidon::hash_with_domain(domain::GRANT_LEAF, fields)
}

/// Enforces `commit(fields) = expected`, one constraint cheaper than comparing the result
/// (the equality is folded into the hash's last S-box).
///
/// # Errors
///
/// Only errors from the constraint system.
pub fn enforce_commit(
    fields: &[FpVar<Fr>; GRANT_FIELDS],
    expected: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    poseidon::hash_with_domain_equals(domain::GRANT_LEAF, fields, expected)
}
