//! Cohort statement: shape pins, known answers, and soundness — the native `check` and the
//! constraint system agree on valid statements and on every tampered witness or public value.

use ark_bn254::Fr;
use ark_ff::{Field, One, UniformRand, Zero};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::OnceLock;
use zkconsent_circuits::{
    cohort::{
        self, check, exclusion_hash, inputs, list_hash, CohortAssignment, CohortCircuit,
        CohortError, CohortNullifier, CohortPublic, ExclusionHash, ExclusionList, StudyId,
        EXCLUSION_PAD, MAX_EXCLUSION_CODES, MAX_SUMMARY_CODES,
    },
    domain, fr_to_decimal,
    grant::GRANT_FIELDS,
    merkle::{MerklePath, EMPTY_LEAF},
    record::{
        commit, fields, CodeSet, CodeSetRoot, InclusiveRange, RecordKind, CODE_SET_DEPTH,
        RECORD_FIELDS,
    },
    testing::{
        cohort::{
            cohort_circuit, cohort_fixture, random_code_id, CohortFixture,
            COHORT_FIXTURE_CONDITIONS, COHORT_FIXTURE_INCLUDED_CODES, COHORT_FIXTURE_STUDY,
        },
        constraint_count, free_witnesses, satisfied, two_pow_64, Shape,
    },
    types::*,
};

/// Depth used by most soundness tests: small keeps them fast; the gadgets do not depend on it.
const TEST_DEPTH: usize = 4;
/// Constraints at depth `d`: everything but the two tree paths, plus 242 per level of each.
const COHORT_BASE_CONSTRAINTS: usize = 8_747;
const MERKLE_LEVEL_CONSTRAINTS: usize = 242;
const TREES: usize = 2;
/// Cohort at the default depth 20: pinned.
const COHORT_CONSTRAINTS_DEPTH_20: usize = 18_427;

fn fixture(seed: u64) -> CohortFixture {
    cohort_fixture(&mut StdRng::seed_from_u64(seed), TEST_DEPTH)
}

fn accepted(f: &CohortFixture) {
    assert_eq!(check(&f.public, &f.private), Ok(()));
    assert_eq!(satisfied(cohort_circuit(f)), Ok(()));
}

/// Whether the circuit's constraints hold: [`satisfied`] without `finalize`, which inlines
/// linear combinations and costs about 1.5 s here (five 16-input Poseidons) while the check
/// itself takes milliseconds. The constraints, and so the answer, are the same.
fn holds(c: CohortCircuit) -> bool {
    // The shape is the same for every fixture at TEST_DEPTH: synthesised once, each check
    // then computes only the witness.
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE
        .get_or_init(|| Shape::of(CohortCircuit::blank(TEST_DEPTH)))
        .satisfied(c)
        .is_ok()
}

/// Both the spec and the circuit reject, and the spec names `expected`.
fn assert_rejected(f: &CohortFixture, expected: CohortError) {
    assert_eq!(check(&f.public, &f.private), Err(expected));
    assert!(
        !holds(cohort_circuit(f)),
        "circuit accepted a false statement ({expected:?})"
    );
}

/// The circuit rejects a field-level assignment no typed value can express.
fn assert_circuit_rejects(f: &CohortFixture, edit: impl FnOnce(&mut CohortAssignment)) {
    let mut c = cohort_circuit(f);
    edit(&mut c.assignment);
    assert!(!holds(c));
}

/// The fixture with its summary's tuple replaced at field level and anchored: the circuit of
/// that tuple, its leaf under the new root.
fn anchored_tuple(base: &CohortFixture, tuple: [Fr; RECORD_FIELDS]) -> CohortCircuit {
    let mut f = base.clone();
    f.reanchor(commit(&tuple));
    let mut c = cohort_circuit(&f);
    c.assignment.tuple = tuple;
    c
}

/// The fixture's patient with a full list of [`MAX_SUMMARY_CODES`] conditions: the fixture's
/// own, then random fillers, with `code` placed at `slot`; the selector follows the included
/// condition.
fn with_full_list(base: &CohortFixture, code: CodeId, slot: usize, seed: u64) -> CohortFixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut f = base.clone();
    let mut conditions = f.private.conditions.clone();
    while conditions.len() < MAX_SUMMARY_CODES - 1 {
        conditions.push(random_code_id(&mut rng));
    }
    conditions.insert(slot, code);
    f.private.selected = conditions.iter().position(|c| *c == f.included).unwrap();
    f.private.conditions = conditions;
    f.relist();
    f
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
        COHORT_CONSTRAINTS_DEPTH_20,
        COHORT_BASE_CONSTRAINTS + TREES * 20 * MERKLE_LEVEL_CONSTRAINTS
    );
    let f = fixture(1);
    let cs = ConstraintSystem::<Fr>::new_ref();
    cohort_circuit(&f).generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    assert_eq!(cs.num_instance_variables(), 1 + CohortPublic::NUM_INPUTS);
    assert_eq!(CohortPublic::NUM_INPUTS, 13);
    assert_eq!(
        cs.instance_assignment().unwrap()[1..],
        f.public.to_field_elements()
    );
    assert_eq!(
        cs.num_constraints(),
        COHORT_BASE_CONSTRAINTS + TREES * TEST_DEPTH * MERKLE_LEVEL_CONSTRAINTS
    );
    // Blank (as for key generation) has the same shape.
    assert_eq!(
        constraint_count(CohortCircuit::blank(TEST_DEPTH)),
        cs.num_constraints()
    );
    assert_eq!(CohortCircuit::blank(TEST_DEPTH).depth(), TEST_DEPTH);
    // The production depth, synthesised blank, and a valid statement at that depth.
    assert_eq!(
        constraint_count(CohortCircuit::blank(20)),
        COHORT_CONSTRAINTS_DEPTH_20
    );
    let f20 = cohort_fixture(&mut StdRng::seed_from_u64(2), 20);
    assert_eq!(cohort_circuit(&f20).depth(), 20);
    accepted(&f20);
}

