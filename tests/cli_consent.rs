//! FHIR R4 Consent in and out through the binary: `grant issue --consent FILE` and
//! `grant export N --fhir`, in one home at depth 4 (alice, bob, clinic).

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// tests/data/consent/treatment-bundle.json: a Bundle (a Patient and the Consent) in which
/// alice grants bob conditions and observations for treatment over
/// `[NOT_BEFORE, NOT_AFTER)`, written in +02:00 and -07:00.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/consent/treatment-bundle.json")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `grant issue --patient alice --consent FILE` (human output).
fn issue_from(home: &Path, consent: &Path) -> Run {
    zkh(
        home,
        &[
            "grant",
            "issue",
            "--patient",
            "alice",
            "--consent",
            path_str(consent),
        ],
    )
}

/// The consent fixture with `edit` applied to the Consent resource, written to `dir`.
fn edited(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut bundle: Value =
        serde_json::from_slice(&std::fs::read(fixture()).expect("fixture")).expect("JSON");
    edit(&mut bundle["entry"][1]["resource"]);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&bundle).unwrap()).unwrap();
    path
}

fn export(home: &Path, index: u64, out: &Path) -> Value {
    zkh(
        home,
        &[
            "grant",
            "export",
            &index.to_string(),
            "--fhir",
            "--out",
            path_str(out),
        ],
    )
    .expect_code(0);
    serde_json::from_slice(&std::fs::read(out).expect("exported")).expect("exported JSON")
}

/// The terms part of `grant issue`'s human line (`alice -> bob, scope …, valid from … `).
fn terms_of(run: &Run) -> String {
    let line = run.stdout.trim();
    line.split_once(": ")
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| panic!("unexpected issue output {line:?}"))
}

#[test]
fn consent_in_export_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);

    // In: the Bundle's Consent becomes grant 0 with its terms and window.
    let issued = issue_from(&home, &fixture());
    issued.expect_code(0);
    assert_eq!(
        terms_of(&issued),
        "alice -> bob, scope conditions,observations, purpose treatment, \
         valid from 2025-06-15T14:06:40Z to 2025-06-16T15:06:40Z (exclusive)"
    );
    // The Consent names alice: it cannot be issued as another patient's grant.
    zkh(&home, &["identity", "new", "carol", "--role", "patient"]).expect_code(0);
    let other = zkh(
        &home,
        &[
            "grant",
            "issue",
            "--patient",
            "carol",
            "--consent",
            path_str(&fixture()),
        ],
    );
    other.expect_code(1);
    assert!(other.stderr.contains("alice"), "{}", other.stderr);
    let listed = zkh(&home, &["--json", "grant", "list"]);
    listed.expect_code(0);
    let g = &listed.json()["grants"][0];
    assert_eq!(g["not_before"], NOT_BEFORE);
    assert_eq!(g["not_after"], NOT_AFTER);

    // Out: grant 0 as a Consent.
    let exported = export(&home, 0, &dir.path().join("grant0.json"));
    assert_eq!(exported["resourceType"], "Consent");
    assert_eq!(exported["status"], "active");
    assert_eq!(exported["scope"]["coding"][0]["code"], "patient-privacy");
    assert_eq!(exported["category"][0]["coding"][0]["code"], "59284-0");
    assert_eq!(
        exported["patient"]["identifier"],
        json!({ "system": "urn:zkconsent:identity-name", "value": "alice" })
    );
    let p = &exported["provision"];
    assert_eq!(p["type"], "permit");
    assert_eq!(
        p["period"],
        json!({ "start": "2025-06-15T14:06:40Z", "end": "2025-06-16T15:06:39Z" })
    );
    assert_eq!(
        p["actor"][0]["reference"]["identifier"],
        json!({ "system": "urn:zkconsent:identity-name", "value": "bob" })
    );
    assert_eq!(p["actor"][0]["role"]["coding"][0]["code"], "PRCP");
    assert_eq!(
        p["purpose"][0],
        json!({ "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                "code": "TREAT", "display": "treatment" })
    );
    let classes: Vec<&str> = p["class"]
        .as_array()
        .expect("class")
        .iter()
        .map(|c| c["code"].as_str().expect("code"))
        .collect();
    assert!(
        classes.contains(&"Condition") && classes.contains(&"Observation"),
        "{classes:?}"
    );

    // Round trip: the exported Consent issues the same terms.
    let again = issue_from(&home, &dir.path().join("grant0.json"));
    again.expect_code(0);
    assert_eq!(terms_of(&again), terms_of(&issued));

    // Printed rather than written, and as one JSON object with --json.
    let printed = zkh(&home, &["grant", "export", "0", "--fhir"]);
    printed.expect_code(0);
    assert_eq!(
        serde_json::from_str::<Value>(&printed.stdout).unwrap(),
        exported
    );
    let machine = zkh(&home, &["--json", "grant", "export", "0", "--fhir"]);
    machine.expect_code(0);
    let m = machine.json();
    assert_eq!(
        (m["ok"].clone(), m["status"].clone()),
        (json!(true), json!("active"))
    );
    assert_eq!(m["consent"], exported);
}

#[test]
fn flags_grant_exports_and_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    let (nb, na) = (NOT_BEFORE.to_string(), NOT_AFTER.to_string());
    let issued = grant_issue(
        &home,
        "medications,encounters,claims",
        &[
            "--purpose",
            "emergency",
            "--not-before",
            &nb,
            "--not-after",
            &na,
        ],
    );
    issued.expect_code(0);
    let out = dir.path().join("g.json");
    let exported = export(&home, 0, &out);
    assert_eq!(exported["provision"]["purpose"][0]["code"], "ETREAT");
    let again = issue_from(&home, &out);
    again.expect_code(0);
    assert_eq!(terms_of(&again), terms_of(&issued));

    // Once alice's records are anchored here, the export names her FHIR Patient.
    let patient = dir.path().join("patient.json");
    std::fs::write(
        &patient,
        r#"{"resourceType":"Patient","id":"p-alice","gender":"female","birthDate":"1980-01-01"}"#,
    )
    .unwrap();
    zkh(
        &home,
        &["record", "anchor", path_str(&patient), "--patient", "alice"],
    )
    .expect_code(0);
    let bound = export(&home, 0, &out);
    assert_eq!(bound["patient"], json!({ "reference": "Patient/p-alice" }));
    assert_eq!(bound["provision"], exported["provision"]);

    // A scope bit no resource type family names cannot be written as FHIR (refused, 1).
    grant_issue(&home, "0x400", &["--not-before", &nb, "--not-after", &na]).expect_code(0);
    // (grant 1 is the round trip's.)
    let run = zkh(&home, &["grant", "export", "2", "--fhir"]);
    run.expect_code(1);
    assert!(run.one_line_error().contains("0x400"), "{}", run.stderr);
    // No such grant, or no format: malformed (2).
    let run = zkh(&home, &["grant", "export", "9", "--fhir"]);
    run.expect_code(2);
    assert!(run.one_line_error().contains("grant 9"), "{}", run.stderr);
    zkh(&home, &["grant", "export", "0"]).expect_code(2);
}

