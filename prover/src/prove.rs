//! Proving: the native relation is checked first, so a false statement gives a typed error
//! instead of a proof that will not verify.

use crate::{
    error::ProverError, groth16, params::LoadedKeys, profile::ProofProfile, statement::Statement,
    Curve, Proof, ProvingKey,
};
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use std::time::Instant;
use zkconsent_circuits::{
    access::{self, AccessCircuit, AccessPrivate, AccessPublic},
    authority::{self, AuthorityCircuit, AuthorityPrivate, AuthorityPublic},
    claim::{self, ClaimCircuit, ClaimPrivate, ClaimPublic},
    cohort::{self, CohortCircuit, CohortPrivate, CohortPublic},
    merkle::MerklePath,
    record::{self, RecordCircuit, RecordPrivate, RecordPublic},
};

/// Groth16-proves any circuit with a proving key. Does not check the statement: callers
/// use [`prove_access`] / [`prove_authority`]; tests use this to show that an unsatisfied
/// circuit yields a proof that does not verify.
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

/// Proves with the key's cached matrices: only the witness is computed per proof. The
/// statement's native check runs first (timed into `profile` if given).
fn prove_with_matrices<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    check: impl FnOnce() -> Result<(), ProverError>,
    circuit: impl FnOnce() -> C,
    rng: &mut R,
    mut profile: Option<&mut ProofProfile>,
) -> Result<Proof, ProverError> {
    let start = Instant::now();
    check()?;
    let checked = Instant::now();
    let m = &keys.matrices;
    let assignment = m
        .assignment(circuit())
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

fn expect_statement(keys: &LoadedKeys, statement: Statement) -> Result<(), ProverError> {
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

/// Proves the Access statement.
///
/// # Errors
///
/// [`ProverError::Access`] if the statement is false, [`ProverError::Depth`] if the path's
/// depth is not the keys', and synthesis errors.
pub fn prove_access<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &AccessPublic,
    private: &AccessPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    prove_access_inner(keys, public, private, rng, None)
}

/// [`prove_access`], running each phase alone and returning where the time went.
///
/// # Errors
///
/// As [`prove_access`].
pub fn prove_access_profiled<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &AccessPublic,
    private: &AccessPrivate,
    rng: &mut R,
) -> Result<(Proof, ProofProfile), ProverError> {
    let mut profile = ProofProfile::default();
    let proof = prove_access_inner(keys, public, private, rng, Some(&mut profile))?;
    Ok((proof, profile))
}

fn prove_access_inner<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &AccessPublic,
    private: &AccessPrivate,
    rng: &mut R,
    profile: Option<&mut ProofProfile>,
) -> Result<Proof, ProverError> {
    expect_statement(keys, Statement::Access)?;
    expect_depth(keys, &private.path)?;
    prove_with_matrices(
        keys,
        || Ok(access::check(public, private)?),
        || AccessCircuit::new(public, private),
        rng,
        profile,
    )
}

/// Proves the grant-authority statement.
///
/// # Errors
///
/// [`ProverError::Authority`] if the statement is false, and synthesis errors.
pub fn prove_authority<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &AuthorityPublic,
    private: &AuthorityPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    expect_statement(keys, Statement::Authority)?;
    prove_with_matrices(
        keys,
        || Ok(authority::check(public, private)?),
        || AuthorityCircuit::new(public, private),
        rng,
        None,
    )
}

/// Proves the Record statement.
///
/// # Errors
///
/// [`ProverError::Record`] if the statement is false, [`ProverError::Depth`] if the records
/// path's depth is not the keys', and synthesis errors.
pub fn prove_record<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &RecordPublic,
    private: &RecordPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    expect_statement(keys, Statement::Record)?;
    expect_depth(keys, &private.path)?;
    prove_with_matrices(
        keys,
        || Ok(record::check(public, private)?),
        || RecordCircuit::new(public, private),
        rng,
        None,
    )
}

/// Proves the Claim statement.
///
/// # Errors
///
/// [`ProverError::Claim`] if the statement is false, [`ProverError::Depth`] if the records
/// path's depth is not the keys', and synthesis errors.
pub fn prove_claim<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &ClaimPublic,
    private: &ClaimPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    expect_statement(keys, Statement::Claim)?;
    expect_depth(keys, &private.path)?;
    prove_with_matrices(
        keys,
        || Ok(claim::check(public, private)?),
        || ClaimCircuit::new(public, private),
        rng,
        None,
    )
}

/// Proves the Cohort statement.
///
/// # Errors
///
/// [`ProverError::Cohort`] if the statement is false (the patient is not eligible, or has no
/// valid research grant), [`ProverError::Depth`] if a path's depth is not the keys', and
/// synthesis errors.
pub fn prove_cohort<R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    public: &CohortPublic,
    private: &CohortPrivate,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    expect_statement(keys, Statement::Cohort)?;
    expect_depth(keys, &private.summary_path)?;
    expect_depth(keys, &private.grant_path)?;
    prove_with_matrices(
        keys,
        || Ok(cohort::check(public, private)?),
        || CohortCircuit::new(public, private),
        rng,
        None,
    )
}