#[test]
fn public_input_names_follow_offsets() {
    assert_eq!(inputs::NAMES.len(), inputs::COUNT);
    assert_eq!(inputs::COUNT, 13);
    for (offset, name) in [
        (inputs::RECORDS_ROOT, "records_root"),
        (inputs::GRANTS_ROOT, "grants_root"),
        (inputs::NOW, "now"),
        (inputs::SCOPE, "scope"),
        (inputs::PURPOSE, "purpose"),
        (inputs::BIRTH_LO, "birth_lo"),
        (inputs::BIRTH_HI, "birth_hi"),
        (inputs::SUMMARY_NOT_BEFORE, "summary_not_before"),
        (inputs::INCLUSION_ROOT, "inclusion_root"),
        (inputs::EXCLUSION_HASH, "exclusion_hash"),
        (inputs::STUDY, "study"),
        (inputs::NULLIFIER, "nullifier"),
        (inputs::REQUEST_HASH, "request_hash"),
    ] {
        assert_eq!(inputs::NAMES[offset], name);
    }
    assert_eq!(cohort::STATEMENT, "cohort");
    assert_eq!(cohort::CIRCUIT_VERSION, 3);
    // The encoder puts each typed field at its offset.
    let f = fixture(13);
    let p = f.public;
    let x = p.to_field_elements();
    assert_eq!(x[inputs::RECORDS_ROOT], p.records_root.0);
    assert_eq!(x[inputs::GRANTS_ROOT], p.grants_root.0);
    assert_eq!(x[inputs::NOW], Fr::from(p.now.0));
    assert_eq!(x[inputs::SCOPE], Fr::from(p.scope.0));
    assert_eq!(x[inputs::PURPOSE], Fr::from(p.purpose.0));
    assert_eq!(x[inputs::BIRTH_LO], Fr::from(p.birth_window.lo));
    assert_eq!(x[inputs::BIRTH_HI], Fr::from(p.birth_window.hi));
    assert_eq!(
        x[inputs::SUMMARY_NOT_BEFORE],
        Fr::from(p.summary_not_before.0)
    );
    assert_eq!(x[inputs::INCLUSION_ROOT], f.inclusion.root().0);
    assert_eq!(x[inputs::EXCLUSION_HASH], f.private.exclusion.hash().0);
    assert_eq!(
        x[inputs::STUDY],
        StudyId::from_name(COHORT_FIXTURE_STUDY).unwrap().0
    );
    assert_eq!(x[inputs::NULLIFIER], p.nullifier.to_fr());
    assert_eq!(x[inputs::REQUEST_HASH], p.request_hash.0);
    // The criteria round trip.
    assert_eq!(p.criteria().birth_window, p.birth_window);
    assert_eq!(p.criteria().exclusion_hash, p.exclusion_hash);
}

/// Tags, the nullifier `H(1, 2)`, the exclusion hash of `{1, 2, 3}` and of the empty list,
/// and a study id, pinned for ports; the nullifier cross-checked against light-poseidon's
/// domain-tagged circom hash (independent code, same definition).
#[test]
fn nullifier_exclusion_and_study_known_answers() {
    use light_poseidon::{Poseidon, PoseidonHasher};
    assert_eq!(
        fr_to_decimal(&domain::COHORT_NULLIFIER.value()),
        "196720529431232272649707314603995532651691710733491971958596978"
    );
    assert_eq!(
        fr_to_decimal(&domain::EXCLUSION_SET.value()),
        "11725457276775376358610827762429746815166225745949451636"
    );
    assert_eq!(
        fr_to_decimal(&domain::CONDITION_LIST.value()),
        "3001717062854496347804371865907537121802360733087086244724"
    );
    let (one, two) = (Fr::from(1u64), Fr::from(2u64));
    let nullifier = CohortNullifier::derive(&SecretKey(one), StudyId(two)).to_fr();
    let mut light =
        Poseidon::<Fr>::with_domain_tag_circom(2, domain::COHORT_NULLIFIER.value()).unwrap();
    assert_eq!(nullifier, light.hash(&[one, two]).unwrap());
    assert_eq!(
        fr_to_decimal(&nullifier),
        "2387384247124403856563072942179525611420243400822134250207364324732257544924"
    );
    let codes = [1u64, 2, 3].map(|c| CodeId(Fr::from(c)));
    let exclusion = ExclusionList::new(&codes).unwrap().hash().to_fr();
    assert_eq!(
        fr_to_decimal(&exclusion),
        "1894801811394480123104665125248146088263484614113217337102093982636559974318"
    );
    let empty = ExclusionList::new(&[]).unwrap().hash().to_fr();
    assert_eq!(empty, exclusion_hash(&[EXCLUSION_PAD; MAX_EXCLUSION_CODES]));
    assert_eq!(
        fr_to_decimal(&empty),
        "15712331170486901077794549966698083454540844690700076824516545047928353825815"
    );
    assert_eq!(
        fr_to_decimal(&EXCLUSION_PAD),
        "21888242871839275222246405745257275088548364400416034343698204186575808495616"
    );
    // The list hash of 1, 2, 3 and 61 pads.
    let mut slots = [Fr::zero(); MAX_SUMMARY_CODES];
    for (slot, v) in slots.iter_mut().zip([1u64, 2, 3]) {
        *slot = Fr::from(v);
    }
    assert_eq!(
        fr_to_decimal(&list_hash(&slots)),
        "4199024373481701673424786029882292882490612919080737945121621679233888882733"
    );
    assert_eq!(
        fr_to_decimal(&StudyId::from_name("NCT04280705").unwrap().0),
        "94614165484251962976710709"
    );
}

