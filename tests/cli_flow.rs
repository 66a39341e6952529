//! The whole Access flow through the `zkconsent` binary at tree depth 4, the Poseidon
//! vectors, JSON output, and one run of the full-depth demo.

mod common;

use common::*;

#[test]
fn full_flow_through_the_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let base = BASE.to_string();

    // setup, identities, grant 0.
    setup_home(&home);
    let listed = zkh(&home, &["--json", "identity", "list"]);
    listed.expect_code(0);
    let ids = listed.json();
    assert_eq!(ids["ok"], true);
    let names: Vec<_> = ids["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_string(),
                i["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (name, role) in [
        ("alice", "patient"),
        ("bob", "clinician"),
        ("clinic", "verifier"),
    ] {
        assert!(
            names.contains(&(name.to_string(), role.to_string())),
            "{names:?}"
        );
    }
    let grant = issue_grant(&home, "conditions,observations");
    assert_eq!(grant, 0);

    // The verifier's request: a file carrying its terms, kept in the verifier's home.
    let (request, request_hash) = new_request(&home);
    let req = request.to_str().unwrap();
    assert!(!request_hash.is_empty() && request_hash.bytes().all(|b| b.is_ascii_digit()));
    let req_file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&request).unwrap()).expect("request JSON");
    assert_eq!(req_file["statement"], "access");
    assert_eq!(req_file["request_hash"], request_hash.as_str());
    let nonce = req_file["nonce"].as_str().expect("nonce").to_string();
    assert!(!nonce.is_empty() && nonce.bytes().all(|b| b.is_ascii_digit()));
    let human_out = dir.path().join("human-request.json");
    let human = zkh(
        &home,
        &[
            "request",
            "new",
            "--verifier",
            "clinic",
            "--statement",
            "access",
            "--patient",
            "alice",
            "--scope",
            "observations",
            "--out",
            human_out.to_str().unwrap(),
        ],
    );
    human.expect_code(0);
    assert!(
        human.stdout.contains("request_hash ") && human_out.is_file(),
        "{}",
        human.stdout
    );

    // Prove and verify.
    let proof = dir.path().join("access.json");
    let proof_s = proof.to_str().unwrap();
    prove(&home, grant, &request, &["--now", &base, "--out", proof_s]).expect_code(0);
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proof).unwrap()).expect("proof JSON");
    assert_eq!(file["format"], "zkconsent-proof");
    assert_eq!(file["statement"], "access");
    assert_eq!(file["tree_depth"], 4);
    assert_eq!(file["public_inputs"]["request_hash"], request_hash.as_str());
    assert_eq!(file["public_inputs"]["now"], base.as_str());

    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", proof_s];
        args.extend_from_slice(extra);
        zkh(&home, &args)
    };
    // Against its request, every term is checked: the patient, records and purpose the
    // verifier is about to serve.
    let ok = verify(&["--request", req, "--now", &base]);
    ok.expect_code(0);
    assert!(ok.stdout.contains("valid"), "{}", ok.stdout);
    assert!(!ok.stdout.contains("not checked"), "{}", ok.stdout);
    // Without a request, verify says what it could not check.
    let ok = verify(&["--now", &base]);
    ok.expect_code(0);
    assert!(
        ok.stdout.contains("no request given, so not checked:")
            && ok.stdout.contains("request_hash")
            && ok.stdout.contains("(pass --request)"),
        "{}",
        ok.stdout
    );

    // A request for other terms (another patient, wider records, another purpose) is not
    // answered by this proof.
    zkh(&home, &["identity", "new", "carol", "--role", "patient"]).expect_code(0);
    for (terms, input) in [
        (
            &["--patient", "carol", "--scope", "observations"][..],
            "patient_ref",
        ),
        (
            &["--patient", "alice", "--scope", "observations,medications"][..],
            "scope",
        ),
        (
            &[
                "--patient",
                "alice",
                "--scope",
                "observations",
                "--purpose",
                "research",
            ][..],
            "purpose",
        ),
    ] {
        let mut args = vec!["--statement", "access"];
        args.extend_from_slice(terms);
        let (other, _) = new_request_with(&home, "clinic", &args);
        let run = verify_answer(&home, &proof, &other);
        run.expect_code(1);
        let reason = run.one_line_error();
        assert!(
            reason.contains(&format!("proof's {input} is not what the request asks")),
            "{terms:?}: {reason}"
        );
    }
    // Another statement asked for (no request): rejected.
    let run = verify(&["--now", &base, "--statement", "authority"]);
    run.expect_code(1);
    assert!(run.stderr.contains("not of authority"), "{}", run.stderr);
    // --statement comes from the request when there is one.
    verify(&["--request", req, "--now", &base, "--statement", "authority"]).expect_code(2);
    // --consume needs a request.
    verify(&["--now", &base, "--consume"]).expect_code(2);

    // Answering the request consumes it: the same proof again is a replay.
    let with = |extra: &[&str]| {
        let mut args = vec!["--request", req, "--now", &base];
        args.extend_from_slice(extra);
        verify(&args)
    };
    with(&["--consume"]).expect_code(0);
    let replay = with(&["--consume"]);
    replay.expect_code(1);
    assert!(replay.stderr.contains("replay"), "{}", replay.stderr);
    let json = zkh(
        &home,
        &[
            "--json",
            "verify",
            proof_s,
            "--request",
            req,
            "--now",
            &base,
        ],
    );
    // An answered request is closed: verifying against it again, consuming or not, is a
    // replay.
    json.expect_code(1);
    let v = json.json();
    assert_eq!(v["ok"], false);
    assert!(
        v["error"].as_str().expect("error").contains("replay"),
        "{v}"
    );
    let json = zkh(&home, &["--json", "verify", proof_s, "--now", &base]);
    json.expect_code(0);
    let v = json.json();
    assert_eq!(v["request_checked"], false, "{v}");
    assert!(
        v["not_checked"]
            .as_array()
            .expect("not_checked")
            .iter()
            .any(|n| n == "request_hash"),
        "{v}"
    );

    // Another request (same terms, another nonce): rejected.
    let (other_request, other_hash) = new_request(&home);
    assert_ne!(other_hash, request_hash);
    let replay = verify_answer(&home, &proof, &other_request);
    replay.expect_code(1);
    assert!(
        replay.one_line_error().contains("another request"),
        "{}",
        replay.stderr
    );

    // Revoke; proving again is refused by the prover.
    let revoke = zkh(&home, &["--json", "grant", "revoke", "0"]);
    revoke.expect_code(0);
    assert_eq!(revoke.json()["ok"], true);
    let again = prove(&home, grant, &request, &["--now", &base, "--out", proof_s]);
    again.expect_code(1);
    let reason = again.one_line_error();
    assert!(
        reason.contains("not in the grants tree"),
        "reason should say the grant is not in the tree: {reason}"
    );
    // The refused prove must not have clobbered the old proof.
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&proof).unwrap()).unwrap(),
        file
    );

    // The old proof (its request is answered, so checked without one): stale with max root
    // age 0, inside the grace window by default (the verifier clock BASE is before the real
    // revocation time, so the age reads as 0).
    let stale = verify(&["--now", &base, "--max-root-age", "0"]);
    stale.expect_code(1);
    assert!(
        stale.one_line_error().contains("superseded"),
        "{}",
        stale.stderr
    );
    verify(&["--now", &base]).expect_code(0);

    // Clock skew: a verifier clock far from the proof's time.
    let far = (BASE + 1_000_000).to_string();
    let skew = verify(&["--now", &far]);
    skew.expect_code(1);
    assert!(
        skew.one_line_error().contains("proof time"),
        "{}",
        skew.stderr
    );
    let past = (BASE - 121).to_string();
    verify(&["--now", &past]).expect_code(1);
    let edge = (BASE - 120).to_string();
    verify(&["--now", &edge]).expect_code(0);
    verify(&["--now", &past, "--clock-skew", "121"]).expect_code(0);

    // Audit and listings.
    let audit = zkh(&home, &["registry", "audit"]);
    audit.expect_code(0);
    assert!(audit.stdout.contains("audit passed"), "{}", audit.stdout);
    let audit = zkh(&home, &["--json", "registry", "audit"]);
    audit.expect_code(0);
    let a = audit.json();
    assert_eq!(a["ok"], true);
    assert_eq!(a["grants"], 1);
    assert_eq!(a["active_grants"], 0);
    let roots = zkh(&home, &["--json", "registry", "roots"]);
    roots.expect_code(0);
    let r = roots.json();
    assert_eq!(r["ok"], true);
    // Empty tree, after issue, after revoke.
    assert_eq!(r["roots"].as_array().unwrap().len(), 3, "{r}");
    let list = zkh(&home, &["--json", "grant", "list"]);
    list.expect_code(0);
    let l = list.json();
    assert_eq!(l["ok"], true);
    let grants = l["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["index"], 0);
    assert_eq!(grants[0]["status"], "revoked");
    assert!(grants[0]["revoked_at"].is_u64());
    // Times are shown in ISO 8601 beside the numbers: the window of grant 0 is the
    // fixture's (NOT_BEFORE is 2025-06-15T14:06:40Z, NOT_AFTER 2025-06-16T15:06:40Z).
    assert_eq!(grants[0]["not_before"], NOT_BEFORE);
    assert_eq!(grants[0]["not_before_iso"], "2025-06-15T14:06:40Z");
    assert_eq!(grants[0]["not_after_iso"], "2025-06-16T15:06:40Z");
    for key in ["issued_at_iso", "revoked_at_iso"] {
        let time = grants[0][key].as_str().expect(key);
        assert!(time.len() == 20 && time.ends_with('Z'), "{key}: {time}");
    }
    let human = zkh(&home, &["grant", "list"]);
    human.expect_code(0);
    assert!(human.stdout.contains("revoked"), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("valid from 2025-06-15T14:06:40Z to 2025-06-16T15:06:40Z"),
        "{}",
        human.stdout
    );
    let roots = zkh(&home, &["registry", "roots"]);
    roots.expect_code(0);
    assert!(
        roots.stdout.contains("created (empty tree)") && roots.stdout.contains("Z  superseded"),
        "{}",
        roots.stdout
    );

    // A live grant (observations only) for the other refusals.
    let live = issue_grant(&home, "observations");
    assert_eq!(live, 1);
    // Expired, and not valid yet: the window and the time are named in ISO 8601 (NOT_BEFORE
    // is 2025-06-15T14:06:40Z, NOT_AFTER 2025-06-16T15:06:40Z).
    let after = NOT_AFTER.to_string();
    let before = (NOT_BEFORE - 1).to_string();
    for (now, says) in [
        (&after, "grant 1 expired at 2025-06-16T15:06:40Z"),
        (&before, "grant 1 is not valid before 2025-06-15T14:06:40Z"),
    ] {
        let expired = prove(&home, live, &request, &["--now", now]);
        expired.expect_code(1);
        let error = expired.one_line_error();
        assert!(
            error.contains("validity window")
                && error.contains(says)
                && error.contains("(valid from 2025-06-15T14:06:40Z to 2025-06-16T15:06:40Z)"),
            "{error}"
        );
    }
    // A request for more records than the grant covers.
    let (wider_request, _) = new_access_request(&home, "observations,medications");
    let wider = prove(&home, live, &wider_request, &["--now", &base]);
    wider.expect_code(1);
    assert!(wider.one_line_error().contains("scope"), "{}", wider.stderr);
    // A request for another purpose than the grant's.
    let (research_request, _) = new_request_with(
        &home,
        "clinic",
        &[
            "--statement",
            "access",
            "--patient",
            "alice",
            "--scope",
            "observations",
            "--purpose",
            "research",
        ],
    );
    let purpose = prove(&home, live, &research_request, &["--now", &base]);
    purpose.expect_code(1);
    assert!(
        purpose.one_line_error().contains("purpose"),
        "{}",
        purpose.stderr
    );

    // …and it still proves for what it does allow (at its window's first second), to stdout.
    let nb = NOT_BEFORE.to_string();
    let (live_request, _) = new_request(&home);
    let printed = prove(&home, live, &live_request, &["--now", &nb]);
    printed.expect_code(0);
    let live_file = printed.json();
    assert_eq!(live_file["format"], "zkconsent-proof");
    let live_path = dir.path().join("live.json");
    std::fs::write(&live_path, &printed.stdout).unwrap();
    zkh(
        &home,
        &[
            "verify",
            live_path.to_str().unwrap(),
            "--request",
            live_request.to_str().unwrap(),
            "--now",
            &nb,
            "--consume",
        ],
    )
    .expect_code(0);

    zkh(&home, &["registry", "audit"]).expect_code(0);
}

