//! Proving: the native relation is checked first, so a false statement gives a typed error
//! instead of a proof that will not verify.

use crate::{
    error::ProverError, params::LoadedKeys, statement::Statement, Curve, Proof, ProvingKey,
};
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_snark::SNARK;
use rand::{rngs::StdRng, CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;
use zkconsent_circuits::{
    access::{self, AccessCircuit, AccessPrivate, AccessPublic},
    authority::{self, AuthorityCircuit, AuthorityPrivate, AuthorityPublic},
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

/// Proves with the key's cached matrices: only the witness is computed per proof.
fn prove_with_matrices<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
    keys: &LoadedKeys,
    circuit: C,
    rng: &mut R,
) -> Result<Proof, ProverError> {
    let m = &keys.matrices;
    let assignment = m
        .assignment(circuit)
        .map_err(|e| ProverError::Synthesis(e.to_string()))?;
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    Groth16::<Curve>::create_proof_with_reduction_and_matrices(
        &keys.pk,
        r,
        s,
        &m.matrices,
        m.num_inputs,
        m.num_constraints,
        &assignment,
    )
    .map_err(|e| ProverError::Synthesis(e.to_string()))
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
    expect_statement(keys, Statement::Access)?;
    if private.path.depth() != keys.tree_depth {
        return Err(ProverError::Depth {
            expected: keys.tree_depth,
            got: private.path.depth(),
        });
    }
    access::check(public, private)?;
    prove_with_matrices(keys, AccessCircuit::new(public, private), rng)
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
    authority::check(public, private)?;
    prove_with_matrices(keys, AuthorityCircuit::new(public, private), rng)
}

/// Proves many Access statements with one key, in parallel across statements (rayon), each
/// with its own RNG seeded from the operating system.
pub fn prove_many_access(
    keys: &LoadedKeys,
    statements: &[(AccessPublic, AccessPrivate)],
) -> Vec<Result<Proof, ProverError>> {
    statements
        .par_iter()
        .map(|(public, private)| {
            let mut rng = StdRng::from_entropy();
            prove_access(keys, public, private, &mut rng)
        })
        .collect()
}
