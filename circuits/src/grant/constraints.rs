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