#[test]
fn setup_refuses_an_existing_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let first = zkh(&home, &["--json", "setup", "--depth", "4"]);
    first.expect_code(0);
    let v = first.json();
    assert_eq!(v["ok"], true);
    assert!(v["manifest"].is_object(), "{v}");
    let again = zkh(&home, &["setup", "--depth", "4"]);
    again.expect_code(2);
    assert!(again.one_line_error().contains("already holds a registry"));
}

#[test]
fn identity_names_are_unique() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    let dup = zkh(&home, &["identity", "new", "alice", "--role", "clinician"]);
    dup.expect_code(1);
    dup.one_line_error();
}

#[test]
fn poseidon_circomlib_vector() {
    let run = zk(None, &["poseidon", "1", "2"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout.trim(),
        "7853200120776062878684798364095072458815029376092732009249414926327459813530"
    );
    let json = zk(None, &["--json", "poseidon", "1", "2"]);
    json.expect_code(0);
    let v = json.json();
    assert_eq!(v["ok"], true);
    assert_eq!(
        v["hash"],
        "7853200120776062878684798364095072458815029376092732009249414926327459813530"
    );
}

#[test]
fn poseidon_with_domain() {
    let run = zk(
        None,
        &["poseidon", "--domain", "zkconsent.merkle.node", "0", "0"],
    );
    run.expect_code(0);
    let hash = run.stdout.trim();
    assert!(
        !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()),
        "{hash}"
    );
    // Domain separation: not the plain hash of the same inputs.
    let plain = zk(None, &["poseidon", "0", "0"]);
    plain.expect_code(0);
    assert_ne!(plain.stdout.trim(), hash);
    // Deterministic.
    let again = zk(
        None,
        &["poseidon", "--domain", "zkconsent.merkle.node", "0", "0"],
    );
    assert_eq!(again.stdout.trim(), hash);
    // 16 inputs is the maximum and works.
    let sixteen: Vec<String> = (1..=16).map(|i| i.to_string()).collect();
    let mut args = vec!["poseidon"];
    args.extend(sixteen.iter().map(String::as_str));
    zk(None, &args).expect_code(0);
    // r - 1 is a valid input.
    zk(None, &["poseidon", R_MINUS_1]).expect_code(0);
}