#[test]
fn birth_date_bounds_are_inclusive_to_the_day() {
    let base = fixture(3);
    let window = base.public.birth_window;
    assert!(window.lo > 0, "the fixture's window is not clamped");
    for (birth, ok) in [
        (window.lo - 1, false),
        (window.lo, true),
        (window.hi, true),
        (window.hi + 1, false),
    ] {
        let mut f = base.clone();
        f.private.summary.fields.date = EpochDay(birth);
        f.reanchor_summary();
        if ok {
            accepted(&f);
        } else {
            assert_rejected(&f, CohortError::OutsideBirthWindow);
        }
    }
    // The window moved past the birth date on either side.
    let birth = base.private.summary.fields.date.0;
    for window in [
        InclusiveRange::new(birth + 1, window.hi),
        InclusiveRange::new(window.lo, birth - 1),
        InclusiveRange::new(birth, birth),
    ] {
        let mut f = base.clone();
        f.public.birth_window = window;
        if window.contains(birth) {
            accepted(&f);
        } else {
            assert_rejected(&f, CohortError::OutsideBirthWindow);
        }
    }
    // Field level: a birth date past 2^64 or wrapped, under the widest window.
    let mut tuple = base.private.summary.to_field_elements();
    for bad in [two_pow_64(), -Fr::one()] {
        tuple[fields::DATE] = bad;
        let mut c = anchored_tuple(&base, tuple);
        c.assignment.public[inputs::BIRTH_LO] = Fr::zero();
        c.assignment.public[inputs::BIRTH_HI] = Fr::from(u64::MAX);
        assert!(!holds(c));
    }
    // A bound past 2^64 ("negative" lo).
    assert_circuit_rejects(&base, |a| a.public[inputs::BIRTH_LO] = -Fr::one());
    assert_circuit_rejects(&base, |a| a.public[inputs::BIRTH_HI] += two_pow_64());
}

#[test]
fn stale_summaries_are_rejected_to_the_day() {
    let base = fixture(4);
    let not_before = base.public.summary_not_before.0;
    for (as_of, ok) in [(not_before - 1, false), (not_before, true)] {
        let mut f = base.clone();
        f.private.summary.fields.end_date = EpochDay(as_of);
        f.reanchor_summary();
        if ok {
            accepted(&f);
        } else {
            assert_rejected(&f, CohortError::StaleSummary);
        }
    }
    // The verifier asks for a summary newer than this one.
    let mut f = base.clone();
    f.public.summary_not_before = EpochDay(base.private.summary.fields.end_date.0 + 1);
    assert_rejected(&f, CohortError::StaleSummary);
    // Field level: an as_of that wraps, a bound past 2^64.
    let mut tuple = base.private.summary.to_field_elements();
    tuple[fields::END_DATE] = -Fr::one();
    assert!(!holds(anchored_tuple(&base, tuple)));
    assert_circuit_rejects(&base, |a| {
        a.public[inputs::SUMMARY_NOT_BEFORE] = two_pow_64();
        a.tuple[fields::END_DATE] = two_pow_64();
    });
}

#[test]
fn a_condition_outside_the_inclusion_set_is_rejected() {
    let base = fixture(5);
    let mut rng = StdRng::seed_from_u64(105);
    assert_eq!(base.inclusion.len(), COHORT_FIXTURE_INCLUDED_CODES);
    // Another study's set, without the patient's condition.
    let other = CodeSet::new(&[random_code_id(&mut rng), random_code_id(&mut rng)]).unwrap();
    let mut f = base.clone();
    f.public.inclusion_root = other.root();
    assert_rejected(&f, CohortError::NoIncludedCondition);
    // Selecting another of the patient's conditions (not in the set) with the included
    // code's path.
    for slot in 0..COHORT_FIXTURE_CONDITIONS {
        let mut f = base.clone();
        f.private.selected = slot;
        if slot == base.private.selected {
            accepted(&f);
        } else {
            assert_rejected(&f, CohortError::NoIncludedCondition);
        }
    }
    // A patient without the included condition (the summary says so).
    let mut f = base.clone();
    f.private.conditions[base.private.selected] = random_code_id(&mut rng);
    f.relist();
    assert_rejected(&f, CohortError::NoIncludedCondition);
    // Wrong path bit or sibling.
    for level in 0..CODE_SET_DEPTH {
        let mut f = base.clone();
        f.private.inclusion_path.index ^= 1 << level;
        assert_rejected(&f, CohortError::NoIncludedCondition);
        let mut f = base.clone();
        f.private.inclusion_path.siblings[level] += Fr::one();
        assert_rejected(&f, CohortError::NoIncludedCondition);
    }
    // A path of another shape: refused by both (the circuit at synthesis).
    let mut f = base.clone();
    f.private.inclusion_path = MerklePath::blank(CODE_SET_DEPTH - 1);
    assert_rejected(&f, CohortError::NoIncludedCondition);
    // A random root.
    let mut f = base;
    f.public.inclusion_root = CodeSetRoot(Fr::rand(&mut rng));
    assert_rejected(&f, CohortError::NoIncludedCondition);
}

