//! The circom reference circuits for Record and Claim (`benches/reference/zkconsent_record.circom`,
//! `zkconsent_claim.circom`, shared templates in `zkconsent_records.circom`): their constraint
//! counts are pinned next to ours, and each proves the same statement as ours (its witness for
//! one of our fixtures has our public inputs and satisfies its R1CS, and false statements,
//! which our `check` or circuit rejects, have no witness).
//!
//! `--O2` substitutes away every linear constraint (a bit recomposition, a hash or root equal
//! to a public input); ours avoids the same rows by construction (a range's lowest bit is the
//! remainder of its recomposition, a hash's equality is folded into its last S-box, the
//! disclosed Claim fields are the public inputs), so ours is no larger for either statement.
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
    claim::{self, ClaimCircuit, ClaimError, ClaimNullifier, ClaimPrivate, ClaimPublic},
    fr_to_decimal,
    record::{
        self, fields, CodeSetPredicate, InclusiveRange, RecordCircuit, RecordError, RecordKind,
        RecordPrivate, RecordPublic, SetField, CODE_SET_DEPTH, DISCLOSABLE_FIELDS, RECORD_FIELDS,
    },
    testing::{
        claim::{claim_fixture, ClaimFixture},
        constraint_count, record_circuit, record_fixture, satisfied, two_pow_64, RecordFixture,
    },
    types::{CodeId, Nonce, VerifierId},
};

/// Constraints of `record.circom` (depth 20) compiled with `--O2`, circom's full linear
/// simplification (what a deployment would use). Per part: leaf 465 (11 inputs); records path 20 × 242
/// plus non-empty leaf 1; mask 9 (`Num2Bits(9)`) and disclosure 9; value and date ranges
/// 2 × 256 (`InclusiveRange(64)`); selector 3 (`Num2Bits(2)` and exclusivity) and selection
/// 2; code-set path 8 × 242; code-set root when on and root 0 when off 2; tested code
/// non-zero 2 (`IsZero`); request hash 240. The records root and request equalities and
/// the recompositions of `Num2Bits` cost nothing: `--O2` substitutes them away.
const CIRCOM_RECORD_DEPTH_20_CONSTRAINTS: u32 = 8021;
/// The same circuit with circom's default `--O1` (only signal = signal and signal = constant
/// are simplified, so every Poseidon round's linear mixing stays).
const CIRCOM_RECORD_DEPTH_20_CONSTRAINTS_O1: u32 = 17_103;
/// Our Record circuit's depth-20 count (`3181 + 242 · 20`, pinned in `circuits/tests/record.rs`):
/// the same as circom's. Ours spends 1 more on the mask's recomposition and 1 less on the
/// tested code's non-zero check (`s · inv = enabled` against `IsZero`'s two).
const OURS_RECORD_DEPTH_20: usize = 8021;

/// Constraints of `claim.circom` (depth 20) compiled with `--O2`. Per part: kind 1; leaf 465;
/// records path 20 × 242 plus non-empty leaf 1; diagnosis non-zero 1 and covered-set path
/// 8 × 242; coverage non-zero 1; policy, nullifier and request hashes 3 × 240. Disclosure
/// costs nothing (the public kind, service code, date and amount are the leaf's fields) and
/// neither do the root and hash equalities (`--O2` substitutes them away).
const CIRCOM_CLAIM_DEPTH_20_CONSTRAINTS: u32 = 7965;
/// The same circuit with `--O1`.
const CIRCOM_CLAIM_DEPTH_20_CONSTRAINTS_O1: u32 = 17_572;
/// Our Claim circuit's depth-20 count (`3125 + 242 · 20`, pinned in `circuits/tests/claim.rs`):
/// the same as circom's, part for part.
const OURS_CLAIM_DEPTH_20: usize = 7965;

