//! The registry service over HTTP, in-process on a free port over a temporary operator home:
//! params download, identities, grant issue and revoke with real authority proofs, retries
//! answered with the first outcome, log paging (checked by a replica), custodian anchoring,
//! body limits and metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{rngs::StdRng, SeedableRng};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::{path::Path, sync::OnceLock};
use tempfile::TempDir;
use zkconsent::{
    circuits::{
        authority::{AuthorityPrivate, AuthorityPublic, GrantAction},
        grant::Grant,
        statement::Authority,
        types::{GrantSalt, Purpose, Scope, SecretKey, Timestamp},
    },
    home::{to_verifier_proof, Home, PARAMS_DIR, REGISTRY_FILE},
    prover::{params::sha256_hex, prove_statement, LoadedKeys, Statement},
    registry::Registry,
    remote::{
        client::RegistryClient,
        replica,
        wire::{
            AnchorAck, ApiError, GrantAck, IdentityAck, Info, LogPage, ParamsList, MAX_REQUEST_BODY,
        },
    },
    verifier::{fr_to_decimal, PreparedVerifyingKey},
};
use zkconsent_service::registry::{start, CustodianTokens, RegistryServiceConfig, RunningRegistry};

const DEPTH: usize = 4;
const TOKEN: &str = "st-mary-0123456789abcdef";

/// An operator home made once per test binary (setup is the slow part), its authority
/// proving key and prepared verifying key.
struct Template {
    dir: TempDir,
    keys: LoadedKeys,
    pvk: std::sync::Arc<PreparedVerifyingKey>,
}

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let home = Home::init(dir.path(), DEPTH, Timestamp(1_000), &mut rng).unwrap();
        let keys = home.keys(Statement::Authority).unwrap();
        let (pvk, _) = home.verifying_key(Statement::Authority).unwrap();
        drop(home);
        Template { dir, keys, pvk }
    })
}

/// A fresh operator home (the template's params, an empty registry) with the service on it.
struct Fixture {
    dir: TempDir,
    service: RunningRegistry,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn fixture(tokens: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &template().dir.path().join(PARAMS_DIR),
        &dir.path().join(PARAMS_DIR),
    );
    Registry::create(dir.path().join(REGISTRY_FILE), DEPTH).unwrap();
    let config = RegistryServiceConfig {
        custodian_tokens: tokens.map(|t| CustodianTokens::parse(t).unwrap()),
    };
    let service = start(dir.path(), "127.0.0.1:0", config).unwrap();
    Fixture { dir, service }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Status and body of a call.
fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Vec<u8>) {
    let mut response = response.unwrap();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap();
    (status, body)
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.service.url())
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        answer(agent().get(&self.url(path)).call())
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    fn post_raw(&self, path: &str, body: &[u8], token: Option<&str>) -> (u16, Vec<u8>) {
        let mut request = agent()
            .post(&self.url(path))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        answer(request.send(body))
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Vec<u8>) {
        self.post_raw(path, body.to_string().as_bytes(), None)
    }

    /// A write that must succeed with `status`.
    fn write<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
        status: u16,
    ) -> T {
        let (got, bytes) = self.post_raw(path, body.to_string().as_bytes(), token);
        assert_eq!(got, status, "{path}: {}", String::from_utf8_lossy(&bytes));
        serde_json::from_slice(&bytes).unwrap()
    }

    /// A write that must fail with `status` and the error code `code`.
    fn refuse(&self, path: &str, body: &Value, token: Option<&str>, status: u16, code: &str) {
        let (got, bytes) = self.post_raw(path, body.to_string().as_bytes(), token);
        assert_eq!(got, status, "{path}: {}", String::from_utf8_lossy(&bytes));
        let error: ApiError = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(error.error, code, "{}", error.message);
    }
}

/// A patient and a grant of theirs.
struct Patient {
    secret: SecretKey,
    grant: Grant,
}

fn patient(seed: u64) -> Patient {
    let mut rng = StdRng::seed_from_u64(seed);
    let secret = SecretKey::random(&mut rng);
    let grantee = SecretKey::random(&mut rng);
    let grant = Grant {
        patient: secret.id(),
        grantee: grantee.id(),
        scope: Scope(0b11),
        purpose: Purpose(1),
        not_before: Timestamp(1_000),
        not_after: Timestamp(2_000_000_000),
        salt: GrantSalt::random(&mut rng),
    };
    Patient { secret, grant }
}

impl Patient {
    fn commitment(&self) -> String {
        fr_to_decimal(&self.grant.commit().0)
    }

