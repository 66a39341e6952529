//! A Cohort proof across homes: the hospital (custodian) anchors and summarises Denisha's
//! bundle through the registry service, seals to Denisha's card the record openings a Cohort
//! proof needs (`record export-openings`), Denisha accepts them in her own home (`record
//! accept`), grants the university research access, and proves the university's cohort
//! request; the university verifies and consumes it once. Wrong parties: another patient's
//! home and the hospital cannot accept the file, a tampered file does not open, and the
//! hospital cannot seal Denisha's openings to another card.

mod common;

use common::{fhir::data_dir, services::Service, zkh, Run};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The hospital's anchoring token (16 to 256 visible characters).
const CUSTODIAN_TOKEN: &str = "st-mary-anchoring-token-0001";
/// Denisha's Synthea bundle (born 2011, COVID-19 in 2020).
const BUNDLE: &str = "Denisha680_Keeling57_6a93e0ad-9bd0-6d85-34a7-015186f7880a.json";
/// The README's study.
const STUDY: &str = "NCT-COVID-KIDS";

struct Parties {
    _dir: tempfile::TempDir,
    root: PathBuf,
    operator: PathBuf,
    denisha: PathBuf,
    hospital: PathBuf,
    uni: PathBuf,
    roland: PathBuf,
}

impl Parties {
    fn file(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }
}

fn parties() -> Parties {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let home = |name: &str| root.join(name);
    Parties {
        operator: home("operator"),
        denisha: home("denisha-phone"),
        hospital: home("st-mary"),
        uni: home("uni"),
        roland: home("roland-phone"),
        root,
        _dir: dir,
    }
}

fn join(home: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--registry", url, "join"];
    args.extend_from_slice(extra);
    zkh(home, &args)
}

