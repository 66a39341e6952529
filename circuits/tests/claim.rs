//! Claim statement: shape pins, known answers, and soundness — the native `check` and the
//! constraint system agree on valid statements and on every tampered witness or public value.

use ark_bn254::Fr;
use ark_ff::{One, UniformRand};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use zkconsent_circuits::{
    claim::{
        self, check, inputs, is_claim_kind, ClaimAssignment, ClaimCircuit, ClaimError,
        ClaimNullifier, ClaimPublic, PolicyCommitment,
    },
    domain, fr_to_decimal,
    merkle::{MerklePath, EMPTY_LEAF},
    record::{
        commit, fields, CodeSet, CodeSetRoot, Record, RecordKind, ResourceIdentity, ScaledValue,
        CODE_SET_DEPTH, RECORD_FIELDS,
    },
    testing::{
        claim::{claim_circuit, claim_fixture, ClaimFixture, CLAIM_FIXTURE_COVERED_CODES},
        constraint_count, free_witnesses, satisfied, two_pow_64,
    },
    types::*,
};

/// Depth used by most soundness tests: small keeps them fast; the gadgets do not depend on it.
const TEST_DEPTH: usize = 4;
/// Constraints at depth `d`: everything but the records path, plus 242 per level.
const CLAIM_BASE_CONSTRAINTS: usize = 3_125;
const MERKLE_LEVEL_CONSTRAINTS: usize = 242;
/// Claim at the default depth 20: pinned.
const CLAIM_CONSTRAINTS_DEPTH_20: usize = 7_965;

fn fixture(seed: u64) -> ClaimFixture {
    claim_fixture(&mut StdRng::seed_from_u64(seed), TEST_DEPTH)
}

fn accepted(f: &ClaimFixture) {
    assert_eq!(check(&f.public, &f.private), Ok(()));
    assert_eq!(satisfied(claim_circuit(f)), Ok(()));
}

/// Both the spec and the circuit reject, and the spec names `expected`.
fn assert_rejected(f: &ClaimFixture, expected: ClaimError) {
    assert_eq!(check(&f.public, &f.private), Err(expected));
    assert!(
        satisfied(claim_circuit(f)).is_err(),
        "circuit accepted a false statement ({expected:?})"
    );
}

/// The circuit rejects a field-level assignment no typed value can express.
fn assert_circuit_rejects(f: &ClaimFixture, edit: impl FnOnce(&mut ClaimAssignment)) {
    let mut c = claim_circuit(f);
    edit(&mut c.assignment);
    assert!(satisfied(c).is_err());
}

/// The fixture with its record's tuple replaced at field level and anchored: the circuit of
/// that tuple, its leaf under the new root, and honest hints.
fn anchored_tuple(base: &ClaimFixture, tuple: [Fr; RECORD_FIELDS]) -> ClaimCircuit {
    let mut f = base.clone();
    f.reanchor(commit(&tuple));
    let mut c = claim_circuit(&f);
    c.assignment.tuple = tuple;
    c.assignment.derive_hints();
    c
}

#[test]
fn valid_statement_satisfies_spec_and_circuit() {
    for seed in 0..4 {
        accepted(&fixture(seed));
    }
}

#[test]
fn shape_is_pinned() {
    assert_eq!(
        CLAIM_CONSTRAINTS_DEPTH_20,
        CLAIM_BASE_CONSTRAINTS + 20 * MERKLE_LEVEL_CONSTRAINTS
    );
    let f = fixture(1);
    let cs = ConstraintSystem::<Fr>::new_ref();
    claim_circuit(&f).generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    assert_eq!(cs.num_instance_variables(), 1 + ClaimPublic::NUM_INPUTS);
    assert_eq!(
        cs.instance_assignment().unwrap()[1..],
        f.public.to_field_elements()
    );
    assert_eq!(
        cs.num_constraints(),
        CLAIM_BASE_CONSTRAINTS + TEST_DEPTH * MERKLE_LEVEL_CONSTRAINTS
    );
    // Blank (as for key generation) has the same shape.
    assert_eq!(
        constraint_count(ClaimCircuit::blank(TEST_DEPTH)),
        cs.num_constraints()
    );
    assert_eq!(ClaimCircuit::blank(TEST_DEPTH).depth(), TEST_DEPTH);
    // The production depth, synthesised blank, and a valid statement at that depth.
    assert_eq!(
        constraint_count(ClaimCircuit::blank(20)),
        CLAIM_CONSTRAINTS_DEPTH_20
    );
    let f20 = claim_fixture(&mut StdRng::seed_from_u64(2), 20);
    assert_eq!(claim_circuit(&f20).depth(), 20);
    accepted(&f20);
}

