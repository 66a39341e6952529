//! The verifier service over HTTP, in-process on a free port: accept, replay, tampered and
//! garbage proofs, oversized bodies, request issue, health and metrics, and a concurrent
//! burst with one bad proof among good ones.

use serde_json::{json, Value};
use std::{
    net::SocketAddr,
    path::Path,
    sync::{Arc, Barrier},
};
use zkconsent::{
    circuits::types::Timestamp, home::Home, prover::Statement, registry::RootPolicy,
    request::Request, statements::Terms, unix_now,
};
use zkconsent_service::verifier::{
    fixture::{self, ProofPair},
    spawn, Running, VerifierConfig,
};

/// Grants tree depth of the test homes.
const DEPTH: usize = 4;
/// Body limit of the test service, and a body just past it: the service reads it all before
/// answering 413, so the client never writes into a connection the server already closed
/// (a much larger body races the 413 against the client's writes: broken pipe).
const TEST_BODY_LIMIT: usize = 64 * 1024;
const HUGE_BODY: usize = TEST_BODY_LIMIT + 1;

fn start(home: &Path) -> Running {
    let config = VerifierConfig {
        max_body_bytes: TEST_BODY_LIMIT,
        policy: RootPolicy::default(),
        ..VerifierConfig::default()
    };
    spawn(home, SocketAddr::from(([127, 0, 0, 1], 0)), config).expect("service starts")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// POSTs `body`; returns the status and the body text.
fn post(url: &str, body: &[u8]) -> (u16, String) {
    let mut response = agent()
        .post(url)
        .header("content-type", "application/json")
        .send(body)
        .expect("request sent");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("body read");
    (status, text)
}

fn get(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().expect("request sent");
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().expect("body"))
}

