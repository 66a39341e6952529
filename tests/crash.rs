//! Crash consistency across the wallet and the registry: the process is stopped dead at
//! every step between them (`ZKCONSENT_CRASH_AT`, see `zkconsent::crashpoint`), and by
//! `kill -9` at random moments; the next start must finish the write, so no grant is active
//! without its opening in the patient's wallet, no identity name is left unusable and no
//! record leaf is anchored twice. `ZKCONSENT_CRASH_KILLS=N` sets the number of random kills
//! (a small count by default, for CI; 500 or more on demand).

mod common;

use common::{services::Service, zkh, Run};
use serde_json::Value;
use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};
use zkconsent::crashpoint::{
    CRASH_ENV, GRANT_PENDING, GRANT_SUBMITTED, IDENTITY_STORED, RECORDS_SUBMITTED, REVOKE_SUBMITTED,
};

const BUNDLE: &str = "Denisha680_Keeling57_6a93e0ad-9bd0-6d85-34a7-015186f7880a.json";
/// Random kills in a default run.
const DEFAULT_KILLS: u64 = 12;
/// Tree depth of the kill loop's homes: room for every grant and record leaf of a long run.
const KILL_DEPTH: usize = 10;
/// What the kill loop runs, in turn: identity new, grant issue, grant revoke, record
/// anchor, verify --consume.
const KILLED_COMMANDS: u64 = 5;
/// Seed of the kill delays (a fixed seed: a failure is reproducible).
const KILL_SEED: u64 = 0x2c0f_fee5;

fn bundle() -> String {
    format!("{}/../tests/data/fhir/{BUNDLE}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `zkconsent --home HOME ARGS` set to abort at `point`; it must die there.
fn crash_at(home: &Path, point: &str, args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_zkconsent"))
        .env("ZKCONSENT_PASSPHRASE", common::TEST_PASSPHRASE)
        .arg("--home")
        .arg(home)
        .args(args)
        .env(CRASH_ENV, point)
        .env_remove("ZKCONSENT_HOME")
        .output()
        .expect("run zkconsent");
    assert_eq!(
        output.status.code(),
        None,
        "{args:?} should have died at {point}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn grants(home: &Path) -> Vec<Value> {
    let run = zkh(home, &["--json", "grant", "list"]);
    run.expect_code(0);
    run.json()["grants"].as_array().cloned().unwrap_or_default()
}

/// Every active grant in the registry has its opening in the wallet, and the audit passes.
#[track_caller]
fn assert_consistent(home: &Path) {
    for g in grants(home) {
        if g["status"] == "active" {
            assert!(
                g.get("not_before").is_some(),
                "active grant without its opening in the wallet: {g}"
            );
        }
    }
    zkh(home, &["registry", "audit"]).expect_code(0);
}

fn issue(home: &Path, patient: &str) -> Run {
    zkh(
        home,
        &[
            "--json",
            "grant",
            "issue",
            "--patient",
            patient,
            "--grantee",
            "bob",
            "--scope",
            "conditions",
            "--days",
            "30",
        ],
    )
}

/// A custodian's anchoring token for the registry service.
const TOKEN: &str = "crash-test-custodian-token";

#[test]
fn a_crash_at_every_step_is_finished_on_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    // Deep enough for a whole bundle's records.
    zkh(home, &["setup", "--depth", "8"]).expect_code(0);
    crash_every_step(home);
}

/// The same, for a home whose registry is a registry service in another process: the
/// service may have acted on a write whose answer the killed client never read.
#[test]
fn a_crash_at_every_step_against_a_registry_service_is_finished_on_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (operator, home) = (dir.path().join("operator"), dir.path().join("home"));
    zkh(&operator, &["setup", "--depth", "8"]).expect_code(0);
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("{TOKEN}\n")).unwrap();
    let registry = Service::start(
        &operator,
        &[
            "registry",
            "serve",
            "--custodian-tokens",
            tokens.to_str().unwrap(),
        ],
    );
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, TOKEN).unwrap();
    zkh(
        &home,
        &[
            "--registry",
            &registry.url,
            "join",
            "--token-file",
            token_file.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    crash_every_step(&home);
    // The service's own log agrees with what the replica holds.
    zkh(&operator, &["registry", "audit"]).expect_code(0);
    registry.stop();
}

fn crash_every_step(home: &Path) {
    for (name, role) in [("alice", "patient"), ("bob", "clinician")] {
        zkh(home, &["identity", "new", name, "--role", role]).expect_code(0);
    }

    // An identity stored but not registered: the next start registers it.
    crash_at(
        home,
        IDENTITY_STORED,
        &["identity", "new", "carol", "--role", "patient"],
    );
    let next = zkh(home, &["grant", "list"]);
    next.expect_code(0);
    assert!(
        next.stderr.contains("identity carol registered"),
        "{}",
        next.stderr
    );
    issue(home, "carol").expect_code(0);

    // A grant pending before its submission: submitted on the next start.
    crash_at(
        home,
        GRANT_PENDING,
        &[
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee",
            "bob",
            "--scope",
            "conditions",
            "--days",
            "30",
        ],
    );
    assert_eq!(grants(home).len(), 2);
    assert_consistent(home);

    // A grant in the registry, its opening still pending: settled on the next start.
    crash_at(
        home,
        GRANT_SUBMITTED,
        &[
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee",
            "bob",
            "--scope",
            "observations",
            "--days",
            "30",
        ],
    );
    assert_eq!(grants(home).len(), 3);
    assert_consistent(home);

    // A revocation that landed: nothing to finish, and the grant is revoked.
    crash_at(home, REVOKE_SUBMITTED, &["grant", "revoke", "1"]);
    assert_eq!(grants(home)[1]["status"], "revoked");
    assert_consistent(home);
    // The patient can still revoke what is active.
    zkh(home, &["grant", "revoke", "2"]).expect_code(0);

    // Record leaves in the registry, openings not committed: settled, never anchored twice.
    zkh(home, &["identity", "new", "denisha", "--role", "patient"]).expect_code(0);
    let bundle = bundle();
    crash_at(
        home,
        RECORDS_SUBMITTED,
        &["record", "anchor", &bundle, "--patient", "denisha"],
    );
    let again = zkh(
        home,
        &[
            "--json",
            "record",
            "anchor",
            &bundle,
            "--patient",
            "denisha",
        ],
    );
    again.expect_code(0);
    let report = again.json();
    assert_eq!(report["anchored_total"], 0, "{report}");
    let listed = zkh(home, &["--json", "record", "list"]);
    listed.expect_code(0);
    let records = listed.json()["records"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        records.len() as u64,
        report["already_anchored_total"].as_u64().unwrap(),
        "every leaf has its opening, once"
    );
    assert_consistent(home);
}

/// A small deterministic generator for the kill delays.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

#[test]
fn kill_9_at_random_moments_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    setup_kill_home(home);
    kill_loop(home, "local registry", kills());
}