#[test]
fn public_input_names_follow_offsets() {
    assert_eq!(inputs::NAMES.len(), inputs::COUNT);
    assert_eq!(inputs::COUNT, 9);
    for (offset, name) in [
        (inputs::RECORDS_ROOT, "records_root"),
        (inputs::KIND, "kind"),
        (inputs::SERVICE_CODE, "service_code"),
        (inputs::SERVICE_DATE, "service_date"),
        (inputs::AMOUNT, "amount"),
        (inputs::COVERED_SET_ROOT, "covered_set_root"),
        (inputs::POLICY, "policy"),
        (inputs::NULLIFIER, "nullifier"),
        (inputs::REQUEST_HASH, "request_hash"),
    ] {
        assert_eq!(inputs::NAMES[offset], name);
    }
    assert_eq!(claim::STATEMENT, "claim");
    assert_eq!(claim::CIRCUIT_VERSION, 3);
    // The encoder puts each typed field at its offset.
    let f = fixture(13);
    let p = f.public;
    let x = p.to_field_elements();
    let r = &f.private.record.fields;
    assert_eq!(x[inputs::RECORDS_ROOT], p.records_root.0);
    assert_eq!(x[inputs::KIND], Fr::from(RecordKind::CLAIM_CODE));
    assert_eq!(x[inputs::SERVICE_CODE], r.code.0);
    assert_eq!(x[inputs::SERVICE_DATE], Fr::from(r.date.0));
    assert_eq!(x[inputs::AMOUNT], Fr::from(r.value.0));
    assert_eq!(x[inputs::COVERED_SET_ROOT], f.covered.root().0);
    assert_eq!(x[inputs::POLICY], p.policy.to_fr());
    assert_eq!(x[inputs::NULLIFIER], p.nullifier.to_fr());
    assert_eq!(x[inputs::REQUEST_HASH], p.request_hash.0);
}

/// Tags and `H(1, 2)` under each, pinned for ports and cross-checked against light-poseidon's
/// domain-tagged circom hash (independent code, same definition).
#[test]
fn policy_and_nullifier_known_answers() {
    use light_poseidon::{Poseidon, PoseidonHasher};
    assert_eq!(
        fr_to_decimal(&domain::POLICY.value()),
        "162723408036682620195362678360909636473"
    );
    assert_eq!(
        fr_to_decimal(&domain::CLAIM_NULLIFIER.value()),
        "768439568090751065037919197610453860188043296963861018142066"
    );
    let (one, two) = (Fr::from(1u64), Fr::from(2u64));
    let policy = PolicyCommitment::derive(IdentityId(one), CodeId(two)).to_fr();
    let nullifier = ClaimNullifier::derive(ResourceIdentity(one), VerifierId(two)).to_fr();
    for (tag, value) in [
        (domain::POLICY, policy),
        (domain::CLAIM_NULLIFIER, nullifier),
    ] {
        let mut light = Poseidon::<Fr>::with_domain_tag_circom(2, tag.value()).unwrap();
        assert_eq!(value, light.hash(&[one, two]).unwrap(), "{}", tag.name());
    }
    assert_eq!(
        fr_to_decimal(&policy),
        "19073002752267470141624197947434232576453684955841405888980048413587520135496"
    );
    assert_eq!(
        fr_to_decimal(&nullifier),
        "4327913880558483284112384777935791070740789938555597711983081790180823388742"
    );
}

