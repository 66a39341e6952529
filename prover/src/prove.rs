//! Proving: the native relation is checked first, so a false statement gives a typed error
//! instead of a proof that will not verify.
//!
//! [`prove_statement`] proves any [`Statement`] (and [`prove_statement_profiled`] says where
//! the time went); there is no per-statement proving function.

use crate::{
    error::ProverError, groth16, params::LoadedKeys, profile::ProofProfile, Curve, Proof,
    ProvingKey,
};
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use std::time::Instant;
use zkconsent_circuits::{
    merkle::MerklePath,
    statement::{Statement, StatementKind},
};

/// Groth16-proves any circuit with a proving key. Does not check the statement: callers
/// use [`prove_statement`]; tests use this to show that an unsatisfied circuit yields a proof
/// that does not verify.
///
/// # Errors
///
/// [`ProverError::Synthesis`] from arkworks.
pub fn prove<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
    pk: &ProvingKey,
    circuit: C,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    Groth16::<Curve>::prove(pk, circuit, rng).map_err(|e| ProverError::Synthesis(e.to_string()))
}

/// Proves statement `S` with `keys`: checks that the keys are `S`'s and that every tree path
/// has the keys' depth, runs the native check, then proves with the keys' cached matrices.
///
/// # Errors
///
/// [`ProverError::Manifest`] if the keys are another statement's, [`ProverError::Depth`] if
/// a path's depth is not the keys', [`ProverError::False`] if the statement is false, and
/// synthesis errors.
pub fn prove_statement<S: Statement>(
    keys: &LoadedKeys,
    public: &S::Public,
    private: &S::Private,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Proof, ProverError> {
    prove_inner::<S>(keys, public, private, rng, None)
}

/// [`prove_statement`], running each phase alone and returning where the time went.
///
/// # Errors
///
/// As [`prove_statement`].
pub fn prove_statement_profiled<S: Statement>(
    keys: &LoadedKeys,
    public: &S::Public,
    private: &S::Private,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Proof, ProofProfile), ProverError> {
    let mut profile = ProofProfile::default();
    let proof = prove_inner::<S>(keys, public, private, rng, Some(&mut profile))?;
    Ok((proof, profile))
}

fn prove_inner<S: Statement>(
    keys: &LoadedKeys,
    public: &S::Public,
    private: &S::Private,
    rng: &mut (impl RngCore + CryptoRng),
    mut profile: Option<&mut ProofProfile>,
) -> Result<Proof, ProverError> {
    expect_statement(keys, S::KIND)?;
    for path in S::paths(private) {
        expect_depth(keys, path)?;
    }
    let start = Instant::now();
    S::check(public, private).map_err(ProverError::false_statement::<S>)?;
    let checked = Instant::now();
    // Only the witness is computed per proof: the matrices were built when the key loaded.
    let m = &keys.matrices;
    let assignment = m
        .assignment(S::circuit(public, private))
        .map_err(|e| ProverError::Synthesis(e.to_string()))?;
    let witnessed = Instant::now();
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    let proof = groth16::create_proof(&keys.pk, m, &assignment, r, s, profile.as_deref_mut())?;
    if let Some(p) = profile {
        p.check = checked - start;
        p.witness = witnessed - checked;
        p.total = start.elapsed();
    }
    Ok(proof)
}

fn expect_statement(keys: &LoadedKeys, statement: StatementKind) -> Result<(), ProverError> {
    if keys.statement == statement {
        Ok(())
    } else {
        Err(ProverError::Manifest(format!(
            "keys are for {}, not {}",
            keys.statement.name(),
            statement.name()
        )))
    }
}

/// A tree path must have the keys' depth (the circuit's shape).
fn expect_depth(keys: &LoadedKeys, path: &MerklePath) -> Result<(), ProverError> {
    if path.depth() == keys.tree_depth {
        Ok(())
    } else {
        Err(ProverError::Depth {
            expected: keys.tree_depth,
            got: path.depth(),
        })
    }
}