/// The same against a registry service: the killed client may have sent a write the service
/// acted on without reading the answer.
#[test]
fn kill_9_against_a_registry_service_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (operator, home) = (dir.path().join("operator"), dir.path().join("home"));
    zkh(&operator, &["setup", "--depth", &KILL_DEPTH.to_string()]).expect_code(0);
    let registry = Service::start(&operator, &["registry", "serve"]);
    zkh(&home, &["--registry", &registry.url, "join"]).expect_code(0);
    for (name, role) in [
        ("alice", "patient"),
        ("bob", "clinician"),
        ("clinic", "verifier"),
    ] {
        zkh(&home, &["identity", "new", name, "--role", role]).expect_code(0);
    }
    kill_loop(&home, "registry service", kills());
    zkh(&operator, &["registry", "audit"]).expect_code(0);
    registry.stop();
}

fn kills() -> u64 {
    std::env::var("ZKCONSENT_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_KILLS)
}

/// The bundle's Patient and its `k`-th Observation or Condition (cycling), in a file in
/// `home`: one new record leaf per anchoring.
fn one_resource_bundle(home: &Path, k: u64) -> std::path::PathBuf {
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(bundle()).expect("bundle")).expect("JSON");
    let entries = bundle["entry"].as_array().expect("entries");
    let of_type = |t: &'static str| {
        entries
            .iter()
            .filter(move |e| e["resource"]["resourceType"] == t)
            .cloned()
    };
    let patient = of_type("Patient").next().expect("a Patient");
    let records: Vec<Value> = of_type("Observation").chain(of_type("Condition")).collect();
    let record = records[k as usize % records.len()].clone();
    let one = serde_json::json!({
        "resourceType": "Bundle", "type": "collection", "entry": [patient, record],
    });
    let path = home.join(format!("one-resource-{k}.json"));
    std::fs::write(&path, serde_json::to_vec(&one).expect("JSON")).expect("write bundle");
    path
}

