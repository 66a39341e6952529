//! Claim fixtures: a valid Claim statement from a seeded RNG, with what tests need to
//! tamper with it and re-anchor the result.

use super::tree_with_decoys;
use crate::{
    claim::{ClaimCircuit, ClaimPrivate, ClaimPublic},
    merkle::SparseMerkleTree,
    record::{CodeSet, Record, RecordFields, RecordKind, ResourceIdentity, ScaledValue},
    types::{
        CodeId, EpochDay, Nonce, RecordSalt, RecordsRoot, ResourceDigest, SecretKey, VerifierId,
    },
};
use ark_bn254::Fr;
use ark_ff::UniformRand;
use rand::{CryptoRng, Rng, RngCore};

/// Number of diagnoses in the fixture's covered set (the claim's among them).
pub const CLAIM_FIXTURE_COVERED_CODES: usize = 6;

/// A valid Claim statement with everything needed to tamper with it.
#[derive(Clone)]
pub struct ClaimFixture {
    /// The public inputs.
    pub public: ClaimPublic,
    /// The witness.
    pub private: ClaimPrivate,
    /// The insurer's covered diagnoses (holds the record's `related_code`).
    pub covered: CodeSet,
    /// The records tree holding the record (and some decoys).
    pub tree: SparseMerkleTree,
}

impl core::fmt::Debug for ClaimFixture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClaimFixture").finish_non_exhaustive()
    }
}

/// A valid Claim statement: an insured Claim record with a diagnosis, anchored in a records
/// tree of `depth` with a few decoys, the diagnosis in a covered set of
/// [`CLAIM_FIXTURE_COVERED_CODES`] codes, for a random insurer and nonce.
///
/// # Panics
///
/// Panics if `depth` is outside `2..=32` (test helper).
pub fn claim_fixture<R: RngCore + CryptoRng>(rng: &mut R, depth: usize) -> ClaimFixture {
    let diagnosis = CodeId(Fr::rand(rng));
    let date = rng.gen_range(15_000..20_000);
    let record = Record {
        fields: RecordFields {
            kind: RecordKind::Claim,
            code: CodeId(Fr::rand(rng)),
            date: EpochDay(date),
            end_date: EpochDay(date + 1),
            value: ScaledValue(rng.gen_range(1_000..10_000_000)),
            related_code: diagnosis,
            coverage: CodeId(Fr::rand(rng)),
            digest: ResourceDigest(Fr::rand(rng)),
            identity: ResourceIdentity(Fr::rand(rng)),
        },
        patient: SecretKey::random(rng).id(),
        salt: RecordSalt::random(rng),
    };
    let mut codes: Vec<CodeId> = (1..CLAIM_FIXTURE_COVERED_CODES)
        .map(|_| CodeId(Fr::rand(rng)))
        .collect();
    codes.push(diagnosis);
    let covered = CodeSet::new(&codes).expect("fixture codes are valid");
    let (tree, index) = tree_with_decoys(rng, depth, record.commit().0);
    let private = ClaimPrivate {
        path: tree.path(index).expect("slot in range"),
        covered_path: covered.path(diagnosis).expect("diagnosis is covered"),
        record,
        insurer: VerifierId(Fr::rand(rng)),
        nonce: Nonce(Fr::rand(rng)),
    };
    let public = private.public_for(RecordsRoot(tree.root().0), &covered);
    ClaimFixture {
        public,
        private,
        covered,
        tree,
    }
}

impl ClaimFixture {
    /// Re-anchors `leaf` at the record's index and updates the root and path (as if the
    /// custodian had anchored that tuple); the other public inputs are left as they are.
    ///
    /// # Panics
    ///
    /// Never for a fixture's own index (test helper).
    pub fn reanchor(&mut self, leaf: Fr) {
        let index = self.private.path.index;
        self.public.records_root = RecordsRoot(self.tree.set(index, leaf).expect("slot").0);
        self.private.path = self.tree.path(index).expect("slot");
    }

    /// Re-anchors the (edited) record and republishes what an honest prover would for it:
    /// every public input follows the record, and the diagnosis path follows it when the
    /// diagnosis is covered.
    pub fn reanchor_record(&mut self) {
        let leaf = self.private.record.commit().0;
        self.reanchor(leaf);
        if let Some(path) = self.covered.path(self.private.record.fields.related_code) {
            self.private.covered_path = path;
        }
        self.public = self
            .private
            .public_for(self.public.records_root, &self.covered);
    }
}

/// Convenience: the Claim circuit of a fixture.
pub fn claim_circuit(f: &ClaimFixture) -> ClaimCircuit {
    ClaimCircuit::new(&f.public, &f.private)
}
