//! Poseidon as an R1CS gadget: the twin of [`super::hash`] / [`super::hash_with_domain`].
//!
//! Cost: 3 constraints per S-box on a non-constant lane (x², x⁴, x⁵); additions of round
//! constants and MDS mixing are linear and free. For `n` inputs with `R_P` partial rounds:
//! `3 * (8 * (n + 1) + R_P) - 3` constraints, because the capacity lane is a constant in the
//! first round and its S-box is computed natively. Two inputs: 240 (circom `--O2` also 240).
//! Constant inputs cost nothing until they mix with a variable.

use super::params::{params_for, PoseidonParams, MAX_INPUTS};
use crate::domain::DomainTag;
use ark_bn254::Fr;
use ark_r1cs_std::fields::{fp::FpVar, FieldVar};
use ark_relations::gr1cs::SynthesisError;

/// circomlib `Poseidon(n)` in-circuit (capacity 0).
///
/// # Errors
///
/// [`SynthesisError::Unsatisfiable`] if the arity is outside `1..=16`; otherwise only errors
/// from the constraint system.
pub fn hash(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    hash_with_capacity(FpVar::zero(), inputs)
}

/// Domain-separated Poseidon in-circuit (`PoseidonEx` with `initialState = tag`).
///
/// # Errors
///
/// As [`hash`].
#[tracing::instrument(target = "r1cs", skip(inputs))]
pub fn hash_with_domain(tag: DomainTag, inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    hash_with_capacity(FpVar::constant(tag.value()), inputs)
}

fn hash_with_capacity(
    capacity: FpVar<Fr>,
    inputs: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    if inputs.is_empty() || inputs.len() > MAX_INPUTS {
        return Err(SynthesisError::Unsatisfiable);
    }
    let mut state = Vec::with_capacity(inputs.len() + 1);
    state.push(capacity);
    state.extend_from_slice(inputs);
    permute(params_for(inputs.len()), &mut state)?;
    Ok(state.swap_remove(0))
}

/// The permutation, round for round as the native [`super::permute`].
///
/// # Errors
///
/// Only errors from the constraint system.
pub fn permute(params: &PoseidonParams, state: &mut [FpVar<Fr>]) -> Result<(), SynthesisError> {
    for r in 0..params.rounds() {
        for (lane, c) in state.iter_mut().zip(&params.round_constants[r]) {
            *lane += *c;
        }
        if params.is_full_round(r) {
            for lane in state.iter_mut() {
                *lane = sbox(lane)?;
            }
        } else {
            state[0] = sbox(&state[0])?;
        }
        let mixed: Vec<FpVar<Fr>> = params
            .mds
            .iter()
            .map(|row| {
                row.iter()
                    .zip(state.iter())
                    .map(|(m, s)| s * *m)
                    .fold(FpVar::zero(), |acc, term| acc + term)
            })
            .collect();
        state.clone_from_slice(&mixed);
    }
    Ok(())
}

/// x⁵: three constraints for a variable, none for a constant.
fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}