    /// An authority proof for `action` on this grant (hex), by `prover`'s secret; `None` if
    /// the prover refuses a false statement.
    fn proof_by(&self, prover: &SecretKey, action: GrantAction, seed: u64) -> Option<String> {
        let public = AuthorityPublic {
            action,
            commitment: self.grant.commit(),
        };
        let private = AuthorityPrivate {
            patient_secret: prover.clone(),
            grant: self.grant.clone(),
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let proof =
            prove_statement::<Authority>(&template().keys, &public, &private, &mut rng).ok()?;
        Some(hex::encode(to_verifier_proof(&proof).unwrap().to_bytes()))
    }

    fn proof(&self, action: GrantAction, seed: u64) -> String {
        self.proof_by(&self.secret, action, seed).unwrap()
    }
}

#[test]
fn info_and_params_download_with_hashes() {
    let f = fixture(None);
    let (status, body) = f.get("/healthz");
    assert_eq!((status, body.as_slice()), (200, &b"ok"[..]));
    let info: Info = f.get_json("/v1/info");
    let params = f.dir.path().join(PARAMS_DIR);
    let manifest = std::fs::read(params.join("manifest.json")).unwrap();
    assert_eq!(
        (info.format.as_str(), info.api, info.depth),
        ("zkconsent.registry", 1, DEPTH)
    );
    assert_eq!(info.manifest_sha256, sha256_hex(&manifest));
    assert_eq!(
        (
            info.heads.identities,
            info.heads.grant_events,
            info.heads.record_events
        ),
        (0, 0, 0)
    );
    let list: ParamsList = f.get_json("/v1/params");
    assert_eq!(list.files[0].name, "manifest.json");
    // Every key and constraint-matrices file of every statement, and nothing else.
    assert_eq!(list.files.len(), 1 + 3 * Statement::ALL.len());
    for file in &list.files {
        let (status, bytes) = f.get(&format!("/v1/params/{}", file.name));
        assert_eq!(status, 200, "{}", file.name);
        assert_eq!(
            (sha256_hex(&bytes), bytes.len() as u64),
            (file.sha256.clone(), file.bytes)
        );
        assert_eq!(bytes, std::fs::read(params.join(&file.name)).unwrap());
    }
    for bad in [
        "registry.db",
        "..%2Fregistry.db",
        "%2E%2E",
        "manifest.json%00",
        "x/y",
    ] {
        let (status, _) = f.get(&format!("/v1/params/{bad}"));
        assert_eq!(status, 404, "{bad}");
    }
    let (status, body) = f.get("/v2/info");
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_slice::<ApiError>(&body).unwrap().error,
        "not_found"
    );
    let (status, _) = f.post("/v1/info", &json!({}));
    assert_eq!(status, 405);
    f.service.stop().unwrap();
}

#[test]
fn identities_register_once_and_conflicts_are_refused() {
    let f = fixture(None);
    let alice = json!({ "name": "alice", "role": "patient", "id": "12345" });
    let ack: IdentityAck = f.write("/v1/identities", &alice, None, 201);
    assert_eq!(
        (
            ack.seq,
            ack.name.as_str(),
            ack.role.as_str(),
            ack.id.as_str()
        ),
        (1, "alice", "patient", "12345")
    );
    // A retry answers the first outcome.
    let again: IdentityAck = f.write("/v1/identities", &alice, None, 200);
    assert_eq!(again, ack);
    let bob: IdentityAck = f.write(
        "/v1/identities",
        &json!({ "name": "dr bob", "role": "clinician", "id": "777" }),
        None,
        201,
    );
    assert_eq!(bob.seq, 2);
    // The name is taken by another id or role.
    for other in [
        json!({ "name": "alice", "role": "patient", "id": "54321" }),
        json!({ "name": "alice", "role": "verifier", "id": "12345" }),
    ] {
        f.refuse("/v1/identities", &other, None, 409, "conflict");
    }
    for bad in [
        json!({ "name": "carol", "role": "admin", "id": "1" }),
        json!({ "name": "carol", "role": "patient", "id": "01" }),
        json!({ "name": "carol", "role": "patient", "id": "-1" }),
        json!({ "name": " carol", "role": "patient", "id": "1" }),
        json!({ "name": "carol", "role": "patient", "id": "1", "secret": "x" }),
        json!({ "name": "carol", "role": "patient" }),
        json!(["carol"]),
    ] {
        f.refuse("/v1/identities", &bad, None, 400, "malformed");
    }
    let (status, _) = f.post_raw("/v1/identities", b"{not json", None);
    assert_eq!(status, 400);
    let info: Info = f.get_json("/v1/info");
    assert_eq!(info.heads.identities, 2);
}