#[test]
fn claim_and_explanation_of_benefit_are_the_only_kinds() {
    let base = fixture(3);
    let mut kinds = RecordKind::ALL.to_vec();
    kinds.push(RecordKind::ConditionSummary);
    for kind in kinds {
        let mut f = base.clone();
        f.private.record.fields.kind = kind;
        f.reanchor_record();
        assert_eq!(f.public.kind, kind);
        if is_claim_kind(kind) {
            accepted(&f);
        } else {
            assert_rejected(&f, ClaimError::NotAClaim);
        }
    }
    assert!(is_claim_kind(RecordKind::Claim) && is_claim_kind(RecordKind::ExplanationOfBenefit));
    // Codes no record kind has (0, 10, p - 1), anchored and disclosed at field level.
    let tuple = base.private.record.to_field_elements();
    for bad in [Fr::from(0u64), Fr::from(10u64), -Fr::one()] {
        let mut t = tuple;
        t[fields::KIND] = bad;
        let mut c = anchored_tuple(&base, t);
        c.assignment.public[inputs::KIND] = bad;
        assert!(satisfied(c).is_err(), "kind {}", fr_to_decimal(&bad));
    }
    // A Claim record disclosed as an ExplanationOfBenefit (both claim kinds): a mismatch.
    let mut f = base.clone();
    f.public.kind = RecordKind::ExplanationOfBenefit;
    assert_rejected(
        &f,
        ClaimError::DisclosedFieldMismatch {
            field: fields::KIND,
        },
    );
}

#[test]
fn disclosed_fields_differing_from_the_record_are_rejected() {
    let base = fixture(4);
    type Edit = fn(&mut ClaimPublic);
    let edits: [(usize, Edit); 3] = [
        (fields::CODE, |p| p.service_code.0 += Fr::one()),
        (fields::DATE, |p| p.service_date.0 += 1),
        (fields::VALUE, |p| p.amount.0 -= 1),
    ];
    for (field, edit) in edits {
        let mut f = base.clone();
        edit(&mut f.public);
        assert_rejected(&f, ClaimError::DisclosedFieldMismatch { field });
    }
    // The error names the field.
    assert_eq!(
        ClaimError::DisclosedFieldMismatch {
            field: fields::VALUE
        }
        .to_string(),
        "disclosed value differs from the record"
    );
}

#[test]
fn amount_is_disclosed_exactly_without_range_checks() {
    // No typed amount is past 2^64 - 1 and extraction refuses such a value, so the circuit
    // has no range check: a tuple holding 2^64 proves exactly 2^64, which no claim the
    // insurer holds (a u64 of cents) equals and no proof file parser accepts as a u64.
    let base = fixture(5);
    let mut t = base.private.record.to_field_elements();
    t[fields::VALUE] = two_pow_64();
    let mut c = anchored_tuple(&base, t);
    c.assignment.public[inputs::AMOUNT] = two_pow_64();
    assert_eq!(satisfied(c), Ok(()));
    // The widest typed amount is accepted by both.
    let mut f = base;
    f.private.record.fields.value = ScaledValue(u64::MAX);
    f.reanchor_record();
    accepted(&f);
}

#[test]
fn diagnosis_outside_the_covered_set_is_rejected() {
    let base = fixture(6);
    let mut rng = StdRng::seed_from_u64(106);
    assert_eq!(base.covered.len(), CLAIM_FIXTURE_COVERED_CODES);
    // Another insurer's set, without the diagnosis.
    let other = CodeSet::new(&[CodeId(Fr::rand(&mut rng)), CodeId(Fr::rand(&mut rng))]).unwrap();
    let mut f = base.clone();
    f.public.covered_set_root = other.root();
    assert_rejected(&f, ClaimError::DiagnosisNotCovered);
    // A record whose diagnosis is not covered, with a covered code's path.
    let mut f = base.clone();
    f.private.record.fields.related_code = CodeId(Fr::rand(&mut rng));
    f.reanchor_record();
    assert_rejected(&f, ClaimError::DiagnosisNotCovered);
    // A record without a diagnosis (0), opened at an empty slot, which reaches the root:
    // the spec names the missing diagnosis, not the covered set.
    let mut f = base.clone();
    f.private.record.fields.related_code = CodeId(Fr::from(0u64));
    f.reanchor_record();
    f.private.covered_path = base.covered.empty_slot_path().unwrap();
    assert_eq!(
        f.private.covered_path.root(Fr::from(0u64)),
        base.covered.root().0
    );
    assert_rejected(&f, ClaimError::NoDiagnosis);
    assert_eq!(
        ClaimError::NoDiagnosis.to_string(),
        "claim record has no diagnosis to check coverage of"
    );
    // … whatever inverse hint the prover supplies.
    for inv in [Fr::from(0u64), Fr::one(), Fr::rand(&mut rng)] {
        assert_circuit_rejects(&f, |a| a.diagnosis_inverse = inv);
    }
    // Wrong path bit or sibling.
    for level in 0..CODE_SET_DEPTH {
        let mut f = base.clone();
        f.private.covered_path.index ^= 1 << level;
        assert_rejected(&f, ClaimError::DiagnosisNotCovered);
        let mut f = base.clone();
        f.private.covered_path.siblings[level] += Fr::one();
        assert_rejected(&f, ClaimError::DiagnosisNotCovered);
    }
    // A path of another shape: refused by both (the circuit at synthesis).
    let mut f = base.clone();
    f.private.covered_path = MerklePath::blank(CODE_SET_DEPTH - 1);
    assert_rejected(&f, ClaimError::DiagnosisNotCovered);
    // A random root.
    let mut f = base;
    f.public.covered_set_root = CodeSetRoot(Fr::rand(&mut rng));
    assert_rejected(&f, ClaimError::DiagnosisNotCovered);
}

