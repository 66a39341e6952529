//! Shared helpers for the CLI integration tests: running the binary, a shared set-up home,
//! and proof-file surgery.
#![allow(dead_code)]

pub mod fhir;
pub mod services;
pub mod sol;

use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// A fixed base time (2025-06-15T14:13:20Z): grants are valid around it and proofs are made
/// and verified at it, so nothing depends on the real clock.
pub const BASE: u64 = 1_750_000_000;
/// Grants in the fixtures are valid from an hour before [`BASE`]…
pub const NOT_BEFORE: u64 = BASE - 3_600;
/// …to a day after it (exclusive).
pub const NOT_AFTER: u64 = BASE + 86_400;

/// The BN254 scalar field modulus r.
pub const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
/// r + 1.
pub const R_PLUS_1: &str =
    "21888242871839275222246405745257275088548364400416034343698204186575808495618";
/// r - 1 (the largest valid scalar).
pub const R_MINUS_1: &str =
    "21888242871839275222246405745257275088548364400416034343698204186575808495616";
/// 2^256.
pub const TWO_256: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639936";
/// The BN254 base field modulus p.
pub const P: &str = "21888242871839275222246405745257275088696311157297823662689037894645226208583";

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The arguments, for messages.
    pub args: Vec<String>,
}

impl Run {
    /// Asserts the exit code, showing everything on failure.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "zkconsent {:?}: expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.stdout,
            self.stderr
        );
        self.no_panic();
        self
    }

    /// Asserts nothing panicked.
    #[track_caller]
    pub fn no_panic(&self) -> &Self {
        assert!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "zkconsent {:?} panicked:\n{}",
            self.args,
            self.stderr
        );
        assert_ne!(self.code, Some(101), "exit 101 (panic) for {:?}", self.args);
        self
    }

    /// Asserts stderr is exactly one line starting with `zkconsent:` and returns it.
    #[track_caller]
    pub fn one_line_error(&self) -> &str {
        let text = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr);
        assert!(
            text.starts_with("zkconsent:") && !text.contains('\n'),
            "zkconsent {:?}: expected one `zkconsent:` line on stderr, got:\n{}",
            self.args,
            self.stderr
        );
        text
    }

    /// Parses stdout as one JSON value.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "zkconsent {:?}: stdout is not JSON ({e}):\n{}",
                self.args, self.stdout
            )
        })
    }
}

/// The passphrase every test home's wallet is sealed under (the binary reads it from
/// `ZKCONSENT_PASSPHRASE`, as a script would).
pub const TEST_PASSPHRASE: &str = "zkconsent test passphrase";

/// Opens a home the binary made, in this process: the test passphrase is this process's
/// source, as the CLI's environment variable is the binary's.
pub fn open_home(home: &Path) -> zkconsent::home::Home {
    zkconsent::passphrase::install_passphrase_source(Box::new(|_| {
        Ok(Some(
            zkconsent::wallet::Passphrase::new(TEST_PASSPHRASE.to_owned()).expect("passphrase"),
        ))
    }));
    zkconsent::home::Home::open(home).expect("open home")
}

/// Runs `zkconsent [--home HOME] ARGS…`.
pub fn zk(home: Option<&Path>, args: &[&str]) -> Run {
    zk_env(home, args, &[])
}