#[test]
fn revoked_grant_exports_inactive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    let index = issue_grant(&home, "observations");
    zkh(&home, &["grant", "revoke", &index.to_string()]).expect_code(0);
    let out = dir.path().join("revoked.json");
    let exported = export(&home, index, &out);
    assert_eq!(exported["status"], "inactive");
    // An inactive Consent grants nothing.
    let run = issue_from(&home, &out);
    run.expect_code(2);
    let err = run.one_line_error();
    assert!(
        err.contains("Consent.status") && err.contains("inactive"),
        "{err}"
    );
}

#[test]
fn bad_consents_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    let d = dir.path();
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            edited(d, "marketing.json", |c| {
                c["provision"]["purpose"][0]["code"] = json!("HMARKT");
            }),
            vec!["Consent.provision.purpose[0]", "\"HMARKT\"", "v3-ActReason"],
        ),
        (
            edited(d, "other-system.json", |c| {
                c["provision"]["class"][1]["system"] = json!("http://snomed.info/sct");
            }),
            vec![
                "Consent.provision.class[1]",
                "http://snomed.info/sct",
                "\"Observation\"",
            ],
        ),
        (
            edited(d, "careplan.json", |c| {
                c["provision"]["class"][0]["code"] = json!("CarePlan");
            }),
            vec!["Consent.provision.class[0]", "\"CarePlan\""],
        ),
        (
            edited(d, "deny.json", |c| {
                c["provision"]["type"] = json!("deny");
            }),
            vec!["Consent.provision.type", "deny"],
        ),
        (
            edited(d, "nested.json", |c| {
                c["provision"]["provision"] = json!([{ "type": "deny" }]);
            }),
            vec!["Consent.provision.provision", "nested"],
        ),
        (
            edited(d, "forever.json", |c| {
                c["provision"]["period"] = json!({ "start": "2025-06-15" });
            }),
            vec!["Consent.provision.period.end", "missing"],
        ),
        (
            edited(d, "backwards.json", |c| {
                c["provision"]["period"]["end"] = json!("2025-06-14T00:00:00Z");
            }),
            vec!["Consent.provision.period", "not after start"],
        ),
        (
            edited(d, "no-zone.json", |c| {
                c["provision"]["period"]["end"] = json!("2025-06-16T08:06:39");
            }),
            vec!["Consent.provision.period.end", "zone"],
        ),
        (
            edited(d, "two-actors.json", |c| {
                let actor = c["provision"]["actor"][0].clone();
                c["provision"]["actor"] = json!([actor.clone(), actor]);
            }),
            vec!["Consent.provision.actor", "exactly one"],
        ),
        (
            edited(d, "draft.json", |c| {
                c["status"] = json!("draft");
            }),
            vec!["Consent.status", "draft"],
        ),
    ];
    for (path, needles) in cases {
        let run = issue_from(&home, &path);
        run.expect_code(2);
        let err = run.one_line_error();
        for needle in needles {
            assert!(
                err.contains(needle),
                "{}: {needle:?} not in {err}",
                path.display()
            );
        }
    }
    // An unknown grantee is the home's usual refusal (no identity of that name: 2).
    let stranger = edited(d, "stranger.json", |c| {
        c["provision"]["actor"][0]["reference"]["identifier"]["value"] = json!("mallory");
    });
    let run = issue_from(&home, &stranger);
    run.expect_code(2);
    assert!(run.one_line_error().contains("mallory"), "{}", run.stderr);
    // Not a Consent at all, and not JSON.
    let run = issue_from(
        &home,
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("Cargo.toml")
            .as_path(),
    );
    run.expect_code(2);
    run.one_line_error();
    // Nothing was issued.
    let listed = zkh(&home, &["--json", "grant", "list"]);
    listed.expect_code(0);
    assert_eq!(listed.json()["grants"], json!([]));
}