#[test]
fn a_claim_without_coverage_is_rejected() {
    let base = fixture(7);
    let mut rng = StdRng::seed_from_u64(107);
    // Anchored without insurance; the prover publishes H_policy(patient, 0).
    let mut f = base.clone();
    f.private.record.fields.coverage = CodeId(Fr::from(0u64));
    f.reanchor_record();
    assert_eq!(
        f.public.policy,
        PolicyCommitment::derive(f.private.record.patient, CodeId(Fr::from(0u64)))
    );
    assert_rejected(&f, ClaimError::NoCoverage);
    for inv in [Fr::from(0u64), Fr::one(), Fr::rand(&mut rng)] {
        assert_circuit_rejects(&f, |a| a.coverage_inverse = inv);
    }
}

#[test]
fn policy_of_another_patient_or_coverage_is_rejected() {
    let base = fixture(8);
    let mut rng = StdRng::seed_from_u64(108);
    let record = &base.private.record;
    let other_patient = SecretKey::random(&mut rng).id();
    let other_coverage = CodeId(Fr::rand(&mut rng));
    for policy in [
        PolicyCommitment::derive(other_patient, record.fields.coverage),
        PolicyCommitment::derive(record.patient, other_coverage),
        PolicyCommitment(Fr::rand(&mut rng)),
    ] {
        let mut f = base.clone();
        f.public.policy = policy;
        assert_rejected(&f, ClaimError::PolicyMismatch);
    }
    // Another patient's claim presented against the insurer's member's policy.
    let mut f = base.clone();
    f.private.record.patient = other_patient;
    f.reanchor_record();
    f.public.policy = base.public.policy;
    assert_rejected(&f, ClaimError::PolicyMismatch);
}

#[test]
fn nullifier_is_per_service_and_per_insurer() {
    let base = fixture(9);
    let mut rng = StdRng::seed_from_u64(109);
    // The same resource anchored again (another custodian: another salt, another tree):
    // the same nullifier.
    let mut again = claim_fixture(&mut StdRng::seed_from_u64(1009), TEST_DEPTH);
    again.private.record = base.private.record.clone();
    again.private.record.salt = RecordSalt::random(&mut rng);
    again.private.insurer = base.private.insurer;
    again.covered = base.covered.clone();
    again.reanchor_record();
    assert_ne!(again.public.records_root, base.public.records_root);
    assert_eq!(again.public.nullifier, base.public.nullifier);
    accepted(&again);
    // A new version of the resource (new digest, new amount) or its ExplanationOfBenefit
    // (same identity: the claim's) is the same service: the same nullifier.
    for edit in [
        (|r: &mut Record, rng: &mut StdRng| r.fields.digest = ResourceDigest(Fr::rand(rng)))
            as fn(&mut Record, &mut StdRng),
        |r, rng| {
            r.fields.kind = RecordKind::ExplanationOfBenefit;
            r.fields.digest = ResourceDigest(Fr::rand(rng));
            r.fields.value.0 += 1;
        },
    ] {
        let mut version = base.clone();
        edit(&mut version.private.record, &mut rng);
        version.reanchor_record();
        assert_eq!(version.public.nullifier, base.public.nullifier);
        accepted(&version);
    }
    // Another service (another identity) is another claim.
    let mut changed = base.clone();
    changed.private.record.fields.identity = ResourceIdentity(Fr::rand(&mut rng));
    changed.reanchor_record();
    assert_ne!(changed.public.nullifier, base.public.nullifier);
    accepted(&changed);
    // Two insurers: unlinkable nullifiers for one resource.
    let other_insurer = VerifierId(Fr::rand(&mut rng));
    let for_other = ClaimNullifier::derive(base.private.record.fields.identity, other_insurer);
    assert_ne!(for_other, base.public.nullifier);
    // Another insurer's nullifier against this insurer's request: rejected.
    let mut f = base.clone();
    f.public.nullifier = for_other;
    assert_rejected(&f, ClaimError::NullifierMismatch);
    // The witness naming the other insurer: its nullifier, but this request is not its.
    let mut f = base.clone();
    f.private.insurer = other_insurer;
    f.public.nullifier = for_other;
    assert_rejected(&f, ClaimError::RequestHashMismatch);
    // The nullifier of the digest, the salt or the leaf is not the nullifier.
    let record = &base.private.record;
    for not_identity in [record.fields.digest.0, record.salt.0, record.commit().0] {
        let mut f = base.clone();
        f.public.nullifier =
            ClaimNullifier::derive(ResourceIdentity(not_identity), base.private.insurer);
        assert_rejected(&f, ClaimError::NullifierMismatch);
    }
}

