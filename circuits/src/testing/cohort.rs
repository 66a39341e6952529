//! Cohort fixtures: a valid Cohort statement from a seeded RNG, with what tests need to
//! tamper with it and re-anchor the result.

use super::{tree_with_decoys, FIXTURE_HALF_WINDOW, FIXTURE_NOW};
use crate::{
    cohort::{
        birth_window, list_hash, CohortCircuit, CohortPrivate, CohortPublic, ConditionSummary,
        ExclusionList, StudyCriteria, StudyId, MAX_SUMMARY_CODES,
    },
    grant::Grant,
    merkle::SparseMerkleTree,
    record::CodeSet,
    types::{
        CodeId, EpochDay, GrantSalt, GrantsRoot, Nonce, Purpose, RecordSalt, RecordsRoot,
        ResourceDigest, Scope, SecretKey, Timestamp,
    },
};
use ark_bn254::Fr;
use ark_ff::{PrimeField, UniformRand};
use rand::{CryptoRng, Rng, RngCore};

/// The fixture's reference day: [`FIXTURE_NOW`]'s date (2026-11-24).
pub const COHORT_FIXTURE_TODAY: EpochDay = match EpochDay::of_timestamp(Timestamp(FIXTURE_NOW)) {
    Some(day) => day,
    None => panic!("FIXTURE_NOW is before 2200"),
};
/// The fixture study's age range on [`COHORT_FIXTURE_TODAY`], in whole years.
pub const COHORT_FIXTURE_AGES: (u32, u32) = (18, 50);
/// The fixture study accepts summaries at most this many days old.
pub const COHORT_FIXTURE_MAX_SUMMARY_AGE: u64 = 30;
/// Conditions in the fixture's summary (the included one among them).
pub const COHORT_FIXTURE_CONDITIONS: usize = 6;
/// Codes in the fixture's inclusion set (the patient's included condition among them).
pub const COHORT_FIXTURE_INCLUDED_CODES: usize = 5;
/// Codes in the fixture's exclusion list (none of them the patient's).
pub const COHORT_FIXTURE_EXCLUDED_CODES: usize = 4;
/// The fixture's research purpose code.
pub const COHORT_FIXTURE_PURPOSE: Purpose = Purpose(3);
/// The fixture's study name.
pub const COHORT_FIXTURE_STUDY: &str = "NCT04280705";

/// A random code id (248 bits).
pub fn random_code_id<R: RngCore + CryptoRng>(rng: &mut R) -> CodeId {
    let mut bytes = [0u8; 31];
    rng.fill_bytes(&mut bytes);
    // A zero code is "absent"; 31 random bytes are never all zero in practice.
    bytes[0] |= 1;
    CodeId(Fr::from_be_bytes_mod_order(&bytes))
}

/// A valid Cohort statement with everything needed to tamper with it.
#[derive(Clone)]
pub struct CohortFixture {
    /// The public inputs.
    pub public: CohortPublic,
    /// The witness.
    pub private: CohortPrivate,
    /// The patient's condition summary (as anchored).
    pub summary: ConditionSummary,
    /// The condition of the patient's that is in the inclusion set.
    pub included: CodeId,
    /// The study's inclusion set.
    pub inclusion: CodeSet,
    /// The records tree holding the summary (and some decoys).
    pub records: SparseMerkleTree,
    /// The grants tree holding the research grant (and some decoys).
    pub grants: SparseMerkleTree,
}

impl core::fmt::Debug for CohortFixture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CohortFixture").finish_non_exhaustive()
    }
}

