//! Dates from 1800-01-01 to 2199-12-31 and times in ISO 8601, through the binary: a patient
//! born in 1921 (a Synthea bundle with its birth date rewritten) anchors, proves a Record
//! date range about their Patient record and enrols in a study of ages 105 to 130; a bundle
//! with a date outside the range is refused whole, naming the range; reversed ranges are
//! refused when the request is made; each consent failure of a Cohort proof has its own
//! message, with the grant's window in ISO 8601; listings and verdicts show ISO times.
//!
//! One home at a small depth (one bundle) serves the whole story.

mod common;

use common::{
    fhir::{bundles, first_coding, read_bundle, resources},
    new_request_with, zkh, Run,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use zkconsent::circuits::calendar::SECONDS_PER_DAY;

/// 2^7 slots hold the bundle's records and its condition summary.
const DEPTH: &str = "7";
/// The bundle whose patient is rewritten (84 entries, with Conditions).
const BUNDLE_PREFIX: &str = "Cris921_";
/// The rewritten birth date: before the old 1970 epoch, 105 on 2026-06-01.
const BIRTH: &str = "1921-03-04";
/// The custodian's patient identity.
const PATIENT: &str = "ada";
/// The verifier asking Record questions.
const LAB: &str = "lab";
/// The researcher of the Cohort study.
const RESEARCHER: &str = "uni";
/// The time Cohort proofs speak for and are verified at: 2026-01-15T00:00:00Z.
const NOW: u64 = 1_768_435_200;
/// [`NOW`] as people read it.
const NOW_ISO: &str = "2026-01-15T00:00:00Z";
/// Seconds in a day, to place grant windows around [`NOW`].
const DAY: u64 = SECONDS_PER_DAY;
/// The day the condition summary describes.
const AS_OF: &str = "2026-01-10";
/// The study's reference date: the patient is 105 then.
const REFERENCE_DATE: &str = "2026-06-01";

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

    /// `grant issue` of `scope` for research from the patient to the researcher, valid
    /// `[nb, na)`; the JSON result.
    fn research_grant(&self, scope: &str, (nb, na): (u64, u64)) -> Value {
        let (nb, na) = (nb.to_string(), na.to_string());
        let run = self.run(&[
            "--json",
            "grant",
            "issue",
            "--patient",
            PATIENT,
            "--grantee",
            RESEARCHER,
            "--scope",
            scope,
            "--purpose",
            "research",
            "--not-before",
            &nb,
            "--not-after",
            &na,
        ]);
        run.expect_code(0);
        run.json()
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The bundle, with `edit` applied to its JSON, written to `path`.
fn bundle_variant(path: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let source = bundles()
        .into_iter()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(BUNDLE_PREFIX))
        })
        .expect("the bundle");
    let mut bundle = read_bundle(&source);
    edit(&mut bundle);
    std::fs::write(path, bundle.to_string()).expect("write bundle");
    path.to_path_buf()
}

/// The bundle's Patient resource, mutably.
fn patient(bundle: &mut Value) -> &mut Value {
    bundle["entry"]
        .as_array_mut()
        .expect("entries")
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == "Patient")
        .expect("a Patient")
}

/// A home with keys at [`DEPTH`], the patient, the lab and the researcher.
fn home() -> Home {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = Home {
        path: dir.path().join("home"),
        _dir: dir,
    };
    home.run(&["setup", "--depth", DEPTH]).expect_code(0);
    for (name, role) in [
        (PATIENT, "patient"),
        (LAB, "verifier"),
        (RESEARCHER, "verifier"),
    ] {
        home.run(&["identity", "new", name, "--role", role])
            .expect_code(0);
    }
    home
}