#[test]
fn selecting_a_pad_is_rejected() {
    let base = fixture(6);
    let mut rng = StdRng::seed_from_u64(106);
    // A pad (0) opened at an empty slot of the set, which reaches the root.
    for slot in [COHORT_FIXTURE_CONDITIONS, MAX_SUMMARY_CODES - 1] {
        let mut f = base.clone();
        f.private.selected = slot;
        f.private.inclusion_path = base.inclusion.empty_slot_path().unwrap();
        assert_eq!(
            f.private.inclusion_path.root(Fr::zero()),
            base.inclusion.root().0
        );
        assert_rejected(&f, CohortError::NoIncludedCondition);
        // … whatever inverse hint the prover supplies.
        for inv in [Fr::zero(), Fr::one(), Fr::rand(&mut rng)] {
            assert_circuit_rejects(&f, |a| a.selected_inverse = inv);
        }
    }
    // Past the list: the selector is all zero.
    let mut f = base;
    f.private.selected = MAX_SUMMARY_CODES;
    assert_rejected(&f, CohortError::NoIncludedCondition);
}

#[test]
fn a_selector_that_is_not_one_hot_is_rejected() {
    let base = fixture(7);
    let chosen = base.private.selected;
    let other = (chosen + 1) % COHORT_FIXTURE_CONDITIONS;
    let pad = MAX_SUMMARY_CODES - 1;
    let two = Fr::from(2u64);
    type Edit = Box<dyn Fn(&mut Vec<Fr>)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("two ones", Box::new(move |s| s[other] = Fr::one())),
        ("two ones, one a pad", Box::new(move |s| s[pad] = Fr::one())),
        ("no one", Box::new(move |s| s[chosen] = Fr::zero())),
        ("a 2", Box::new(move |s| s[chosen] = two)),
        (
            "a 2 and a -1 (sum 1)",
            Box::new(move |s| {
                s[chosen] = two;
                s[other] = -Fr::one();
            }),
        ),
        (
            "halves (sum 1)",
            Box::new(move |s| {
                let half = two.inverse().unwrap();
                s[chosen] = half;
                s[other] = half;
            }),
        ),
        ("all ones", Box::new(|s| s.fill(Fr::one()))),
    ];
    for (name, edit) in edits {
        let mut c = cohort_circuit(&base);
        edit(&mut c.assignment.selector);
        // Honest hints for the edited selector: only the selector is wrong.
        c.assignment.derive_hints();
        assert!(!holds(c), "selector with {name} accepted");
    }
    // A selector of the wrong length fails synthesis.
    assert_circuit_rejects(&base, |a| a.selector.push(Fr::zero()));
}

#[test]
fn an_excluded_condition_is_rejected_at_every_position() {
    let base = fixture(8);
    let mut rng = StdRng::seed_from_u64(108);
    // A full exclusion list: the excluded code is its first or its last entry.
    let codes: Vec<CodeId> = (0..MAX_EXCLUSION_CODES)
        .map(|_| random_code_id(&mut rng))
        .collect();
    let exclusion = ExclusionList::new(&codes).unwrap();
    let entries = exclusion.entries();
    let mut full = base.clone();
    full.set_exclusion(exclusion);
    accepted(&full);
    for entry in [0, MAX_EXCLUSION_CODES - 1] {
        let excluded = CodeId(entries[entry]);
        for slot in [0, MAX_SUMMARY_CODES - 1] {
            let f = with_full_list(&full, excluded, slot, 1_000 + slot as u64);
            assert_eq!(f.private.conditions.len(), MAX_SUMMARY_CODES);
            assert_eq!(f.private.conditions[slot], excluded);
            assert_rejected(&f, CohortError::ExcludedCondition { slot, entry });
            // … whatever inverse hint the prover supplies.
            for inv in [Fr::zero(), Fr::one(), Fr::rand(&mut rng)] {
                assert_circuit_rejects(&f, |a| a.exclusion_inverses[slot][entry] = inv);
            }
        }
    }
    // A full list without the excluded codes, the included condition last and selected
    // there: accepted.
    let mut f = full.clone();
    let mut conditions: Vec<CodeId> = (base.private.conditions.iter().copied())
        .filter(|c| *c != base.included)
        .collect();
    while conditions.len() < MAX_SUMMARY_CODES - 1 {
        conditions.push(random_code_id(&mut rng));
    }
    conditions.push(base.included);
    f.private.conditions = conditions;
    f.private.selected = MAX_SUMMARY_CODES - 1;
    f.relist();
    accepted(&f);
    // A study without exclusions (all pads): accepted.
    let mut f = base.clone();
    f.set_exclusion(ExclusionList::new(&[]).unwrap());
    accepted(&f);
    // The fixture's own list, with a condition of the patient's added.
    let mut codes = base.private.exclusion.codes().to_vec();
    codes.push(base.private.conditions[2]);
    let mut f = base.clone();
    f.set_exclusion(ExclusionList::new(&codes).unwrap());
    let entry = f
        .private
        .exclusion
        .codes()
        .iter()
        .position(|c| *c == base.private.conditions[2])
        .unwrap();
    assert_rejected(&f, CohortError::ExcludedCondition { slot: 2, entry });
    // Excluding the included condition itself.
    let mut f = base.clone();
    f.set_exclusion(ExclusionList::new(&[base.included]).unwrap());
    assert_rejected(
        &f,
        CohortError::ExcludedCondition {
            slot: base.private.selected,
            entry: 0,
        },
    );
}

