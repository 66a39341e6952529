//! Every party on its own machine: a registry service, a verifier service and five homes
//! (the patient's phone, the clinician's EHR, the hospital that verifies, another clinician,
//! and the operator's), each a separate process with only its own secrets, the hand-offs as
//! files. Issue, accept, prove, verify, revoke, and the wrong-party cases: a clinician's home
//! cannot issue a grant, a stolen credential is useless, a replica fed a forged root
//! notices.

mod common;

use common::{services::Service, zkh, Run};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The hospital's anchoring token (16 to 256 visible characters).
const CUSTODIAN_TOKEN: &str = "st-mary-anchoring-token-0001";

struct Parties {
    _dir: tempfile::TempDir,
    root: PathBuf,
    operator: PathBuf,
    alice: PathBuf,
    bob: PathBuf,
    hospital: PathBuf,
    eve: PathBuf,
}

impl Parties {
    fn file(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }
}

fn homes() -> Parties {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let home = |name: &str| root.join(name);
    Parties {
        operator: home("operator"),
        alice: home("alice-phone"),
        bob: home("bob-ehr"),
        hospital: home("st-mary"),
        eve: home("eve-ehr"),
        root,
        _dir: dir,
    }
}

fn join(home: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--registry", url, "join"];
    args.extend_from_slice(extra);
    zkh(home, &args)
}

/// `POST url` with a JSON body: (status, answer parsed, answer as text).
fn post_raw(url: &str, body: &Value) -> (u16, Value, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.post(url).send_json(body).expect("post");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    (status, value, text)
}

/// `POST url` with a JSON body: (status, answer).
fn post(url: &str, body: &Value) -> (u16, Value) {
    let (status, value, _) = post_raw(url, body);
    (status, value)
}

/// Asks the verifier service for an Access request; writes the request file it answers.
fn access_request(verifier: &Service, path: &str) -> String {
    let (status, answer, text) = post_raw(
        &format!("{}/v1/requests", verifier.url),
        &json!({"statement": "access", "verifier": "st-mary", "patient": "alice",
                "scope": "observations", "purpose": "treatment"}),
    );
    assert_eq!(status, 200, "{answer}");
    std::fs::write(path, &text).unwrap();
    text
}

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