/// Whether `text` is an ISO 8601 UTC time, `YYYY-MM-DDTHH:MM:SSZ`.
fn is_iso_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn a_patient_born_in_1921_anchors_proves_and_enrols() {
    let home = home();

    // A date outside the calendar anywhere in the bundle refuses the whole bundle.
    for (name, edit, shown) in [
        (
            "born-1799.json",
            Box::new(|b: &mut Value| patient(b)["birthDate"] = json!("1799-12-31"))
                as Box<dyn FnOnce(&mut Value)>,
            "\"1799-12-31\"",
        ),
        (
            "encounter-2200.json",
            Box::new(|b: &mut Value| {
                let encounter = b["entry"]
                    .as_array_mut()
                    .expect("entries")
                    .iter_mut()
                    .map(|e| &mut e["resource"])
                    .find(|r| r["resourceType"] == "Encounter")
                    .expect("an Encounter");
                encounter["period"]["start"] = json!("2200-01-01T10:00:00Z");
            }),
            "\"2200-01-01T10:00:00Z\"",
        ),
    ] {
        let bad = bundle_variant(&home.file(name), edit);
        let run = home.run(&["record", "anchor", path_str(&bad), "--patient", PATIENT]);
        run.expect_code(2);
        let error = run.one_line_error();
        assert!(
            error.contains(shown)
                && error.contains("outside the supported dates, 1800-01-01 to 2199-12-31"),
            "{error}"
        );
    }
    let listed = home.run(&["--json", "record", "list"]);
    listed.expect_code(0);
    assert_eq!(listed.json()["records"], json!([]), "nothing was anchored");

    // Born in 1921: anchored like anyone else, listed with the date as written.
    let bundle = bundle_variant(&home.file("born-1921.json"), |b| {
        patient(b)["birthDate"] = json!(BIRTH);
    });
    let id = resources(&bundle, "Patient")
        .next()
        .and_then(|p| p["id"].as_str().map(str::to_owned))
        .expect("patient id");
    home.run(&["record", "anchor", path_str(&bundle), "--patient", PATIENT])
        .expect_code(0);
    let listed = home.run(&["--json", "record", "list"]);
    let records = listed.json()["records"].clone();
    let record = records
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["type"] == "Patient")
        .expect("the Patient record")
        .clone();
    assert_eq!(record["date"], BIRTH);
    assert!(is_iso_time(
        record["anchored_at_iso"].as_str().expect("iso")
    ));
    assert!(home.run(&["record", "list"]).stdout.contains(BIRTH));

    record_proofs_about_the_birth_date(&home, &format!("Patient/{id}"));
    cohort_enrolment_at_105(&home, &bundle);
}

