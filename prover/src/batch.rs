//! Many proofs with one key: the throughput path (a clinic's queue, an insurer's day).

use crate::{error::ProverError, params::LoadedKeys, prove::prove_statement, Proof};
use rand::{rngs::StdRng, SeedableRng};
use rayon::prelude::*;
use zkconsent_circuits::statement::Statement;

/// How a batch shares the cores between proofs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchSplit {
    /// One proof after another, each using every core inside (MSMs, FFTs).
    WithinProofs,
    /// Proofs side by side on rayon, each still parallel inside; rayon's work stealing fills
    /// the cores that one proof's serial stretches (witness, reductions) leave idle.
    AcrossProofs,
}

/// The default split for [`prove_batch_statement`]. In `benches/prover.rs` (`batch_access`, a quiet
/// 2-core machine) proofs side by side gave 9.0 proofs/s at 2, 8 and 32 proofs against 8.6 one
/// after another: rayon fills the cores that one proof's serial stretches leave idle.
pub const DEFAULT_BATCH_SPLIT: BatchSplit = BatchSplit::AcrossProofs;

/// Proves many statements with one key: `prove_one(keys, statement, rng)` for each, with its
/// own RNG seeded from the operating system, calling `on_proof(i)` as statement `i` finishes
/// (any order). Results are in statement order; a false statement fails alone.
/// [`prove_batch_statement`] is this with [`prove_statement`] as `prove_one`.
pub fn prove_batch<S: Sync>(
    keys: &LoadedKeys,
    statements: &[S],
    split: BatchSplit,
    on_proof: &(dyn Fn(usize) + Sync),
    prove_one: impl Fn(&LoadedKeys, &S, &mut StdRng) -> Result<Proof, ProverError> + Sync,
) -> Vec<Result<Proof, ProverError>> {
    let one = |(i, statement): (usize, &S)| {
        let result = prove_one(keys, statement, &mut StdRng::from_entropy());
        on_proof(i);
        result
    };
    match split {
        BatchSplit::WithinProofs => statements.iter().enumerate().map(one).collect(),
        BatchSplit::AcrossProofs => statements.par_iter().enumerate().map(one).collect(),
    }
}

/// [`prove_batch`] of statement `S`: each `(public, private)` pair proved with
/// [`prove_statement`].
pub fn prove_batch_statement<S: Statement>(
    keys: &LoadedKeys,
    statements: &[(S::Public, S::Private)],
    split: BatchSplit,
    on_proof: &(dyn Fn(usize) + Sync),
) -> Vec<Result<Proof, ProverError>> {
    prove_batch(
        keys,
        statements,
        split,
        on_proof,
        |keys, (public, private), rng| prove_statement::<S>(keys, public, private, rng),
    )
}
