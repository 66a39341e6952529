//! `zkconsent prove record` and `prove claim` on the Synthea bundles in `tests/data/fhir`:
//! every patient bundle anchors; a claim with a diagnosis proves and verifies for every
//! bundle that has one, and its nullifier stops a second claim; tampered, uncovered and
//! out-of-range statements are rejected; a claim proof answers only the request whose terms
//! (covered set, member, coverage) it was made for; a Record proof discloses and
//! range-checks an Observation, and a proof for another request (other terms) never answers
//! the lab's; every public input of a Record and a Claim proof is pinned; snarkjs accepts
//! exported Claim proofs.
//!
//! One home at depth 10 (all ~680 supported resources) per test.

mod common;

use common::{
    assert_every_input_pinned,
    fhir::{diagnosed_claims, patient_bundles, resources},
    new_request_with, zkh, Run,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Smallest depth whose 2^depth slots hold every record of the eight patient bundles.
const DEPTH: &str = "10";
/// The insurer (a verifier identity).
const INSURER: &str = "acme";
/// A verifier of Record proofs.
const LAB: &str = "lab";
/// A code no bundle uses, so a covered set is never just the claim's diagnosis.
const DECOY_CODE: &str = "http://snomed.info/sct|999999999";
/// Body temperature (LOINC), the code of the lab's code set.
const TEMPERATURE: &str = "http://loinc.org|8310-5";
/// The lab's range for a temperature, in milli-degrees Celsius (inclusive).
const LAB_RANGE: (u64, u64) = (37_500, 39_000);

struct Home {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Home {
    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        zkh(&self.path, args)
    }

    /// Writes a code-list file of `system|code` entries.
    fn code_list(&self, name: &str, codes: &[&str]) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, serde_json::to_string(codes).expect("json")).expect("write");
        path
    }
}