/// As [`zk`], with environment variables set (`Some`) or removed (`None`) after the
/// defaults (the test passphrase, no `ZKCONSENT_HOME`).
pub fn zk_env(home: Option<&Path>, args: &[&str], vars: &[(&str, Option<&str>)]) -> Run {
    let mut all: Vec<String> = Vec::new();
    if let Some(home) = home {
        all.push("--home".into());
        all.push(home.display().to_string());
    }
    all.extend(args.iter().map(|s| s.to_string()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_zkconsent"));
    command
        .env("ZKCONSENT_PASSPHRASE", TEST_PASSPHRASE)
        .env_remove("ZKCONSENT_PASSPHRASE_FILE")
        .env_remove("ZKCONSENT_NEW_PASSPHRASE")
        .args(&all)
        .env_remove("ZKCONSENT_HOME");
    for (name, value) in vars {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().expect("run zkconsent");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        args: all,
    }
}

/// Runs with `--home HOME`.
pub fn zkh(home: &Path, args: &[&str]) -> Run {
    zk(Some(home), args)
}

/// A set-up home (depth 4) with patient alice, clinician bob, verifier clinic, grant 0
/// (alice → bob, conditions+observations, treatment, `[NOT_BEFORE, NOT_AFTER)`), clinic's
/// request (alice's observations, treatment) and an access proof for it made at [`BASE`].
pub struct Fixture {
    _dir: tempfile::TempDir,
    /// The home directory.
    pub home: PathBuf,
    /// The valid proof file.
    pub proof_path: PathBuf,
    /// Its bytes.
    pub proof_bytes: Vec<u8>,
    /// The request file the proof answers.
    pub request: PathBuf,
    /// Its request hash.
    pub request_hash: String,
}

impl Fixture {
    /// The valid proof as a JSON value.
    pub fn proof_json(&self) -> Value {
        serde_json::from_slice(&self.proof_bytes).expect("fixture proof is JSON")
    }

    /// A scratch file path in a fresh directory, returned with its guard.
    pub fn write_temp(&self, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("proof.json");
        std::fs::write(&path, bytes).expect("write proof");
        (dir, path)
    }

    /// `verify FILE --request R --now BASE` on `bytes`.
    pub fn verify_bytes(&self, bytes: &[u8]) -> Run {
        let (_guard, path) = self.write_temp(bytes);
        self.verify_path(&path)
    }

    /// As [`Fixture::verify_bytes`] on a JSON value.
    pub fn verify_json(&self, value: &Value) -> Run {
        self.verify_bytes(
            serde_json::to_string_pretty(value)
                .expect("serialise")
                .as_bytes(),
        )
    }

    /// `verify PATH --request R --now BASE`.
    pub fn verify_path(&self, path: &Path) -> Run {
        verify_answer(&self.home, path, &self.request)
    }
}

/// `verify PATH --request REQUEST --now BASE`: does the proof answer that request?
pub fn verify_answer(home: &Path, path: &Path, request: &Path) -> Run {
    let base = BASE.to_string();
    zkh(
        home,
        &[
            "verify",
            path.to_str().expect("utf-8 path"),
            "--request",
            request.to_str().expect("utf-8 path"),
            "--now",
            &base,
        ],
    )
}

/// Sets up a home at depth 4 with the three identities.
pub fn setup_home(home: &Path) {
    zkh(home, &["setup", "--depth", "4"]).expect_code(0);
    for (name, role) in [
        ("alice", "patient"),
        ("bob", "clinician"),
        ("clinic", "verifier"),
    ] {
        zkh(home, &["identity", "new", name, "--role", role]).expect_code(0);
    }
}

/// `grant issue` alice → bob with `scope` and further arguments (window, purpose, `--json`).
pub fn grant_issue(home: &Path, scope: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "grant",
        "issue",
        "--patient",
        "alice",
        "--grantee",
        "bob",
        "--scope",
        scope,
    ];
    args.extend_from_slice(extra);
    zkh(home, &args)
}

/// Issues alice → bob with `scope` for treatment, valid `[NOT_BEFORE, NOT_AFTER)`; returns
/// the leaf index.
pub fn issue_grant(home: &Path, scope: &str) -> u64 {
    let (nb, na) = (NOT_BEFORE.to_string(), NOT_AFTER.to_string());
    let window = [
        "--purpose",
        "treatment",
        "--not-before",
        &nb,
        "--not-after",
        &na,
    ];
    let run = grant_issue(home, scope, &[&window[..], &["--json"]].concat());
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["ok"], true, "{v}");
    v["index"].as_u64().expect("grant index")
}

/// `request new` from `verifier` with `args` (the statement and its terms), written to a
/// fresh file in `home`: (request path, request hash).
pub fn new_request_with(home: &Path, verifier: &str, args: &[&str]) -> (PathBuf, String) {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = home.join(format!("request-{}-{n}.json", std::process::id()));
    let mut all = vec![
        "--json",
        "request",
        "new",
        "--verifier",
        verifier,
        "--out",
        path.to_str().expect("utf-8 path"),
    ];
    all.extend_from_slice(args);
    let run = zkh(home, &all);
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["ok"], true, "{v}");
    (
        path,
        v["request_hash"]
            .as_str()
            .expect("request_hash")
            .to_string(),
    )
}

/// clinic's Access request for alice's records in `scope`, for treatment.
pub fn new_access_request(home: &Path, scope: &str) -> (PathBuf, String) {
    new_request_with(
        home,
        "clinic",
        &[
            "--statement",
            "access",
            "--patient",
            "alice",
            "--scope",
            scope,
        ],
    )
}