const DEPTH: usize = 20;
/// Scalar private inputs of the Record reference: the verifier id and the nonce (the tuple
/// and the paths are arrays).
const RECORD_SCALAR_PRIVATE_INPUTS: usize = 2;
/// Scalar private inputs of the Claim reference: the seven tuple fields that are not public
/// (end date, diagnosis, patient, coverage, digest, salt, identity), the insurer id and the
/// nonce.
const CLAIM_SCALAR_PRIVATE_INPUTS: usize = 9;
/// The references' sources, where their assertions are.
const RECORD_SOURCE: &str = "zkconsent_record.circom";
const CLAIM_SOURCE: &str = "zkconsent_claim.circom";
const SHARED_SOURCE: &str = "zkconsent_records.circom";
/// The Record reference's range checks, whose failures the shared template reports from
/// these lines.
const VALUE_RANGE_CALL: &str = "InclusiveRange(BITS)(value_lo, tuple[VALUE], value_hi);";
const DATE_RANGE_CALL: &str = "InclusiveRange(BITS)(date_lo, tuple[DATE], date_hi);";

/// A depth-20 reference compiled once with `--O2` (R1CS and witness generator).
/// The Record reference's inputs for a statement, as snarkjs reads them: field elements as
/// decimal strings, arrays for the disclosed values, the tuple and the paths. The public
/// values come from our encoder, so they are ours by construction; the hints ours witnesses
/// (mask and selector bits, the inverse) are computed inside the circom witness.
fn record_input(public: &RecordPublic, private: &RecordPrivate) -> Value {
    let d = fr_to_decimal;
    let p = public.to_field_elements();
    let disclosed: Vec<String> = p
        [record::inputs::DISCLOSED..record::inputs::DISCLOSED + DISCLOSABLE_FIELDS]
        .iter()
        .map(d)
        .collect();
    let tuple: Vec<String> = private.record.to_field_elements().iter().map(d).collect();
    let (path_siblings, path_indices) = path_input(&private.path);
    let (code_siblings, code_indices) = path_input(&private.code_path);
    json!({
        "records_root": d(&p[record::inputs::RECORDS_ROOT]),
        "disclose_mask": d(&p[record::inputs::DISCLOSE_MASK]),
        "disclosed": disclosed,
        "value_lo": d(&p[record::inputs::VALUE_LO]),
        "value_hi": d(&p[record::inputs::VALUE_HI]),
        "date_lo": d(&p[record::inputs::DATE_LO]),
        "date_hi": d(&p[record::inputs::DATE_HI]),
        "set_field": d(&p[record::inputs::SET_FIELD]),
        "code_set_root": d(&p[record::inputs::CODE_SET_ROOT]),
        "request_hash": d(&p[record::inputs::REQUEST_HASH]),
        "tuple": tuple,
        "path_siblings": path_siblings,
        "path_indices": path_indices,
        "code_siblings": code_siblings,
        "code_indices": code_indices,
        "verifier_id": d(&private.verifier.0),
        "nonce": d(&private.nonce.0),
    })
}

/// The Claim reference's inputs for a statement. The tuple's kind, code, date and value are
/// not inputs (the circuit hashes the public kind, service code, date and amount into the
/// leaf), so a witness whose record disagrees with them fails at the root check, as ours
/// fails an equality.
fn claim_input(public: &ClaimPublic, private: &ClaimPrivate) -> Value {
    let d = fr_to_decimal;
    let p = public.to_field_elements();
    let tuple = private.record.to_field_elements();
    let (path_siblings, path_indices) = path_input(&private.path);
    let (covered_siblings, covered_indices) = path_input(&private.covered_path);
    json!({
        "records_root": d(&p[claim::inputs::RECORDS_ROOT]),
        "kind": d(&p[claim::inputs::KIND]),
        "service_code": d(&p[claim::inputs::SERVICE_CODE]),
        "service_date": d(&p[claim::inputs::SERVICE_DATE]),
        "amount": d(&p[claim::inputs::AMOUNT]),
        "covered_set_root": d(&p[claim::inputs::COVERED_SET_ROOT]),
        "policy": d(&p[claim::inputs::POLICY]),
        "nullifier": d(&p[claim::inputs::NULLIFIER]),
        "request_hash": d(&p[claim::inputs::REQUEST_HASH]),
        "end_date": d(&tuple[fields::END_DATE]),
        "diagnosis": d(&tuple[fields::RELATED_CODE]),
        "patient_id": d(&tuple[fields::PATIENT]),
        "coverage": d(&tuple[fields::COVERAGE]),
        "digest": d(&tuple[fields::DIGEST]),
        "salt": d(&tuple[fields::SALT]),
        "identity": d(&tuple[fields::IDENTITY]),
        "path_siblings": path_siblings,
        "path_indices": path_indices,
        "covered_siblings": covered_siblings,
        "covered_indices": covered_indices,
        "insurer_id": d(&private.insurer.0),
        "nonce": d(&private.nonce.0),
    })
}

