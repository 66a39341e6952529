//! `zkconsent record anchor` on the Synthea bundles in `tests/data/fhir` (unmodified copies;
//! see the README there): every bundle anchors with counts per type matching the bundle,
//! a second anchoring changes nothing, a changed resource is a new version, malformed input
//! exits 2 naming the resource, refusals exit 1, and the audit recomputes the records root.
//!
//! One home serves the whole file (setup makes Groth16 keys); depth 10 holds all ~680
//! supported resources of the eight patient bundles.

mod common;

use common::{fhir::bundles, zkh, Run};
use serde_json::Value;
use std::{collections::BTreeMap, path::Path};

/// Smallest depth whose 2^depth slots hold every record anchored below.
const DEPTH: &str = "10";
/// The resource types zkconsent anchors.
const SUPPORTED: [&str; 8] = [
    "Patient",
    "Condition",
    "Observation",
    "Procedure",
    "Immunization",
    "Claim",
    "ExplanationOfBenefit",
    "Encounter",
];

/// Resources per type, counted straight from the JSON (independently of the extractor).
fn type_counts(path: &Path) -> BTreeMap<String, u64> {
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(path).expect("read bundle")).expect("bundle JSON");
    let mut counts = BTreeMap::new();
    for entry in bundle["entry"].as_array().expect("entries") {
        let t = entry["resource"]["resourceType"].as_str().expect("type");
        *counts.entry(t.to_owned()).or_insert(0) += 1;
    }
    counts
}

fn as_counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .expect("counts object")
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().expect("count")))
        .collect()
}

/// `record anchor FILE --patient PATIENT` after the global flags `global` (`--json` or none).
fn record_anchor(home: &Path, global: &[&str], file: &Path, patient: &str) -> Run {
    let file = file.to_str().expect("utf-8 path");
    let mut args = global.to_vec();
    args.extend(["record", "anchor", file, "--patient", patient]);
    zkh(home, &args)
}

/// `record anchor` with JSON output.
fn anchor(home: &Path, file: &Path, patient: &str) -> Run {
    record_anchor(home, &["--json"], file, patient)
}

fn audit(home: &Path) -> Value {
    let run = zkh(home, &["--json", "registry", "audit"]);
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["ok"], true, "{v}");
    v
}

