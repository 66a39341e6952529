//! Test helpers shared with other crates' tests and benches (feature `test-dependencies`):
//! valid sample statements from a seeded RNG, and a satisfaction check that names the
//! failing constraint.

pub mod claim;
pub mod cohort;

use crate::{
    access::{AccessCircuit, AccessPrivate, AccessPublic},
    authority::{AuthorityCircuit, AuthorityPrivate, AuthorityPublic, GrantAction},
    grant::Grant,
    merkle::{MerklePath, SparseMerkleTree},
    record::{
        fields, CodeSet, CodeSetPredicate, DiscloseMask, InclusiveRange, Record, RecordCircuit,
        RecordFields, RecordKind, RecordPrivate, RecordPublic, ResourceIdentity, ScaledValue,
        SetField, CODE_SET_DEPTH,
    },
    types::{
        CodeId, EpochDay, GrantSalt, Nonce, Purpose, RecordSalt, RecordsRoot, ResourceDigest,
        Scope, SecretKey, Timestamp, VerifierId,
    },
};
use ark_bn254::Fr;
use ark_ff::{Field, One, UniformRand};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, SynthesisMode, R1CS_PREDICATE_LABEL,
};
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

/// A tree of `depth` holding `leaf` at a random index (below 1024) followed by three random
/// decoy leaves; returns the tree and the leaf's index.
pub(crate) fn tree_with_decoys<R: RngCore + CryptoRng>(
    rng: &mut R,
    depth: usize,
    leaf: Fr,
) -> (SparseMerkleTree, u64) {
    let mut tree = SparseMerkleTree::new(depth).expect("fixture depth is valid");
    let index = rng.gen_range(0..tree.capacity().min(1 << 10));
    for decoy in 0..3u64 {
        let slot = (index + 1 + decoy) % tree.capacity();
        tree.set(slot, Fr::rand(rng)).expect("slot in range");
    }
    tree.set(index, leaf).expect("slot in range");
    (tree, index)
}

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
    let (tree, index) = tree_with_decoys(rng, depth, grant.commit().0);
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

/// One circuit shape's R1CS matrices, for checking many assignments of that shape quickly
/// (soundness suites that tamper hundreds of values): each check computes only the witness,
/// as the prover does, and evaluates the rows, instead of building and checking a whole
/// constraint system again.
pub struct Shape {
    /// A, B, C.
    matrices: [Matrix<Fr>; 3],
}

impl Shape {
    /// The matrices of `circuit`'s shape (its values are ignored).
    ///
    /// # Panics
    ///
    /// Panics if synthesis fails or the circuit has constraints other than R1CS (test helper).
    pub fn of<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Self {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(SynthesisMode::Setup);
        circuit
            .generate_constraints(cs.clone())
            .expect("synthesis succeeds");
        cs.finalize();
        let mut matrices = cs.to_matrices().expect("matrices");
        assert_eq!(matrices.len(), 1, "an R1CS-only circuit");
        let matrices = matrices
            .remove(R1CS_PREDICATE_LABEL)
            .and_then(|m| <[Matrix<Fr>; 3]>::try_from(m).ok())
            .expect("R1CS has three matrices");
        Self { matrices }
    }

    /// Like [`satisfied`], for a circuit of this shape: `Err` names the synthesis error or the
    /// first unsatisfied row.
    pub fn satisfied<C: ConstraintSynthesizer<Fr>>(&self, circuit: C) -> Result<(), String> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        circuit
            .generate_constraints(cs.clone())
            .map_err(|e| format!("synthesis: {e}"))?;
        let mut z = cs.instance_assignment().map_err(|e| e.to_string())?;
        z.extend(cs.witness_assignment().map_err(|e| e.to_string())?);
        let [a, b, c] = &self.matrices;
        let row = |m: &Matrix<Fr>, i: usize| -> Option<Fr> {
            m[i].iter().map(|(k, j)| z.get(*j).map(|x| *k * x)).sum()
        };
        for i in 0..a.len() {
            match (row(a, i), row(b, i), row(c, i)) {
                (Some(x), Some(y), Some(w)) if x * y == w => {}
                (Some(_), Some(_), Some(_)) => return Err(format!("constraint {i} unsatisfied")),
                _ => return Err("the assignment does not fit the shape".into()),
            }
        }
        Ok(())
    }
}