fn verify_body(pair: &ProofPair) -> Vec<u8> {
    let request: Value = serde_json::from_slice(&pair.request).expect("request JSON");
    let proof: Value = serde_json::from_slice(&pair.proof).expect("proof JSON");
    serde_json::to_vec(&json!({ "request": request, "proof": proof })).expect("body")
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `pair`'s proof with its points replaced by `other`'s: valid points, wrong proof.
fn swapped_points(pair: &ProofPair, other: &ProofPair) -> ProofPair {
    let mut proof: Value = serde_json::from_slice(&pair.proof).expect("proof");
    let theirs: Value = serde_json::from_slice(&other.proof).expect("proof");
    proof["proof"] = theirs["proof"].clone();
    ProofPair {
        request: pair.request.clone(),
        proof: serde_json::to_vec(&proof).expect("proof bytes"),
    }
}

#[test]
fn accepts_once_rejects_replays_tampering_garbage_and_huge_bodies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let pairs = fixture::access_home(&home, DEPTH, 3, &|_| {}).expect("fixture");
    let service = start(&home);
    let verify = format!("{}/v1/verify", service.url());

    let (status, text) = get(&format!("{}/healthz", service.url()));
    assert_eq!((status, json_of(&text)), (200, json!({ "ok": true })));

    // Accepted and consumed.
    let (status, text) = post(&verify, &verify_body(&pairs[0]));
    assert_eq!(status, 200, "{text}");
    let body = json_of(&text);
    assert_eq!(body["accepted"], true);
    assert_eq!(body["statement"], "access");
    assert_eq!(body["consumed"], true);
    let request = Request::from_file_bytes(&pairs[0].request).expect("request");
    assert_eq!(
        body["request_hash"],
        zkconsent::verifier::fr_to_decimal(&request.hash().0)
    );

    // The same proof again is a replay.
    let (status, text) = post(&verify, &verify_body(&pairs[0]));
    assert_eq!(status, 422, "{text}");
    let body = json_of(&text);
    assert_eq!(body["error"], "rejected");
    assert!(
        body["reason"].as_str().unwrap_or("").contains("replay"),
        "{text}"
    );

    // Another proof's points under this request's inputs do not verify.
    let (status, text) = post(&verify, &verify_body(&swapped_points(&pairs[1], &pairs[2])));
    assert_eq!(status, 422, "{text}");
    assert!(json_of(&text)["reason"]
        .as_str()
        .unwrap_or("")
        .contains("does not verify"));

    // Files as JSON strings are read the same way; the untouched request still verifies.
    let as_strings = serde_json::to_vec(&json!({
        "request": String::from_utf8_lossy(&pairs[1].request),
        "proof": String::from_utf8_lossy(&pairs[1].proof),
    }))
    .expect("body");
    let (status, text) = post(&verify, &as_strings);
    assert_eq!(status, 200, "{text}");

    // Garbage, a missing field, an edited request, a proof that does not decode.
    for garbage in [
        b"not json at all".to_vec(),
        b"{\"request\": {}}".to_vec(),
        serde_json::to_vec(&json!({ "request": {"format": "zkconsent.request"}, "proof": {} }))
            .expect("body"),
        {
            let mut request: Value = serde_json::from_slice(&pairs[2].request).expect("request");
            request["created_at"] = json!(1);
            let proof: Value = serde_json::from_slice(&pairs[2].proof).expect("proof");
            serde_json::to_vec(&json!({ "request": request, "proof": proof })).expect("body")
        },
        {
            let request: Value = serde_json::from_slice(&pairs[2].request).expect("request");
            serde_json::to_vec(&json!({ "request": request, "proof": { "format": "x" } }))
                .expect("body")
        },
    ] {
        let (status, text) = post(&verify, &garbage);
        assert_eq!(status, 400, "{text}");
        assert_eq!(json_of(&text)["error"], "malformed", "{text}");
    }

    // Past the body limit.
    let huge = vec![b' '; HUGE_BODY];
    let (status, text) = post(&verify, &huge);
    assert_eq!(status, 413, "{text}");
    assert_eq!(json_of(&text)["error"], "too_large");

    let (status, metrics) = get(&format!("{}/metrics", service.url()));
    assert_eq!(status, 200);
    for line in [
        "zkconsent_verifier_verifications_total{statement=\"access\",outcome=\"accepted\"} 2",
        "zkconsent_verifier_verifications_total{statement=\"access\",outcome=\"rejected\"} 2",
        "zkconsent_verifier_verifications_total{statement=\"unknown\",outcome=\"malformed\"} 5",
        "zkconsent_verifier_verifications_total{statement=\"access\",outcome=\"malformed\"} 1",
        "# TYPE zkconsent_verifier_batch_size histogram",
        "zkconsent_verifier_batch_size_count 4",
        "# TYPE zkconsent_verifier_verify_seconds histogram",
        "zkconsent_verifier_verify_seconds_count 10",
    ] {
        assert!(metrics.contains(line), "missing {line:?} in\n{metrics}");
    }
    service.stop().expect("clean stop");
}