#[test]
fn an_exclusion_list_other_than_the_studys_is_rejected() {
    let base = fixture(9);
    let mut rng = StdRng::seed_from_u64(109);
    // The prover uses a shorter list (dropping the code it has) than the study published.
    let mut codes = base.private.exclusion.codes().to_vec();
    codes.push(base.private.conditions[0]);
    let published = ExclusionList::new(&codes).unwrap();
    let mut f = base.clone();
    f.public.exclusion_hash = published.hash();
    assert_rejected(&f, CohortError::ExclusionListMismatch);
    // A random hash.
    let mut f = base.clone();
    f.public.exclusion_hash = ExclusionHash(Fr::rand(&mut rng));
    assert_rejected(&f, CohortError::ExclusionListMismatch);
    // Field level: an entry moved, or a pad replaced by 0 (which equals every pad slot).
    for j in [0, MAX_EXCLUSION_CODES - 1] {
        assert_circuit_rejects(&base, |a| {
            a.exclusion[j] += Fr::one();
            a.derive_hints();
        });
        assert_circuit_rejects(&base, |a| {
            a.exclusion[j] = Fr::zero();
            a.derive_hints();
        });
    }
}

#[test]
fn a_grant_out_of_window_scope_or_purpose_is_rejected() {
    let base = fixture(10);
    let grant = base.private.grant.clone();
    // Window: [not_before, not_after).
    for (now, ok) in [
        (grant.not_before.0 - 1, false),
        (grant.not_before.0, true),
        (grant.not_after.0 - 1, true),
        (grant.not_after.0, false),
    ] {
        let mut f = base.clone();
        f.public.now = Timestamp(now);
        if ok {
            accepted(&f);
        } else {
            assert_rejected(&f, CohortError::ConsentOutsideWindow);
        }
    }
    // An expired grant (re-issued with a past window), one not yet valid.
    for (nb, na) in [
        (grant.not_before.0 - 10, base.public.now.0),
        (base.public.now.0 + 1, grant.not_after.0),
    ] {
        let mut f = base.clone();
        f.private.grant.not_before = Timestamp(nb);
        f.private.grant.not_after = Timestamp(na);
        f.reissue_grant();
        assert_rejected(&f, CohortError::ConsentOutsideWindow);
    }
    // Scope: every bit the grant lacks.
    let missing = !grant.scope.0;
    let mut f = base.clone();
    f.public.scope = Scope(base.public.scope.0 | (missing & missing.wrapping_neg()));
    if missing != 0 {
        assert_rejected(&f, CohortError::ScopeNotCovered);
    }
    let mut f = base.clone();
    f.private.grant.scope = Scope(0);
    f.reissue_grant();
    assert_rejected(&f, CohortError::ScopeNotCovered);
    // Purpose: another purpose asked, or granted.
    let mut f = base.clone();
    f.public.purpose = Purpose(grant.purpose.0 + 1);
    assert_rejected(&f, CohortError::PurposeMismatch);
    let mut f = base.clone();
    f.private.grant.purpose = Purpose(1);
    f.reissue_grant();
    assert_rejected(&f, CohortError::PurposeMismatch);
    // Field level: now past 2^64.
    assert_circuit_rejects(&base, |a| a.public[inputs::NOW] += two_pow_64());
}

#[test]
fn a_revoked_unissued_or_foreign_grant_is_rejected() {
    let base = fixture(11);
    let mut rng = StdRng::seed_from_u64(111);
    // Revoked: the leaf zeroed.
    let mut f = base.clone();
    f.reissue(EMPTY_LEAF);
    assert_rejected(&f, CohortError::ConsentNotInTree);
    // Never issued (the tree is unchanged).
    let mut f = base.clone();
    f.private.grant.salt = GrantSalt(Fr::rand(&mut rng));
    assert_rejected(&f, CohortError::ConsentNotInTree);
    // Another root; wrong path bits or siblings.
    let mut f = base.clone();
    f.public.grants_root = GrantsRoot(Fr::rand(&mut rng));
    assert_rejected(&f, CohortError::ConsentNotInTree);
    for level in 0..TEST_DEPTH {
        let mut f = base.clone();
        f.private.grant_path.index ^= 1 << level;
        assert_rejected(&f, CohortError::ConsentNotInTree);
        let mut f = base.clone();
        f.private.grant_path.siblings[level] += Fr::one();
        assert_rejected(&f, CohortError::ConsentNotInTree);
    }
    // A grants path of another depth than the records path.
    let mut f = base.clone();
    f.private.grant_path = MerklePath::blank(TEST_DEPTH + 1);
    assert_rejected(&f, CohortError::ConsentNotInTree);
    // Another patient's grant (issued), used with this patient's key and summary.
    let mut f = base.clone();
    f.private.grant.patient = SecretKey::random(&mut rng).id();
    f.reissue_grant();
    assert_rejected(&f, CohortError::GrantOfAnotherPatient);
    // A grant to another researcher: the request is not its.
    let mut f = base.clone();
    f.private.grant.grantee = SecretKey::random(&mut rng).id();
    f.reissue_grant();
    assert_rejected(&f, CohortError::RequestHashMismatch);
}