/// A home with keys at [`DEPTH`], the insurer and the lab, and every patient bundle anchored
/// for its own patient.
fn anchored_home() -> Home {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = Home {
        path: dir.path().join("home"),
        _dir: dir,
    };
    home.run(&["setup", "--depth", DEPTH]).expect_code(0);
    for verifier in [INSURER, LAB] {
        home.run(&["identity", "new", verifier, "--role", "verifier"])
            .expect_code(0);
    }
    for (bundle, patient) in patient_bundles() {
        home.run(&["identity", "new", &patient, "--role", "patient"])
            .expect_code(0);
        let run = home.run(&[
            "--json",
            "record",
            "anchor",
            bundle.to_str().expect("utf-8"),
            "--patient",
            &patient,
        ]);
        run.expect_code(0);
        assert_eq!(run.json()["ok"], true);
    }
    home
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The verifier's clock for Record and Claim proofs (they carry no time; only the records
/// root's age is checked against it, and the root is the current one).
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The insurer's Claim request: `covered` diagnoses, for `member`'s policy (patient,
/// coverage). Returns the request file.
fn claim_request(home: &Home, covered: &Path, member: (&str, &str)) -> PathBuf {
    new_request_with(
        &home.path,
        INSURER,
        &[
            "--statement",
            "claim",
            "--covered",
            path_str(covered),
            "--member",
            member.0,
            "--coverage",
            member.1,
        ],
    )
    .0
}

/// `prove claim` for a new insurer request (`covered`, `member`); returns (run, request).
fn prove_claim(
    home: &Home,
    bundle: &Path,
    claim: &str,
    covered: &Path,
    member: (&str, &str),
    out: &Path,
) -> (Run, PathBuf) {
    let request = claim_request(home, covered, member);
    let run = home.run(&[
        "--json",
        "prove",
        "claim",
        "--bundle",
        path_str(bundle),
        "--claim",
        claim,
        "--request",
        path_str(&request),
        "--out",
        path_str(out),
    ]);
    (run, request)
}

/// `verify PROOF --request R [--consume]` as the insurer: every term of the request (covered
/// set, member's policy, kinds) and its hash are checked.
fn verify_claim(home: &Home, proof: &Path, request: &Path, consume: bool) -> Run {
    verify_request(home, proof, request, consume)
}

/// `--json verify PROOF --request R [--consume]`.
fn verify_request(home: &Home, proof: &Path, request: &Path, consume: bool) -> Run {
    let mut args = vec![
        "--json",
        "verify",
        path_str(proof),
        "--request",
        path_str(request),
    ];
    if consume {
        args.push("--consume");
    }
    home.run(&args)
}

/// The lab's Record request with `terms` (after `--statement record`).
fn record_request(home: &Home, terms: &[&str]) -> PathBuf {
    let mut args = vec!["--statement", "record"];
    args.extend_from_slice(terms);
    new_request_with(&home.path, LAB, &args).0
}

/// `prove record --resource R --request REQ --out OUT`.
fn prove_record(home: &Home, resource: &str, request: &Path, out: &Path) -> Run {
    home.run(&[
        "--json",
        "prove",
        "record",
        "--resource",
        resource,
        "--request",
        path_str(request),
        "--out",
        path_str(out),
    ])
}

fn rejected_because(run: &Run, reason: &str) {
    run.expect_code(1);
    let v = run.json();
    assert_eq!(v["ok"], false, "{v}");
    let error = v["error"].as_str().unwrap_or_default();
    assert!(error.contains(reason), "expected {reason:?}, got {v}");
}

/// Rejected (exit 1) because the proof's `input` is not the request's.
fn rejected_for_term(run: &Run, inputs: &[&str]) {
    run.expect_code(1);
    let v = run.json();
    assert_eq!(v["ok"], false, "{v}");
    let error = v["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("is not what the request asks")
            && inputs
                .iter()
                .any(|name| error.contains(&format!("proof's {name} "))),
        "expected a term input of {inputs:?} named, got {v}"
    );
}

fn public_input(proof: &Path, name: &str) -> Value {
    let file: Value =
        serde_json::from_slice(&std::fs::read(proof).expect("proof")).expect("proof JSON");
    file["public_inputs"][name].clone()
}

/// An Observation's quantity in thousandths (as anchored).
fn milli(observation: &Value) -> u64 {
    (observation["valueQuantity"]["value"]
        .as_f64()
        .expect("a quantity")
        * 1000.0)
        .round() as u64
}

/// Every body-temperature Observation of the patient bundles, as `Observation/id` and its
/// value in milli-degrees.
fn temperatures() -> Vec<(String, u64)> {
    patient_bundles()
        .into_iter()
        .flat_map(|(bundle, _)| resources(&bundle, "Observation").collect::<Vec<_>>())
        .filter(|o| {
            common::fhir::first_coding(o) == TEMPERATURE && o["valueQuantity"]["value"].is_number()
        })
        .map(|o| {
            (
                format!("Observation/{}", o["id"].as_str().expect("id")),
                milli(&o),
            )
        })
        .collect()
}

#[test]
fn claims_prove_and_verify_for_every_bundle_and_are_paid_once() {
    let home = anchored_home();
    let mut proven = 0;
    for (bundle, patient) in patient_bundles() {
        let claims = diagnosed_claims(&bundle);
        let Some(claim) = claims.first() else {
            // Roland's claims name no diagnosis: nothing can be shown covered.
            let any = resources(&bundle, "Claim").next().expect("a claim");
            let coverage = any["insurance"][0]["coverage"]["display"]
                .as_str()
                .unwrap_or("Anyone Mutual")
                .to_owned();
            let covered = home.code_list("any.json", &[DECOY_CODE]);
            let out = home.file("none.proof.json");
            let (run, _) = prove_claim(
                &home,
                &bundle,
                any["id"].as_str().expect("id"),
                &covered,
                (&patient, &coverage),
                &out,
            );
            rejected_because(&run, "diagnosis");
            continue;
        };
        let covered = home.code_list(
            &format!("{patient}.covered.json"),
            &[DECOY_CODE, &claim.diagnosis],
        );
        let member = (patient.as_str(), claim.coverage.as_str());
        let out = home.file(&format!("{patient}.claim.json"));
        let (run, request) = prove_claim(&home, &bundle, &claim.id, &covered, member, &out);
        run.expect_code(0);
        let accepted = verify_claim(&home, &out, &request, true);
        accepted.expect_code(0);
        let v = accepted.json();
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["request_checked"], true, "{v}");
        assert_eq!(v["not_checked"], serde_json::json!([]), "{v}");
        assert_eq!(v["public_inputs"]["kind"], "6");
        // The same claim again, for a new request: the nullifier is spent.
        let again = home.file(&format!("{patient}.claim2.json"));
        let (run, request2) = prove_claim(&home, &bundle, &claim.id, &covered, member, &again);
        run.expect_code(0);
        assert_eq!(
            public_input(&again, "nullifier"),
            public_input(&out, "nullifier")
        );
        let second = verify_claim(&home, &again, &request2, true);
        rejected_because(&second, "nullifier already spent");
        proven += 1;
    }
    assert_eq!(
        proven, 7,
        "every patient bundle but Roland's has a diagnosed claim"
    );
}

#[test]
fn uncovered_tampered_and_foreign_claims_are_rejected() {
    let home = anchored_home();
    let (bundle, patient) = patient_bundles()
        .into_iter()
        .find(|(b, _)| !diagnosed_claims(b).is_empty())
        .expect("a diagnosed claim");
    let claims = diagnosed_claims(&bundle);
    let claim = &claims[0];
    let member = (patient.as_str(), claim.coverage.as_str());
    let covered = home.code_list("covered.json", &[DECOY_CODE, &claim.diagnosis]);
    let uncovered = home.code_list("uncovered.json", &[DECOY_CODE]);

    // A diagnosis outside the request's covered set proves nothing.
    let (run, _) = prove_claim(
        &home,
        &bundle,
        &claim.id,
        &uncovered,
        member,
        &home.file("x.json"),
    );
    rejected_because(&run, "diagnosis is not in the covered set");
    // A claim id the bundle does not have is a malformed request (exit 2).
    let (run, _) = prove_claim(
        &home,
        &bundle,
        "no-such-claim",
        &covered,
        member,
        &home.file("x.json"),
    );
    run.expect_code(2);

    let out = home.file("claim.json");
    let (run, request) = prove_claim(&home, &bundle, &claim.id, &covered, member, &out);
    run.expect_code(0);
    // Requests for another member's policy, another coverage, another covered set: the
    // proof answers other terms. The same terms under another request: another hash.
    let other = patient_bundles()
        .into_iter()
        .map(|(_, p)| p)
        .find(|p| *p != patient)
        .expect("another patient");
    let other_member = claim_request(&home, &covered, (&other, member.1));
    rejected_for_term(
        &verify_claim(&home, &out, &other_member, false),
        &["policy"],
    );
    let other_coverage = claim_request(&home, &covered, (member.0, "Nobody Mutual"));
    rejected_for_term(
        &verify_claim(&home, &out, &other_coverage, false),
        &["policy"],
    );
    let other_set = claim_request(&home, &uncovered, member);
    rejected_for_term(
        &verify_claim(&home, &out, &other_set, false),
        &["covered_set_root"],
    );
    let other_request = claim_request(&home, &covered, member);
    rejected_because(
        &verify_claim(&home, &out, &other_request, false),
        "another request",
    );
    // A changed amount (or any other input) does not verify.
    let mut file: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let amount = file["public_inputs"]["amount"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    file["public_inputs"]["amount"] = Value::String((amount + 1).to_string());
    let tampered = home.file("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&file).unwrap()).unwrap();
    let run = verify_claim(&home, &tampered, &request, false);
    rejected_because(&run, "does not verify");
    // None of the rejections consumed anything: the honest proof still answers its request.
    verify_claim(&home, &out, &request, true).expect_code(0);
    // The claim's ExplanationOfBenefit is the same service: the same nullifier, spent.
    assert_eq!(claim.resource_type, "Claim");
    let eob = common::fhir::eob_of(&bundle, &claim.id).expect("the claim's EOB");
    let eob_out = home.file("eob.json");
    let (run, eob_request) = prove_claim(&home, &bundle, &eob, &covered, member, &eob_out);
    run.expect_code(0);
    assert_eq!(public_input(&eob_out, "kind"), "7");
    assert_eq!(
        public_input(&eob_out, "nullifier"),
        public_input(&out, "nullifier")
    );
    rejected_because(
        &verify_claim(&home, &eob_out, &eob_request, true),
        "nullifier already spent",
    );
    // snarkjs, an independent verifier, accepts the exported proofs.
    assert!(common::snarkjs_accepts(&home.path, &out));
    assert!(common::snarkjs_accepts(&home.path, &eob_out));
}

#[test]
fn a_record_proof_discloses_and_range_checks_an_observation() {
    let home = anchored_home();
    let (bundle, _) = patient_bundles().into_iter().next().expect("a bundle");
    let observation = resources(&bundle, "Observation")
        .find(|o| o["valueQuantity"]["value"].is_number())
        .expect("a quantity observation");
    let id = observation["id"].as_str().expect("id");
    let resource = format!("Observation/{id}");
    // Quantities are anchored in thousandths.
    let milli = milli(&observation);
    let inside = format!("{}..{}", milli - 1, milli + 1);
    let below = format!("..{}", milli - 1);
    let code = common::fhir::first_coding(&observation);
    let codes = home.code_list("codes.json", &[DECOY_CODE, &code]);
    // The lab's request: kind and date disclosed, the value in `range`, the code in the set.
    let request_for = |range: &str| {
        record_request(
            &home,
            &[
                "--disclose",
                "kind,date",
                "--value-range",
                range,
                "--code-set",
                path_str(&codes),
            ],
        )
    };
    let out = home.file("record.json");
    let request = request_for(&inside);
    prove_record(&home, &resource, &request, &out).expect_code(0);
    assert_eq!(public_input(&out, "disclosed_kind"), "3", "Observation");
    assert_eq!(
        public_input(&out, "disclosed_value"),
        "0",
        "the value stays hidden"
    );
    let first = verify_request(&home, &out, &request, true);
    first.expect_code(0);
    assert_eq!(first.json()["request_checked"], true);
    rejected_because(&verify_request(&home, &out, &request, true), "replay");
    // A value outside the asked range proves nothing.
    let run = prove_record(
        &home,
        &resource,
        &request_for(&below),
        &home.file("below.json"),
    );
    rejected_because(&run, "range");
}

/// The lab's case: request A asks for a temperature in 37.5..39 °C (kind and date
/// disclosed); request B asks about the same kind of Observation without the range. A proof
/// the custodian made for B (for a reading outside A's range) must not pass as an answer to
/// A, and rejecting it consumes nothing: A is still answered once by a valid proof for it.
#[test]
fn a_proof_for_another_record_request_does_not_answer_the_labs() {
    let home = anchored_home();
    let temperature = home.code_list("temperature.json", &[TEMPERATURE]);
    let temps = temperatures();
    let in_range = |v: u64| (LAB_RANGE.0..=LAB_RANGE.1).contains(&v);
    // A reading outside A's range (Bibi's 40.894 °C in the Synthea bundles), and one inside.
    let (fever, fever_milli) = temps
        .iter()
        .find(|(_, v)| !in_range(*v))
        .expect("a temperature outside 37.5..39 °C")
        .clone();
    let (normal, _) = temps
        .iter()
        .find(|(_, v)| in_range(*v))
        .expect("a temperature inside 37.5..39 °C")
        .clone();
    assert!(!in_range(fever_milli));

    let range = format!("{}..{}", LAB_RANGE.0, LAB_RANGE.1);
    let request_a = record_request(
        &home,
        &[
            "--disclose",
            "kind,date",
            "--value-range",
            &range,
            "--code-set",
            path_str(&temperature),
        ],
    );
    // B: only the code set. B2: A's disclosure and code set, but no range.
    let request_b = record_request(&home, &["--code-set", path_str(&temperature)]);
    let request_b2 = record_request(
        &home,
        &[
            "--disclose",
            "kind,date",
            "--code-set",
            path_str(&temperature),
        ],
    );
    // The custodian cannot answer A for the fever reading…
    rejected_because(
        &prove_record(&home, &fever, &request_a, &home.file("fever-a.json")),
        "range",
    );
    // …but answers B and B2 for it, and those proofs are valid for B and B2.
    let proof_b = home.file("fever-b.json");
    prove_record(&home, &fever, &request_b, &proof_b).expect_code(0);
    let proof_b2 = home.file("fever-b2.json");
    prove_record(&home, &fever, &request_b2, &proof_b2).expect_code(0);

    // Given to the lab as answers to A, they are rejected for a term A asks, and nothing
    // is consumed (not A, whose answer is still to come).
    rejected_for_term(
        &verify_request(&home, &proof_b, &request_a, true),
        &[
            "disclose_mask",
            "value_lo",
            "value_hi",
            "date_lo",
            "date_hi",
            "set_field",
            "code_set_root",
        ],
    );
    rejected_for_term(
        &verify_request(&home, &proof_b2, &request_a, true),
        &["value_lo", "value_hi"],
    );

    // A valid proof for A (an in-range reading) is then accepted and consumes A once.
    let proof_a = home.file("normal-a.json");
    prove_record(&home, &normal, &request_a, &proof_a).expect_code(0);
    let accepted = verify_request(&home, &proof_a, &request_a, true);
    accepted.expect_code(0);
    let v = accepted.json();
    assert_eq!(v["request_checked"], true, "{v}");
    assert_eq!(v["public_inputs"]["value_lo"], LAB_RANGE.0.to_string());
    assert_eq!(v["public_inputs"]["value_hi"], LAB_RANGE.1.to_string());
    rejected_because(&verify_request(&home, &proof_a, &request_a, true), "replay");
    // B was not consumed by the rejected attempt either: its own proof still answers it.
    verify_request(&home, &proof_b, &request_b, true).expect_code(0);
}

/// Every public input of a Record proof (disclosure, value and date ranges, code set) and of
/// a Claim proof (covered set, member's policy) is pinned by its request: changed alone, it
/// is rejected with `--consume`, and the rejections spend nothing.
#[test]
fn every_record_and_claim_input_is_pinned_by_the_request() {
    let home = anchored_home();
    let (bundle, patient) = patient_bundles()
        .into_iter()
        .find(|(b, _)| !diagnosed_claims(b).is_empty())
        .expect("a diagnosed claim");

    // Record: an Observation's quantity, its date, its code; all four kinds of terms.
    let observation = resources(&bundle, "Observation")
        .find(|o| o["valueQuantity"]["value"].is_number() && o["effectiveDateTime"].is_string())
        .expect("a dated quantity observation");
    let resource = format!("Observation/{}", observation["id"].as_str().expect("id"));
    let value = milli(&observation);
    let year: u32 = observation["effectiveDateTime"].as_str().unwrap()[..4]
        .parse()
        .expect("year");
    let codes = home.code_list(
        "codes.json",
        &[DECOY_CODE, &common::fhir::first_coding(&observation)],
    );
    let value_range = format!("{}..{}", value.saturating_sub(500), value + 500);
    // A year either side, whatever the time zone does to the day.
    let date_range = format!("{}-01-01..{}-12-31", year - 1, year + 1);
    let request = record_request(
        &home,
        &[
            "--disclose",
            "kind,date",
            "--value-range",
            &value_range,
            "--date-range",
            &date_range,
            "--code-set",
            path_str(&codes),
        ],
    );
    let record = home.file("record.json");
    prove_record(&home, &resource, &request, &record).expect_code(0);
    for name in [
        "value_lo",
        "value_hi",
        "date_lo",
        "date_hi",
        "code_set_root",
    ] {
        assert_ne!(public_input(&record, name), "0", "{name} is asked");
    }
    assert_every_input_pinned(&home.path, &record, &request, now());

    // Claim: covered set, member and coverage.
    let claim = &diagnosed_claims(&bundle)[0];
    let covered = home.code_list("covered.json", &[DECOY_CODE, &claim.diagnosis]);
    let out = home.file("claim.json");
    let (run, request) = prove_claim(
        &home,
        &bundle,
        &claim.id,
        &covered,
        (&patient, &claim.coverage),
        &out,
    );
    run.expect_code(0);
    assert_every_input_pinned(&home.path, &out, &request, now());
}

/// `prove record --batch` and `prove claim --batch`: every line is read before proving, each
/// proof answers its own request, and a false statement fails alone, named by its line.
#[test]
fn record_and_claim_batches_prove_each_line_and_fail_alone() {
    let home = anchored_home();
    let out_dir = home.file("batch");

    // Record: a temperature reading is in the lab's set; the Patient record (leaf 0) is not.
    let set = home.code_list("temperature.json", &[TEMPERATURE]);
    let request = record_request(&home, &["--code-set", path_str(&set)]);
    let (reading, _) = temperatures().into_iter().next().expect("a temperature");
    let lines = home.file("record.jsonl");
    std::fs::write(
        &lines,
        format!(
            "{}\n{}\n",
            serde_json::json!({ "resource": reading, "request": request }),
            serde_json::json!({ "leaf": 0, "request": request }),
        ),
    )
    .expect("write lines");
    let run = home.run(&[
        "--json",
        "prove",
        "record",
        "--batch",
        path_str(&lines),
        "--out-dir",
        path_str(&out_dir),
    ]);
    run.expect_code(1);
    let v = run.json();
    assert_eq!(
        (v["proofs"].as_u64(), v["requests"].as_u64()),
        (Some(1), Some(2)),
        "{v}"
    );
    assert_eq!(v["failed"][0]["line"], 2, "{v}");
    verify_request(&home, &out_dir.join("1.proof.json"), &request, true).expect_code(0);

    // Claim: one diagnosed claim under its insurer's request, and one line naming a claim id
    // the bundle does not have.
    let (bundle, patient) = patient_bundles()
        .into_iter()
        .find(|(b, _)| !diagnosed_claims(b).is_empty())
        .expect("a diagnosed claim");
    let claim = diagnosed_claims(&bundle).remove(0);
    let covered = home.code_list("covered.json", &[&claim.diagnosis]);
    let request = claim_request(&home, &covered, (&patient, &claim.coverage));
    let lines = home.file("claim.jsonl");
    std::fs::write(
        &lines,
        format!(
            "{}\n{}\n",
            serde_json::json!({ "bundle": bundle, "claim": claim.id, "request": request }),
            serde_json::json!({ "bundle": bundle, "claim": "no-such-claim", "request": request }),
        ),
    )
    .expect("write lines");
    let claim_dir = home.file("claims");
    let run = home.run(&[
        "--json",
        "prove",
        "claim",
        "--batch",
        path_str(&lines),
        "--out-dir",
        path_str(&claim_dir),
    ]);
    run.expect_code(1);
    let v = run.json();
    assert_eq!(v["proofs"], 1, "{v}");
    assert_eq!(v["failed"][0]["line"], 2, "{v}");
    verify_claim(&home, &claim_dir.join("1.proof.json"), &request, true).expect_code(0);

    // A line whose request file does not exist: the whole batch is malformed, nothing proved.
    std::fs::write(
        &lines,
        format!(
            "{}\n",
            serde_json::json!({ "bundle": bundle, "claim": claim.id, "request": "missing.json" })
        ),
    )
    .expect("write lines");
    let empty = home.file("none");
    home.run(&[
        "prove",
        "claim",
        "--batch",
        path_str(&lines),
        "--out-dir",
        path_str(&empty),
    ])
    .expect_code(2);
    assert!(!empty.exists());
}