#[test]
fn poseidon_unknown_domain_is_malformed() {
    let run = zk(None, &["poseidon", "--domain", "no.such.domain", "1"]);
    run.expect_code(2);
    assert!(run.one_line_error().contains("unknown domain"));
}

#[test]
fn demo_at_default_depth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo");
    let run = zk(None, &["demo", "--dir", demo.to_str().unwrap()]);
    run.expect_code(0);
    assert!(run.stdout.contains("accepted"), "{}", run.stdout);
    assert!(run.stdout.contains("rejected"), "{}", run.stdout);
    assert!(run.stdout.contains("tree depth 20"), "{}", run.stdout);
    for file in [
        "proofs/access.json",
        "registry.db",
        "wallet.db",
        "params/manifest.json",
    ] {
        assert!(demo.join(file).is_file(), "demo left no {file}");
    }
    // The demo's home is a usable home at depth 20.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo.join("params/manifest.json")).unwrap())
            .expect("manifest JSON");
    assert_eq!(manifest["tree_depth"], 20, "{manifest}");
    zkh(&demo, &["registry", "audit"]).expect_code(0);
}

#[test]
fn revoking_twice_and_a_full_tree_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    // Depth 1: two leaves.
    zkh(&home, &["setup", "--depth", "1"]).expect_code(0);
    for (name, role) in [("alice", "patient"), ("bob", "clinician")] {
        zkh(&home, &["identity", "new", name, "--role", role]).expect_code(0);
    }
    assert_eq!(issue_grant(&home, "observations"), 0);
    assert_eq!(issue_grant(&home, "observations"), 1);
    let (nb, na) = (NOT_BEFORE.to_string(), NOT_AFTER.to_string());
    let full = grant_issue(
        &home,
        "observations",
        &["--not-before", &nb, "--not-after", &na],
    );
    full.expect_code(1);
    assert!(full.one_line_error().contains("full"), "{}", full.stderr);

    zkh(&home, &["grant", "revoke", "1"]).expect_code(0);
    let again = zkh(&home, &["grant", "revoke", "1"]);
    again.expect_code(1);
    assert!(
        again.one_line_error().contains("already revoked"),
        "{}",
        again.stderr
    );
    // A revoked slot is not reused.
    let still_full = grant_issue(&home, "observations", &["--days", "1"]);
    still_full.expect_code(1);
    let audit = zkh(&home, &["--json", "registry", "audit"]);
    audit.expect_code(0);
    let a = audit.json();
    assert_eq!(a["grants"], 2);
    assert_eq!(a["active_grants"], 1);
}

#[test]
fn setup_rejects_bad_depths() {
    let dir = tempfile::tempdir().expect("tempdir");
    for depth in ["0", "33", "-1", "four"] {
        let home = dir.path().join(format!("home-{depth}"));
        let run = zkh(&home, &["setup", "--depth", depth]);
        assert_eq!(run.code, Some(2), "depth {depth}: {}", run.stderr);
        run.no_panic();
        assert!(
            !home.join("registry.db").exists(),
            "depth {depth}: a registry was left behind"
        );
    }
}

/// A reader that went away (`zkconsent … | head`) does not make the CLI panic: the line is
/// dropped and the exit code is the command's.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader); // every write to `writer` now fails with EPIPE
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zkconsent"))
        .env("ZKCONSENT_PASSPHRASE", common::TEST_PASSPHRASE)
        .args(["poseidon", "1", "2"])
        .stdout(writer)
        .output()
        .expect("run zkconsent");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}
