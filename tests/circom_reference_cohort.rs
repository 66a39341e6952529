//! The circom reference circuit for Cohort (`benches/reference/zkconsent_cohort.circom`): its
//! constraint count is pinned and is no smaller than ours, and it proves the same statement
//! (its witness for one of our fixtures has our public inputs and satisfies its R1CS, and
//! false statements, which our `check` rejects, have no witness).
//!
//! Needs the pinned circom2 and snarkjs: `(cd interop && npm ci)`. Without them the tests
//! print why and pass (CI installs them, so they run there).

mod circom;

use ark_bn254::Fr;
use circom::{
    assert_fails_at, check_pins, checked_public_signals, compiled_o2, decimal, path_input, tools,
    witness, Pins,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use zkconsent_circuits::{
    cohort::{
        check, inputs, CohortCircuit, CohortError, CohortPrivate, CohortPublic, ExclusionList,
        MAX_EXCLUSION_CODES, MAX_SUMMARY_CODES,
    },
    fr_to_decimal,
    grant::fields as grant_fields,
    record::{fields, CODE_SET_DEPTH},
    testing::{
        cohort::{cohort_fixture, CohortFixture},
        constraint_count,
    },
    types::{EpochDay, Timestamp},
};

/// Constraints of `cohort.circom` (depth 20) compiled with `--O2`, circom's full linear
/// simplification (what a deployment would use). Per part: patient id 213; summary leaf 462
/// (its kind is the constant 9, so one first-round S-box is computed at compile time);
/// records path 20 × 242 plus non-empty leaf 1; list hash 2733 (4 × 609 + 297); birth window
/// 256; freshness 128; inclusion selector 128 (`Multiplexer`), selected non-zero 1 and
/// code-set path 8 × 242; exclusion hash 609; exclusion pairs 64 × 16 × 1; grant leaf 381;
/// grants path 20 × 242 plus non-empty leaf 1; grant window 256; scope 192; nullifier and
/// request hash 2 × 240. The root and hash equalities, the summary's kind and patient, the
/// grant's patient and purpose and the list hash's equality with `code` cost nothing: `--O2`
/// substitutes them away or the value is the hash input itself.
const CIRCOM_COHORT_DEPTH_20_CONSTRAINTS: u32 = 18_481;
/// The same circuit with circom's default `--O1` (only signal = signal and signal = constant
/// are simplified, so every Poseidon round's linear mixing stays).
const CIRCOM_COHORT_DEPTH_20_CONSTRAINTS_O1: u32 = 43_207;

/// Our Cohort circuit's depth-20 count (`8747 + 484 · 20`, pinned in `circuits/tests/cohort.rs`).
const OURS_DEPTH_20: usize = 18_427;
const DEPTH: usize = 20;
/// Scalar private inputs of the reference: the patient's key, eight summary fields (all but
/// kind, code and patient), the selected index, five grant fields (all but patient and
/// purpose) and the nonce.
const SCALAR_PRIVATE_INPUTS: usize = 16;
/// The reference's source, where its assertions are.
const SOURCE: &str = "zkconsent_cohort.circom";

/// The reference circuit's inputs for a Cohort statement, as snarkjs reads them: field
/// elements as decimal strings, arrays for paths and lists. The summary's kind, code and
/// patient and the grant's patient and purpose are not inputs (the circuit uses the constant
/// 9, the list hash, the id derived from the key and the public purpose), so a witness
/// disagreeing with them fails at a root check, as ours fails an equality.
fn circom_input(public: &CohortPublic, private: &CohortPrivate) -> Value {
    let d = fr_to_decimal;
    let p = public.to_field_elements();
    let tuple = private.summary.to_field_elements();
    let grant = private.grant.to_field_elements();
    let (records_siblings, records_indices) = path_input(&private.summary_path);
    let (inclusion_siblings, inclusion_indices) = path_input(&private.inclusion_path);
    let (grants_siblings, grants_indices) = path_input(&private.grant_path);
    let conditions: Vec<String> = private.slots().iter().map(d).collect();
    let exclusion: Vec<String> = private.exclusion.entries().iter().map(d).collect();
    json!({
        "records_root": d(&p[inputs::RECORDS_ROOT]),
        "grants_root": d(&p[inputs::GRANTS_ROOT]),
        "now": d(&p[inputs::NOW]),
        "scope": d(&p[inputs::SCOPE]),
        "purpose": d(&p[inputs::PURPOSE]),
        "birth_lo": d(&p[inputs::BIRTH_LO]),
        "birth_hi": d(&p[inputs::BIRTH_HI]),
        "summary_not_before": d(&p[inputs::SUMMARY_NOT_BEFORE]),
        "inclusion_root": d(&p[inputs::INCLUSION_ROOT]),
        "exclusion_hash": d(&p[inputs::EXCLUSION_HASH]),
        "study": d(&p[inputs::STUDY]),
        "nullifier": d(&p[inputs::NULLIFIER]),
        "request_hash": d(&p[inputs::REQUEST_HASH]),
        "patient_secret": d(&private.patient_secret.0),
        "birth_date": d(&tuple[fields::DATE]),
        "as_of": d(&tuple[fields::END_DATE]),
        "summary_value": d(&tuple[fields::VALUE]),
        "summary_related_code": d(&tuple[fields::RELATED_CODE]),
        "summary_coverage": d(&tuple[fields::COVERAGE]),
        "summary_digest": d(&tuple[fields::DIGEST]),
        "summary_salt": d(&tuple[fields::SALT]),
        "summary_identity": d(&tuple[fields::IDENTITY]),
        "records_siblings": records_siblings,
        "records_indices": records_indices,
        "conditions": conditions,
        "selected": private.selected.to_string(),
        "inclusion_siblings": inclusion_siblings,
        "inclusion_indices": inclusion_indices,
        "exclusion": exclusion,
        "researcher_id": d(&grant[grant_fields::GRANTEE]),
        "granted_scope": d(&grant[grant_fields::SCOPE]),
        "not_before": d(&grant[grant_fields::NOT_BEFORE]),
        "not_after": d(&grant[grant_fields::NOT_AFTER]),
        "grant_salt": d(&grant[grant_fields::SALT]),
        "grants_siblings": grants_siblings,
        "grants_indices": grants_indices,
        "nonce": d(&private.nonce.0),
    })
}

#[test]
fn circom_reference_has_the_pinned_count_and_no_fewer_constraints_than_ours() {
    let Some(tools) = tools() else { return };
    let ours = constraint_count(CohortCircuit::blank(DEPTH));
    assert_eq!(ours, OURS_DEPTH_20);
    check_pins(
        &tools,
        &Pins {
            name: "cohort",
            public_inputs: inputs::COUNT,
            // Two tree paths, the code-set path, the list, the exclusion entries and the
            // scalars.
            private_inputs: 2 * (2 * DEPTH)
                + 2 * CODE_SET_DEPTH
                + MAX_SUMMARY_CODES
                + MAX_EXCLUSION_CODES
                + SCALAR_PRIVATE_INPUTS,
            o2: CIRCOM_COHORT_DEPTH_20_CONSTRAINTS,
            o1: CIRCOM_COHORT_DEPTH_20_CONSTRAINTS_O1,
            ours,
        },
    );
}

#[test]
fn circom_reference_proves_the_same_statement() {
    let Some(tools) = tools() else { return };
    let compiled = compiled_o2(&tools, "cohort");
    let work = tempfile::tempdir().expect("tempdir");
    let fixture = cohort_fixture(&mut ChaCha20Rng::seed_from_u64(2026), DEPTH);

    let witness = |name: &str, f: &CohortFixture| {
        witness(
            &tools,
            compiled,
            work.path(),
            name,
            &circom_input(&f.public, &f.private),
        )
    };

    // The true statement: a witness whose public signals are ours, satisfying the R1CS.
    assert_eq!(check(&fixture.public, &fixture.private), Ok(()));
    let wtns = witness("valid", &fixture).unwrap_or_else(|e| panic!("witness failed:\n{e}"));
    let ours = decimal(&fixture.public.to_field_elements());
    let signals = checked_public_signals(&tools, compiled, &wtns, ours.len());
    assert_eq!(signals, ours, "public signals differ");

    // False statements: ours rejects each for the reason we expect, and the reference has no
    // witness, failing at the matching check.
    let rejected = |name: &str, f: &CohortFixture, expected: CohortError, statement: &str| {
        assert_eq!(check(&f.public, &f.private), Err(expected), "{name}");
        let err = witness(name, f).expect_err(name);
        assert_fails_at(&err, SOURCE, statement);
    };

    // Another records root: the summary is not under it.
    let mut wrong_root = fixture.clone();
    wrong_root.public.records_root.0 += Fr::from(1u64);
    rejected(
        "wrong_root",
        &wrong_root,
        CohortError::SummaryNotInTree,
        "records.root === records_root;",
    );

    // Born a day after the window closes (too young).
    let born = fixture.summary.birth_date().0;
    let mut too_young = fixture.clone();
    too_young.public.birth_window.hi = born - 1;
    rejected(
        "too_young",
        &too_young,
        CohortError::OutsideBirthWindow,
        "born_until.out === 1;",
    );

    // A summary made the day before the study's freshness bound.
    let mut stale = fixture.clone();
    stale.public.summary_not_before = EpochDay(fixture.summary.as_of().0 + 1);
    rejected(
        "stale",
        &stale,
        CohortError::StaleSummary,
        "fresh.out === 1;",
    );

    // Selecting a pad (0) instead of the included condition.
    let mut pad = fixture.clone();
    pad.private.selected = fixture.summary.codes().len();
    rejected(
        "pad_selected",
        &pad,
        CohortError::NoIncludedCondition,
        "selected_is_zero.out === 0;",
    );

    // Selecting a listed condition that is not in the inclusion set.
    let mut not_included = fixture.clone();
    let included = fixture.private.selected;
    not_included.private.selected = usize::from(included == 0);
    rejected(
        "not_included",
        &not_included,
        CohortError::NoIncludedCondition,
        "inclusion.root === inclusion_root;",
    );

    // The study excludes the patient's included condition.
    let mut excluded = fixture.clone();
    excluded.set_exclusion(ExclusionList::new(&[fixture.included]).expect("a code id"));
    rejected(
        "excluded",
        &excluded,
        CohortError::ExcludedCondition {
            slot: included,
            entry: 0,
        },
        "same[i][j].out === 0;",
    );

    // The request comes at the (exclusive) end of the research grant's window.
    let mut expired = fixture.clone();
    expired.public.now = Timestamp(fixture.private.grant.not_after.0);
    rejected(
        "expired",
        &expired,
        CohortError::ConsentOutsideWindow,
        "unexpired.out === 1;",
    );
}
