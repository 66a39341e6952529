//! Proving: the native relation is checked first, so a false statement gives a typed error
//! instead of a proof that will not verify.
//!
//! [`prove_statement`] proves any [`Statement`]; `prove_access`, `prove_record` and the other
//! per-statement functions are kept, hidden, as one-line wrappers for callers not yet moved.

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
    access::{AccessPrivate, AccessPublic},
    authority::{AuthorityPrivate, AuthorityPublic},
    claim::{ClaimPrivate, ClaimPublic},
    cohort::{CohortPrivate, CohortPublic},
    merkle::MerklePath,
    record::{RecordPrivate, RecordPublic},
    statement::{Access, Authority, Claim, Cohort, Record, Statement, StatementKind},
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

/// [`prove_statement`] for [`Access`].
///
/// # Errors
///
/// As [`prove_statement`].
#[doc(hidden)]
pub fn prove_access<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &AccessPublic,
    private: &AccessPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    prove_statement::<Access>(keys, public, private, rng)
}

/// [`prove_statement_profiled`] for [`Access`].
///
/// # Errors
///
/// As [`prove_statement`].
#[doc(hidden)]
pub fn prove_access_profiled<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &AccessPublic,
    private: &AccessPrivate,
    rng: &mut R,
) -> Result<(Proof, ProofProfile), ProverError> {
    prove_statement_profiled::<Access>(keys, public, private, rng)
}

/// [`prove_statement`] for [`Authority`].
///
/// # Errors
///
/// As [`prove_statement`].
#[doc(hidden)]
pub fn prove_authority<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &AuthorityPublic,
    private: &AuthorityPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    prove_statement::<Authority>(keys, public, private, rng)
}

/// [`prove_statement`] for [`Record`].
///
/// # Errors
///
/// As [`prove_statement`].
#[doc(hidden)]
pub fn prove_record<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &RecordPublic,
    private: &RecordPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    prove_statement::<Record>(keys, public, private, rng)
}

/// [`prove_statement`] for [`Claim`].
///
/// # Errors
///
/// As [`prove_statement`].
#[doc(hidden)]
pub fn prove_claim<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &ClaimPublic,
    private: &ClaimPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    prove_statement::<Claim>(keys, public, private, rng)
}

/// [`prove_statement`] for [`Cohort`].
///
/// # Errors
///
/// As [`prove_statement`].
#[doc(hidden)]
pub fn prove_cohort<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &CohortPublic,
    private: &CohortPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    prove_statement::<Cohort>(keys, public, private, rng)
}
