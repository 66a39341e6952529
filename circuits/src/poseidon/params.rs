//! circomlib's Poseidon parameters for BN254, for 1 to [`MAX_INPUTS`] inputs.
//!
//! circomlib (`poseidon_constants.circom`, circomlibjs `poseidon_constants.js`) generated its
//! round constants and MDS matrices with the reference Grain LFSR script of the Poseidon paper
//! (field bits 254, S-box x^5, 8 full rounds, the partial-round counts below). arkworks'
//! `find_poseidon_ark_and_mds` runs the same LFSR, so it reproduces circomlib's constants for
//! every arity; the known-answer vectors in `tests/poseidon_vectors.rs` pin this.

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::poseidon::find_poseidon_ark_and_mds;
use std::sync::OnceLock;

/// Largest number of inputs circomlib's `Poseidon(n)` supports (state width 17).
pub const MAX_INPUTS: usize = 16;

/// Full rounds (half before, half after the partial rounds), as in circomlib.
pub const FULL_ROUNDS: usize = 8;

/// S-box exponent: x^5 is the smallest permutation power on BN254's scalar field.
pub const ALPHA: u64 = 5;

/// Bits of the BN254 scalar field modulus, an input to the Grain LFSR.
const FIELD_BITS: u64 = 254;

/// circomlib's `N_ROUNDS_P`, indexed by `t - 2` where `t = inputs + 1` is the state width.
pub const PARTIAL_ROUNDS: [usize; MAX_INPUTS] = [
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];

/// Round constants and MDS matrix for one state width.
#[derive(Clone, Debug)]
pub struct PoseidonParams {
    /// State width `t` (inputs + 1 capacity element).
    pub width: usize,
    /// Number of partial rounds for this width.
    pub partial_rounds: usize,
    /// `round_constants[r][i]` is added to lane `i` at the start of round `r`.
    pub round_constants: Vec<Vec<Fr>>,
    /// `mds[i][j]`: lane `i` of the mixed state is `sum_j mds[i][j] * state[j]`.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total rounds, full and partial.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` is a full round (S-box on every lane).
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }
}

static PARAMS: [OnceLock<PoseidonParams>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];

/// The parameters for hashing `inputs` field elements (`1..=MAX_INPUTS`).
///
/// Generated once per arity on first use (a few milliseconds) and cached.
///
/// # Panics
///
/// Panics if `inputs` is 0 or above [`MAX_INPUTS`]: arities are fixed by the code that calls
/// this, never by outside data (the public `hash` functions check first).
pub fn params_for(inputs: usize) -> &'static PoseidonParams {
    assert!(
        (1..=MAX_INPUTS).contains(&inputs),
        "Poseidon arity {inputs} outside 1..={MAX_INPUTS}"
    );
    PARAMS[inputs - 1].get_or_init(|| {
        let partial_rounds = PARTIAL_ROUNDS[inputs - 1];
        let (round_constants, mds) = find_poseidon_ark_and_mds::<Fr>(
            FIELD_BITS,
            inputs,
            FULL_ROUNDS as u64,
            partial_rounds as u64,
            0,
        );
        PoseidonParams {
            width: inputs + 1,
            partial_rounds,
            round_constants,
            mds,
        }
    })
}