#[test]
fn grants_issue_and_revoke_once_with_valid_proofs_only() {
    let f = fixture(None);
    let (a, b) = (patient(1), patient(2));
    let issue = json!({ "commitment": a.commitment(), "proof": a.proof(GrantAction::Issue, 10) });
    let ack: GrantAck = f.write("/v1/grants", &issue, None, 201);
    assert_eq!(
        (ack.index, ack.status.as_str(), ack.event_seq),
        (0, "active", 1)
    );
    // The same body again, and another valid proof for the same grant: the first outcome.
    assert_eq!(f.write::<GrantAck>("/v1/grants", &issue, None, 200), ack);
    let reproved =
        json!({ "commitment": a.commitment(), "proof": a.proof(GrantAction::Issue, 11) });
    assert_eq!(f.write::<GrantAck>("/v1/grants", &reproved, None, 200), ack);
    // Forged: b's grant with a proof by a's secret (not b's patient), a's proof on b's leaf,
    // a revoke proof used to issue.
    let mut forged = vec![
        json!({ "commitment": b.commitment(), "proof": a.proof(GrantAction::Issue, 13) }),
        json!({ "commitment": b.commitment(), "proof": b.proof(GrantAction::Revoke, 14) }),
    ];
    // A false statement may still give a proof (if the prover does not refuse it).
    if let Some(by_another) = b.proof_by(&a.secret, GrantAction::Issue, 12) {
        forged.push(json!({ "commitment": b.commitment(), "proof": by_another }));
    }
    for body in &forged {
        f.refuse("/v1/grants", body, None, 403, "forbidden");
    }
    let good_proof = b.proof(GrantAction::Issue, 15);
    for bad in [
        json!({ "commitment": b.commitment(), "proof": "00" }),
        json!({ "commitment": b.commitment(), "proof": "zz".repeat(128) }),
        json!({ "commitment": b.commitment(), "proof": "00".repeat(128) }),
        json!({ "commitment": "0x12", "proof": good_proof }),
        json!({ "commitment": b.commitment() }),
    ] {
        f.refuse("/v1/grants", &bad, None, 400, "malformed");
    }
    f.refuse(
        "/v1/grants",
        &json!({ "commitment": "0", "proof": good_proof }),
        None,
        422,
        "refused",
    );
    let b_ack: GrantAck = f.write(
        "/v1/grants",
        &json!({ "commitment": b.commitment(), "proof": good_proof }),
        None,
        201,
    );
    assert_eq!((b_ack.index, b_ack.event_seq), (1, 2));

    // Revoke: unknown leaf, wrong proofs, then once.
    let revoke = json!({ "proof": a.proof(GrantAction::Revoke, 16) });
    f.refuse("/v1/grants/9/revoke", &revoke, None, 404, "not_found");
    f.refuse("/v1/grants/x/revoke", &revoke, None, 400, "malformed");
    f.refuse("/v1/grants/1/revoke", &revoke, None, 403, "forbidden");
    let issue_proof = json!({ "proof": a.proof(GrantAction::Issue, 17) });
    f.refuse("/v1/grants/0/revoke", &issue_proof, None, 403, "forbidden");
    let revoked: GrantAck = f.write("/v1/grants/0/revoke", &revoke, None, 201);
    assert_eq!(
        (revoked.index, revoked.status.as_str(), revoked.event_seq),
        (0, "revoked", 3)
    );
    assert!(revoked.at >= ack.at);
    assert_eq!(
        f.write::<GrantAck>("/v1/grants/0/revoke", &revoke, None, 200),
        revoked
    );
    // Even after a retry, a wrong proof is still refused.
    f.refuse("/v1/grants/0/revoke", &issue_proof, None, 403, "forbidden");
    // An issue retry now reports the grant revoked, and still the issue event.
    let late: GrantAck = f.write("/v1/grants", &issue, None, 200);
    assert_eq!(
        (late.index, late.status.as_str(), late.event_seq),
        (0, "revoked", 1)
    );
    let info: Info = f.get_json("/v1/info");
    assert_eq!(info.heads.grant_events, 3);
    assert_eq!(info.heads.grants_root, revoked.root);
}

