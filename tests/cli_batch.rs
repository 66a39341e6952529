//! `zkconsent verify --batch`: many proofs in one multi-pairing, one verdict per file.

mod common;

use common::*;

#[test]
fn batch_verification_names_each_proof() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    setup_home(&home);
    let grant = issue_grant(&home, "conditions,observations");
    let base = BASE.to_string();
    let mut paths = Vec::new();
    let mut requests = Vec::new();
    for i in 0..4 {
        let (request, _) = new_request(&home);
        let path = dir.path().join(format!("p{i}.json"));
        prove(
            &home,
            grant,
            &request,
            &["--now", &base, "--out", path.to_str().unwrap()],
        )
        .expect_code(0);
        paths.push(path);
        requests.push(request);
    }
    let names: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    let batch = |files: &[&str]| {
        let mut args = vec!["verify", "--batch", "--now", &base];
        args.extend_from_slice(files);
        zkh(&home, &args)
    };
    let all = batch(&names);
    all.expect_code(0);
    assert!(all.stdout.contains("4 of 4 proofs valid"), "{}", all.stdout);

    // One proof's public input edited: that file, and only it, is named invalid.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&paths[2]).unwrap()).unwrap();
    let scope = json["public_inputs"]["scope"].as_str().unwrap().to_string();
    json["public_inputs"]["scope"] = serde_json::json!(decimal_add_one(&scope));
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    let mixed = batch(&[names[0], names[1], tampered.to_str().unwrap(), names[3]]);
    mixed.expect_code(1);
    let lines: Vec<&str> = mixed.stdout.lines().collect();
    assert!(
        lines[0].ends_with(": valid")
            && lines[1].ends_with(": valid")
            && lines[3].ends_with(": valid"),
        "{}",
        mixed.stdout
    );
    assert!(lines[2].contains("does not verify"), "{}", mixed.stdout);

    // A malformed file among them: exit 2, the others still judged.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, b"{").unwrap();
    let with_broken = batch(&[names[0], broken.to_str().unwrap()]);
    with_broken.expect_code(2);
    assert!(
        with_broken
            .stdout
            .lines()
            .next()
            .unwrap()
            .ends_with(": valid"),
        "{}",
        with_broken.stdout
    );

    // Several files without --batch is a usage error; --batch with --request conflicts (a
    // request is answered by one proof).
    zkh(&home, &["verify", names[0], names[1]]).expect_code(2);
    zkh(
        &home,
        &[
            "verify",
            "--batch",
            "--request",
            requests[0].to_str().unwrap(),
            names[0],
        ],
    )
    .expect_code(2);
    // Each proof still answers its own request alone.
    for (path, request) in paths.iter().zip(&requests) {
        verify_answer(&home, path, request).expect_code(0);
    }
}
