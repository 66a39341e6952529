//! circomlib's Poseidon parameters for BN254, for 1 to [`MAX_INPUTS`] inputs.
//!
//! circomlib (`poseidon_constants.circom`, circomlibjs `poseidon_constants.js`) generated its
//! round constants and MDS matrices with the reference Grain LFSR script of the Poseidon paper
//! (field bits 254, S-box x^5, 8 full rounds, the partial-round counts below). arkworks'
//! `find_poseidon_ark_and_mds` runs the same LFSR, so it reproduces circomlib's constants for
//! every arity; the known-answer vectors in `tests/poseidon_vectors.rs` pin this.
//!
//! Running the LFSR costs 1 to 12 ms per arity (about 100 ms for all sixteen), paid by every
//! process that hashes: so its output is compiled in ([`CONSTANTS`], `constants.bin`) and
//! decoded per arity on first use (tens of microseconds). `tests/poseidon.rs` regenerates the
//! file with the LFSR and checks it byte for byte.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
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
/// Decoded once per arity on first use from [`CONSTANTS`] and cached.
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
    PARAMS[inputs - 1].get_or_init(|| decode(inputs))
}

/// The Grain LFSR's output for every arity, compiled in: for `inputs` = 1 to [`MAX_INPUTS`]
/// in order, the round constants (`rounds × width`, round by round) then the MDS matrix
/// (`width × width`, row by row), each element [`ELEMENT_BYTES`] canonical little-endian.
pub static CONSTANTS: &[u8] = include_bytes!("constants.bin");

/// Bytes per field element in [`CONSTANTS`].
pub const ELEMENT_BYTES: usize = 32;

/// Where arity `inputs`' constants start in [`CONSTANTS`], in elements.
fn offset_of(inputs: usize) -> usize {
    (1..inputs).map(elements_of).sum()
}

/// How many elements arity `inputs` has in [`CONSTANTS`].
fn elements_of(inputs: usize) -> usize {
    let width = inputs + 1;
    width * (FULL_ROUNDS + PARTIAL_ROUNDS[inputs - 1]) + width * width
}

/// Arity `inputs`' parameters from [`CONSTANTS`].
fn decode(inputs: usize) -> PoseidonParams {
    let width = inputs + 1;
    let partial_rounds = PARTIAL_ROUNDS[inputs - 1];
    let start = offset_of(inputs) * ELEMENT_BYTES;
    let bytes = &CONSTANTS[start..start + elements_of(inputs) * ELEMENT_BYTES];
    let elements: Vec<Fr> = bytes.chunks_exact(ELEMENT_BYTES).map(element).collect();
    let (ark, mds) = elements.split_at(width * (FULL_ROUNDS + partial_rounds));
    PoseidonParams {
        width,
        partial_rounds,
        round_constants: ark.chunks_exact(width).map(<[Fr]>::to_vec).collect(),
        mds: mds.chunks_exact(width).map(<[Fr]>::to_vec).collect(),
    }
}

/// One canonical little-endian element of [`CONSTANTS`].
fn element(bytes: &[u8]) -> Fr {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(word);
    }
    // Compiled-in data written by the LFSR (tests/poseidon.rs checks every element).
    Fr::from_bigint(ark_ff::BigInt(limbs)).expect("constants.bin holds canonical elements")
}

/// [`CONSTANTS`]'s layout for `params` of arity 1 to [`MAX_INPUTS`] in order: what the
/// regenerating test writes.
pub fn encode(params: &[PoseidonParams]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in params {
        for x in p.round_constants.iter().chain(&p.mds).flatten() {
            out.extend_from_slice(&x.into_bigint().to_bytes_le());
        }
    }
    out
}

/// The Grain LFSR's parameters in the layout [`params_for`] returns (for the regenerating
/// test; every other caller uses the compiled-in [`CONSTANTS`]).
pub fn lfsr_inputs(inputs: usize) -> (u64, usize, u64, u64) {
    (
        FIELD_BITS,
        inputs,
        FULL_ROUNDS as u64,
        PARTIAL_ROUNDS[inputs - 1] as u64,
    )
}