#[test]
fn a_summary_of_another_patient_is_rejected() {
    let base = fixture(12);
    let mut rng = StdRng::seed_from_u64(112);
    let other = SecretKey::random(&mut rng);
    // Another patient's summary, anchored, with this patient's key.
    let mut f = base.clone();
    f.private.summary.patient = other.id();
    f.reanchor_summary();
    assert_rejected(&f, CohortError::SummaryOfAnotherPatient);
    // Another patient's key with this summary (and grant).
    let mut f = base.clone();
    f.private.patient_secret = other.clone();
    f.public.nullifier = CohortNullifier::derive(&other, f.public.study);
    assert_rejected(&f, CohortError::SummaryOfAnotherPatient);
    // Another whole fixture's summary (another patient), anchored here.
    let theirs = fixture(1012);
    let mut f = base.clone();
    f.private.summary = theirs.private.summary.clone();
    f.private.conditions = theirs.private.conditions.clone();
    f.reanchor_summary();
    assert_rejected(&f, CohortError::SummaryOfAnotherPatient);
}

#[test]
fn only_a_condition_summary_is_accepted() {
    let base = fixture(13);
    for kind in RecordKind::ALL {
        let mut f = base.clone();
        f.private.summary.fields.kind = kind;
        f.reanchor_summary();
        assert_rejected(&f, CohortError::NotASummary);
    }
    // Codes no record kind has (0, 10, p - 1), anchored at field level.
    let tuple = base.private.summary.to_field_elements();
    for bad in [Fr::zero(), Fr::from(10u64), -Fr::one()] {
        let mut t = tuple;
        t[fields::KIND] = bad;
        assert!(
            !holds(anchored_tuple(&base, t)),
            "kind {}",
            fr_to_decimal(&bad)
        );
    }
    // The untouched tuple, re-anchored the same way, holds.
    assert_eq!(satisfied(anchored_tuple(&base, tuple)), Ok(()));
}

#[test]
fn an_unanchored_or_altered_summary_is_rejected() {
    let base = fixture(14);
    let mut rng = StdRng::seed_from_u64(114);
    let mut f = base.clone();
    f.reanchor(EMPTY_LEAF);
    assert_rejected(&f, CohortError::SummaryNotInTree);
    // Never anchored (the tree is unchanged): another salt, an earlier birth date, a later
    // as_of.
    let mut f = base.clone();
    f.private.summary.salt = RecordSalt(Fr::rand(&mut rng));
    assert_rejected(&f, CohortError::SummaryNotInTree);
    let mut f = base.clone();
    f.private.summary.fields.date.0 -= 1;
    assert_rejected(&f, CohortError::SummaryNotInTree);
    let mut f = base.clone();
    f.private.summary.fields.end_date.0 += 1;
    assert_rejected(&f, CohortError::SummaryNotInTree);
    let mut f = base.clone();
    f.public.records_root = RecordsRoot(Fr::rand(&mut rng));
    assert_rejected(&f, CohortError::SummaryNotInTree);
    for level in 0..TEST_DEPTH {
        let mut f = base.clone();
        f.private.summary_path.index ^= 1 << level;
        assert_rejected(&f, CohortError::SummaryNotInTree);
        let mut f = base.clone();
        f.private.summary_path.siblings[level] += Fr::one();
        assert_rejected(&f, CohortError::SummaryNotInTree);
    }
}

#[test]
fn a_condition_list_other_than_the_summarys_is_rejected() {
    let base = fixture(15);
    let mut rng = StdRng::seed_from_u64(115);
    // A condition dropped (the disqualifying one, say), added, or replaced.
    let mut f = base.clone();
    let dropped = (base.private.selected + 1) % COHORT_FIXTURE_CONDITIONS;
    f.private.conditions.remove(dropped);
    f.private.selected = f
        .private
        .conditions
        .iter()
        .position(|c| *c == base.included)
        .unwrap();
    assert_rejected(&f, CohortError::ConditionListMismatch);
    let mut f = base.clone();
    f.private.conditions.push(random_code_id(&mut rng));
    assert_rejected(&f, CohortError::ConditionListMismatch);
    // Reordered.
    let mut f = base.clone();
    f.private.conditions.swap(0, 1);
    f.private.selected = f
        .private
        .conditions
        .iter()
        .position(|c| *c == base.included)
        .unwrap();
    assert_rejected(&f, CohortError::ConditionListMismatch);
    // Longer than the circuit's list: refused by both (the circuit at synthesis).
    let mut f = with_full_list(&base, random_code_id(&mut rng), 0, 115);
    accepted(&f);
    f.private.conditions.push(random_code_id(&mut rng));
    assert_rejected(&f, CohortError::ConditionListMismatch);
    f.relist();
    assert_rejected(&f, CohortError::ConditionListMismatch);
    // Field level: a pad moved.
    assert_circuit_rejects(&base, |a| {
        a.slots[MAX_SUMMARY_CODES - 1] = Fr::one();
        a.derive_hints();
    });
}