#[test]
fn record_reference_has_the_pinned_count() {
    let Some(tools) = tools() else { return };
    let ours = constraint_count(RecordCircuit::blank(DEPTH));
    assert_eq!(ours, OURS_RECORD_DEPTH_20);
    check_pins(
        &tools,
        &Pins {
            name: "record",
            public_inputs: record::inputs::COUNT,
            // The tuple, two paths and the scalars.
            private_inputs: RECORD_FIELDS
                + 2 * DEPTH
                + 2 * CODE_SET_DEPTH
                + RECORD_SCALAR_PRIVATE_INPUTS,
            o2: CIRCOM_RECORD_DEPTH_20_CONSTRAINTS,
            o1: CIRCOM_RECORD_DEPTH_20_CONSTRAINTS_O1,
            ours,
        },
    );
}

#[test]
fn claim_reference_has_the_pinned_count() {
    let Some(tools) = tools() else { return };
    let ours = constraint_count(ClaimCircuit::blank(DEPTH));
    assert_eq!(ours, OURS_CLAIM_DEPTH_20);
    check_pins(
        &tools,
        &Pins {
            name: "claim",
            public_inputs: claim::inputs::COUNT,
            // Two paths and the scalars.
            private_inputs: 2 * DEPTH + 2 * CODE_SET_DEPTH + CLAIM_SCALAR_PRIVATE_INPUTS,
            o2: CIRCOM_CLAIM_DEPTH_20_CONSTRAINTS,
            o1: CIRCOM_CLAIM_DEPTH_20_CONSTRAINTS_O1,
            ours,
        },
    );
}

