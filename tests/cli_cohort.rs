//! `zkconsent record summary` and `prove cohort` on the Synthea bundles in `tests/data/fhir`:
//! every patient bundle anchors and is summarised; each patient with a condition proves a
//! sample study's criteria and verifies once (a second enrolment in the same study is
//! caught, another study is not linked); too old, excluded, not included, without consent,
//! revoked consent and a study's terms changed are rejected; snarkjs accepts an exported
//! Cohort proof; every public input of a Cohort proof is pinned by its request.
//!
//! The researcher writes a cohort request (criteria and study) for each proof; `prove cohort`
//! answers it and `verify --request --consume` checks the terms and spends the nullifier.
//!
//! One home at depth 10 (all ~680 supported resources) serves each test.

mod common;

use common::{
    assert_every_input_pinned,
    fhir::{first_coding, patient_bundles, resources},
    new_request_with, zkh, Run,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use zkconsent::circuits::calendar::SECONDS_PER_DAY;

/// Smallest depth whose 2^depth slots hold every record of the eight patient bundles.
const DEPTH: &str = "10";
/// The researcher (a verifier the patients grant research to).
const RESEARCHER: &str = "uni";
/// The time proofs speak for and are verified at: 2026-01-15T00:00:00Z.
const NOW: u64 = 1_768_435_200;
/// The day the summaries are made (before [`NOW`]).
const AS_OF: &str = "2026-01-10";
/// Research grants are valid a year around [`NOW`].
const GRANT_WINDOW: (u64, u64) = (NOW - SECONDS_PER_DAY * 180, NOW + SECONDS_PER_DAY * 180);
/// A code no bundle uses.
const DECOY_CODE: &str = "http://snomed.info/sct|999999999";

struct Home {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Home {
    fn run(&self, args: &[&str]) -> Run {
        zkh(&self.path, args)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes a criteria file: ages `min..=max` on 2026-01-01, the codes, summaries from
    /// [`AS_OF`] on.
    fn criteria(
        &self,
        name: &str,
        ages: (u32, u32),
        include: &[&str],
        exclude: &[&str],
    ) -> PathBuf {
        let path = self.file(name);
        let doc = json!({
            "reference_date": "2026-01-01",
            "age": { "min": ages.0, "max": ages.1 },
            "include": include,
            "exclude": exclude,
            "summary_not_before": AS_OF,
        });
        std::fs::write(&path, doc.to_string()).expect("write criteria");
        path
    }

    /// `grant issue` research from `patient` to the researcher; returns the leaf index.
    fn research_grant(&self, patient: &str) -> u64 {
        let (nb, na) = (GRANT_WINDOW.0.to_string(), GRANT_WINDOW.1.to_string());
        let run = self.run(&[
            "--json",
            "grant",
            "issue",
            "--patient",
            patient,
            "--grantee",
            RESEARCHER,
            "--scope",
            "conditions",
            "--purpose",
            "research",
            "--not-before",
            &nb,
            "--not-after",
            &na,
        ]);
        run.expect_code(0);
        run.json()["index"].as_u64().expect("grant index")
    }
}

/// A home with keys at [`DEPTH`] and the researcher; every patient bundle anchored for its
/// own patient and summarised as of [`AS_OF`].
fn summarised_home() -> Home {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = Home {
        path: dir.path().join("home"),
        _dir: dir,
    };
    home.run(&["setup", "--depth", DEPTH]).expect_code(0);
    home.run(&["identity", "new", RESEARCHER, "--role", "verifier"])
        .expect_code(0);
    for (bundle, patient) in patient_bundles() {
        home.run(&["identity", "new", &patient, "--role", "patient"])
            .expect_code(0);
        let file = bundle.to_str().expect("utf-8");
        home.run(&["record", "anchor", file, "--patient", &patient])
            .expect_code(0);
        let run = home.run(&[
            "--json",
            "record",
            "summary",
            "--patient",
            &patient,
            "--as-of",
            AS_OF,
        ]);
        run.expect_code(0);
        assert_eq!(run.json()["status"], "anchored");
        // Summarising again with nothing new changes nothing.
        let again = home.run(&[
            "--json",
            "record",
            "summary",
            "--patient",
            &patient,
            "--as-of",
            AS_OF,
        ]);
        assert_eq!(again.json()["status"], "already_anchored");
    }
    home
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The researcher's new cohort request for `criteria` and `study`: (request file, hash).
fn ask(home: &Home, criteria: &Path, study: &str) -> (PathBuf, String) {
    new_request_with(
        &home.path,
        RESEARCHER,
        &[
            "--statement",
            "cohort",
            "--criteria",
            path_str(criteria),
            "--study",
            study,
        ],
    )
}

/// `prove cohort` at [`NOW`] for the researcher's new request for `criteria` and `study`;
/// returns (run, request file).
fn prove(home: &Home, bundle: &Path, criteria: &Path, study: &str, out: &Path) -> (Run, PathBuf) {
    let (request, _) = ask(home, criteria, study);
    let run = prove_for(home, bundle, &request, out);
    (run, request)
}

/// `prove cohort` at [`NOW`] answering `request`.
fn prove_for(home: &Home, bundle: &Path, request: &Path, out: &Path) -> Run {
    let now = NOW.to_string();
    home.run(&[
        "--json",
        "prove",
        "cohort",
        "--bundle",
        path_str(bundle),
        "--request",
        path_str(request),
        "--now",
        &now,
        "--out",
        path_str(out),
    ])
}

/// `verify --request R --consume` as the researcher at [`NOW`]: the request's terms (criteria
/// and study) are checked and the enrolment's nullifier spent.
fn verify(home: &Home, proof: &Path, request: &Path) -> Run {
    let now = NOW.to_string();
    home.run(&[
        "--json",
        "verify",
        path_str(proof),
        "--request",
        path_str(request),
        "--now",
        &now,
        "--max-root-age",
        "100000000",
        "--clock-skew",
        "100000000",
        "--consume",
    ])
}

fn refused_because(run: &Run, reason: &str) {
    run.expect_code(1);
    let v = run.json();
    assert_eq!(v["ok"], false, "{v}");
    let error = v["error"].as_str().unwrap_or_default();
    assert!(error.contains(reason), "expected {reason:?}, got {v}");
}

/// The `system|code` of each Condition in a bundle, in document order.
fn conditions(bundle: &Path) -> Vec<String> {
    resources(bundle, "Condition")
        .map(|c| first_coding(&c))
        .collect()
}

fn nullifier(proof: &Path) -> Value {
    let file: Value = serde_json::from_slice(&std::fs::read(proof).expect("proof")).expect("json");
    file["public_inputs"]["nullifier"].clone()
}

#[test]
fn every_patient_with_a_condition_enrols_once_per_study() {
    let home = summarised_home();
    let mut enrolled = 0;
    for (bundle, patient) in patient_bundles() {
        home.research_grant(&patient);
        let codes = conditions(&bundle);
        let Some(code) = codes.first() else {
            // Roland has no Condition: no inclusion code can be shown.
            let criteria = home.criteria("none.json", (0, 120), &[DECOY_CODE], &[]);
            let (run, _) = prove(&home, &bundle, &criteria, "STUDY-A", &home.file("x.json"));
            refused_because(&run, "inclusion");
            continue;
        };
        let criteria = home.criteria(
            &format!("{patient}.json"),
            (0, 120),
            &[DECOY_CODE, code],
            &[DECOY_CODE],
        );
        let out = home.file(&format!("{patient}.a.json"));
        let (run, request) = prove(&home, &bundle, &criteria, "STUDY-A", &out);
        run.expect_code(0);
        let v = verify(&home, &out, &request);
        v.expect_code(0);
        assert_eq!(v.json()["request_checked"], true);
        assert_eq!(v.json()["not_checked"], json!([]));
        // Enrolling again in the same study (a new request, same terms) is caught…
        let again = home.file(&format!("{patient}.a2.json"));
        let (run, request2) = prove(&home, &bundle, &criteria, "STUDY-A", &again);
        run.expect_code(0);
        assert_eq!(nullifier(&again), nullifier(&out));
        refused_because(&verify(&home, &again, &request2), "nullifier already spent");
        // …another study sees an unrelated nullifier.
        let other = home.file(&format!("{patient}.b.json"));
        let (run, request3) = prove(&home, &bundle, &criteria, "STUDY-B", &other);
        run.expect_code(0);
        assert_ne!(nullifier(&other), nullifier(&out));
        verify(&home, &other, &request3).expect_code(0);
        enrolled += 1;
    }
    assert_eq!(
        enrolled, 7,
        "every patient bundle but Roland's has a condition"
    );

    // `prove cohort --batch`: one line per patient for a third study, each under a request
    // naming one of that patient's conditions; Roland (no condition) fails alone.
    let mut lines = String::new();
    let mut requests = Vec::new();
    let mut roland = None;
    for (bundle, patient) in patient_bundles() {
        let codes = conditions(&bundle);
        let include = codes.first().map_or(DECOY_CODE, String::as_str);
        let criteria = home.criteria(&format!("{patient}.c.json"), (0, 120), &[include], &[]);
        let (request, _) = ask(&home, &criteria, "STUDY-C");
        if codes.is_empty() {
            roland = Some(requests.len() + 1);
        }
        lines.push_str(&json!({ "bundle": bundle, "request": request, "now": NOW }).to_string());
        lines.push('\n');
        requests.push(request);
    }
    let file = home.file("cohort.jsonl");
    std::fs::write(&file, lines).expect("write lines");
    let out_dir = home.file("batch");
    let run = home.run(&[
        "--json",
        "prove",
        "cohort",
        "--batch",
        path_str(&file),
        "--out-dir",
        path_str(&out_dir),
    ]);
    run.expect_code(1);
    let v = run.json();
    assert_eq!(v["proofs"], 7, "{v}");
    assert_eq!(
        v["failed"][0]["line"],
        roland.expect("Roland's line"),
        "{v}"
    );
    for (i, request) in requests.iter().enumerate() {
        let proof = out_dir.join(format!("{}.proof.json", i + 1));
        if Some(i + 1) != roland {
            verify(&home, &proof, request).expect_code(0);
        }
    }
}

#[test]
fn ineligible_patients_and_changed_terms_are_rejected() {
    let home = summarised_home();
    let (bundle, patient) = patient_bundles()
        .into_iter()
        .find(|(b, _)| conditions(b).len() >= 2)
        .expect("a patient with two conditions");
    let codes = conditions(&bundle);
    let (first, second) = (codes[0].as_str(), codes[1].as_str());
    let x = home.file("x.json");
    let eligible = home.criteria("ok.json", (0, 120), &[first], &[DECOY_CODE]);

    // No research grant yet.
    let (run, _) = prove(&home, &bundle, &eligible, "S", &x);
    run.expect_code(2);
    let error = run.json()["error"].as_str().unwrap_or_default().to_string();
    assert!(error.starts_with("no research grant"), "{error}");
    let grant = home.research_grant(&patient);

    // Too old for 0..=1; an included code they lack; an excluded code they have.
    for (criteria, reason) in [
        (
            home.criteria("young.json", (0, 1), &[first], &[]),
            "birth date",
        ),
        (
            home.criteria("lack.json", (0, 120), &[DECOY_CODE], &[]),
            "inclusion",
        ),
        (
            home.criteria("excl.json", (0, 120), &[first], &[second]),
            "exclusion",
        ),
    ] {
        let (run, _) = prove(&home, &bundle, &criteria, "S", &x);
        refused_because(&run, reason);
    }

    // A proof for the eligible terms is rejected against a request for any other terms or
    // study, and against another request with the same terms; none of these spends anything.
    let out = home.file("ok.proof.json");
    let (run, request) = prove(&home, &bundle, &eligible, "S", &out);
    run.expect_code(0);
    let older = home.criteria("older.json", (1, 120), &[first], &[DECOY_CODE]);
    let no_exclusion = home.criteria("noex.json", (0, 120), &[first], &[]);
    for (criteria, study) in [(&older, "S"), (&eligible, "T"), (&no_exclusion, "S")] {
        let (other, _) = ask(&home, criteria, study);
        refused_because(
            &verify(&home, &out, &other),
            "the proof answers other terms",
        );
    }
    let (same_terms, _) = ask(&home, &eligible, "S");
    refused_because(&verify(&home, &out, &same_terms), "request hash differs");
    verify(&home, &out, &request).expect_code(0);
    // snarkjs, an independent verifier, accepts the exported proof.
    assert!(common::snarkjs_accepts(&home.path, &out));

    // After the patient revokes the grant, no new proof can be made.
    let index = grant.to_string();
    home.run(&["grant", "revoke", &index]).expect_code(0);
    let (run, _) = prove(&home, &bundle, &eligible, "S2", &x);
    run.expect_code(2);
    let error = run.json()["error"].as_str().unwrap_or_default().to_string();
    assert!(
        error.contains(&format!("grant {index} was revoked at ")),
        "{error}"
    );
}

#[test]
fn every_cohort_input_is_pinned_by_the_request() {
    let home = summarised_home();
    let (bundle, patient) = patient_bundles()
        .into_iter()
        .find(|(b, _)| !conditions(b).is_empty())
        .expect("a patient with a condition");
    let code = conditions(&bundle).remove(0);
    home.research_grant(&patient);
    let criteria = home.criteria("pin.json", (0, 120), &[&code], &[DECOY_CODE]);
    let out = home.file("pin.proof.json");
    let (run, request) = prove(&home, &bundle, &criteria, "STUDY-PIN", &out);
    run.expect_code(0);
    // Each public input changed alone is rejected, nothing is spent by the rejections, and
    // the honest proof then enrols once (its `now` is NOW, so the helper verifies at NOW).
    assert_every_input_pinned(&home.path, &out, &request, NOW);
}
