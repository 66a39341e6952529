//! `zkconsent prove record` and `prove claim` on the Synthea bundles in `tests/data/fhir`:
//! every patient bundle anchors; a claim with a diagnosis proves and verifies for every
//! bundle that has one, and its nullifier stops a second claim; tampered, uncovered and
//! out-of-range statements are rejected; a Record proof discloses and range-checks an
//! Observation; snarkjs accepts exported Claim proofs.
//!
//! One home at depth 10 (all ~680 supported resources) serves the whole file.

mod common;

use common::{
    fhir::{diagnosed_claims, patient_bundles, resources},
    new_request_for, zkh, Run,
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

/// `prove claim` for the insurer's new request; returns (run, nonce).
fn prove_claim(
    home: &Home,
    bundle: &Path,
    claim: &str,
    covered: &Path,
    out: &Path,
) -> (Run, String) {
    let (nonce, _) = new_request_for(&home.path, INSURER);
    let run = home.run(&[
        "--json",
        "prove",
        "claim",
        "--bundle",
        path_str(bundle),
        "--claim",
        claim,
        "--verifier",
        INSURER,
        "--nonce",
        &nonce,
        "--covered",
        path_str(covered),
        "--out",
        path_str(out),
    ]);
    (run, nonce)
}

/// `verify --statement claim` as the insurer, checking request, covered set and policy.
fn verify_claim(
    home: &Home,
    proof: &Path,
    nonce: &str,
    covered: &Path,
    member: (&str, &str),
    consume: bool,
) -> Run {
    let mut args = vec![
        "--json",
        "verify",
        path_str(proof),
        "--statement",
        "claim",
        "--verifier",
        INSURER,
        "--nonce",
        nonce,
        "--code-set",
        path_str(covered),
        "--member",
        member.0,
        "--coverage",
        member.1,
    ];
    if consume {
        args.push("--consume");
    }
    home.run(&args)
}

fn rejected_because(run: &Run, reason: &str) {
    run.expect_code(1);
    let v = run.json();
    assert_eq!(v["ok"], false, "{v}");
    let error = v["error"].as_str().unwrap_or_default();
    assert!(error.contains(reason), "expected {reason:?}, got {v}");
}

fn public_input(proof: &Path, name: &str) -> Value {
    let file: Value =
        serde_json::from_slice(&std::fs::read(proof).expect("proof")).expect("proof JSON");
    file["public_inputs"][name].clone()
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
            let covered = home.code_list("any.json", &[DECOY_CODE]);
            let out = home.file("none.proof.json");
            let (run, _) = prove_claim(
                &home,
                &bundle,
                any["id"].as_str().expect("id"),
                &covered,
                &out,
            );
            rejected_because(&run, "diagnosis");
            continue;
        };
        let covered = home.code_list(
            &format!("{patient}.covered.json"),
            &[DECOY_CODE, &claim.diagnosis],
        );
        let out = home.file(&format!("{patient}.claim.json"));
        let (run, nonce) = prove_claim(&home, &bundle, &claim.id, &covered, &out);
        run.expect_code(0);
        let member = (patient.as_str(), claim.coverage.as_str());
        let accepted = verify_claim(&home, &out, &nonce, &covered, member, true);
        accepted.expect_code(0);
        let v = accepted.json();
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["not_checked"], serde_json::json!([]), "{v}");
        assert_eq!(v["public_inputs"]["kind"], "6");
        // The same claim again, for a new request: the nullifier is spent.
        let again = home.file(&format!("{patient}.claim2.json"));
        let (run, nonce2) = prove_claim(&home, &bundle, &claim.id, &covered, &again);
        run.expect_code(0);
        assert_eq!(
            public_input(&again, "nullifier"),
            public_input(&out, "nullifier")
        );
        let second = verify_claim(&home, &again, &nonce2, &covered, member, true);
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

    // A diagnosis outside the covered set proves nothing.
    let (run, _) = prove_claim(&home, &bundle, &claim.id, &uncovered, &home.file("x.json"));
    rejected_because(&run, "diagnosis is not in the covered set");
    // A claim id the bundle does not have is a malformed request (exit 2).
    let (run, _) = prove_claim(
        &home,
        &bundle,
        "no-such-claim",
        &covered,
        &home.file("x.json"),
    );
    run.expect_code(2);

    let out = home.file("claim.json");
    let (run, nonce) = prove_claim(&home, &bundle, &claim.id, &covered, &out);
    run.expect_code(0);
    // Another member's policy, another covered set, another request: rejected.
    let other = patient_bundles()
        .into_iter()
        .map(|(_, p)| p)
        .find(|p| *p != patient)
        .expect("another patient");
    let run = verify_claim(&home, &out, &nonce, &covered, (&other, member.1), false);
    rejected_because(&run, "another policy");
    let run = verify_claim(
        &home,
        &out,
        &nonce,
        &covered,
        (member.0, "Nobody Mutual"),
        false,
    );
    rejected_because(&run, "another policy");
    let run = verify_claim(&home, &out, &nonce, &uncovered, member, false);
    rejected_because(&run, "another code set");
    let (other_nonce, _) = new_request_for(&home.path, INSURER);
    let run = verify_claim(&home, &out, &other_nonce, &covered, member, false);
    rejected_because(&run, "another request");
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
    let run = verify_claim(&home, &tampered, &nonce, &covered, member, false);
    rejected_because(&run, "does not verify");
    // The honest proof still verifies; the claim's ExplanationOfBenefit is another resource.
    verify_claim(&home, &out, &nonce, &covered, member, true).expect_code(0);
    let eob = claims
        .iter()
        .find(|c| c.resource_type == "ExplanationOfBenefit")
        .expect("the claim's EOB");
    let eob_out = home.file("eob.json");
    let (run, eob_nonce) = prove_claim(&home, &bundle, &eob.id, &covered, &eob_out);
    run.expect_code(0);
    assert_eq!(public_input(&eob_out, "kind"), "7");
    assert_ne!(
        public_input(&eob_out, "nullifier"),
        public_input(&out, "nullifier")
    );
    verify_claim(&home, &eob_out, &eob_nonce, &covered, member, true).expect_code(0);
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
    let milli = (observation["valueQuantity"]["value"].as_f64().unwrap() * 1000.0).round() as u64;
    let inside = format!("{}..{}", milli - 1, milli + 1);
    let below = format!("..{}", milli - 1);
    let code = common::fhir::first_coding(&observation);
    let codes = home.code_list("codes.json", &[DECOY_CODE, &code]);
    let prove = |range: &str, out: &Path| -> (Run, String) {
        let (nonce, _) = new_request_for(&home.path, LAB);
        let run = home.run(&[
            "--json",
            "prove",
            "record",
            "--resource",
            &resource,
            "--verifier",
            LAB,
            "--nonce",
            &nonce,
            "--disclose",
            "kind,date",
            "--value-range",
            range,
            "--code-set",
            path_str(&codes),
            "--out",
            path_str(out),
        ]);
        (run, nonce)
    };
    let out = home.file("record.json");
    let (run, nonce) = prove(&inside, &out);
    run.expect_code(0);
    assert_eq!(public_input(&out, "disclosed_kind"), "3", "Observation");
    assert_eq!(
        public_input(&out, "disclosed_value"),
        "0",
        "the value stays hidden"
    );
    let verify = |consume: bool| {
        let mut args = vec![
            "--json",
            "verify",
            path_str(&out),
            "--statement",
            "record",
            "--verifier",
            LAB,
            "--nonce",
            &nonce,
            "--code-set",
            path_str(&codes),
        ];
        if consume {
            args.push("--consume");
        }
        home.run(&args)
    };
    verify(true).expect_code(0);
    rejected_because(&verify(true), "replay");
    // A value outside the asked range proves nothing.
    let (run, _) = prove(&below, &home.file("below.json"));
    rejected_because(&run, "range");
}