#[test]
fn synthea_bundles_anchor_idempotently_and_audit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    zkh(&home, &["setup", "--depth", DEPTH]).expect_code(0);
    let files = bundles();
    assert_eq!(
        files.len(),
        10,
        "eight patients, a hospital and practitioners"
    );
    for k in 0..files.len() {
        let name = format!("patient{k}");
        zkh(&home, &["identity", "new", &name, "--role", "patient"]).expect_code(0);
    }
    zkh(&home, &["identity", "new", "dr", "--role", "clinician"]).expect_code(0);
    assert_eq!(audit(&home)["records"], 0);

    // Every bundle: anchored per type = the bundle's supported resources, the rest reported.
    let mut total = 0u64;
    let mut roots = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let run = anchor(&home, file, &format!("patient{k}"));
        run.expect_code(0);
        let v = run.json();
        let counts = type_counts(file);
        let (supported, unsupported): (BTreeMap<_, _>, BTreeMap<_, _>) = counts
            .into_iter()
            .partition(|(t, _)| SUPPORTED.contains(&t.as_str()));
        assert_eq!(as_counts(&v["anchored"]), supported, "{}", file.display());
        assert_eq!(
            as_counts(&v["unsupported"]),
            unsupported,
            "{}",
            file.display()
        );
        assert_eq!(v["already_anchored_total"], 0);
        assert_eq!(v["new_versions_total"], 0);
        let n: u64 = supported.values().sum();
        assert_eq!(v["records"].as_array().expect("records").len() as u64, n);
        if n > 0 {
            assert_eq!(v["records"][0]["index"], total, "leaves continue the tree");
        }
        total += n;
        roots.push(v["records_root"].as_str().expect("root").to_owned());
        eprintln!(
            "{}: anchored {n} {:?}, unsupported {:?}",
            file.file_name().and_then(|f| f.to_str()).unwrap_or("?"),
            as_counts(&v["anchored"]),
            as_counts(&v["unsupported"])
        );
    }
    assert!(total > 600, "{total}");
    let root = roots.last().cloned().expect("a root");
    let a = audit(&home);
    assert_eq!(a["records"], total);
    assert_eq!(a["records_root"], root.as_str());
    // Bundles without supported resources append nothing and log nothing.
    assert_eq!(a["record_events"], 8);

    // Again: everything already anchored, the root unchanged; human output says so.
    let again = anchor(&home, &files[0], "patient0");
    again.expect_code(0);
    let v = again.json();
    let first_supported: u64 = as_counts(&v["already_anchored"]).values().sum();
    assert_eq!(v["already_anchored_total"], first_supported);
    assert_eq!(v["anchored_total"], 0);
    assert_eq!(v["records_root"], root.as_str());
    let human = record_anchor(&home, &[], &files[0], "patient0");
    human.expect_code(0);
    assert!(
        human
            .stdout
            .contains(&format!("already anchored: {first_supported}")),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(&root), "{}", human.stdout);

    // A changed Patient is a new version (one new leaf); the rest is already anchored. The
    // edit is textual: re-serialising the bundle would rewrite some numbers (serde_json's
    // default float parsing is not exact: 112.41600000000001 comes back changed), and a
    // rewritten number is a changed resource.
    let text = std::fs::read_to_string(&files[0]).expect("read");
    let birth = "\"birthDate\": \"2009-04-29\"";
    assert_eq!(text.matches(birth).count(), 1);
    let changed = dir.path().join("changed.json");
    std::fs::write(
        &changed,
        text.replace(birth, "\"birthDate\": \"2009-04-30\""),
    )
    .expect("write");
    let run = anchor(&home, &changed, "patient0");
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["new_versions_total"], 1, "{v}");
    assert_eq!(as_counts(&v["new_versions"])["Patient"], 1);
    assert_eq!(v["already_anchored_total"], first_supported - 1);
    let version = v["records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["status"] == "new_version")
        .expect("the new version");
    assert_eq!(version["index"], total);
    assert_eq!(
        version["previous"], 0,
        "the first bundle's Patient is leaf 0"
    );
    assert_ne!(v["records_root"], root.as_str());
    total += 1;

    // An unknown patient or another role is malformed input (exit 2), as from every
    // command; another patient's resources are refused (exit 1).
    for (who, why, code) in [
        ("nobody", "no identity named", 2),
        ("dr", "not a patient", 2),
        (
            "patient1",
            "is patient0's (bound at first anchoring), not patient1's",
            1,
        ),
    ] {
        let run = record_anchor(&home, &[], &files[0], who);
        run.expect_code(code);
        assert!(run.one_line_error().contains(why), "{who}: {}", run.stderr);
    }

    // Malformed input (exit 2) names the resource and the field, and changes nothing.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"resourceType":"Bundle","type":"batch","entry":[
             {"resource":{"resourceType":"Condition","id":"no-code","onsetDateTime":"2020-01-01"}}]}"#,
    )
    .expect("write");
    let run = record_anchor(&home, &[], &bad, "patient0");
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(
        line.contains("Condition/no-code: missing code.coding[0].system"),
        "{line}"
    );
    std::fs::write(&bad, b"{\"resourceType\": \"Bundle\", \"entry\": [").expect("write");
    let run = anchor(&home, &bad, "patient0");
    run.expect_code(2);
    assert_eq!(run.json()["ok"], false);

    // The custodian's openings, and the audit's replay of the whole records log.
    let list = zkh(&home, &["--json", "record", "list"]);
    list.expect_code(0);
    let l = list.json();
    let listed = l["records"].as_array().expect("records");
    assert_eq!(listed.len() as u64, total);
    assert_eq!(listed[0]["type"], "Patient");
    assert_eq!(listed[0]["date"], "2009-04-29");
    let a = audit(&home);
    assert_eq!(a["records"], total);
    assert_eq!(a["record_events"], 9);
    assert_eq!(a["records_root"], v["records_root"]);
    assert_eq!(a["grants"], 0);
}

#[test]
fn malformed_documents_exit_2_without_a_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("no-home");
    let file = dir.path().join("obs.json");
    std::fs::write(
        &file,
        r#"{"resourceType":"Observation","id":"o1","code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},
            "effectiveDateTime":"2020-01-01","valueQuantity":{"value":-3}}"#,
    )
    .expect("write");
    let run = record_anchor(&home, &[], &file, "p");
    run.expect_code(2);
    assert!(
        run.one_line_error()
            .contains("Observation/o1: valueQuantity.value: -3 is negative"),
        "{}",
        run.stderr
    );
    let missing = dir.path().join("missing.json");
    record_anchor(&home, &[], &missing, "p").expect_code(2);
    // A well-formed document still needs a home.
    std::fs::write(&file, r#"{"resourceType":"Organization","id":"o"}"#).expect("write");
    let run = record_anchor(&home, &[], &file, "p");
    run.expect_code(2);
    assert!(run.stderr.contains("zkconsent setup"), "{}", run.stderr);
}