#[test]
fn unanchored_or_altered_record_is_rejected() {
    let base = fixture(10);
    // The leaf's slot emptied: not in the tree.
    let mut f = base.clone();
    f.reanchor(EMPTY_LEAF);
    assert_rejected(&f, ClaimError::NotInTree);
    // A record never anchored (the tree is unchanged).
    let mut f = base.clone();
    f.private.record.salt = RecordSalt(f.private.record.salt.0 + Fr::one());
    assert_rejected(&f, ClaimError::NotInTree);
    // An altered amount disclosed as altered, or another root.
    let mut f = base.clone();
    f.private.record.fields.value.0 += 1;
    f.public.amount.0 += 1;
    assert_rejected(&f, ClaimError::NotInTree);
    let mut f = base.clone();
    f.public.records_root = RecordsRoot(Fr::rand(&mut StdRng::seed_from_u64(110)));
    assert_rejected(&f, ClaimError::NotInTree);
    for level in 0..TEST_DEPTH {
        let mut f = base.clone();
        f.private.path.index ^= 1 << level;
        assert_rejected(&f, ClaimError::NotInTree);
        let mut f = base.clone();
        f.private.path.siblings[level] += Fr::one();
        assert_rejected(&f, ClaimError::NotInTree);
    }
}

#[test]
fn request_binding_values_are_rejected_when_tampered() {
    let base = fixture(11);
    let mut rng = StdRng::seed_from_u64(111);
    let mut f = base.clone();
    f.private.nonce = Nonce(Fr::rand(&mut rng));
    assert_rejected(&f, ClaimError::RequestHashMismatch);
    let mut f = base.clone();
    f.public.request_hash = RequestHash(Fr::rand(&mut rng));
    assert_rejected(&f, ClaimError::RequestHashMismatch);
    // The insurer id enters the nullifier first.
    let mut f = base.clone();
    f.private.insurer = VerifierId(Fr::rand(&mut rng));
    assert_rejected(&f, ClaimError::NullifierMismatch);
}

