//! Secrets at rest and damage at open: a sealed wallet shows no secret in any encoding,
//! stays owner-only, opens only with its passphrase; a damaged wallet, registry or key file
//! is refused with exit 2 before anything is written; a wallet secret that no longer gives
//! the registry's id is never used.

mod common;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use common::{issue_grant, open_home, setup_home, zk_env, zkh, TEST_PASSPHRASE};
use std::path::{Path, PathBuf};

/// Every encoding a field element could leak in: bytes both ways, hex both ways in both
/// cases, decimal.
fn encodings(x: &Fr) -> Vec<Vec<u8>> {
    let le = x.into_bigint().to_bytes_le();
    let be = x.into_bigint().to_bytes_be();
    let mut out = vec![le.clone(), be.clone()];
    for bytes in [&le, &be] {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        out.push(hex.to_uppercase().into_bytes());
        out.push(hex.into_bytes());
    }
    out.push(x.to_string().into_bytes());
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The home's own files: databases, lock, config (not params, proofs or requests).
fn home_files(home: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(home)
        .expect("read home")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect()
}

fn run_env(home: &Path, args: &[&str], vars: &[(&str, Option<&str>)]) -> common::Run {
    zk_env(Some(home), args, vars)
}

#[test]
fn no_secret_is_readable_at_rest_and_only_the_passphrase_opens_the_wallet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    issue_grant(&home, "observations");
    let (secrets, salt) = {
        let opened = open_home(&home);
        let secrets: Vec<Fr> = ["alice", "bob", "clinic"]
            .iter()
            .map(|name| opened.wallet().unwrap().secret(name).expect("secret").0)
            .collect();
        let salt = opened
            .wallet()
            .unwrap()
            .grant(0)
            .expect("grant")
            .grant
            .salt
            .0;
        (secrets, salt)
    };
    let mut everything = Vec::new();
    for file in home_files(&home) {
        everything.extend(std::fs::read(&file).expect("read"));
    }
    for (what, x) in secrets
        .iter()
        .map(|s| ("an identity secret", s))
        .chain([("the grant's salt", &salt)])
    {
        for encoding in encodings(x) {
            assert!(!contains(&everything, &encoding), "{what} readable at rest");
        }
    }
    let wallet = std::fs::read(home.join("wallet.db")).expect("wallet");
    assert!(!contains(&wallet, b"SQLite format 3"));
    assert!(!contains(&wallet, b"alice"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let wallet = home.join("wallet.db");
        assert_eq!(
            std::fs::metadata(&wallet)
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        // A copy made readable by others is narrowed at the next open.
        std::fs::set_permissions(&wallet, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        zkh(&home, &["identity", "list"]).expect_code(0);
        assert_eq!(
            std::fs::metadata(&wallet)
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }

    // No passphrase, a wrong one: exit 2, saying how to give one.
    let locked = run_env(
        &home,
        &["identity", "list"],
        &[("ZKCONSENT_PASSPHRASE", None)],
    );
    locked.expect_code(2);
    assert!(
        locked.stderr.contains("ZKCONSENT_PASSPHRASE"),
        "{}",
        locked.stderr
    );
    let wrong = run_env(
        &home,
        &["identity", "list"],
        &[("ZKCONSENT_PASSPHRASE", Some("not the passphrase"))],
    );
    wrong.expect_code(2);
    assert!(
        wrong.stderr.contains("wrong passphrase"),
        "{}",
        wrong.stderr
    );

    // From a file (first line), as a service would.
    let file = dir.path().join("passphrase");
    std::fs::write(&file, format!("{TEST_PASSPHRASE}\nignored\n")).expect("write");
    run_env(
        &home,
        &["identity", "list"],
        &[
            ("ZKCONSENT_PASSPHRASE", None),
            (
                "ZKCONSENT_PASSPHRASE_FILE",
                Some(file.to_str().expect("utf-8")),
            ),
        ],
    )
    .expect_code(0);

    // A new passphrase: the old one no longer opens it.
    run_env(
        &home,
        &["wallet", "passphrase"],
        &[("ZKCONSENT_NEW_PASSPHRASE", Some("a brand new passphrase"))],
    )
    .expect_code(0);
    zkh(&home, &["identity", "list"]).expect_code(2);
    let listed = run_env(
        &home,
        &["identity", "list"],
        &[("ZKCONSENT_PASSPHRASE", Some("a brand new passphrase"))],
    );
    listed.expect_code(0);
    assert!(listed.stdout.contains("alice"), "{}", listed.stdout);
    // Sealing a sealed wallet, a too short new passphrase: exit 2.
    run_env(
        &home,
        &["wallet", "seal"],
        &[
            ("ZKCONSENT_PASSPHRASE", Some("a brand new passphrase")),
            ("ZKCONSENT_NEW_PASSPHRASE", Some("another passphrase")),
        ],
    )
    .expect_code(2);
    run_env(
        &home,
        &["wallet", "passphrase"],
        &[
            ("ZKCONSENT_PASSPHRASE", Some("a brand new passphrase")),
            ("ZKCONSENT_NEW_PASSPHRASE", Some("short")),
        ],
    )
    .expect_code(2);
}

#[test]
fn a_plain_wallet_is_sealed_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    zkh(&home, &["setup", "--depth", "4"]).expect_code(0);
    // A wallet from before sealing: plain SQLite.
    for name in ["wallet.db", "wallet.db.lock"] {
        std::fs::remove_file(home.join(name)).expect("remove");
    }
    drop(zkconsent::wallet::Wallet::create(home.join("wallet.db"), None).expect("plain"));
    let added = zkh(&home, &["identity", "new", "alice", "--role", "patient"]);
    added.expect_code(0);
    assert!(added.stderr.contains("not encrypted"), "{}", added.stderr);
    assert!(contains(
        &std::fs::read(home.join("wallet.db")).expect("wallet"),
        b"SQLite format 3"
    ));
    run_env(
        &home,
        &["wallet", "seal"],
        &[("ZKCONSENT_NEW_PASSPHRASE", Some("the sealing passphrase"))],
    )
    .expect_code(0);
    assert!(!home.join("wallet.db-wal").exists());
    let listed = run_env(
        &home,
        &["identity", "list"],
        &[("ZKCONSENT_PASSPHRASE", Some("the sealing passphrase"))],
    );
    listed.expect_code(0);
    assert!(listed.stdout.contains("alice"), "{}", listed.stdout);
    assert!(
        !listed.stderr.contains("not encrypted"),
        "{}",
        listed.stderr
    );
}

/// `args` fails with exit 2 naming `what`, and `registry.db` is byte for byte unchanged.
fn refused_before_writing(home: &Path, args: &[&str], what: &str) {
    let before = std::fs::read(home.join("registry.db")).expect("registry");
    let run = zkh(home, args);
    run.expect_code(2);
    assert!(run.stderr.contains(what), "{}", run.stderr);
    assert_eq!(
        std::fs::read(home.join("registry.db")).expect("registry"),
        before,
        "written on top of a damaged home"
    );
}

const ISSUE: &[&str] = &[
    "grant",
    "issue",
    "--patient",
    "alice",
    "--grantee",
    "bob",
    "--scope",
    "observations",
];

#[test]
fn a_damaged_wallet_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    let path = home.join("wallet.db");
    let good = std::fs::read(&path).expect("wallet");
    for at in [9, 30, 50, good.len() / 2, good.len() - 1] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        std::fs::write(&path, &bad).expect("write");
        refused_before_writing(&home, ISSUE, "damaged");
    }
    std::fs::write(&path, &good[..good.len() / 2]).expect("truncate");
    refused_before_writing(&home, ISSUE, "damaged");
    std::fs::write(&path, &good).expect("restore");
    zkh(&home, ISSUE).expect_code(0);
}

#[test]
fn a_damaged_registry_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    issue_grant(&home, "observations");
    issue_grant(&home, "conditions");
    let registry = home.join("registry.db");
    let good = std::fs::read(&registry).expect("registry");

    // A node of the newest leaf's path altered: the stored root no longer follows.
    {
        let conn = rusqlite::Connection::open(&registry).expect("open");
        let changed = conn
            .execute(
                "UPDATE tree_nodes SET hash = (SELECT hash FROM tree_nodes WHERE level = 0 AND idx = 0)
                 WHERE level = 1 AND idx = 0",
                [],
            )
            .expect("update");
        assert_eq!(changed, 1);
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
    }
    refused_before_writing(&home, ISSUE, "damaged");
    refused_before_writing(&home, &["grant", "list"], "damaged");

    // The newest root in the history differs from the tree's.
    std::fs::write(&registry, &good).expect("restore");
    {
        let conn = rusqlite::Connection::open(&registry).expect("open");
        conn.execute(
            "UPDATE roots SET root = (SELECT root FROM roots WHERE seq = 1)
             WHERE seq = (SELECT MAX(seq) FROM roots)",
            [],
        )
        .expect("update");
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
    }
    refused_before_writing(&home, ISSUE, "damaged");

    // Pages overwritten: SQLite's structure check fails.
    let page = 4096;
    for first in [page, 3 * page] {
        let mut bad = good.clone();
        if bad.len() >= first + page {
            bad[first..first + page].fill(0xA5);
            std::fs::write(&registry, &bad).expect("write");
            let run = zkh(&home, ISSUE);
            run.expect_code(2);
            assert!(
                run.stderr.contains("damaged") || run.stderr.contains("malformed"),
                "{}",
                run.stderr
            );
        }
    }
    std::fs::write(&registry, &good).expect("restore");
    zkh(&home, &["registry", "audit"]).expect_code(0);
}

