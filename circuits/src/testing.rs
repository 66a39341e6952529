//! Test helpers shared with other crates' tests and benches (feature `test-dependencies`):
//! valid sample statements from a seeded RNG, and a satisfaction check that names the
//! failing constraint.

use crate::{
    access::{AccessCircuit, AccessPrivate, AccessPublic},
    authority::{AuthorityCircuit, AuthorityPrivate, AuthorityPublic, GrantAction},
    grant::Grant,
    merkle::SparseMerkleTree,
    types::{GrantSalt, Nonce, Purpose, Scope, SecretKey, Timestamp, VerifierId},
};
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use rand::{CryptoRng, Rng, RngCore};

/// A valid Access statement with everything needed to tamper with it.
#[derive(Clone)]
pub struct AccessFixture {
    /// The public inputs.
    pub public: AccessPublic,
    /// The witness.
    pub private: AccessPrivate,
    /// The patient's secret (for authority proofs and revocation).
    pub patient_secret: SecretKey,
    /// The tree holding the grant (and some decoys).
    pub tree: SparseMerkleTree,
}

impl core::fmt::Debug for AccessFixture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccessFixture").finish_non_exhaustive()
    }
}

/// Time used by fixtures: 2026-11-24T00:00:00Z.
pub const FIXTURE_NOW: u64 = 1_795_478_400;
/// Fixture grants last one day either side of [`FIXTURE_NOW`].
pub const FIXTURE_HALF_WINDOW: u64 = 86_400;

/// A valid Access statement in a tree of `depth` with a few decoy grants.
///
/// # Panics
///
/// Panics if `depth` is outside `2..=32` (test helper).
pub fn access_fixture<R: RngCore + CryptoRng>(rng: &mut R, depth: usize) -> AccessFixture {
    let patient_secret = SecretKey::random(rng);
    let grantee_secret = SecretKey::random(rng);
    let granted = Scope(rng.gen::<u64>() | 0b1111);
    let grant = Grant {
        patient: patient_secret.id(),
        grantee: grantee_secret.id(),
        scope: granted,
        purpose: Purpose(1),
        not_before: Timestamp(FIXTURE_NOW - FIXTURE_HALF_WINDOW),
        not_after: Timestamp(FIXTURE_NOW + FIXTURE_HALF_WINDOW),
        salt: GrantSalt::random(rng),
    };
    let mut tree = SparseMerkleTree::new(depth).expect("fixture depth is valid");
    let index = rng.gen_range(0..tree.capacity().min(1 << 10));
    for decoy in 0..3u64 {
        let slot = (index + 1 + decoy) % tree.capacity();
        tree.set(slot, Fr::rand(rng)).expect("slot in range");
    }
    tree.set(index, grant.commit().0).expect("slot in range");
    let private = AccessPrivate {
        path: tree.path(index).expect("slot in range"),
        grant,
        grantee_secret,
        verifier: VerifierId(Fr::rand(rng)),
        nonce: Nonce(Fr::rand(rng)),
    };
    let public = private.public_for(
        tree.root(),
        Timestamp(FIXTURE_NOW),
        Scope(granted.0 & 0b0101),
    );
    AccessFixture {
        public,
        private,
        patient_secret,
        tree,
    }
}

/// A valid authority statement for the fixture's grant.
pub fn authority_for(
    fixture: &AccessFixture,
    action: GrantAction,
) -> (AuthorityPublic, AuthorityPrivate) {
    (
        AuthorityPublic {
            action,
            commitment: fixture.private.grant.commit(),
        },
        AuthorityPrivate {
            patient_secret: fixture.patient_secret.clone(),
            grant: fixture.private.grant.clone(),
        },
    )
}

/// Whether a circuit's constraints are satisfied; on failure, the first unsatisfied one.
pub fn satisfied<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<(), String> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit
        .generate_constraints(cs.clone())
        .map_err(|e| format!("synthesis: {e}"))?;
    cs.finalize();
    match cs.is_satisfied() {
        Ok(true) => Ok(()),
        Ok(false) => Err(cs
            .which_is_unsatisfied()
            .ok()
            .flatten()
            .unwrap_or_else(|| "unsatisfied".into())),
        Err(e) => Err(format!("check: {e}")),
    }
}

/// Number of constraints of a circuit.
///
/// # Panics
///
/// Panics if synthesis fails (test helper).
pub fn constraint_count<C: ConstraintSynthesizer<Fr>>(circuit: C) -> usize {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit
        .generate_constraints(cs.clone())
        .expect("synthesis succeeds");
    cs.finalize();
    cs.num_constraints()
}

/// Convenience: the Access circuit of a fixture.
pub fn access_circuit(f: &AccessFixture) -> AccessCircuit {
    AccessCircuit::new(&f.public, &f.private)
}

/// Convenience: the authority circuit for a fixture's grant.
pub fn authority_circuit(f: &AccessFixture, action: GrantAction) -> AuthorityCircuit {
    let (public, private) = authority_for(f, action);
    AuthorityCircuit::new(&public, &private)
}