/// A valid Cohort statement: a patient aged 18 to 50 on [`COHORT_FIXTURE_TODAY`] with a
/// condition summary of [`COHORT_FIXTURE_CONDITIONS`] codes made in the last week, one of
/// them in an inclusion set of [`COHORT_FIXTURE_INCLUDED_CODES`], none in an exclusion list
/// of [`COHORT_FIXTURE_EXCLUDED_CODES`]; a research grant to the researcher valid at
/// [`FIXTURE_NOW`]; both in trees of `depth` with a few decoys.
///
/// # Panics
///
/// Panics if `depth` is outside `2..=32` (test helper).
pub fn cohort_fixture<R: RngCore + CryptoRng>(rng: &mut R, depth: usize) -> CohortFixture {
    let patient_secret = SecretKey::random(rng);
    let patient = patient_secret.id();
    let researcher = SecretKey::random(rng).id();
    let (min_age, max_age) = COHORT_FIXTURE_AGES;
    let window = birth_window(COHORT_FIXTURE_TODAY, min_age, max_age)
        .expect("the fixture's ages are a window");
    let birth_date = EpochDay(rng.gen_range(window.lo..=window.hi));
    let as_of = EpochDay(COHORT_FIXTURE_TODAY.0 - rng.gen_range(0..7));
    // The conditions, one of them included; the inclusion set; the exclusion list.
    let included = random_code_id(rng);
    let mut conditions: Vec<CodeId> = (1..COHORT_FIXTURE_CONDITIONS)
        .map(|_| random_code_id(rng))
        .collect();
    conditions.push(included);
    let mut included_codes: Vec<CodeId> = (1..COHORT_FIXTURE_INCLUDED_CODES)
        .map(|_| random_code_id(rng))
        .collect();
    included_codes.push(included);
    let inclusion = CodeSet::new(&included_codes).expect("fixture codes are valid");
    let excluded: Vec<CodeId> = (0..COHORT_FIXTURE_EXCLUDED_CODES)
        .map(|_| random_code_id(rng))
        .collect();
    let exclusion = ExclusionList::new(&excluded).expect("fixture codes are valid");
    // The summary, anchored.
    let summary = ConditionSummary::new(
        patient,
        birth_date,
        as_of,
        &conditions,
        ResourceDigest(Fr::rand(rng)),
    )
    .expect("fixture summary is valid");
    let record = summary.to_record(RecordSalt::random(rng));
    let (records, summary_index) = tree_with_decoys(rng, depth, record.commit().0);
    // The research grant, issued.
    let granted = Scope(rng.gen::<u64>() | 0b1111);
    let grant = Grant {
        patient,
        grantee: researcher,
        scope: granted,
        purpose: COHORT_FIXTURE_PURPOSE,
        not_before: Timestamp(FIXTURE_NOW - FIXTURE_HALF_WINDOW),
        not_after: Timestamp(FIXTURE_NOW + FIXTURE_HALF_WINDOW),
        salt: GrantSalt::random(rng),
    };
    let (grants, grant_index) = tree_with_decoys(rng, depth, grant.commit().0);
    let criteria = StudyCriteria {
        study: StudyId::from_name(COHORT_FIXTURE_STUDY).expect("a valid name"),
        birth_window: window,
        summary_not_before: EpochDay(COHORT_FIXTURE_TODAY.0 - COHORT_FIXTURE_MAX_SUMMARY_AGE),
        inclusion_root: inclusion.root(),
        exclusion_hash: exclusion.hash(),
        scope: Scope(granted.0 & 0b0101),
        purpose: COHORT_FIXTURE_PURPOSE,
    };
    let private = CohortPrivate {
        patient_secret,
        summary: record,
        summary_path: records.path(summary_index).expect("slot in range"),
        conditions: summary.codes().to_vec(),
        selected: summary.position(included).expect("the patient has it"),
        inclusion_path: inclusion.path(included).expect("included"),
        exclusion,
        grant,
        grant_path: grants.path(grant_index).expect("slot in range"),
        nonce: Nonce(Fr::rand(rng)),
    };
    let public = private.public_for(
        RecordsRoot(records.root().0),
        GrantsRoot(grants.root().0),
        Timestamp(FIXTURE_NOW),
        &criteria,
    );
    CohortFixture {
        public,
        private,
        summary,
        included,
        inclusion,
        records,
        grants,
    }
}

impl CohortFixture {
    /// Re-anchors `leaf` at the summary's index and updates the records root and path (as if
    /// the custodian had anchored it there); the other public inputs are left as they are.
    ///
    /// # Panics
    ///
    /// Never for a fixture's own index (test helper).
    pub fn reanchor(&mut self, leaf: Fr) {
        let index = self.private.summary_path.index;
        self.public.records_root = RecordsRoot(self.records.set(index, leaf).expect("slot").0);
        self.private.summary_path = self.records.path(index).expect("slot");
    }

    /// Re-anchors the (edited) summary record.
    pub fn reanchor_summary(&mut self) {
        let leaf = self.private.summary.commit().0;
        self.reanchor(leaf);
    }

    /// Makes the summary commit to the (edited) condition list, as a custodian summarising
    /// those conditions would (list hash and count; order and repetitions kept as they
    /// are), and re-anchors it. A list longer than [`MAX_SUMMARY_CODES`] is left unhashed.
    pub fn relist(&mut self) {
        if let Ok(slots) = <[Fr; MAX_SUMMARY_CODES]>::try_from(self.private.slots()) {
            self.private.summary.fields.code = CodeId(list_hash(&slots));
        }
        self.private.summary.fields.value.0 = self.private.conditions.len() as u64;
        self.reanchor_summary();
    }

    /// Re-issues `leaf` at the grant's index and updates the grants root and path; the other
    /// public inputs are left as they are.
    ///
    /// # Panics
    ///
    /// Never for a fixture's own index (test helper).
    pub fn reissue(&mut self, leaf: Fr) {
        let index = self.private.grant_path.index;
        self.public.grants_root = GrantsRoot(self.grants.set(index, leaf).expect("slot").0);
        self.private.grant_path = self.grants.path(index).expect("slot");
    }

    /// Re-issues the (edited) grant.
    pub fn reissue_grant(&mut self) {
        let leaf = self.private.grant.commit().0;
        self.reissue(leaf);
    }

    /// The study publishes another exclusion list (the witness follows it).
    pub fn set_exclusion(&mut self, exclusion: ExclusionList) {
        self.public.exclusion_hash = exclusion.hash();
        self.private.exclusion = exclusion;
    }
}

/// Convenience: the Cohort circuit of a fixture.
pub fn cohort_circuit(f: &CohortFixture) -> CohortCircuit {
    CohortCircuit::new(&f.public, &f.private)
}
