//! `prove access --batch` (many requests, one key load, parallel) and `--profile`.

mod common;

use common::{fixture, new_access_request, new_request, verify_answer, zkh, BASE};
use std::path::Path;

/// One JSON Lines line: prove grant 0 answering the request file `request`, at [`BASE`].
fn line(request: &Path) -> String {
    serde_json::json!({"grant": 0, "request": request.to_str().expect("utf-8"), "now": BASE})
        .to_string()
}

fn prove_batch(home: &Path, lines: &[String], out_dir: &Path) -> common::Run {
    let file = out_dir.with_extension("jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write batch");
    zkh(
        home,
        &[
            "--json",
            "prove",
            "access",
            "--batch",
            file.to_str().expect("utf-8"),
            "--out-dir",
            out_dir.to_str().expect("utf-8"),
        ],
    )
}

#[test]
fn batch_proves_each_request_and_reports_the_false_one() {
    let f = fixture();
    let scratch = tempfile::tempdir().expect("tempdir");
    let out_dir = scratch.path().join("proofs");
    let requests: Vec<_> = (0..3).map(|_| new_request(&f.home).0).collect();
    let mut lines: Vec<String> = requests.iter().map(|r| line(r)).collect();
    // Line 4: a request for a scope the grant does not cover gives no proof, and only it.
    lines.push(line(&new_access_request(&f.home, "medications").0));
    let run = prove_batch(&f.home, &lines, &out_dir);
    run.expect_code(1).no_panic();
    let summary: serde_json::Value =
        serde_json::from_str(run.stdout.lines().next().expect("summary line"))
            .expect("summary JSON");
    assert_eq!(summary["proofs"], 3, "{summary}");
    assert_eq!(summary["requests"], 4, "{summary}");
    assert_eq!(summary["failed"][0]["line"], 4, "{summary}");
    assert!(summary["proofs_per_second"].as_f64().expect("rate") > 0.0);
    assert!(!out_dir.join("4.proof.json").exists());

    // Each proof answers its own request.
    for (i, request) in requests.iter().enumerate() {
        let path = out_dir.join(format!("{}.proof.json", i + 1));
        verify_answer(&f.home, &path, request).expect_code(0);
    }
    // And not another's.
    verify_answer(&f.home, &out_dir.join("1.proof.json"), &requests[1]).expect_code(1);
}

#[test]
fn malformed_batch_proves_nothing() {
    let f = fixture();
    let (request, _) = new_request(&f.home);
    let request_s = request.to_str().expect("utf-8");
    // A copy of the request with its terms edited (scope 4 → 6), and a missing one.
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut edited: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&request).expect("read request")).expect("JSON");
    edited["terms"]["scope"] = serde_json::json!(6);
    let altered = scratch.path().join("altered.json");
    std::fs::write(&altered, serde_json::to_vec_pretty(&edited).expect("JSON")).expect("write");
    let missing = scratch.path().join("missing.json");
    // Each case: what it is, its lines, and what the error must say.
    let cases: [(&str, Vec<String>, &str); 6] = [
        ("not JSON", vec![line(&request), "{".into()], ":2:"),
        (
            "unknown field",
            vec![format!(r#"{{"grant":0,"request":"{request_s}","x":1}}"#)],
            "unknown field `x`",
        ),
        (
            "the old terms keys",
            vec![r#"{"grant":0,"verifier":"clinic","nonce":"1","scope":"observations"}"#.into()],
            "unknown field `verifier`",
        ),
        (
            "altered request",
            vec![line(&request), line(&altered)],
            "altered",
        ),
        (
            "missing request",
            vec![line(&request), line(&missing)],
            ":2:",
        ),
        ("empty", vec![String::new()], "no requests"),
    ];
    for (what, lines, reason) in cases {
        let scratch = tempfile::tempdir().expect("tempdir");
        let out_dir = scratch.path().join("proofs");
        let run = prove_batch(&f.home, &lines, &out_dir);
        run.expect_code(2).no_panic();
        // With --json the refusal is the JSON on stdout.
        let v = run.json();
        assert_eq!(v["ok"], false, "{what}: {v}");
        let error = v["error"].as_str().expect("error");
        assert!(error.contains(reason), "{what}: {error}");
        assert!(!out_dir.exists(), "{what}: nothing may be written");
    }
}

#[test]
fn batch_flags_exclude_single_request_flags() {
    let f = fixture();
    zkh(&f.home, &["prove", "access", "--batch", "x.jsonl"]).expect_code(2);
    zkh(
        &f.home,
        &[
            "prove",
            "access",
            "--batch",
            "x.jsonl",
            "--out-dir",
            "d",
            "--grant",
            "0",
        ],
    )
    .expect_code(2);
    zkh(
        &f.home,
        &[
            "prove",
            "access",
            "--batch",
            "x.jsonl",
            "--out-dir",
            "d",
            "--request",
            f.request.to_str().expect("utf-8"),
        ],
    )
    .expect_code(2);
}

#[test]
fn profile_reports_every_phase() {
    let f = fixture();
    let (request, _) = new_request(&f.home);
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = scratch.path().join("p.json");
    let base = BASE.to_string();
    let run = common::prove(
        &f.home,
        0,
        &request,
        &[
            "--now",
            &base,
            "--profile",
            "--out",
            out.to_str().expect("utf-8"),
            "--json",
        ],
    );
    run.expect_code(0);
    let v = run.json();
    let profile = &v["profile"];
    for phase in [
        "check",
        "witness",
        "qap (FFTs)",
        "msm A (G1)",
        "msm B (G1)",
        "msm B (G2)",
        "msm H (G1)",
        "msm L (G1)",
        "total",
        "prover_over_msm",
        "key_load",
        "peak_memory_mib",
    ] {
        assert!(profile[phase].as_f64().is_some(), "{phase} missing: {v}");
    }
    verify_answer(&f.home, &out, &request).expect_code(0);
}