/// Sets up a home at [`KILL_DEPTH`] with alice, bob and clinic.
fn setup_kill_home(home: &Path) {
    let depth = KILL_DEPTH.to_string();
    zkh(home, &["setup", "--depth", &depth]).expect_code(0);
    for (name, role) in [
        ("alice", "patient"),
        ("bob", "clinician"),
        ("clinic", "verifier"),
    ] {
        zkh(home, &["identity", "new", name, "--role", role]).expect_code(0);
    }
}

/// A fresh request from clinic for alice's conditions and bob's proof under an active
/// grant, as `verify --consume` arguments (`None` with no such grant).
fn consume_args(home: &Path) -> Option<Vec<String>> {
    let grant = grants(home)
        .iter()
        .filter(|g| g["status"] == "active")
        .find_map(|g| g["index"].as_u64())?;
    let (request, _) = common::new_access_request(home, "conditions");
    let proof = request.with_extension("proof.json");
    let proved = common::prove(
        home,
        grant,
        &request,
        &["--out", proof.to_str().expect("utf-8 path")],
    );
    if proved.code != Some(0) {
        return None;
    }
    Some(
        [
            "verify",
            proof.to_str().expect("utf-8 path"),
            "--request",
            request.to_str().expect("utf-8 path"),
            "--consume",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    )
}

/// Runs `kills` identity, issue, revoke, anchoring and consume commands in `home`, each killed (SIGKILL) at a
/// random moment, and checks the home after each.
fn kill_loop(home: &Path, label: &str, kills: u64) {
    // How long one issue takes here bounds the delays, so kills land inside it.
    let started = Instant::now();
    issue(home, "alice").expect_code(0);
    let span = started.elapsed().as_millis().max(20) as u64;

    let mut rng = Lcg(KILL_SEED);
    let (mut mid_run, mut finished) = (0u64, 0u64);
    // Killed mid-run, by command kind (identity, issue, revoke, anchor, consume).
    let mut by_kind = [0u64; KILLED_COMMANDS as usize];
    // A kind with nothing to do (no active grant) is skipped: count runs, not turns.
    for n in 0..kills * 3 {
        if mid_run + finished == kills {
            break;
        }
        let name = format!("p{n}");
        let strings = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let args: Vec<String> = match n % KILLED_COMMANDS {
            0 => strings(&["identity", "new", &name, "--role", "patient"]),
            1 => strings(&[
                "grant",
                "issue",
                "--patient",
                "alice",
                "--grantee",
                "bob",
                "--scope",
                "conditions",
                "--days",
                "30",
            ]),
            2 => {
                let active: Vec<u64> = grants(home)
                    .iter()
                    .filter(|g| g["status"] == "active")
                    .filter_map(|g| g["index"].as_u64())
                    .collect();
                match active.first() {
                    Some(i) => vec!["grant".into(), "revoke".into(), i.to_string()],
                    None => continue,
                }
            }
            // A new resource each time, so every run has a leaf to anchor.
            3 => {
                let one = one_resource_bundle(home, n / KILLED_COMMANDS);
                strings(&[
                    "record",
                    "anchor",
                    one.to_str().expect("utf-8"),
                    "--patient",
                    "alice",
                ])
            }
            _ => match consume_args(home) {
                Some(args) => args,
                None => continue,
            },
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkconsent"))
            .env("ZKCONSENT_PASSPHRASE", common::TEST_PASSPHRASE)
            .arg("--home")
            .arg(home)
            .args(&args)
            .env_remove("ZKCONSENT_HOME")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn zkconsent");
        std::thread::sleep(Duration::from_millis(rng.below(span)));
        if child.try_wait().expect("poll").is_none() {
            mid_run += 1;
            by_kind[(n % KILLED_COMMANDS) as usize] += 1;
        } else {
            finished += 1;
        }
        let _ = child.kill(); // SIGKILL on unix
        let _ = child.wait();
        assert_consistent(home);
    }
    eprintln!(
        "kill -9 ({label}): {} runs, {mid_run} killed mid-run (identity {}, issue {}, revoke \
         {}, anchor {}, consume {}), {finished} finished first; 0 grants without openings, \
         audit passed after each",
        mid_run + finished,
        by_kind[0],
        by_kind[1],
        by_kind[2],
        by_kind[3],
        by_kind[4]
    );
}