#[test]
fn record_reference_proves_the_same_statement() {
    let Some(tools) = tools() else { return };
    let compiled = compiled_o2(&tools, "record");
    let work = tempfile::tempdir().expect("tempdir");
    let fixture = record_fixture(&mut ChaCha20Rng::seed_from_u64(2026), DEPTH);
    let witness = |name: &str, input: &Value| witness(&tools, compiled, work.path(), name, input);

    // True statements, with the code-set predicate on (the fixture's `code`) and off
    // (set_field 0, root 0, a blank path): witnesses whose public signals are ours,
    // satisfying the R1CS.
    for (name, f) in [
        ("valid", fixture.clone()),
        ("valid_without_code_set", fixture.clone().without_code_set()),
    ] {
        assert_eq!(record::check(&f.public, &f.private), Ok(()), "{name}");
        let wtns = witness(name, &record_input(&f.public, &f.private))
            .unwrap_or_else(|e| panic!("{name}: witness failed:\n{e}"));
        let ours = decimal(&f.public.to_field_elements());
        let signals = checked_public_signals(&tools, compiled, &wtns, ours.len());
        assert_eq!(signals, ours, "{name}: public signals differ");
    }

    // False statements: ours rejects each for the reason we expect, and the reference has no
    // witness, failing at the matching check.
    let rejected = |name: &str, f: &RecordFixture, expected: RecordError| {
        assert_eq!(
            record::check(&f.public, &f.private),
            Err(expected),
            "{name}"
        );
        witness(name, &record_input(&f.public, &f.private)).expect_err(name)
    };

    // Another records root: the record is not under it.
    let mut wrong_root = fixture.clone();
    wrong_root.public.records_root.0 += Fr::from(1u64);
    let err = rejected("wrong_root", &wrong_root, RecordError::NotInTree);
    assert_fails_at(&err, RECORD_SOURCE, "tree.root === records_root;");

    // A disclosed kind that is not the record's.
    let mut wrong_kind = fixture.clone();
    wrong_kind.public.disclosed[fields::KIND] = Some(Fr::from(RecordKind::CONDITION_CODE));
    let err = rejected(
        "wrong_disclosure",
        &wrong_kind,
        RecordError::DisclosureMismatch,
    );
    assert_fails_at(
        &err,
        RECORD_SOURCE,
        "disclosed[i] === mask_bits.out[i] * tuple[i];",
    );

    // A value one above the range's upper end.
    let value = fixture.private.record.fields.value.0;
    let mut too_high = fixture.clone();
    too_high.public.value_range = InclusiveRange::new(fixture.public.value_range.lo, value - 1);
    let err = rejected("value_too_high", &too_high, RecordError::ValueOutOfRange);
    assert_fails_at(&err, SHARED_SOURCE, "at_most_hi.out === 1;");
    assert_fails_at(&err, RECORD_SOURCE, VALUE_RANGE_CALL);

    // A date one before the range's lower end.
    let date = fixture.private.record.fields.date.0;
    let mut too_early = fixture.clone();
    too_early.public.date_range = InclusiveRange::new(date + 1, fixture.public.date_range.hi);
    let err = rejected("date_too_early", &too_early, RecordError::DateOutOfRange);
    assert_fails_at(&err, SHARED_SOURCE, "at_least_lo.out === 1;");
    assert_fails_at(&err, RECORD_SOURCE, DATE_RANGE_CALL);

    // The set tested on `related_code`, which the fixture's set does not hold.
    let mut not_in_set = fixture.clone();
    not_in_set.public.code_set = Some(CodeSetPredicate {
        field: SetField::RelatedCode,
        root: fixture.code_set.root(),
    });
    let err = rejected("code_not_in_set", &not_in_set, RecordError::CodeNotInSet);
    assert_fails_at(
        &err,
        RECORD_SOURCE,
        "(code_set.root - code_set_root) * enabled === 0;",
    );

    // An answer to another request (the verifier's nonce differs).
    let mut other_request = fixture.clone();
    other_request.private.nonce = Nonce(fixture.private.nonce.0 + Fr::from(1u64));
    let err = rejected(
        "other_request",
        &other_request,
        RecordError::RequestHashMismatch,
    );
    assert_fails_at(&err, RECORD_SOURCE, "request.out === request_hash;");

    // A bound no typed range can hold: value_hi = 2^64 (the value itself in range). Ours
    // rejects it in the circuit (the typed `check` cannot express it); the reference fails
    // the bound's Num2Bits(64).
    let mut past_64_bits = record_circuit(&fixture);
    past_64_bits.assignment.public[record::inputs::VALUE_HI] = two_pow_64();
    assert!(
        satisfied(past_64_bits).is_err(),
        "ours accepts value_hi = 2^64"
    );
    let mut input = record_input(&fixture.public, &fixture.private);
    input["value_hi"] = fr_to_decimal(&two_pow_64()).into();
    let err = witness("value_hi_past_64_bits", &input).expect_err("value_hi = 2^64");
    assert_fails_at(&err, SHARED_SOURCE, "hi_bits.in <== hi;");
    assert_fails_at(&err, RECORD_SOURCE, VALUE_RANGE_CALL);
}