#[test]
fn a_wallet_secret_that_no_longer_gives_the_registered_id_is_never_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    {
        let conn = rusqlite::Connection::open(home.join("registry.db")).expect("open");
        conn.execute(
            "UPDATE identities SET id = (SELECT id FROM identities WHERE name = 'bob')
             WHERE name = 'alice'",
            [],
        )
        .expect("update");
    }
    let run = zkh(&home, ISSUE);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("does not give the id the registry holds"),
        "{}",
        run.stderr
    );
    // Nothing was issued.
    let listed = zkh(&home, &["--json", "grant", "list"]);
    listed.expect_code(0);
    assert_eq!(
        listed.json()["grants"],
        serde_json::json!([]),
        "{}",
        listed.stdout
    );
}

#[test]
fn a_damaged_key_file_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    let key = home.join("params/authority.pk");
    let mut bytes = std::fs::read(&key).expect("key");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&key, &bytes).expect("write");
    let run = zkh(&home, ISSUE);
    run.expect_code(2);
    assert!(run.stderr.contains("SHA-256"), "{}", run.stderr);
}

/// `verify` opens neither the wallet nor its passphrase: a sealed home checks a proof against
/// a request it issued from the issued-request index (request hashes and file digests, no
/// terms); another home's request is refused without the wallet.
/// A home from before the index answers from the wallet (so with the passphrase) and fills
/// the index on the way.
#[test]
fn verify_needs_no_passphrase_and_the_index_names_no_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    let grant = issue_grant(&home, "observations");
    let (request, hash) = common::new_request(&home);
    let proof = home.join("proof.json");
    let base = common::BASE.to_string();
    common::prove(
        &home,
        grant,
        &request,
        &["--now", &base, "--out", proof.to_str().expect("utf-8")],
    )
    .expect_code(0);
    let no_passphrase = [("ZKCONSENT_PASSPHRASE", None)];
    let verify = |request: &Path, vars: &[(&str, Option<&str>)]| {
        let args = [
            "verify",
            proof.to_str().expect("utf-8"),
            "--request",
            request.to_str().expect("utf-8"),
            "--now",
            &base,
        ];
        run_env(&home, &args, vars)
    };
    verify(&request, &no_passphrase).expect_code(0);

    // The index holds the request hash and a digest: no name, no term, no request body.
    let index = std::fs::read(home.join("requests.db")).expect("index");
    let body = std::fs::read(&request).expect("request");
    let parsed: serde_json::Value = serde_json::from_slice(&body).expect("json");
    for term in ["alice", "clinic", "observations"] {
        assert!(!contains(&index, term.as_bytes()), "index names {term}");
    }
    let patient = parsed["terms"]["patient"].as_str().expect("patient");
    assert!(!contains(&index, patient.as_bytes()));
    assert!(!contains(
        &index,
        parsed["salt"].as_str().expect("salt").as_bytes()
    ));

    // Another home's request is not one this home issued: known without the wallet.
    let other_home = dir.path().join("other");
    setup_home(&other_home);
    let (foreign, _) = common::new_request(&other_home);
    let refused = verify(&foreign, &no_passphrase);
    refused.expect_code(2);
    assert!(refused.stderr.contains("not issued"), "{}", refused.stderr);

    // A home from before the index: the wallet answers, with the passphrase only.
    std::fs::remove_file(home.join("requests.db")).expect("remove index");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(home.join(format!("requests.db{suffix}")));
    }
    let locked = verify(&request, &no_passphrase);
    locked.expect_code(2);
    assert!(
        locked.stderr.contains("ZKCONSENT_PASSPHRASE"),
        "{}",
        locked.stderr
    );
    verify(&request, &[]).expect_code(0);
    assert!(
        home.join("requests.db").exists(),
        "the wallet filled the index"
    );
    verify(&request, &no_passphrase).expect_code(0);
    verify(&foreign, &no_passphrase).expect_code(2);
    assert!(!hash.is_empty());
}