/// clinic's Access request for alice's observations, for treatment.
pub fn new_request(home: &Path) -> (PathBuf, String) {
    new_access_request(home, "observations")
}

/// `prove access` for bob under `grant`, answering `request`, with extra arguments.
pub fn prove(home: &Path, grant: u64, request: &Path, extra: &[&str]) -> Run {
    let grant = grant.to_string();
    let mut args = vec![
        "prove",
        "access",
        "--grant",
        &grant,
        "--request",
        request.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    zkh(home, &args)
}

/// The shared fixture, built once per test binary.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        setup_home(&home);
        let index = issue_grant(&home, "conditions,observations");
        assert_eq!(index, 0);
        let (request, request_hash) = new_request(&home);
        let proof_path = dir.path().join("access.json");
        let base = BASE.to_string();
        prove(
            &home,
            index,
            &request,
            &["--now", &base, "--out", proof_path.to_str().expect("utf-8")],
        )
        .expect_code(0);
        let proof_bytes = std::fs::read(&proof_path).expect("read proof");
        Fixture {
            _dir: dir,
            home,
            proof_path,
            proof_bytes,
            request,
            request_hash,
        }
    })
}

/// Adds `delta` to a decimal string (small numbers only are needed; done in decimal).
pub fn decimal_add_one(s: &str) -> String {
    let mut digits: Vec<u8> = s.bytes().collect();
    let mut i = digits.len();
    loop {
        if i == 0 {
            digits.insert(0, b'1');
            break;
        }
        i -= 1;
        if digits[i] == b'9' {
            digits[i] = b'0';
        } else {
            digits[i] += 1;
            break;
        }
    }
    String::from_utf8(digits).expect("ascii")
}

/// A tiny deterministic xorshift64* generator (no extra crates).
pub struct XorShift(u64);

impl XorShift {
    /// Seeded (a zero seed is replaced).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Exports a proof file with `export snarkjs` and runs the pinned `snarkjs groth16 verify` on
/// the three files: whether snarkjs printed OK.
pub fn snarkjs_accepts(home: &Path, proof: &Path) -> bool {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let snarkjs = root.join("interop/node_modules/.bin/snarkjs");
    assert!(
        snarkjs.exists(),
        "{} is missing: run `(cd interop && npm ci)` first",
        snarkjs.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().display().to_string();
    zkh(
        home,
        &[
            "export",
            "snarkjs",
            proof.to_str().expect("utf-8"),
            "--out",
            &out,
        ],
    )
    .expect_code(0);
    let output = Command::new(snarkjs)
        .args([
            "groth16",
            "verify",
            "verification_key.json",
            "public.json",
            "proof.json",
        ])
        .current_dir(dir.path())
        .output()
        .expect("run snarkjs (is node installed?)");
    output.status.success() && String::from_utf8_lossy(&output.stdout).contains("OK!")
}

/// For a valid `proof` answering `request` in `home` at time `now`: a copy differing in any
/// one public input alone is rejected by `verify --request --consume` (exit 1), and none of
/// those attempts spends anything, so the honest proof is then accepted and consumed. Every
/// public input of the statement is tried, by name, from the proof file itself.
pub fn assert_every_input_pinned(home: &Path, proof: &Path, request: &Path, now: u64) {
    let original: Value =
        serde_json::from_slice(&std::fs::read(proof).expect("read proof")).expect("proof JSON");
    let names: Vec<String> = original["public_inputs"]
        .as_object()
        .expect("public_inputs")
        .keys()
        .cloned()
        .collect();
    assert!(!names.is_empty());
    let now = now.to_string();
    let consume = |path: &Path| {
        zkh(
            home,
            &[
                "verify",
                path.to_str().expect("utf-8"),
                "--request",
                request.to_str().expect("utf-8"),
                "--now",
                &now,
                "--consume",
            ],
        )
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for name in &names {
        let mut tampered = original.clone();
        let value = tampered["public_inputs"][name]
            .as_str()
            .expect("decimal input")
            .to_string();
        tampered["public_inputs"][name] = Value::String(decimal_add_one(&value));
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_vec(&tampered).expect("JSON")).expect("write");
        let run = consume(&path);
        assert_eq!(
            run.code,
            Some(1),
            "input {name} changed alone was not rejected: {run:?}"
        );
    }
    // Nothing was consumed by the rejected attempts: the honest proof answers once.
    consume(proof).expect_code(0);
    assert!(consume(proof).expect_code(1).stderr.contains("replay"));
}