#[test]
fn issued_requests_are_the_file_a_prover_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home_dir = dir.path().join("home");
    fixture::access_home(&home_dir, DEPTH, 0, &|_| {}).expect("fixture");
    let service = start(&home_dir);
    let requests = format!("{}/v1/requests", service.url());
    let spec = json!({
        "verifier": fixture::VERIFIER, "statement": "access",
        "patient": fixture::PATIENT, "scope": fixture::REQUESTED_SCOPE, "purpose": "treatment",
    });
    let (status, text) = post(&requests, &serde_json::to_vec(&spec).expect("spec"));
    assert_eq!(status, 200, "{text}");
    let request = Request::from_file_bytes(text.as_bytes()).expect("a request file");
    // Exactly the bytes `request new --out` writes.
    assert_eq!(text.as_bytes(), request.to_file_bytes());
    assert_eq!(request.statement(), Statement::Access);

    // The clinician proves from the file alone (the home is open beside the service).
    let Terms::Access(terms) = &request.terms else {
        panic!("access terms expected")
    };
    let home = Home::open(&home_dir).expect("open");
    let keys = home.keys(Statement::Access).expect("keys");
    let now: Timestamp = unix_now();
    let asked = terms.prove_request(0, request.verifier, request.nonce(), now);
    let (file, _) = home
        .prove_access(&keys, &asked, &mut rand::rngs::OsRng)
        .expect("prove");
    drop(home);
    let pair = ProofPair {
        request: text.into_bytes(),
        proof: file.to_json().into_bytes(),
    };
    let (status, text) = post(&format!("{}/v1/verify", service.url()), &verify_body(&pair));
    assert_eq!(status, 200, "{text}");

    // Bad terms: unknown patient, a term of another statement, a missing term, no such
    // statement, a field nobody knows.
    for spec in [
        json!({ "verifier": fixture::VERIFIER, "statement": "access", "patient": "nobody", "scope": "observations" }),
        json!({ "verifier": fixture::VERIFIER, "statement": "access", "patient": fixture::PATIENT, "scope": "observations", "study": "x" }),
        json!({ "verifier": fixture::VERIFIER, "statement": "access", "patient": fixture::PATIENT }),
        json!({ "verifier": fixture::VERIFIER, "statement": "telepathy" }),
        json!({ "verifier": fixture::VERIFIER, "statement": "access", "colour": "red" }),
        json!({ "verifier": fixture::PATIENT, "statement": "access", "patient": fixture::PATIENT, "scope": "observations" }),
    ] {
        let (status, text) = post(&requests, &serde_json::to_vec(&spec).expect("spec"));
        assert_eq!(status, 400, "{spec}: {text}");
        assert_eq!(json_of(&text)["error"], "malformed");
    }
    let (_, metrics) = get(&format!("{}/metrics", service.url()));
    assert!(metrics.contains("zkconsent_verifier_requests_issued_total{statement=\"access\"} 1"));
    service.stop().expect("clean stop");
}

#[test]
fn a_concurrent_burst_rejects_only_the_bad_proof() {
    const GOOD: usize = 12;
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let pairs = fixture::access_home(&home, DEPTH, GOOD + 2, &|_| {}).expect("fixture");
    let service = start(&home);
    let verify = format!("{}/v1/verify", service.url());
    let bad = swapped_points(&pairs[GOOD], &pairs[GOOD + 1]);
    let mut bodies: Vec<(bool, Vec<u8>)> = pairs[..GOOD]
        .iter()
        .map(|p| (true, verify_body(p)))
        .collect();
    bodies.insert(GOOD / 2, (false, verify_body(&bad)));
    // The first good proof twice: exactly one of the two answers wins.
    bodies.push((true, verify_body(&pairs[0])));
    let barrier = Arc::new(Barrier::new(bodies.len()));
    let results: Vec<(bool, u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = bodies
            .iter()
            .map(|(good, body)| {
                let barrier = Arc::clone(&barrier);
                let verify = &verify;
                scope.spawn(move || {
                    barrier.wait();
                    let (status, text) = post(verify, body);
                    (*good, status, text)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client thread"))
            .collect()
    });
    let accepted = results.iter().filter(|(_, s, _)| *s == 200).count();
    assert_eq!(accepted, GOOD, "{results:#?}");
    let rejected: Vec<&(bool, u16, String)> =
        results.iter().filter(|(_, s, _)| *s != 200).collect();
    assert_eq!(rejected.len(), 2, "{results:#?}");
    for (good, status, text) in rejected {
        assert_eq!(*status, 422, "{text}");
        let reason = json_of(text)["reason"].as_str().unwrap_or("").to_owned();
        if *good {
            assert!(reason.contains("replay"), "{reason}");
        } else {
            assert!(reason.contains("does not verify"), "{reason}");
        }
    }
    let (_, metrics) = get(&format!("{}/metrics", service.url()));
    let batches = metrics
        .lines()
        .find_map(|l| l.strip_prefix("zkconsent_verifier_batch_size_count "))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .expect("batch count");
    // Concurrent calls share batches.
    assert!(batches < results.len(), "{batches} batches\n{metrics}");
    service.stop().expect("clean stop");
}