/// A Record proof that the birth date lies in 1921 answers the lab's request; one for a
/// range without it is refused; a range reaching before 1800 or reversed is refused when the
/// request is made (exit 2).
fn record_proofs_about_the_birth_date(home: &Home, resource: &str) {
    let request = |range: &str| {
        new_request_with(
            &home.path,
            LAB,
            &[
                "--statement",
                "record",
                "--disclose",
                "kind",
                "--date-range",
                range,
            ],
        )
        .0
    };
    let prove = |request: &Path, out: &Path| {
        home.run(&[
            "prove",
            "record",
            "--resource",
            resource,
            "--request",
            path_str(request),
            "--out",
            path_str(out),
        ])
    };
    let asked = request("1921-01-01..1921-12-31");
    let out = home.file("born-1921.proof.json");
    prove(&asked, &out).expect_code(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        .to_string();
    let verified = home.run(&[
        "--json",
        "verify",
        path_str(&out),
        "--request",
        path_str(&asked),
        "--now",
        &now,
        "--consume",
    ]);
    verified.expect_code(0);
    assert_eq!(verified.json()["request_checked"], true);
    // The day itself is the bound on either side; the day after is not.
    prove(&request("1921-03-04..1921-03-04"), &home.file("day.json")).expect_code(0);
    prove(&request("1800-01-01..1921-03-04"), &home.file("to.json")).expect_code(0);
    let later = prove(&request("1921-03-05.."), &home.file("later.json"));
    later.expect_code(1);
    assert!(later.one_line_error().contains("date"), "{}", later.stderr);

    // Ranges that can never be asked are refused at request creation.
    let refused = |args: &[&str], says: &[&str]| {
        let mut all = vec!["request", "new", "--verifier", LAB, "--statement", "record"];
        all.extend_from_slice(args);
        let run = home.run(&all);
        run.expect_code(2);
        let error = run.one_line_error();
        for s in says {
            assert!(error.contains(s), "{args:?}: {error}");
        }
    };
    refused(
        &["--date-range", "1799-12-31..1921-12-31"],
        &["\"1799-12-31\"", "1800-01-01 to 2199-12-31"],
    );
    refused(
        &["--date-range", "2021-01-01..2020-01-01"],
        &[
            "date range is reversed",
            "2021-01-01 is after its end 2020-01-01",
        ],
    );
    refused(
        &["--value-range", "5..3"],
        &["value range is reversed", "5 is after its end 3"],
    );
}

/// The patient enrols in a study of ages 105 to 130, once each consent failure has been
/// named by its own message: no grant, too narrow, revoked, expired, not yet valid.
fn cohort_enrolment_at_105(home: &Home, bundle: &Path) {
    let summary = home.run(&[
        "--json",
        "record",
        "summary",
        "--patient",
        PATIENT,
        "--as-of",
        AS_OF,
    ]);
    summary.expect_code(0);
    assert_eq!(summary.json()["as_of"], AS_OF);
    let code = resources(bundle, "Condition")
        .map(|c| first_coding(&c))
        .next()
        .expect("a Condition");
    let criteria = |name: &str, (min, max): (u32, u32)| {
        let path = home.file(name);
        let doc = json!({
            "reference_date": REFERENCE_DATE,
            "age": { "min": min, "max": max },
            "include": [code],
            "summary_not_before": AS_OF,
        });
        std::fs::write(&path, doc.to_string()).expect("write criteria");
        path
    };
    let ask = |criteria: &Path| {
        new_request_with(
            &home.path,
            RESEARCHER,
            &[
                "--statement",
                "cohort",
                "--criteria",
                path_str(criteria),
                "--study",
                "CENTENARIANS",
            ],
        )
        .0
    };
    let now = NOW.to_string();
    let prove = |request: &Path, out: &Path| {
        home.run(&[
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
    };
    let old = ask(&criteria("old.json", (105, 130)));
    let out = home.file("cohort.proof.json");
    let refused = |says: &[&str]| {
        let run = prove(&old, &out);
        run.expect_code(2);
        let error = run.one_line_error().to_string();
        for s in says {
            assert!(error.contains(s), "expected {s:?} in {error}");
        }
        error
    };

    // No grant at all; then one for observations only (the study needs conditions).
    refused(&["no research grant"]);
    home.research_grant("observations", (NOW - DAY, NOW + DAY));
    refused(&[
        "too narrow",
        "covers observations for research",
        "needs conditions for research",
    ]);

    // A valid research grant: the patient, 105 on the reference date, enrols.
    let valid = home.research_grant("conditions", (NOW - 180 * DAY, NOW + 180 * DAY));
    assert_eq!(valid["not_before_iso"], "2025-07-19T00:00:00Z");
    assert_eq!(valid["not_after_iso"], "2026-07-14T00:00:00Z");
    let made = prove(&old, &out);
    made.expect_code(0);
    assert!(made.stdout.contains(NOW_ISO), "{}", made.stdout);
    let verified = home.run(&[
        "verify",
        path_str(&out),
        "--request",
        path_str(&old),
        "--now",
        &now,
        "--max-root-age",
        "100000000",
        "--clock-skew",
        "100000000",
    ]);
    verified.expect_code(0);
    assert!(
        verified
            .stdout
            .contains(&format!("cohort proof accepted, made for {NOW_ISO}")),
        "{}",
        verified.stdout
    );
    // Ages 0 to 104 do not include them.
    let young = ask(&criteria("young.json", (0, 104)));
    let run = prove(&young, &home.file("young.proof.json"));
    run.expect_code(1);
    assert!(
        run.one_line_error().contains("birth date"),
        "{}",
        run.stderr
    );

    // Revoked: named with the time of revocation.
    let index = valid["index"].as_u64().expect("index").to_string();
    home.run(&["grant", "revoke", &index]).expect_code(0);
    let error = refused(&["was revoked", &format!("grant {index} was revoked at ")]);
    let at = error
        .split("revoked at ")
        .nth(1)
        .and_then(|rest| rest.get(..20))
        .expect("a time");
    assert!(is_iso_time(at), "{error}");

    // Expired: the window and the proof's time in ISO 8601.
    home.research_grant("conditions", (NOW - 2 * DAY, NOW - DAY));
    refused(&[
        "expired at 2026-01-14T00:00:00Z",
        "valid from 2026-01-13T00:00:00Z to 2026-01-14T00:00:00Z",
        &format!("the proof's time is {NOW_ISO}"),
    ]);
    // Not yet valid (the latest grant is named).
    home.research_grant("conditions", (NOW + DAY, NOW + 2 * DAY));
    refused(&["not valid before 2026-01-16T00:00:00Z"]);

    // Listings show times in ISO 8601.
    let grants = home.run(&["grant", "list"]);
    grants.expect_code(0);
    assert!(
        grants
            .stdout
            .contains("valid from 2026-01-13T00:00:00Z to 2026-01-14T00:00:00Z"),
        "{}",
        grants.stdout
    );
    let roots = home.run(&["--json", "registry", "roots"]);
    roots.expect_code(0);
    for root in roots.json()["roots"].as_array().expect("roots") {
        assert!(is_iso_time(root["created_at_iso"].as_str().expect("iso")));
    }
}