#[test]
fn claim_reference_proves_the_same_statement() {
    let Some(tools) = tools() else { return };
    let compiled = compiled_o2(&tools, "claim");
    let work = tempfile::tempdir().expect("tempdir");
    let fixture = claim_fixture(&mut ChaCha20Rng::seed_from_u64(2026), DEPTH);
    let witness = |name: &str, f: &ClaimFixture| {
        witness(
            &tools,
            compiled,
            work.path(),
            name,
            &claim_input(&f.public, &f.private),
        )
    };

    // The true statement: a witness whose public signals are ours, satisfying the R1CS.
    assert_eq!(claim::check(&fixture.public, &fixture.private), Ok(()));
    let wtns = witness("valid", &fixture).unwrap_or_else(|e| panic!("witness failed:\n{e}"));
    let ours = decimal(&fixture.public.to_field_elements());
    let signals = checked_public_signals(&tools, compiled, &wtns, ours.len());
    assert_eq!(signals, ours, "public signals differ");

    // False statements: ours rejects each for the reason we expect, and the reference has no
    // witness, failing at the matching check.
    let rejected = |name: &str, f: &ClaimFixture, expected: ClaimError, statement: &str| {
        assert_eq!(claim::check(&f.public, &f.private), Err(expected), "{name}");
        let err = witness(name, f).expect_err(name);
        assert_fails_at(&err, CLAIM_SOURCE, statement);
    };

    // A claim about an Observation.
    let mut not_a_claim = fixture.clone();
    not_a_claim.public.kind = RecordKind::Observation;
    rejected(
        "not_a_claim",
        &not_a_claim,
        ClaimError::NotAClaim,
        "(kind - CLAIM_KIND) * (kind - EOB_KIND) === 0;",
    );

    // Another records root: the record is not under it.
    let mut wrong_root = fixture.clone();
    wrong_root.public.records_root.0 += Fr::from(1u64);
    rejected(
        "wrong_root",
        &wrong_root,
        ClaimError::NotInTree,
        "tree.root === records_root;",
    );

    // An anchored claim whose diagnosis the insurer does not cover.
    let mut uncovered = fixture.clone();
    uncovered.private.record.fields.related_code = CodeId(Fr::from(1u64));
    uncovered.reanchor_record();
    rejected(
        "uncovered",
        &uncovered,
        ClaimError::DiagnosisNotCovered,
        "covered.root === covered_set_root;",
    );

    // An anchored claim without a diagnosis (0, what an empty slot of the set holds).
    let mut no_diagnosis = fixture.clone();
    no_diagnosis.private.record.fields.related_code = CodeId(Fr::from(0u64));
    no_diagnosis.reanchor_record();
    rejected(
        "no_diagnosis",
        &no_diagnosis,
        ClaimError::NoDiagnosis,
        "diagnosis_is_zero.out === 0;",
    );

    // An anchored claim without insurance.
    let mut uninsured = fixture.clone();
    uninsured.private.record.fields.coverage = CodeId(Fr::from(0u64));
    uninsured.reanchor_record();
    rejected(
        "uninsured",
        &uninsured,
        ClaimError::NoCoverage,
        "coverage_is_zero.out === 0;",
    );

    // Another insurer's nullifier for the resource.
    let mut other_insurer = fixture.clone();
    other_insurer.public.nullifier = ClaimNullifier::derive(
        fixture.private.record.fields.identity,
        VerifierId(fixture.private.insurer.0 + Fr::from(1u64)),
    );
    rejected(
        "other_insurers_nullifier",
        &other_insurer,
        ClaimError::NullifierMismatch,
        "nullifier_hash.out === nullifier;",
    );

    // An answer to another request (the insurer's nonce differs).
    let mut other_request = fixture.clone();
    other_request.private.nonce = Nonce(fixture.private.nonce.0 + Fr::from(1u64));
    rejected(
        "other_request",
        &other_request,
        ClaimError::RequestHashMismatch,
        "request.out === request_hash;",
    );
}