#[test]
fn nullifier_is_per_patient_and_per_study() {
    let base = fixture(16);
    let mut rng = StdRng::seed_from_u64(116);
    // The same patient, another request (another researcher's nonce) and a newer summary:
    // the same nullifier.
    let mut again = base.clone();
    again.private.nonce = Nonce(Fr::rand(&mut rng));
    again.private.summary.fields.end_date.0 += 1;
    again.private.summary.salt = RecordSalt(Fr::rand(&mut rng));
    again.reanchor_summary();
    again.public = again.private.public_for(
        again.public.records_root,
        again.public.grants_root,
        again.public.now,
        &again.public.criteria(),
    );
    assert_ne!(again.public.request_hash, base.public.request_hash);
    assert_eq!(again.public.nullifier, base.public.nullifier);
    accepted(&again);
    // Another study: another nullifier, and the proof for it holds.
    let other_study = StudyId::from_name("NCT00000001").unwrap();
    let mut criteria = base.public.criteria();
    criteria.study = other_study;
    let mut other = base.clone();
    other.public = base.private.public_for(
        base.public.records_root,
        base.public.grants_root,
        base.public.now,
        &criteria,
    );
    assert_ne!(other.public.nullifier, base.public.nullifier);
    accepted(&other);
    // Another patient, same study: another nullifier.
    assert_ne!(fixture(17).public.nullifier, base.public.nullifier);
    // Another study's nullifier under this study: rejected; and the reverse.
    let mut f = base.clone();
    f.public.nullifier = other.public.nullifier;
    assert_rejected(&f, CohortError::NullifierMismatch);
    let mut f = base.clone();
    f.public.study = other_study;
    assert_rejected(&f, CohortError::NullifierMismatch);
    // The nullifier of the public id (which the custodian could compute) is not it.
    let id = SecretKey(base.private.patient_secret.id().0);
    let mut f = base.clone();
    f.public.nullifier = CohortNullifier::derive(&id, base.public.study);
    assert_rejected(&f, CohortError::NullifierMismatch);
}

#[test]
fn request_binding_values_are_rejected_when_tampered() {
    let base = fixture(18);
    let mut rng = StdRng::seed_from_u64(118);
    let mut f = base.clone();
    f.private.nonce = Nonce(Fr::rand(&mut rng));
    assert_rejected(&f, CohortError::RequestHashMismatch);
    let mut f = base.clone();
    f.public.request_hash = RequestHash(Fr::rand(&mut rng));
    assert_rejected(&f, CohortError::RequestHashMismatch);
}

#[test]
fn every_witness_value_is_constrained() {
    // Field-level: change each private value in turn; the circuit must notice.
    let f = fixture(19);
    type Edit = Box<dyn Fn(&mut CohortAssignment)>;
    let mut edits: Vec<(String, Edit)> = vec![
        (
            "patient secret".into(),
            Box::new(|a| a.patient_secret += Fr::one()),
        ),
        ("nonce".into(), Box::new(|a| a.nonce += Fr::one())),
        (
            "selected inverse".into(),
            Box::new(|a| a.selected_inverse += Fr::one()),
        ),
    ];
    for i in 0..fields::COUNT {
        let name = format!("tuple field {}", fields::NAMES[i]);
        edits.push((name, Box::new(move |a| a.tuple[i] += Fr::one())));
    }
    for i in 0..MAX_SUMMARY_CODES {
        edits.push((
            format!("slot {i}"),
            Box::new(move |a| a.slots[i] += Fr::one()),
        ));
        edits.push((
            format!("selector {i}"),
            Box::new(move |a| a.selector[i] += Fr::one()),
        ));
        for j in 0..MAX_EXCLUSION_CODES {
            edits.push((
                format!("exclusion inverse {i} {j}"),
                Box::new(move |a| a.exclusion_inverses[i][j] += Fr::one()),
            ));
        }
    }
    for j in 0..MAX_EXCLUSION_CODES {
        edits.push((
            format!("exclusion entry {j}"),
            Box::new(move |a| a.exclusion[j] += Fr::one()),
        ));
    }
    for i in 0..GRANT_FIELDS {
        edits.push((
            format!("grant field {i}"),
            Box::new(move |a| a.grant[i] += Fr::one()),
        ));
    }
    for level in 0..TEST_DEPTH {
        for (tree, edit_sibling, edit_bit) in [
            (
                "summary",
                Box::new(move |a: &mut CohortAssignment| {
                    a.summary_path.siblings[level] += Fr::one()
                }) as Edit,
                Box::new(move |a: &mut CohortAssignment| a.summary_path.index ^= 1 << level)
                    as Edit,
            ),
            (
                "grant",
                Box::new(move |a: &mut CohortAssignment| a.grant_path.siblings[level] += Fr::one())
                    as Edit,
                Box::new(move |a: &mut CohortAssignment| a.grant_path.index ^= 1 << level) as Edit,
            ),
        ] {
            edits.push((format!("{tree} sibling {level}"), edit_sibling));
            edits.push((format!("{tree} bit {level}"), edit_bit));
        }
    }
    for level in 0..CODE_SET_DEPTH {
        edits.push((
            format!("inclusion sibling {level}"),
            Box::new(move |a| a.inclusion_path.siblings[level] += Fr::one()),
        ));
        edits.push((
            format!("inclusion bit {level}"),
            Box::new(move |a| a.inclusion_path.index ^= 1 << level),
        ));
    }
    for (name, edit) in edits {
        let mut c = cohort_circuit(&f);
        edit(&mut c.assignment);
        assert!(!holds(c), "tampering {name} went unnoticed");
    }
}