/// The identities whose secrets the home's wallet holds.
fn wallet_names(home: &Path) -> Vec<String> {
    let run = zkh(home, &["--json", "identity", "list"]);
    run.expect_code(0);
    run.json()["identities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["in_wallet"] == true)
        .filter_map(|i| i["name"].as_str().map(str::to_owned))
        .collect()
}

/// Leaf indices of the record openings a home's wallet holds.
fn record_leaves(home: &Path) -> Vec<u64> {
    let run = zkh(home, &["--json", "record", "list"]);
    run.expect_code(0);
    run.json()["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["index"].as_u64())
        .collect()
}

/// The openings file with one hex digit of its ciphertext changed.
fn tampered(file: &str, out: &str) {
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(file).expect("read openings")).expect("JSON");
    let ciphertext = doc["envelope"]["ciphertext"]
        .as_str()
        .expect("ciphertext")
        .to_owned();
    let mut bytes = ciphertext.into_bytes();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
    doc["envelope"]["ciphertext"] = Value::String(String::from_utf8(bytes).expect("hex"));
    std::fs::write(out, doc.to_string()).expect("write tampered");
}

#[test]
fn a_patient_proves_cohort_with_openings_the_custodian_handed_over() {
    let p = parties();
    zkh(&p.operator, &["setup", "--depth", "8"]).expect_code(0);
    let tokens = p.file("tokens.txt");
    std::fs::write(&tokens, format!("st-mary {CUSTODIAN_TOKEN}\n")).expect("tokens");
    let registry = Service::start(
        &p.operator,
        &["registry", "serve", "--custodian-tokens", &tokens],
    );
    let url = registry.url.clone();
    let token_file = p.file("token");
    std::fs::write(&token_file, CUSTODIAN_TOKEN).expect("token");
    for home in [&p.denisha, &p.uni, &p.roland] {
        join(home, &url, &[]).expect_code(0);
    }
    join(&p.hospital, &url, &["--token-file", &token_file]).expect_code(0);

    zkh(
        &p.denisha,
        &["identity", "new", "denisha", "--role", "patient"],
    )
    .expect_code(0);
    zkh(
        &p.hospital,
        &["identity", "new", "st-mary", "--role", "verifier"],
    )
    .expect_code(0);
    zkh(&p.uni, &["identity", "new", "uni", "--role", "verifier"]).expect_code(0);
    zkh(
        &p.roland,
        &["identity", "new", "roland", "--role", "patient"],
    )
    .expect_code(0);

    // The hospital anchors Denisha's bundle for her and summarises her conditions.
    let bundle = data_dir().join(BUNDLE);
    let bundle = bundle.to_str().expect("utf-8 path");
    zkh(
        &p.hospital,
        &["record", "anchor", bundle, "--patient", "denisha"],
    )
    .expect_code(0);
    let summary = zkh(
        &p.hospital,
        &["--json", "record", "summary", "--patient", "denisha"],
    );
    summary.expect_code(0);
    let summary_leaf = summary.json()["leaf"].as_u64().expect("summary leaf");

    // Without the hand-off, Denisha's home has nothing to prove Cohort with.
    assert!(record_leaves(&p.denisha).is_empty());

    // Cards: Denisha's to the hospital; Roland's, to try sealing Denisha's openings to it.
    let denisha_card = p.file("denisha.card.json");
    zkh(
        &p.denisha,
        &["identity", "export", "denisha", "--out", &denisha_card],
    )
    .expect_code(0);
    zkh(&p.hospital, &["identity", "import", &denisha_card]).expect_code(0);
    let roland_card = p.file("roland.card.json");
    zkh(
        &p.roland,
        &["identity", "export", "roland", "--out", &roland_card],
    )
    .expect_code(0);

    // Denisha's openings are not sealed to another patient's card.
    let wrong = p.file("wrong.openings.json");
    let run = zkh(
        &p.hospital,
        &[
            "record",
            "export-openings",
            "--patient",
            "denisha",
            "--to-card",
            &roland_card,
            "--out",
            &wrong,
        ],
    );
    run.expect_code(2);
    assert!(!Path::new(&wrong).exists());

    let openings = p.file("denisha.openings.json");
    let exported = zkh(
        &p.hospital,
        &[
            "--json",
            "record",
            "export-openings",
            "--patient",
            "denisha",
            "--to-card",
            &denisha_card,
            "--out",
            &openings,
        ],
    );
    exported.expect_code(0);
    let exported = exported.json();
    assert_eq!(exported["summary"], summary_leaf);
    let leaves: Vec<u64> = exported["leaves"]
        .as_array()
        .expect("leaves")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    // The Patient, the summary and her five Conditions: nothing else of her record.
    assert_eq!(leaves.len(), 7, "{exported}");
    let file: Value =
        serde_json::from_slice(&std::fs::read(&openings).expect("read")).expect("JSON");
    assert_eq!(file["format"], "zkconsent.record-openings");
    assert_eq!(file["version"], 1);
    assert_eq!(file["recipient"], "denisha");

    // Wrong parties: another patient's home, the hospital itself, a tampered file.
    let run = zkh(&p.roland, &["record", "accept", &openings]);
    run.expect_code(1);
    assert!(
        run.one_line_error().contains("sealed to denisha"),
        "{}",
        run.stderr
    );
    zkh(&p.hospital, &["record", "accept", &openings]).expect_code(1);
    let bad = p.file("tampered.openings.json");
    tampered(&openings, &bad);
    zkh(&p.denisha, &["record", "accept", &bad]).expect_code(2);
    assert!(record_leaves(&p.denisha).is_empty());
    assert!(record_leaves(&p.roland).is_empty());

    // Denisha accepts; again changes nothing.
    let accepted = zkh(&p.denisha, &["--json", "record", "accept", &openings]);
    accepted.expect_code(0);
    assert_eq!(accepted.json()["stored"], 7);
    let again = zkh(&p.denisha, &["--json", "record", "accept", &openings]);
    again.expect_code(0);
    assert_eq!(again.json()["stored"], 0);
    assert_eq!(record_leaves(&p.denisha), leaves);

    // Research consent: in a remote home the grantee resolves from the replica.
    zkh(
        &p.denisha,
        &[
            "grant",
            "issue",
            "--patient",
            "denisha",
            "--grantee",
            "uni",
            "--scope",
            "conditions",
            "--purpose",
            "research",
            "--days",
            "365",
        ],
    )
    .expect_code(0);

    // The README's study.
    let criteria = p.file("covid-kids.json");
    std::fs::write(
        &criteria,
        json!({ "reference_date": "2026-01-01", "age": { "min": 5, "max": 17 },
                "include": ["http://snomed.info/sct|840539006"],
                "exclude": ["http://snomed.info/sct|44054006"],
                "summary_not_before": "2026-01-01" })
        .to_string(),
    )
    .expect("criteria");
    let request = p.file("cohort-request.json");
    zkh(
        &p.uni,
        &[
            "request",
            "new",
            "--verifier",
            "uni",
            "--statement",
            "cohort",
            "--criteria",
            &criteria,
            "--study",
            STUDY,
            "--out",
            &request,
        ],
    )
    .expect_code(0);

    let proof = p.file("cohort.json");
    zkh(
        &p.denisha,
        &[
            "prove",
            "cohort",
            "--bundle",
            bundle,
            "--request",
            &request,
            "--out",
            &proof,
        ],
    )
    .expect_code(0);
    let verify = || {
        zkh(
            &p.uni,
            &["verify", &proof, "--request", &request, "--consume"],
        )
    };
    verify().expect_code(0);
    verify().expect_code(1);

    // Each home holds its own secret only.
    assert_eq!(wallet_names(&p.denisha), ["denisha"]);
    assert_eq!(wallet_names(&p.hospital), ["st-mary"]);
    assert_eq!(wallet_names(&p.uni), ["uni"]);
    registry.stop();
}