#[test]
fn every_party_on_its_own_machine() {
    let p = homes();
    zkh(&p.operator, &["setup", "--depth", "8"]).expect_code(0);
    let tokens = p.file("tokens.txt");
    std::fs::write(&tokens, format!("st-mary {CUSTODIAN_TOKEN}\n")).unwrap();
    let registry = Service::start(
        &p.operator,
        &["registry", "serve", "--custodian-tokens", &tokens],
    );
    let url = registry.url.clone();

    let token_file = p.file("token");
    std::fs::write(&token_file, CUSTODIAN_TOKEN).unwrap();
    for home in [&p.alice, &p.bob, &p.eve] {
        join(home, &url, &[]).expect_code(0);
    }
    join(&p.hospital, &url, &["--token-file", &token_file]).expect_code(0);
    // A second join into the same home is refused.
    join(&p.alice, &url, &[]).expect_code(2);

    zkh(&p.alice, &["identity", "new", "alice", "--role", "patient"]).expect_code(0);
    zkh(
        &p.bob,
        &["identity", "new", "dr-bob", "--role", "clinician"],
    )
    .expect_code(0);
    zkh(
        &p.hospital,
        &["identity", "new", "st-mary", "--role", "verifier"],
    )
    .expect_code(0);
    zkh(
        &p.eve,
        &["identity", "new", "dr-eve", "--role", "clinician"],
    )
    .expect_code(0);
    // A name registered from another home is taken everywhere.
    zkh(&p.eve, &["identity", "new", "alice", "--role", "patient"]).expect_code(1);

    // Bob's card goes to Alice; Alice issues a grant sealed to it.
    let bob_card = p.file("dr-bob.card.json");
    zkh(
        &p.bob,
        &["identity", "export", "dr-bob", "--out", &bob_card],
    )
    .expect_code(0);
    zkh(&p.alice, &["identity", "import", &bob_card]).expect_code(0);
    let credential = p.file("grant.cred");
    let issued = zkh(
        &p.alice,
        &[
            "--json",
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee-card",
            &bob_card,
            "--scope",
            "conditions,observations",
            "--purpose",
            "treatment",
            "--days",
            "30",
            "--out",
            &credential,
        ],
    );
    issued.expect_code(0);
    let index = issued.json()["index"].as_u64().unwrap();

    // Wrong parties: Bob's home holds no patient secret, so it cannot issue for Alice; Eve's
    // home cannot open a credential sealed to Bob.
    let wrong = zkh(
        &p.bob,
        &[
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee",
            "dr-bob",
            "--scope",
            "conditions",
            "--days",
            "30",
        ],
    );
    assert_ne!(
        wrong.code,
        Some(0),
        "a clinician's home issued a grant: {}",
        wrong.stdout
    );
    assert!(wrong.stderr.contains("alice"), "{}", wrong.stderr);
    zkh(&p.eve, &["grant", "accept", &credential]).expect_code(1);
    zkh(&p.bob, &["grant", "accept", &credential]).expect_code(0);

    // The hospital's verifier service issues a request; Bob proves; the service verifies.
    let verifier = Service::start(&p.hospital, &["serve"]);
    let request_file = p.file("request.json");
    let request = access_request(&verifier, &request_file);
    let proof_file = p.file("proof.json");
    zkh(
        &p.bob,
        &[
            "prove",
            "access",
            "--grant",
            &index.to_string(),
            "--request",
            &request_file,
            "--out",
            &proof_file,
        ],
    )
    .expect_code(0);
    let proof = std::fs::read_to_string(&proof_file).unwrap();
    let body = json!({"request": request, "proof": proof});
    let verify_url = format!("{}/v1/verify", verifier.url);
    let (status, answer) = post(&verify_url, &body);
    assert_eq!(status, 200, "{answer}");
    // Consumed: the same proof again is rejected.
    let (status, answer) = post(&verify_url, &body);
    assert_eq!(status, 422, "{answer}");
    let (status, _) = post(&verify_url, &json!({"request": 1}));
    assert_eq!(status, 400);

    // Alice revokes; Bob's replica learns it and he can no longer prove.
    zkh(&p.alice, &["grant", "revoke", &index.to_string()]).expect_code(0);
    let request2_file = p.file("request2.json");
    access_request(&verifier, &request2_file);
    let after = zkh(
        &p.bob,
        &[
            "prove",
            "access",
            "--grant",
            &index.to_string(),
            "--request",
            &request2_file,
            "--out",
            &p.file("proof2.json"),
        ],
    );
    assert_ne!(
        after.code,
        Some(0),
        "a revoked grant still proves: {}",
        after.stdout
    );

    // The hospital, a custodian with a token, anchors Alice's records through the service;
    // a home without the token cannot. The hospital proves a Record fact to its own gate.
    let bundle = format!(
        "{}/../tests/data/fhir/Denisha680_Keeling57_6a93e0ad-9bd0-6d85-34a7-015186f7880a.json",
        env!("CARGO_MANIFEST_DIR")
    );
    zkh(
        &p.hospital,
        &["record", "anchor", &bundle, "--patient", "alice"],
    )
    .expect_code(0);
    zkh(&p.eve, &["record", "anchor", &bundle, "--patient", "alice"]).expect_code(1);
    let (status, _, record_request) = post_raw(
        &format!("{}/v1/requests", verifier.url),
        &json!({"statement": "record", "verifier": "st-mary", "disclose": ["kind", "date"]}),
    );
    assert_eq!(status, 200, "{record_request}");
    let record_request_file = p.file("record-request.json");
    std::fs::write(&record_request_file, &record_request).unwrap();
    let record_proof_file = p.file("record.json");
    zkh(
        &p.hospital,
        &[
            "prove",
            "record",
            "--resource",
            "Observation/761239b3-5cee-b756-ad90-24d1c4018589",
            "--request",
            &record_request_file,
            "--out",
            &record_proof_file,
        ],
    )
    .expect_code(0);
    let record_proof = std::fs::read_to_string(&record_proof_file).unwrap();
    let (status, answer) = post(
        &verify_url,
        &json!({"request": record_request, "proof": record_proof}),
    );
    assert_eq!(status, 200, "{answer}");
    // Alice's replica has the records root the hospital anchored.
    zkh(&p.alice, &["sync"]).expect_code(0);

    // Each home holds its own party's secret and no one else's.
    assert_eq!(wallet_names(&p.alice), ["alice"]);
    assert_eq!(wallet_names(&p.bob), ["dr-bob"]);
    assert_eq!(wallet_names(&p.hospital), ["st-mary"]);
    assert_eq!(wallet_names(&p.operator), Vec::<String>::new());

    // The operator forges the current root: every replica notices and refuses to use it.
    verifier.stop();
    let db = rusqlite::Connection::open(p.operator.join("registry.db")).unwrap();
    db.execute(
        "UPDATE roots SET root = ?1 WHERE seq = (SELECT MAX(seq) FROM roots)",
        [{
            let mut forged = vec![0u8; 32];
            forged[0] = 1;
            forged
        }],
    )
    .unwrap();
    drop(db);
    let sync = zkh(&p.alice, &["sync"]);
    sync.expect_code(2);
    assert!(sync.stderr.contains("diverges"), "{}", sync.stderr);
    let fresh = p.root.join("newcomer");
    join(&fresh, &url, &[]).expect_code(2);
    registry.stop();
}

#[test]
fn demo_parties_runs_each_party_in_its_own_home() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let run = common::zk(
        None,
        &[
            "--json",
            "demo",
            "--parties",
            "--dir",
            demo.to_str().unwrap(),
            "--depth",
            "8",
        ],
    );
    run.expect_code(0);
    let homes = &run.json()["homes"];
    assert_eq!(homes["alice (patient)"]["secrets"], json!(["alice"]));
    assert_eq!(homes["dr-bob (clinician)"]["secrets"], json!(["dr-bob"]));
    assert_eq!(homes["registry operator"]["secrets"], json!([]));
    // A second run into the same directory is refused, not mixed in.
    common::zk(
        None,
        &["demo", "--parties", "--dir", demo.to_str().unwrap()],
    )
    .expect_code(2);
}
