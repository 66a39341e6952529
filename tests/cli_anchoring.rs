//! Anchoring real patients' records (issue 13): one patient per bundle, one payment per
//! service across a Claim, its ExplanationOfBenefit and their versions, and roots that
//! appends do not age, at the CLI on the Synthea bundles in `tests/data/fhir`.

mod common;

use common::{
    fhir::{diagnosed_claims, eob_of, patient_bundles, read_bundle, resources},
    issue_grant, new_access_request, new_request_with, prove, setup_home, zkh, Run, BASE,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// 512 slots: two patients' bundles and a few new versions.
const DEPTH: &str = "9";
/// Two insurers (verifier identities).
const INSURERS: [&str; 2] = ["acme", "zenith"];
/// A code no bundle uses, so a covered set is never just the claim's diagnosis.
const DECOY_CODE: &str = "http://snomed.info/sct|999999999";

struct Home {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Home {
    /// Keys at [`DEPTH`], the insurers, and a patient identity per patient bundle.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Self {
            path: dir.path().join("home"),
            _dir: dir,
        };
        home.run(&["setup", "--depth", DEPTH]).expect_code(0);
        for insurer in INSURERS {
            home.run(&["identity", "new", insurer, "--role", "verifier"])
                .expect_code(0);
        }
        for (_, patient) in patient_bundles() {
            home.run(&["identity", "new", &patient, "--role", "patient"])
                .expect_code(0);
        }
        home
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        zkh(&self.path, args)
    }

    fn anchor(&self, bundle: &Path, patient: &str) -> Run {
        self.run(&[
            "--json",
            "record",
            "anchor",
            s(bundle),
            "--patient",
            patient,
        ])
    }

    /// Writes `bundle` as a file of this home.
    fn write_bundle(&self, name: &str, bundle: &Value) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, serde_json::to_vec(bundle).expect("json")).expect("write");
        path
    }

    /// `prove claim` of `claim` in `bundle` for a new request of `insurer` (covered set:
    /// the decoy and `diagnosis`; member: `patient` with `coverage`).
    fn prove_claim(
        &self,
        insurer: &str,
        bundle: &Path,
        claim: &str,
        (diagnosis, patient, coverage): (&str, &str, &str),
        out: &Path,
    ) -> (Run, PathBuf) {
        let covered = self.file("covered.json");
        std::fs::write(
            &covered,
            serde_json::to_vec(&[DECOY_CODE, diagnosis]).unwrap(),
        )
        .unwrap();
        let (request, _) = new_request_with(
            &self.path,
            insurer,
            &[
                "--statement",
                "claim",
                "--covered",
                s(&covered),
                "--member",
                patient,
                "--coverage",
                coverage,
            ],
        );
        let run = self.run(&[
            "--json",
            "prove",
            "claim",
            "--bundle",
            s(bundle),
            "--claim",
            claim,
            "--request",
            s(&request),
            "--out",
            s(out),
        ]);
        (run, request)
    }

    /// `--json verify PROOF --request R --consume [extra]`.
    fn verify(&self, proof: &Path, request: &Path, extra: &[&str]) -> Run {
        let mut args = vec![
            "--json",
            "verify",
            s(proof),
            "--request",
            s(request),
            "--consume",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn nullifier(proof: &Path) -> Value {
    let file: Value = serde_json::from_slice(&std::fs::read(proof).expect("proof")).unwrap();
    file["public_inputs"]["nullifier"].clone()
}

/// Refused (exit `code`) with a message containing every one of `parts`.
fn refused(run: &Run, code: i32, parts: &[&str]) {
    run.expect_code(code);
    let v = run.json();
    assert_eq!(v["ok"], false, "{v}");
    let error = v["error"].as_str().unwrap_or_default().to_owned();
    for part in parts {
        assert!(error.contains(part), "expected {part:?} in {error:?}");
    }
}

/// `Patient/id` of a bundle's Patient resource.
fn patient_ref(bundle: &Path) -> String {
    let patient = resources(bundle, "Patient").next().expect("a Patient");
    format!("Patient/{}", patient["id"].as_str().expect("id"))
}

/// Every record of a successful anchoring is new (none already anchored).
fn all_new(run: &Run) {
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["already_anchored_total"], 0, "{v}");
}

#[test]
fn a_bundle_is_one_patients_and_stays_bound_to_them() {
    let home = Home::new();
    let bundles = patient_bundles();
    let (a, alice) = (&bundles[0].0, bundles[0].1.as_str());
    let (b, bob) = (&bundles[1].0, bundles[1].1.as_str());
    let (a_ref, b_ref) = (patient_ref(a), patient_ref(b));

    // A bundle holding two patients is refused whole, whoever it is anchored for.
    let mut merged = read_bundle(a);
    let extra = read_bundle(b)["entry"].as_array().unwrap().clone();
    merged["entry"].as_array_mut().unwrap().extend(extra);
    let merged = home.write_bundle("merged.json", &merged);
    refused(&home.anchor(&merged, alice), 1, &[&a_ref, &b_ref]);

    // A resource about another patient is refused whole, naming it and both patients.
    let mut stray = read_bundle(a);
    let entry = stray["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["resource"]["resourceType"] == "Observation")
        .expect("an Observation");
    let observation = format!("Observation/{}", entry["resource"]["id"].as_str().unwrap());
    entry["resource"]["subject"]["reference"] = Value::String(b_ref.clone());
    let stray = home.write_bundle("stray.json", &stray);
    refused(
        &home.anchor(&stray, alice),
        1,
        &[&observation, &b_ref, &a_ref],
    );

    // The first anchoring binds; nothing was written by the refusals above.
    all_new(&home.anchor(a, alice));
    home.anchor(a, alice).expect_code(0);
    // Another person's bundle under alice, or alice's under bob: refused, naming both.
    refused(&home.anchor(b, alice), 1, &[alice, &a_ref, &b_ref]);
    refused(&home.anchor(a, bob), 1, &[alice, &a_ref]);
    // Bob's own bundle is his, and anchors whole.
    all_new(&home.anchor(b, bob));
    // A copy of alice's Patient under a new id but her identifiers (her medical record
    // number, her SSN) is still alice: refused for bob.
    let mut renamed = read_bundle(a);
    for entry in renamed["entry"].as_array_mut().unwrap() {
        if entry["resource"]["resourceType"] == "Patient" {
            entry["resource"]["id"] = Value::String("renamed-alice".into());
            entry["fullUrl"] = Value::String("urn:uuid:renamed-alice".into());
        }
    }
    let text = serde_json::to_string(&renamed).unwrap().replace(
        &format!("urn:uuid:{}", &a_ref["Patient/".len()..]),
        "urn:uuid:renamed-alice",
    );
    let renamed = home.write_bundle("renamed.json", &serde_json::from_str(&text).unwrap());
    refused(&home.anchor(&renamed, bob), 1, &[alice]);
    // The audit still passes.
    home.run(&["registry", "audit"]).expect_code(0);
}

#[test]
fn a_service_is_paid_once_across_its_claim_eob_and_versions() {
    let home = Home::new();
    let (bundle, patient) = patient_bundles()
        .into_iter()
        .find(|(b, _)| {
            diagnosed_claims(b)
                .iter()
                .any(|c| c.resource_type == "Claim" && eob_of(b, &c.id).is_some())
        })
        .expect("a diagnosed claim with its EOB");
    let claims = diagnosed_claims(&bundle);
    let claim = claims
        .iter()
        .find(|c| c.resource_type == "Claim" && eob_of(&bundle, &c.id).is_some())
        .unwrap();
    let eob = eob_of(&bundle, &claim.id).unwrap();
    let terms = (
        claim.diagnosis.as_str(),
        patient.as_str(),
        claim.coverage.as_str(),
    );
    home.anchor(&bundle, &patient).expect_code(0);

    // acme and zenith each get a proof of the claim against the first records root.
    let (acme_proof, zenith_proof) = (home.file("acme.json"), home.file("zenith.json"));
    let (run, acme_request) = home.prove_claim("acme", &bundle, &claim.id, terms, &acme_proof);
    run.expect_code(0);
    let (run, zenith_request) =
        home.prove_claim("zenith", &bundle, &claim.id, terms, &zenith_proof);
    run.expect_code(0);
    assert_ne!(nullifier(&acme_proof), nullifier(&zenith_proof));

    // Another patient's bundle is anchored: appends only. The proof made before it is still
    // accepted with no grace period at all.
    let (other, other_patient) = patient_bundles()
        .into_iter()
        .find(|(b, _)| *b != bundle)
        .unwrap();
    home.anchor(&other, &other_patient).expect_code(0);
    home.verify(&acme_proof, &acme_request, &["--max-root-age", "0"])
        .expect_code(0);

    // The claim's ExplanationOfBenefit is the same service: acme has paid it.
    let eob_proof = home.file("eob.json");
    let (run, eob_request) = home.prove_claim("acme", &bundle, &eob, terms, &eob_proof);
    run.expect_code(0);
    assert_eq!(nullifier(&eob_proof), nullifier(&acme_proof));
    refused(
        &home.verify(&eob_proof, &eob_request, &[]),
        1,
        &["nullifier already spent"],
    );

    // A new version of the Claim (only `created` changed) replaces the old one. The text is
    // edited in place: re-serialising would rewrite number tokens, changing other digests.
    let text = std::fs::read_to_string(&bundle).unwrap();
    let claim_at = text
        .find(&format!("\"id\": \"{}\"", claim.id))
        .expect("the claim's id in the bundle");
    let created = claim_at + text[claim_at..].find("\"created\": \"").expect("created");
    let value = created + "\"created\": \"".len();
    let mut edited = text.clone();
    edited.replace_range(value..value + 4, "2099");
    let edited_path = home.file("edited.json");
    std::fs::write(&edited_path, edited).unwrap();
    let edited = edited_path;
    let run = home.anchor(&edited, &patient);
    run.expect_code(0);
    assert_eq!(run.json()["new_versions_total"], 1, "{}", run.json());
    // The old version is no longer offered for proving.
    let (run, _) = home.prove_claim("acme", &bundle, &claim.id, terms, &home.file("old.json"));
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    // The new version is the same service: the same nullifier, already spent.
    let new_proof = home.file("new.json");
    let (run, new_request) = home.prove_claim("acme", &edited, &claim.id, terms, &new_proof);
    run.expect_code(0);
    assert_eq!(nullifier(&new_proof), nullifier(&acme_proof));
    refused(
        &home.verify(&new_proof, &new_request, &[]),
        1,
        &["nullifier already spent"],
    );

    // The re-anchoring removed a leaf: zenith's proof, made against a root that held the
    // old version, is stale with no grace period, and accepted within the default one.
    refused(
        &home.verify(&zenith_proof, &zenith_request, &["--max-root-age", "0"]),
        1,
        &["records root", "superseded"],
    );
    home.verify(&zenith_proof, &zenith_request, &[])
        .expect_code(0);
    home.run(&["registry", "audit"]).expect_code(0);
}

#[test]
fn an_unrelated_grant_does_not_age_an_access_proof_and_a_revocation_does() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    setup_home(&home);
    let base = BASE.to_string();
    let grant = issue_grant(&home, "observations");
    let verify = |proof: &Path, request: &Path, extra: &[&str]| {
        let mut args = vec!["--json", "verify", s(proof), "--request", s(request)];
        args.extend_from_slice(&["--now", base.as_str(), "--consume"]);
        args.extend_from_slice(extra);
        zkh(&home, &args)
    };

    // A fresh request and bob's proof for it, at BASE: (proof, request).
    let proven = |name: &str| {
        let (request, _) = new_access_request(&home, "observations");
        let proof = home.join(name);
        prove(
            &home,
            grant,
            &request,
            &["--now", &base, "--out", s(&proof)],
        )
        .expect_code(0);
        (proof, request)
    };

    // A proof, then a new grant (appends only): still accepted with max root age 0.
    let (proof, request) = proven("first.json");
    let other = issue_grant(&home, "conditions");
    verify(&proof, &request, &["--max-root-age", "0"]).expect_code(0);

    // A proof, then its own grant revoked: rejected with max root age 0, naming the tree.
    let (proof, request) = proven("second.json");
    zkh(&home, &["grant", "revoke", &grant.to_string()]).expect_code(0);
    refused(
        &verify(&proof, &request, &["--max-root-age", "0"]),
        1,
        &["grants root", "superseded"],
    );
    assert_ne!(other, grant);
}

#[test]
fn a_bundle_without_a_patient_resource_is_its_subjects_or_refused() {
    let home = Home::new();
    let (bundle, patient) = patient_bundles().into_iter().next().unwrap();
    let patient_reference = patient_ref(&bundle);
    // The Conditions of the bundle alone, their subjects rewritten to `Patient/id`: whose
    // they are is known from the subjects, and before binding that is enough.
    let mut conditions = read_bundle(&bundle);
    let entries: Vec<Value> = conditions["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Condition")
        .cloned()
        .map(|mut e| {
            e["resource"]["subject"]["reference"] = Value::String(patient_reference.clone());
            e
        })
        .collect();
    assert!(!entries.is_empty());
    conditions["entry"] = Value::Array(entries.clone());
    let conditions = home.write_bundle("conditions.json", &conditions);
    all_new(&home.anchor(&conditions, &patient));
    // The whole bundle is the same person: it anchors, the Conditions already there.
    home.anchor(&bundle, &patient).expect_code(0);
    // Resources that name nobody cannot be told apart: refused.
    let mut nameless = read_bundle(&bundle);
    nameless["entry"] = Value::Array(
        entries
            .into_iter()
            .map(|mut e| {
                e["resource"]["id"] =
                    Value::String(format!("x-{}", e["resource"]["id"].as_str().unwrap()));
                e["resource"].as_object_mut().unwrap().remove("subject");
                e
            })
            .collect(),
    );
    let nameless = home.write_bundle("nameless.json", &nameless);
    refused(
        &home.anchor(&nameless, &patient),
        1,
        &["cannot tell whose records these are"],
    );
}