/// The witness variables of a satisfied circuit that can each be moved (by `+1`), alone,
/// without leaving a constraint unsatisfied: their indices in the witness assignment, in
/// allocation order.
///
/// This reaches what a field-level assignment cannot: values the circuit computes during
/// synthesis (range-check bits, inverses, hash rounds). A witness listed here enters no
/// constraint, or enters only products with a zero factor, so nothing pins it.
///
/// # Panics
///
/// Panics if synthesis fails or the circuit is not satisfied to begin with (test helper).
pub fn free_witnesses<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Vec<usize> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit
        .generate_constraints(cs.clone())
        .expect("synthesis succeeds");
    cs.finalize();
    assert_eq!(cs.is_satisfied().ok(), Some(true), "the circuit must hold");
    let matrices = cs.to_matrices().expect("matrices");
    assert_eq!(matrices.len(), 1, "an R1CS-only circuit");
    let [a, b, c] = <[Matrix<Fr>; 3]>::try_from(matrices[R1CS_PREDICATE_LABEL].clone())
        .expect("R1CS has three matrices");
    // The full assignment as the matrices index it: instance (the constant 1 first), then
    // witness.
    let instance = cs.instance_assignment().expect("assigned");
    let mut z = instance.clone();
    z.extend(cs.witness_assignment().expect("assigned"));
    let row =
        |m: &Matrix<Fr>, i: usize, z: &[Fr]| -> Fr { m[i].iter().map(|(k, j)| *k * z[*j]).sum() };
    // The constraints each variable occurs in, so that an edit re-checks only those.
    let mut occurs = vec![Vec::new(); z.len()];
    for m in [&a, &b, &c] {
        for (i, r) in m.iter().enumerate() {
            for (_, j) in r {
                occurs[*j].push(i);
            }
        }
    }
    (instance.len()..z.len())
        .filter(|&j| {
            z[j] += Fr::one();
            let holds = occurs[j]
                .iter()
                .all(|&i| row(&a, i, &z) * row(&b, i, &z) == row(&c, i, &z));
            z[j] -= Fr::one();
            holds
        })
        .map(|j| j - instance.len())
        .collect()
}

/// `2^64`, the first value past a 64-bit range check.
pub fn two_pow_64() -> Fr {
    Fr::from(2u64).pow([64u64])
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

/// A valid Record statement with everything needed to tamper with it.
#[derive(Clone)]
pub struct RecordFixture {
    /// The public inputs.
    pub public: RecordPublic,
    /// The witness.
    pub private: RecordPrivate,
    /// The records tree holding the record (and some decoys).
    pub tree: SparseMerkleTree,
    /// The code set of the fixture's predicate (holds the record's `code`, not its
    /// `related_code`).
    pub code_set: CodeSet,
}

impl core::fmt::Debug for RecordFixture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordFixture").finish_non_exhaustive()
    }
}

/// Half-width of the fixture's value range, in milli-units.
pub const RECORD_FIXTURE_VALUE_SLACK: u64 = 500;
/// Half-width of the fixture's date range, in days.
pub const RECORD_FIXTURE_DATE_SLACK: u64 = 30;