#[test]
fn every_witness_value_is_constrained() {
    // Field-level: change each private value in turn; the circuit must notice.
    let f = fixture(12);
    type Edit = Box<dyn Fn(&mut ClaimAssignment)>;
    let mut edits: Vec<(String, Edit)> = vec![
        ("insurer".into(), Box::new(|a| a.insurer += Fr::one())),
        ("nonce".into(), Box::new(|a| a.nonce += Fr::one())),
        (
            "diagnosis inverse".into(),
            Box::new(|a| a.diagnosis_inverse += Fr::one()),
        ),
        (
            "coverage inverse".into(),
            Box::new(|a| a.coverage_inverse += Fr::one()),
        ),
    ];
    // The disclosed fields (kind, code, date, value) are the public inputs in the circuit,
    // tampered in `every_public_input_is_constrained`; the rest are witnesses.
    let disclosed = [fields::KIND, fields::CODE, fields::DATE, fields::VALUE];
    for i in (0..fields::COUNT).filter(|i| !disclosed.contains(i)) {
        let name = format!("tuple field {}", fields::NAMES[i]);
        edits.push((name, Box::new(move |a| a.tuple[i] += Fr::one())));
    }
    for level in 0..TEST_DEPTH {
        let (sibling, bit) = (format!("path sibling {level}"), format!("path bit {level}"));
        edits.push((
            sibling,
            Box::new(move |a| a.path.siblings[level] += Fr::one()),
        ));
        edits.push((bit, Box::new(move |a| a.path.index ^= 1 << level)));
    }
    for level in 0..CODE_SET_DEPTH {
        let (sibling, bit) = (
            format!("covered sibling {level}"),
            format!("covered bit {level}"),
        );
        edits.push((
            sibling,
            Box::new(move |a| a.covered_path.siblings[level] += Fr::one()),
        ));
        edits.push((bit, Box::new(move |a| a.covered_path.index ^= 1 << level)));
    }
    for (name, edit) in edits {
        let mut c = claim_circuit(&f);
        edit(&mut c.assignment);
        assert!(satisfied(c).is_err(), "tampering {name} went unnoticed");
    }
}

#[test]
fn every_witness_variable_is_pinned() {
    // Variable-level: values the circuit computes itself (hash rounds, path selections) and
    // the hints, moved one at a time.
    assert_eq!(
        free_witnesses(claim_circuit(&fixture(12))),
        Vec::<usize>::new()
    );
}

#[test]
fn every_public_input_is_constrained() {
    let f = fixture(14);
    for i in 0..inputs::COUNT {
        let mut c = claim_circuit(&f);
        c.assignment.public[i] += Fr::one();
        assert!(
            satisfied(c).is_err(),
            "tampering public input {} went unnoticed",
            inputs::NAMES[i]
        );
    }
    // The kind moved to the other claim kind, and to 0: rejected too.
    for kind in [RecordKind::EXPLANATION_OF_BENEFIT_CODE, 0] {
        assert_circuit_rejects(&f, |a| a.public[inputs::KIND] = Fr::from(kind));
    }
}

#[test]
fn secrets_stay_out_of_debug() {
    let f = fixture(15);
    let shown = format!("{:?} {:?}", f.private, claim_circuit(&f));
    for secret in [
        f.private.record.salt.0,
        f.private.record.fields.related_code.0,
        f.private.record.fields.digest.0,
        f.private.nonce.0,
    ] {
        assert!(!shown.contains(&fr_to_decimal(&secret)), "{shown}");
        assert!(
            !shown.contains(&zkconsent_circuits::fr_to_hex(&secret)),
            "{shown}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Spec and circuit agree on valid statements and on random single-value tampering.
    #[test]
    fn spec_and_circuit_agree(seed in any::<u64>(), which in 0usize..9, delta in 1u64..1000) {
        let mut f = fixture(seed);
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        match which {
            0 => {}
            1 => f.private.path.index ^= delta % (1 << TEST_DEPTH),
            2 => f.private.covered_path.index ^= delta % (1 << CODE_SET_DEPTH),
            3 => f.public.amount.0 += delta % 2,
            4 => {
                // Another amount anchored than the one claimed.
                f.private.record.fields.value.0 += delta % 2;
                f.reanchor_record();
            }
            5 => {
                let k = RecordKind::from_code(1 + delta % 9).unwrap();
                f.private.record.fields.kind = k;
                f.reanchor_record();
            }
            6 => {
                if delta % 2 == 1 {
                    f.private.record.fields.coverage = CodeId(Fr::from(0u64));
                }
                f.reanchor_record();
            }
            7 => {
                if delta % 2 == 1 {
                    f.private.insurer = VerifierId(Fr::rand(&mut rng));
                }
            }
            _ => {
                if delta % 2 == 1 {
                    f.private.record.fields.related_code = CodeId(Fr::rand(&mut rng));
                }
                f.reanchor_record();
            }
        }
        let spec = check(&f.public, &f.private).is_ok();
        let circuit = satisfied(claim_circuit(&f)).is_ok();
        prop_assert_eq!(spec, circuit);
    }
}
