//! Requests that carry their terms: `request new` writes them, `prove access --request`
//! answers them, and `verify --request` checks every public input against them.

mod common;

use common::{
    assert_every_input_pinned, fixture, issue_grant, new_access_request, prove, setup_home,
    verify_answer, zkh, BASE,
};

/// Every Access public input, changed alone, is rejected against the request, and the
/// rejections spend nothing.
#[test]
fn every_access_input_is_checked_against_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    setup_home(&home);
    let grant = issue_grant(&home, "conditions,observations");
    let (request, _) = new_access_request(&home, "observations");
    let proof = dir.path().join("p.json");
    let base = BASE.to_string();
    prove(
        &home,
        grant,
        &request,
        &["--now", &base, "--out", proof.to_str().unwrap()],
    )
    .expect_code(0);
    assert_every_input_pinned(&home, &proof, &request, BASE);
}

/// A proof made for other terms (a narrower scope) does not answer this request, and
/// verifying it consumes nothing.
#[test]
fn a_proof_for_other_terms_is_rejected_by_name() {
    let f = fixture();
    let (wider, _) = new_access_request(&f.home, "conditions,observations");
    let base = BASE.to_string();
    let run = zkh(
        &f.home,
        &[
            "verify",
            f.proof_path.to_str().unwrap(),
            "--request",
            wider.to_str().unwrap(),
            "--now",
            &base,
            "--consume",
        ],
    );
    run.expect_code(1);
    assert!(run.stderr.contains("scope"), "{}", run.stderr);
}

/// Without a request, verify names every term it could not check and cannot consume.
#[test]
fn without_a_request_verify_names_what_it_did_not_check() {
    let f = fixture();
    let base = BASE.to_string();
    let run = zkh(
        &f.home,
        &[
            "--json",
            "verify",
            f.proof_path.to_str().unwrap(),
            "--now",
            &base,
        ],
    );
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["request_checked"], false);
    let unchecked: Vec<&str> = v["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(
        unchecked,
        ["scope", "purpose", "patient_ref", "request_hash"]
    );
    // --consume needs a request.
    zkh(
        &f.home,
        &[
            "verify",
            f.proof_path.to_str().unwrap(),
            "--now",
            &base,
            "--consume",
        ],
    )
    .expect_code(2);
}

/// An edited request file is refused (its hash no longer matches its terms), as is a request
/// this home never issued.
#[test]
fn an_altered_or_foreign_request_is_refused() {
    let f = fixture();
    let text = std::fs::read_to_string(&f.request).unwrap();
    let edited = text.replace("\"scope\": 4", "\"scope\": 12");
    assert_ne!(text, edited, "request file layout changed");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.json");
    std::fs::write(&path, edited).unwrap();
    let run = verify_answer(&f.home, &f.proof_path, &path);
    run.expect_code(2);
    assert!(run.stderr.contains("altered"), "{}", run.stderr);
    // Another home's request, even for the same terms, was not issued here.
    let other = dir.path().join("other");
    setup_home(&other);
    let (foreign, _) = new_access_request(&other, "observations");
    verify_answer(&f.home, &f.proof_path, &foreign).expect_code(2);
}