#[test]
fn concurrent_retries_of_one_issue_make_one_grant() {
    let f = fixture(None);
    let a = patient(3);
    let bodies: Vec<Value> = (0..4)
        .map(|k| json!({ "commitment": a.commitment(), "proof": a.proof(GrantAction::Issue, 20 + k) }))
        .collect();
    let acks: Vec<(u16, GrantAck)> = std::thread::scope(|s| {
        let handles: Vec<_> = bodies
            .iter()
            .map(|body| {
                s.spawn(|| {
                    let (status, bytes) = f.post("/v1/grants", body);
                    (status, serde_json::from_slice::<GrantAck>(&bytes).unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(acks.iter().filter(|(s, _)| *s == 201).count(), 1);
    assert!(acks
        .iter()
        .all(|(s, ack)| (*s == 200 || *s == 201) && *ack == acks[0].1));
    let info: Info = f.get_json("/v1/info");
    assert_eq!(info.heads.grant_events, 1);
}

#[test]
fn records_need_a_custodian_token_and_retries_are_idempotent() {
    let disabled = fixture(None);
    let body = json!({ "leaves": ["11", "12"], "superseded": [] });
    disabled.refuse("/v1/records", &body, Some(TOKEN), 403, "forbidden");

    let f = fixture(Some(&format!("st-mary {TOKEN}\n")));
    f.refuse("/v1/records", &body, None, 401, "unauthorized");
    f.refuse(
        "/v1/records",
        &body,
        Some("st-mary-0123456789abcdeX"),
        403,
        "forbidden",
    );
    let first: AnchorAck = f.write("/v1/records", &body, Some(TOKEN), 201);
    assert_eq!((first.event_seq, first.first_index, first.count), (1, 0, 2));
    assert_eq!(
        f.write::<AnchorAck>("/v1/records", &body, Some(TOKEN), 200),
        first
    );
    // Overlapping or differently shaped: a conflict, not a second anchoring.
    for other in [
        json!({ "leaves": ["12", "13"], "superseded": [] }),
        json!({ "leaves": ["11"], "superseded": [] }),
        json!({ "leaves": ["11", "12"], "superseded": [0] }),
    ] {
        f.refuse("/v1/records", &other, Some(TOKEN), 409, "conflict");
    }
    // A new version superseding leaf 0, then its retry.
    let update = json!({ "leaves": ["21"], "superseded": [0] });
    let second: AnchorAck = f.write("/v1/records", &update, Some(TOKEN), 201);
    assert_eq!(
        (second.event_seq, second.first_index, second.count),
        (2, 2, 1)
    );
    assert_eq!(
        f.write::<AnchorAck>("/v1/records", &update, Some(TOKEN), 200),
        second
    );
    f.refuse(
        "/v1/records",
        &json!({ "leaves": ["22"], "superseded": [0] }),
        Some(TOKEN),
        409,
        "conflict",
    );
    f.refuse(
        "/v1/records",
        &json!({ "leaves": ["23"], "superseded": [9] }),
        Some(TOKEN),
        409,
        "conflict",
    );
    for bad in [
        json!({ "leaves": ["31", "31"], "superseded": [] }),
        json!({ "leaves": ["32"], "superseded": [1, 1] }),
        json!({ "leaves": ["x"], "superseded": [] }),
        json!({ "leaves": ["33"] }),
    ] {
        f.refuse("/v1/records", &bad, Some(TOKEN), 400, "malformed");
    }
    for refused in [
        json!({ "leaves": [], "superseded": [] }),
        json!({ "leaves": ["0"], "superseded": [] }),
    ] {
        f.refuse("/v1/records", &refused, Some(TOKEN), 422, "refused");
    }
    let info: Info = f.get_json("/v1/info");
    assert_eq!(
        (info.heads.record_events, info.heads.records_root.clone()),
        (2, second.root)
    );
    let metrics = String::from_utf8(f.get("/metrics").1).unwrap();
    assert!(
        metrics.contains("zkconsent_registry_anchorings_total{custodian=\"st-mary\"} 2"),
        "{metrics}"
    );
}

#[test]
fn log_pages_replay_into_a_replica_and_bodies_are_bounded() {
    let f = fixture(Some(TOKEN));
    for (k, name) in ["pat", "doc", "ver"].into_iter().enumerate() {
        let role = ["patient", "clinician", "verifier"][k];
        let body = json!({ "name": name, "role": role, "id": (k + 1).to_string() });
        let _: IdentityAck = f.write("/v1/identities", &body, None, 201);
    }
    let (a, b) = (patient(4), patient(5));
    for p in [&a, &b] {
        let body =
            json!({ "commitment": p.commitment(), "proof": p.proof(GrantAction::Issue, 30) });
        let _: GrantAck = f.write("/v1/grants", &body, None, 201);
    }
    let _: GrantAck = f.write(
        "/v1/grants/0/revoke",
        &json!({ "proof": a.proof(GrantAction::Revoke, 31) }),
        None,
        201,
    );
    for leaves in [json!(["41", "42"]), json!(["43"])] {
        let _: AnchorAck = f.write(
            "/v1/records",
            &json!({ "leaves": leaves, "superseded": [] }),
            Some(TOKEN),
            201,
        );
    }

    // Pages of one entry of each kind, until every log is read.
    let (mut ids, mut grants, mut records) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        let page: LogPage = f.get_json(&format!(
            "/v1/log?identities_after={}&grants_after={}&records_after={}&limit=1",
            ids.len(),
            grants.len(),
            records.len()
        ));
        assert!(page.identities.len() <= 1 && page.grant_events.len() <= 1);
        if page.identities.is_empty()
            && page.grant_events.is_empty()
            && page.record_events.is_empty()
        {
            assert_eq!(
                (
                    page.heads.identities,
                    page.heads.grant_events,
                    page.heads.record_events
                ),
                (3, 3, 2)
            );
            break;
        }
        ids.extend(page.identities);
        grants.extend(page.grant_events);
        records.extend(page.record_events);
    }
    let seqs = |v: Vec<u64>| assert!(v.iter().enumerate().all(|(i, s)| *s == i as u64 + 1));
    seqs(ids.iter().map(|e| e.seq).collect());
    seqs(grants.iter().map(|e| e.seq).collect());
    seqs(records.iter().map(|e| e.seq).collect());
    assert_eq!(ids[1].name, "doc");
    assert_eq!(
        grants.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["issue", "issue", "revoke"]
    );
    assert_eq!(records[0].leaves, ["41", "42"]);
    assert_eq!(grants[2].root_before, grants[1].root_after);
    // The defaults read everything at once.
    let all: LogPage = f.get_json("/v1/log");
    assert_eq!(
        (
            all.identities.len(),
            all.grant_events.len(),
            all.record_events.len()
        ),
        (3, 3, 2)
    );
    for bad in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "grants_after=-1",
        "since=3",
    ] {
        let (status, body) = f.get(&format!("/v1/log?{bad}"));
        assert_eq!(status, 400, "{bad}");
        assert_eq!(
            serde_json::from_slice::<ApiError>(&body).unwrap().error,
            "malformed"
        );
    }

    // A replica built from the log alone re-verifies every proof and reaches the same roots.
    let replica_dir = tempfile::tempdir().unwrap();
    let mut local = Registry::create(replica_dir.path().join(REGISTRY_FILE), DEPTH).unwrap();
    let client = RegistryClient::new(&f.service.url(), None).unwrap();
    let report = replica::sync(&mut local, &client, &template().pvk).unwrap();
    assert_eq!(
        (report.identities, report.grant_events, report.record_events),
        (3, 3, 2)
    );

    // Bodies over the limit are refused with 413 before they are parsed.
    let huge = vec![b' '; MAX_REQUEST_BODY + 1];
    for path in ["/v1/grants", "/v1/identities"] {
        let (status, body) = f.post_raw(path, &huge, None);
        assert_eq!(status, 413, "{path}");
        assert_eq!(
            serde_json::from_slice::<ApiError>(&body).unwrap().error,
            "malformed"
        );
    }
    let (status, _) = f.post_raw("/v1/records", &huge, Some(TOKEN));
    assert_eq!(status, 413);

    let (status, text) = f.get("/metrics");
    assert_eq!(status, 200);
    let text = String::from_utf8(text).unwrap();
    for line in [
        "zkconsent_registry_requests_total{route=\"/v1/identities\",method=\"POST\",status=\"201\"} 3",
        "zkconsent_registry_requests_total{route=\"/v1/grants\",method=\"POST\",status=\"413\"} 1",
        "zkconsent_registry_requests_total{route=\"/v1/grants/{index}/revoke\",method=\"POST\",status=\"201\"} 1",
        "zkconsent_registry_identities 3",
        "zkconsent_registry_grants_issued_total 2",
        "zkconsent_registry_grants_revoked_total 1",
        "zkconsent_registry_record_leaves_total 3",
        "zkconsent_registry_record_events 2",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
    }
}
