//! Every party on its own home with the chain as the registry, through the binary: anvil
//! (from `interop/`'s lockfile) started here, `chain deploy` from the clinic's home, the
//! patient's and the clinician's homes `join --registry evm+RPC#ADDRESS` with the clinic's
//! params (checked against the verifiers the chain calls), identities known from cards,
//! a grant issued and revoked by transactions carrying alice's authority proofs, bob
//! proving against the chain's root from his replica and the clinic verifying against its
//! own, a reorg followed by every replica, and `demo --chain`.

mod common;

use common::{
    new_access_request, prove, sol::repo_root, verify_answer, zkh, BASE, NOT_AFTER,
    NOT_BEFORE,
};
use std::path::{Path, PathBuf};
use zkconsent_chain::{anvil_path, key_hex, AnvilNode, Chain};

fn solcjs() -> String {
    repo_root()
        .join("interop/node_modules/.bin/solcjs")
        .to_str()
        .expect("utf-8 path")
        .to_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn start_node() -> AnvilNode {
    let binary = anvil_path(repo_root());
    assert!(
        binary.is_file(),
        "{} is missing: run `(cd interop && npm ci)` first; the chain tests must not be skipped",
        binary.display()
    );
    AnvilNode::start(&binary, BASE - 1_000).expect("anvil starts")
}

/// Dev account `index`'s key in a file under `dir`.
fn key_file(node: &AnvilNode, dir: &Path, index: usize) -> PathBuf {
    let file = dir.join(format!("account-{index}.key"));
    std::fs::write(&file, key_hex(&node.dev_key(index).expect("dev key"))).expect("key file");
    file
}

/// `identity export NAME` from `home` into `dir`; the card's path.
fn export_card(home: &Path, name: &str, dir: &Path) -> PathBuf {
    let card = dir.join(format!("{name}.card.json"));
    zkh(home, &["identity", "export", name, "--out", path(&card)]).expect_code(0);
    card
}

fn import_card(home: &Path, card: &Path) {
    let run = zkh(home, &["--json", "identity", "import", path(card)]);
    run.expect_code(0);
    assert_eq!(run.json()["status"], "imported", "{}", run.stdout);
}

fn grants_root(home: &Path) -> String {
    let run = zkh(home, &["--json", "sync"]);
    run.expect_code(0);
    run.json()["grants_root"]
        .as_str()
        .expect("grants root")
        .to_owned()
}

#[test]
fn parties_on_their_own_homes_share_a_chain_registry() {
    let node = start_node();
    let rpc = node.endpoint();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let [clinic, alice, bob, stranger] = ["clinic", "alice", "bob", "stranger"].map(|n| d.join(n));
    let solc = solcjs();

    // The clinic deploys from its own setup: verifiers and registry, gas per creation.
    zkh(&clinic, &["setup", "--depth", "4"]).expect_code(0);
    let run = zkh(
        &clinic,
        &[
            "--json",
            "chain",
            "deploy",
            "--rpc",
            &rpc,
            "--key-file",
            path(&key_file(&node, d, 0)),
            "--solc",
            &solc,
        ],
    );
    run.expect_code(0);
    let deployed = run.json();
    let location = deployed["location"].as_str().expect("location").to_owned();
    assert!(location.starts_with("evm+http://"), "{location}");
    let gas = deployed["gas"].as_array().expect("gas");
    assert_eq!(gas.len(), 7, "five verifiers, the registry, setCustodian");
    for g in gas {
        assert!(g["gas"].as_u64().expect("gas") > 21_000, "{g}");
    }
    // A second deploy from the same home is refused: it already replicates a registry.
    zkh(
        &clinic,
        &[
            "chain",
            "deploy",
            "--rpc",
            &rpc,
            "--key-file",
            path(&key_file(&node, d, 0)),
            "--solc",
            &solc,
        ],
    )
    .expect_code(2);

    // Joining: params checked against the chain's verifiers; alice sends, bob only reads.
    let params = clinic.join("params");
    let join = |home: &Path, extra: &[&str]| {
        let mut args = vec![
            "--registry",
            &location,
            "join",
            "--params",
            path(&params),
            "--solc",
            &solc,
        ];
        args.extend_from_slice(extra);
        zkh(home, &args)
    };
    join(&alice, &["--chain-key-file", path(&key_file(&node, d, 1))]).expect_code(0);
    join(&bob, &[]).expect_code(0);
    // Params from another setup are not the chain's: refused, and nothing is left behind.
    let other = d.join("other");
    zkh(&other, &["setup", "--depth", "4"]).expect_code(0);
    let run = zkh(
        &stranger,
        &[
            "--registry",
            &location,
            "join",
            "--params",
            path(&other.join("params")),
            "--solc",
            &solc,
        ],
    );
    run.expect_code(2);
    assert!(
        run.one_line_error().contains("not the one these params"),
        "{}",
        run.stderr
    );
    assert!(!stranger.join("registry.db").exists());
    // A service's options make no sense for a chain, and a bad location is malformed.
    join(&d.join("x"), &["--token-file", path(&params)]).expect_code(2);
    zkh(
        &d.join("y"),
        &["--registry", "evm+http://127.0.0.1:1#0x12", "join"],
    )
    .expect_code(2);

    // Identities: each home its own; the others' from cards (a chain keeps no names).
    zkh(&alice, &["identity", "new", "alice", "--role", "patient"]).expect_code(0);
    zkh(&bob, &["identity", "new", "bob", "--role", "clinician"]).expect_code(0);
    zkh(&clinic, &["identity", "new", "clinic", "--role", "verifier"]).expect_code(0);
    let cards = d.join("cards");
    std::fs::create_dir_all(&cards).expect("mkdir");
    let alice_card = export_card(&alice, "alice", &cards);
    let bob_card = export_card(&bob, "bob", &cards);
    let clinic_card = export_card(&clinic, "clinic", &cards);
    import_card(&alice, &bob_card);
    for home in [&bob, &clinic] {
        import_card(home, &alice_card);
    }
    import_card(&bob, &clinic_card);

    // alice issues to bob's card: a transaction with her authority proof.
    let credential = d.join("grant.cred");
    let (nb, na) = (NOT_BEFORE.to_string(), NOT_AFTER.to_string());
    let run = zkh(
        &alice,
        &[
            "--json",
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee-card",
            path(&bob_card),
            "--scope",
            "conditions,observations",
            "--purpose",
            "treatment",
            "--not-before",
            &nb,
            "--not-after",
            &na,
            "--out",
            path(&credential),
        ],
    );
    run.expect_code(0);
    let index = run.json()["index"].as_u64().expect("index");
    assert_eq!(index, 0);
    // Every replica rebuilt from the chain's events has the chain's root.
    let reader = Chain::connect(&rpc, zkconsent_chain::random_key()).expect("client");
    let address = location.rsplit_once('#').expect("address").1.parse().expect("address");
    let chain_root = reader.grants_root(address).expect("root").to_string();
    for home in [&alice, &bob, &clinic] {
        assert_eq!(grants_root(home), chain_root, "{}", home.display());
    }
    // bob's home has no chain key: a patient there cannot send a grant change.
    zkh(&bob, &["identity", "new", "carol", "--role", "patient"]).expect_code(0);
    let run = zkh(
        &bob,
        &[
            "grant", "issue", "--patient", "carol", "--grantee", "bob", "--scope", "all",
        ],
    );
    run.expect_code(1);
    assert!(run.one_line_error().contains("chain.key"), "{}", run.stderr);

    // bob accepts in his home, proves from his replica; the clinic verifies against its own.
    zkh(&bob, &["grant", "accept", path(&credential)]).expect_code(0);
    let (request, _) = new_access_request(&clinic, "observations");
    let proof = d.join("access.json");
    let base = BASE.to_string();
    prove(&bob, index, &request, &["--now", &base, "--out", path(&proof)]).expect_code(0);
    verify_answer(&clinic, &proof, &request).expect_code(0);

    // A reorg removes alice's revocation: every replica follows the chain back.
    let admin = Chain::connect(&rpc, node.dev_key(0).expect("key")).expect("client");
    let snapshot = admin.snapshot().expect("snapshot");
    zkh(&alice, &["grant", "revoke", &index.to_string()]).expect_code(0);
    let revoked_root = grants_root(&clinic);
    assert_ne!(revoked_root, chain_root);
    let (request, _) = new_access_request(&clinic, "observations");
    prove(&bob, index, &request, &["--now", &base]).expect_code(1);
    admin.revert(snapshot).expect("revert");
    admin.mine().expect("mine");
    admin.mine().expect("mine");
    for home in [&alice, &bob, &clinic] {
        assert_eq!(grants_root(home), chain_root, "{} after the reorg", home.display());
    }
    let proof = d.join("access-after-reorg.json");
    prove(&bob, index, &request, &["--now", &base, "--out", path(&proof)]).expect_code(0);
    verify_answer(&clinic, &proof, &request).expect_code(0);

    // The replica's log replays: every authority proof and root checked again.
    let run = zkh(&clinic, &["registry", "audit"]);
    run.expect_code(0);
}

#[test]
fn demo_on_chain_prints_every_transactions_gas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo");
    // From the repository's root, as the README runs it: anvil and solcjs from interop/.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zkconsent"))
        .args(["--json", "demo", "--chain", "--dir", path(&demo), "--depth", "4"])
        .current_dir(repo_root())
        .env_remove("ZKCONSENT_ANVIL")
        .env_remove("ZKCONSENT_SOLC")
        .output()
        .expect("run zkconsent");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(v["chain"], true);
    let transactions: Vec<String> = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|s| s["transactions"].as_array().cloned().unwrap_or_default())
        .map(|t| t.as_str().expect("text").to_owned())
        .collect();
    for kind in ["deploy ZkconsentRegistry", "issueGrant", "revokeGrant"] {
        assert!(
            transactions.iter().any(|t| t.starts_with(kind) && t.ends_with(" gas")),
            "{kind}: {transactions:?}"
        );
    }
    let forged = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["title"].as_str().is_some_and(|t| t.contains("mints a grant")))
        .expect("the forged grant step");
    assert_eq!(forged["outcome"], "rejected");
    assert!(
        forged["detail"].as_str().expect("detail").contains("InvalidProof"),
        "{forged}"
    );
    assert!(demo.join("chain.json").is_file());
}
