//! Poseidon over BN254 with circomlib's parameters, natively.
//!
//! `hash(inputs)` equals circomlib's `Poseidon(n)` and circomlibjs `poseidon(inputs)`:
//! the permutation runs on `[0, inputs...]` and the output is `state[0]`.
//!
//! Domain separation: [`hash_with_domain`] puts a domain tag in the capacity element instead
//! of 0 (the Poseidon paper's recommended separation, §4.2). This is exactly circomlib's
//! `PoseidonEx(n, 1)` with `initialState = tag`, circomlibjs `poseidon(inputs, tag)` and
//! light-poseidon's `with_domain_tag_circom`, and costs no constraints in the circuit (the
//! capacity lane is a constant until the first MDS mix).
//!
//! The gadget twin with the same function names lives in [`constraints`].

pub mod constraints;
pub mod params;

use crate::domain::DomainTag;
use ark_bn254::Fr;
use ark_ff::{Field, Zero};
pub use params::{params_for, PoseidonParams, MAX_INPUTS};

/// Errors for hashing a caller-supplied number of inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoseidonError {
    /// circomlib's Poseidon takes 1 to 16 inputs.
    Arity(usize),
}

impl std::fmt::Display for PoseidonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Arity(n) => write!(f, "Poseidon takes 1 to {MAX_INPUTS} inputs, got {n}"),
        }
    }
}

impl std::error::Error for PoseidonError {}

/// circomlib `Poseidon(n)`: capacity 0.
///
/// # Errors
///
/// [`PoseidonError::Arity`] unless `1 <= inputs.len() <= 16`.
pub fn hash(inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    hash_with_capacity(Fr::zero(), inputs)
}

/// Domain-separated Poseidon: circomlib `PoseidonEx(n, 1)` with `initialState = tag`.
///
/// # Panics
///
/// Panics if `inputs.len()` is outside `1..=16`; every caller passes a fixed arity.
pub fn hash_with_domain(tag: DomainTag, inputs: &[Fr]) -> Fr {
    hash_with_capacity(tag.value(), inputs).expect("domain hashes use fixed arities in 1..=16")
}

fn hash_with_capacity(capacity: Fr, inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    if inputs.is_empty() || inputs.len() > MAX_INPUTS {
        return Err(PoseidonError::Arity(inputs.len()));
    }
    let mut state = Vec::with_capacity(inputs.len() + 1);
    state.push(capacity);
    state.extend_from_slice(inputs);
    permute(params_for(inputs.len()), &mut state);
    Ok(state[0])
}

/// The Poseidon permutation: per round, add constants, S-box (all lanes in full rounds,
/// lane 0 in partial rounds), then multiply by the MDS matrix.
pub fn permute(params: &PoseidonParams, state: &mut [Fr]) {
    debug_assert_eq!(state.len(), params.width);
    let mut mixed = vec![Fr::zero(); params.width];
    for r in 0..params.rounds() {
        for (lane, c) in state.iter_mut().zip(&params.round_constants[r]) {
            *lane += c;
        }
        if params.is_full_round(r) {
            state.iter_mut().for_each(sbox);
        } else {
            sbox(&mut state[0]);
        }
        for (out, row) in mixed.iter_mut().zip(&params.mds) {
            *out = row.iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
        }
        state.copy_from_slice(&mixed);
    }
}

fn sbox(x: &mut Fr) {
    let x2 = x.square();
    *x *= x2.square();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_bounds_are_errors() {
        assert_eq!(hash(&[]), Err(PoseidonError::Arity(0)));
        assert_eq!(hash(&[Fr::zero(); 17]), Err(PoseidonError::Arity(17)));
    }

    #[test]
    fn semaphore_kat_hash2_zero_zero() {
        // semaphore-rs poseidon.rs: hash2(0, 0) = 0x2098f5fb…4864.
        let got = hash(&[Fr::zero(), Fr::zero()]).unwrap();
        assert_eq!(
            crate::fr_to_hex(&got),
            "2098f5fb9e239eab3ceac3f27b81e481dc3124d55ffed523a839ee8446b64864"
        );
    }
}