#[test]
fn every_witness_variable_is_pinned() {
    // Variable-level: values the circuit computes itself (hash rounds, products, range
    // bits, path selections) and the hints, moved one at a time.
    assert_eq!(
        free_witnesses(cohort_circuit(&fixture(19))),
        Vec::<usize>::new()
    );
}

#[test]
fn every_public_input_is_constrained() {
    let f = fixture(20);
    let (birth, as_of) = (
        f.private.summary.fields.date.0,
        f.private.summary.fields.end_date.0,
    );
    let missing = !f.private.grant.scope.0;
    for i in 0..inputs::COUNT {
        let mut c = cohort_circuit(&f);
        // The nearest false value: one past an edge for bounds, otherwise the next element.
        let x = &mut c.assignment.public[i];
        match i {
            inputs::NOW => *x = Fr::from(f.private.grant.not_after.0),
            inputs::SCOPE if missing != 0 => *x += Fr::from(missing & missing.wrapping_neg()),
            inputs::SCOPE => *x = two_pow_64(),
            inputs::BIRTH_LO => *x = Fr::from(birth + 1),
            inputs::BIRTH_HI => *x = Fr::from(birth - 1),
            inputs::SUMMARY_NOT_BEFORE => *x = Fr::from(as_of + 1),
            _ => *x += Fr::one(),
        }
        assert!(
            !holds(c),
            "tampering public input {} went unnoticed",
            inputs::NAMES[i]
        );
    }
}

#[test]
fn secrets_stay_out_of_debug() {
    let f = fixture(21);
    let shown = format!(
        "{:?} {:?} {:?} {:?}",
        f.private,
        cohort_circuit(&f),
        cohort_circuit(&f).assignment,
        f.summary
    );
    let mut secrets = vec![
        f.private.patient_secret.0,
        f.private.patient_secret.id().0,
        f.private.summary.salt.0,
        f.private.summary.fields.digest.0,
        f.private.grant.salt.0,
        f.private.nonce.0,
        Fr::from(f.private.summary.fields.date.0),
    ];
    secrets.extend(f.private.conditions.iter().map(|c| c.0));
    for secret in secrets {
        assert!(!shown.contains(&fr_to_decimal(&secret)), "{shown}");
        assert!(
            !shown.contains(&zkconsent_circuits::fr_to_hex(&secret)),
            "{shown}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Spec and circuit agree on valid statements and on random single-value tampering.
    #[test]
    fn spec_and_circuit_agree(seed in any::<u64>(), which in 0usize..10, delta in 1u64..1000) {
        let mut f = fixture(seed);
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        match which {
            0 => {}
            1 => f.private.summary_path.index ^= delta % (1 << TEST_DEPTH),
            2 => f.private.grant_path.index ^= delta % (1 << TEST_DEPTH),
            3 => f.private.selected = (delta as usize) % (MAX_SUMMARY_CODES + 1),
            4 => {
                // A birth date near either end of the window.
                let w = f.public.birth_window;
                let d = delta % 3;
                f.private.summary.fields.date.0 =
                    if delta % 2 == 0 { w.lo + 1 - d } else { w.hi - 1 + d };
                f.reanchor_summary();
            }
            5 => {
                let nb = f.public.summary_not_before.0;
                f.private.summary.fields.end_date.0 = nb + 1 - delta % 3;
                f.reanchor_summary();
            }
            6 => {
                let k = RecordKind::from_code(1 + delta % 9).unwrap();
                f.private.summary.fields.kind = k;
                f.reanchor_summary();
            }
            7 => {
                if delta % 2 == 1 {
                    let i = (delta as usize) % f.private.conditions.len();
                    let code = f.private.conditions[i];
                    let mut codes = f.private.exclusion.codes().to_vec();
                    codes.push(code);
                    f.set_exclusion(ExclusionList::new(&codes).unwrap());
                }
            }
            8 => {
                let g = &f.private.grant;
                let now = g.not_before.0 + (delta % 3) * (g.not_after.0 - g.not_before.0) / 2;
                f.public.now = Timestamp(now);
            }
            _ => {
                if delta % 2 == 1 {
                    f.private.conditions.push(random_code_id(&mut rng));
                }
                if rng.gen_bool(0.5) {
                    f.relist();
                }
            }
        }
        let spec = check(&f.public, &f.private).is_ok();
        let circuit = holds(cohort_circuit(&f));
        prop_assert_eq!(spec, circuit);
    }
}