/// A valid Record statement: an Observation anchored in a records tree of `depth` with a few
/// decoys, disclosing `kind` and `end_date`, with two-sided ranges around its hidden value
/// and date, and its `code` proved in a code set of six codes.
///
/// # Panics
///
/// Panics if `depth` is outside `2..=32` (test helper).
pub fn record_fixture<R: RngCore + CryptoRng>(rng: &mut R, depth: usize) -> RecordFixture {
    let code = CodeId(Fr::rand(rng));
    let record = Record {
        fields: RecordFields {
            kind: RecordKind::Observation,
            code,
            date: EpochDay(rng.gen_range(15_000..20_000)),
            end_date: EpochDay::NONE,
            value: ScaledValue(rng.gen_range(1_000..1_000_000)),
            related_code: CodeId(Fr::rand(rng)),
            coverage: CodeId(Fr::from(0u64)),
            digest: ResourceDigest(Fr::rand(rng)),
            identity: ResourceIdentity(Fr::rand(rng)),
        },
        patient: SecretKey::random(rng).id(),
        salt: RecordSalt::random(rng),
    };
    let mut codes: Vec<CodeId> = (0..5).map(|_| CodeId(Fr::rand(rng))).collect();
    codes.push(code);
    let code_set = CodeSet::new(&codes).expect("fixture codes are valid");
    let (tree, index) = tree_with_decoys(rng, depth, record.commit().0);
    let (value, date) = (record.fields.value.0, record.fields.date.0);
    let private = RecordPrivate {
        path: tree.path(index).expect("slot in range"),
        code_path: code_set.path(code).expect("code is in the set"),
        record,
        verifier: VerifierId(Fr::rand(rng)),
        nonce: Nonce(Fr::rand(rng)),
    };
    let public = private.public_for(
        RecordsRoot(tree.root().0),
        DiscloseMask::of(&[fields::KIND, fields::END_DATE]).expect("disclosable"),
        InclusiveRange::new(
            value - RECORD_FIXTURE_VALUE_SLACK,
            value + RECORD_FIXTURE_VALUE_SLACK,
        ),
        InclusiveRange::new(
            date - RECORD_FIXTURE_DATE_SLACK,
            date + RECORD_FIXTURE_DATE_SLACK,
        ),
        Some(CodeSetPredicate {
            field: SetField::Code,
            root: code_set.root(),
        }),
    );
    RecordFixture {
        public,
        private,
        tree,
        code_set,
    }
}

impl RecordFixture {
    /// Re-anchors an edited record at the same index and updates the root and path
    /// (as if the custodian had anchored that tuple).
    ///
    /// # Panics
    ///
    /// Never for a fixture's own index (test helper).
    pub fn reanchor(&mut self, leaf: Fr) {
        let index = self.private.path.index;
        self.public.records_root = RecordsRoot(self.tree.set(index, leaf).expect("slot").0);
        self.private.path = self.tree.path(index).expect("slot");
    }

    /// Drops the code-set predicate (set_field 0, root 0, blank path).
    pub fn without_code_set(mut self) -> Self {
        self.public.code_set = None;
        self.private.code_path = MerklePath::blank(CODE_SET_DEPTH);
        self
    }
}

/// Convenience: the Record circuit of a fixture.
pub fn record_circuit(f: &RecordFixture) -> RecordCircuit {
    RecordCircuit::new(&f.public, &f.private)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::{
        alloc::AllocVar,
        eq::EqGadget,
        fields::{fp::FpVar, FieldVar},
    };
    use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// `x · y = 6` with a third witness `z` that enters no constraint.
    struct Loose;

    impl ConstraintSynthesizer<Fr> for Loose {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let [x, y, _z] = [2u64, 3, 4]
                .map(|v| FpVar::new_witness(cs.clone(), || Ok(Fr::from(v))).expect("allocates"));
            (x * y).enforce_equal(&FpVar::constant(Fr::from(6u64)))
        }
    }

    #[test]
    fn free_witnesses_finds_an_unconstrained_witness() {
        // x and y are pinned by the product (and its output witness by the equality).
        assert_eq!(free_witnesses(Loose), vec![2]);
    }

    #[test]
    fn a_shape_checks_assignments_as_the_constraint_system_does() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let f = access_fixture(&mut rng, 3);
        let shape = Shape::of(AccessCircuit::blank(3));
        assert_eq!(shape.satisfied(access_circuit(&f)), Ok(()));
        assert_eq!(satisfied(access_circuit(&f)), Ok(()));
        let mut tampered = access_circuit(&f);
        tampered.assignment.nonce += Fr::one();
        assert!(shape.satisfied(tampered).is_err());
        let mut tampered = access_circuit(&f);
        tampered.assignment.nonce += Fr::one();
        assert!(satisfied(tampered).is_err());
    }
}
