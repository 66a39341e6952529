//! Every party on its own home with the chain as the registry, through the binary: anvil
//! (from `interop/`'s lockfile) started here, `chain deploy` from the clinic's home, the
//! patient's and the clinician's homes `join --registry evm+RPC#ADDRESS` with the clinic's
//! params (checked against the verifiers the chain calls), identities known from cards,
//! a grant issued and revoked by transactions carrying alice's authority proofs, bob
//! proving against the chain's root from his replica and the clinic verifying against its
//! own, a reorg followed by every replica, and `demo --chain`.

mod common;

use common::{
    new_access_request, prove, sol::repo_root, verify_answer, zkh, BASE, NOT_AFTER, NOT_BEFORE,
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

/// The transactions a command sent (stderr's `chain:` lines), each with its gas.
fn print_transactions(what: &str, run: &common::Run) {
    let sent: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("chain: "))
        .collect();
    assert!(
        !sent.is_empty(),
        "{what}: no transaction reported:\n{}",
        run.stderr
    );
    for line in sent {
        println!("gas: {what}: {line}");
    }
}

/// `chain verify --measure`'s figures, for the README's table.
fn print_gas(statement: &str, run: &common::Run) {
    let v = run.json();
    assert_eq!(v["function"], format!("verify{statement}"), "{v}");
    let execution = v["verify_proof_execution_gas"].as_u64().expect("measured");
    let floor = v["floor_gas"].as_u64().expect("floor");
    println!(
        "gas: verify{statement} {} (openRequest {}); verifyProof execution {execution}, \
         {} over the EIP-1108 floor {floor} ({} inputs)",
        v["gas"],
        v["open_request_gas"],
        execution.saturating_sub(floor),
        v["inputs"]
    );
    assert!(
        execution >= floor,
        "a verification cannot cost less than its precompiles"
    );
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
    // Params of another depth: the registry itself is not the one they give.
    let deeper = d.join("deeper");
    zkh(&deeper, &["setup", "--depth", "5"]).expect_code(0);
    let run = zkh(
        &d.join("stranger2"),
        &[
            "--registry",
            &location,
            "join",
            "--params",
            path(&deeper.join("params")),
            "--solc",
            &solc,
        ],
    );
    run.expect_code(2);
    assert!(
        run.one_line_error()
            .contains("is not the ZkconsentRegistry"),
        "{}",
        run.stderr
    );
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
    zkh(
        &clinic,
        &["identity", "new", "clinic", "--role", "verifier"],
    )
    .expect_code(0);
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
    let address = location
        .rsplit_once('#')
        .expect("address")
        .1
        .parse()
        .expect("address");
    let chain_root = reader.grants_root(address).expect("root").to_string();
    for home in [&alice, &bob, &clinic] {
        assert_eq!(grants_root(home), chain_root, "{}", home.display());
    }
    // bob's home has no chain key: a patient there cannot send a grant change.
    zkh(&bob, &["identity", "new", "carol", "--role", "patient"]).expect_code(0);
    let run = zkh(
        &bob,
        &[
            "grant",
            "issue",
            "--patient",
            "carol",
            "--grantee",
            "bob",
            "--scope",
            "all",
        ],
    );
    run.expect_code(1);
    assert!(run.one_line_error().contains("chain.key"), "{}", run.stderr);

    // bob accepts in his home, proves from his replica; the clinic verifies against its own.
    zkh(&bob, &["grant", "accept", path(&credential)]).expect_code(0);
    let (request, _) = new_access_request(&clinic, "observations");
    let proof = d.join("access.json");
    let base = BASE.to_string();
    prove(
        &bob,
        index,
        &request,
        &["--now", &base, "--out", path(&proof)],
    )
    .expect_code(0);
    verify_answer(&clinic, &proof, &request).expect_code(0);
    // The clinic answers it on chain too: accepted once, then a replay by name.
    let on_chain = |proof: &Path, request: &Path| {
        zkh(
            &clinic,
            &[
                "--json",
                "chain",
                "verify",
                path(proof),
                "--request",
                path(request),
                "--measure",
            ],
        )
    };
    // On chain the proof's time is checked against the block's: bob proves at the chain's.
    let (chain_request, _) = new_access_request(&clinic, "observations");
    let chain_proof = d.join("access-on-chain.json");
    let chain_now = reader.latest_block_time().expect("time").to_string();
    prove(
        &bob,
        index,
        &chain_request,
        &["--now", &chain_now, "--out", path(&chain_proof)],
    )
    .expect_code(0);
    let late = on_chain(&proof, &request);
    late.expect_code(1);
    assert!(late.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("ClockSkew"));
    let (proof, request) = (chain_proof, chain_request);
    let run = on_chain(&proof, &request);
    run.expect_code(0);
    print_gas("Access", &run);
    let replay = on_chain(&proof, &request);
    replay.expect_code(1);
    assert!(replay.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("Replay"));
    // bob's home reads the chain only: it cannot answer on chain.
    zkh(
        &bob,
        &["chain", "verify", path(&proof), "--request", path(&request)],
    )
    .expect_code(2);

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
        assert_eq!(
            grants_root(home),
            chain_root,
            "{} after the reorg",
            home.display()
        );
    }
    let proof = d.join("access-after-reorg.json");
    prove(
        &bob,
        index,
        &request,
        &["--now", &base, "--out", path(&proof)],
    )
    .expect_code(0);
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
        .env("ZKCONSENT_PASSPHRASE", common::TEST_PASSPHRASE)
        .args([
            "--json",
            "demo",
            "--chain",
            "--dir",
            path(&demo),
            "--depth",
            "4",
        ])
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
            transactions
                .iter()
                .any(|t| t.starts_with(kind) && t.ends_with(" gas")),
            "{kind}: {transactions:?}"
        );
    }
    let forged = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| {
            s["title"]
                .as_str()
                .is_some_and(|t| t.contains("mints a grant"))
        })
        .expect("the forged grant step");
    assert_eq!(forged["outcome"], "rejected");
    assert!(
        forged["detail"]
            .as_str()
            .expect("detail")
            .contains("InvalidProof"),
        "{forged}"
    );
    assert!(demo.join("chain.json").is_file());
}

/// Body temperature (LOINC), the lab's code set.
const TEMPERATURE: &str = "http://loinc.org|8310-5";
/// A code no bundle uses, so a covered set is never just the claim's diagnosis.
const DECOY_CODE: &str = "http://snomed.info/sct|999999999";

/// A custodian's home on a chain anchors a bundle (`anchorRecords` from its account), and
/// Record and Claim proofs made from its replica are answered on chain by `chain verify`:
/// accepted once, then refused by name (a replay, a spent nullifier).
#[test]
fn records_anchored_on_chain_answer_record_and_claim_requests_there() {
    use common::fhir::{diagnosed_claims, first_coding, patient_bundles, resources};
    let node = start_node();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let home = d.join("hospital");
    zkh(&home, &["setup", "--depth", "10"]).expect_code(0);
    zkh(
        &home,
        &[
            "chain",
            "deploy",
            "--rpc",
            &node.endpoint(),
            "--key-file",
            path(&key_file(&node, d, 0)),
            "--solc",
            &solcjs(),
        ],
    )
    .expect_code(0);
    for verifier in ["lab", "acme"] {
        zkh(&home, &["identity", "new", verifier, "--role", "verifier"]).expect_code(0);
    }
    let is_temperature = |o: &serde_json::Value| {
        first_coding(o) == TEMPERATURE && o["valueQuantity"]["value"].is_number()
    };
    let (bundle, patient, observation, claim) = patient_bundles()
        .into_iter()
        .find_map(|(bundle, patient)| {
            let o = resources(&bundle, "Observation").find(|o| is_temperature(o))?;
            let claim = diagnosed_claims(&bundle).into_iter().next()?;
            let id = format!("Observation/{}", o["id"].as_str()?);
            Some((bundle, patient, id, claim))
        })
        .expect("a bundle with a temperature and a diagnosed claim");
    zkh(&home, &["identity", "new", &patient, "--role", "patient"]).expect_code(0);
    let run = zkh(
        &home,
        &[
            "--json",
            "record",
            "anchor",
            path(&bundle),
            "--patient",
            &patient,
        ],
    );
    run.expect_code(0);
    print_transactions("a bundle's anchoring", &run);

    let chain_verify = |proof: &Path, request: &Path| {
        zkh(
            &home,
            &[
                "--json",
                "chain",
                "verify",
                path(proof),
                "--request",
                path(request),
                "--measure",
            ],
        )
    };
    // Record: the lab asks for a temperature; accepted on chain once.
    let codes = d.join("temperature.json");
    std::fs::write(&codes, serde_json::json!([TEMPERATURE]).to_string()).expect("write");
    let (request, _) = common::new_request_with(
        &home,
        "lab",
        &["--statement", "record", "--code-set", path(&codes)],
    );
    let proof = d.join("record.json");
    zkh(
        &home,
        &[
            "prove",
            "record",
            "--resource",
            &observation,
            "--request",
            path(&request),
            "--out",
            path(&proof),
        ],
    )
    .expect_code(0);
    let run = chain_verify(&proof, &request);
    run.expect_code(0);
    print_gas("Record", &run);
    let replay = chain_verify(&proof, &request);
    replay.expect_code(1);
    assert!(replay.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("Replay"));

    // Claim: paid once; the same claim for a new request has a spent nullifier on chain.
    let covered = d.join("covered.json");
    std::fs::write(
        &covered,
        serde_json::json!([DECOY_CODE, claim.diagnosis]).to_string(),
    )
    .expect("write");
    let claim_proof = |name: &str| {
        let (request, _) = common::new_request_with(
            &home,
            "acme",
            &[
                "--statement",
                "claim",
                "--covered",
                path(&covered),
                "--member",
                &patient,
                "--coverage",
                &claim.coverage,
            ],
        );
        let out = d.join(name);
        zkh(
            &home,
            &[
                "prove",
                "claim",
                "--bundle",
                path(&bundle),
                "--claim",
                &claim.id,
                "--request",
                path(&request),
                "--out",
                path(&out),
            ],
        )
        .expect_code(0);
        (out, request)
    };
    let (first, first_request) = claim_proof("claim1.json");
    let run = chain_verify(&first, &first_request);
    run.expect_code(0);
    print_gas("Claim", &run);
    let (second, second_request) = claim_proof("claim2.json");
    let spent = chain_verify(&second, &second_request);
    spent.expect_code(1);
    assert!(
        spent.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("NullifierSpent"),
        "{}",
        spent.stdout
    );
    // A proof for another request's terms never answers this one.
    let mismatched = chain_verify(&first, &second_request);
    assert_ne!(mismatched.code, Some(0), "{}", mismatched.stdout);

    // A new version of the claim supersedes the old leaf on chain (one anchoring, logged
    // with the index it empties); proofs against the root before stay good for the root
    // age, then are stale, as after a revocation.
    let record_proof = |name: &str| {
        let (request, _) = common::new_request_with(
            &home,
            "lab",
            &["--statement", "record", "--code-set", path(&codes)],
        );
        let out = d.join(name);
        zkh(
            &home,
            &[
                "prove",
                "record",
                "--resource",
                &observation,
                "--request",
                path(&request),
                "--out",
                path(&out),
            ],
        )
        .expect_code(0);
        (out, request)
    };
    let (early, early_request) = record_proof("early.json");
    let (late, late_request) = record_proof("late.json");
    let text = std::fs::read_to_string(&bundle).expect("bundle");
    let claim_at = text
        .find(&format!("\"id\": \"{}\"", claim.id))
        .expect("the claim's id in the bundle");
    let created = claim_at + text[claim_at..].find("\"created\": \"").expect("created");
    let value = created + "\"created\": \"".len();
    let mut edited = text.clone();
    edited.replace_range(value..value + 4, "2099");
    let edited_path = d.join("edited.json");
    std::fs::write(&edited_path, edited).expect("write");
    let run = zkh(
        &home,
        &[
            "--json",
            "record",
            "anchor",
            path(&edited_path),
            "--patient",
            &patient,
        ],
    );
    run.expect_code(0);
    assert_eq!(run.json()["new_versions_total"], 1, "{}", run.stdout);
    print_transactions("a superseding anchoring", &run);
    zkh(&home, &["registry", "audit"]).expect_code(0);
    chain_verify(&early, &early_request).expect_code(0);
    let admin = Chain::connect(&node.endpoint(), node.dev_key(0).expect("key")).expect("client");
    let past_age = admin.latest_block_time().expect("time")
        + zkconsent::registry::DEFAULT_MAX_ROOT_AGE_SECS
        + 1;
    admin.set_next_block_timestamp(past_age).expect("time");
    admin.mine().expect("mine");
    let stale = chain_verify(&late, &late_request);
    stale.expect_code(1);
    assert!(
        stale.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("StaleRoot"),
        "{}",
        stale.stdout
    );
}

/// A study's enrolment answered on chain: a research grant issued by transaction, a
/// condition summary anchored from the custodian's account, a Cohort proof at the chain's
/// time accepted by `verifyCohort` once per patient per study (`NullifierSpent` after).
#[test]
fn a_cohort_enrolment_is_answered_on_chain_once_per_study() {
    use common::fhir::{first_coding, patient_bundles, resources};
    /// The day the summaries are made and the criteria's reference date.
    const AS_OF: &str = "2026-01-10";
    /// Research grants are valid a year around the chain's time.
    const HALF_YEAR: u64 = 180 * 86_400;
    // The chain starts at the summary's day, so the proofs' times are after it.
    let genesis = 1_768_435_200 - 60; // 2026-01-14T23:59Z
    let node = AnvilNode::start(&anvil_path(repo_root()), genesis).expect("anvil starts");
    let reader = Chain::connect(&node.endpoint(), zkconsent_chain::random_key()).expect("client");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let home = d.join("hospital");
    zkh(&home, &["setup", "--depth", "10"]).expect_code(0);
    zkh(
        &home,
        &[
            "chain",
            "deploy",
            "--rpc",
            &node.endpoint(),
            "--key-file",
            path(&key_file(&node, d, 0)),
            "--solc",
            &solcjs(),
        ],
    )
    .expect_code(0);
    zkh(&home, &["identity", "new", "uni", "--role", "verifier"]).expect_code(0);
    let (bundle, patient, code) = patient_bundles()
        .into_iter()
        .find_map(|(bundle, patient)| {
            let code = resources(&bundle, "Condition")
                .next()
                .map(|c| first_coding(&c))?;
            Some((bundle, patient, code))
        })
        .expect("a bundle with a condition");
    zkh(&home, &["identity", "new", &patient, "--role", "patient"]).expect_code(0);
    zkh(
        &home,
        &["record", "anchor", path(&bundle), "--patient", &patient],
    )
    .expect_code(0);
    zkh(
        &home,
        &["record", "summary", "--patient", &patient, "--as-of", AS_OF],
    )
    .expect_code(0);
    let now = reader.latest_block_time().expect("time");
    let (nb, na) = ((now - HALF_YEAR).to_string(), (now + HALF_YEAR).to_string());
    zkh(
        &home,
        &[
            "grant",
            "issue",
            "--patient",
            &patient,
            "--grantee",
            "uni",
            "--scope",
            "conditions",
            "--purpose",
            "research",
            "--not-before",
            &nb,
            "--not-after",
            &na,
        ],
    )
    .expect_code(0);
    let criteria = d.join("criteria.json");
    std::fs::write(
        &criteria,
        serde_json::json!({
            "reference_date": "2026-01-01",
            "age": { "min": 0, "max": 120 },
            "include": [DECOY_CODE, code],
            "exclude": [DECOY_CODE],
            "summary_not_before": AS_OF,
        })
        .to_string(),
    )
    .expect("write criteria");
    let enrol = |name: &str| {
        let (request, _) = common::new_request_with(
            &home,
            "uni",
            &[
                "--statement",
                "cohort",
                "--criteria",
                path(&criteria),
                "--study",
                "STUDY-A",
            ],
        );
        let out = d.join(name);
        // At the chain's time: the contract checks it against the block's.
        let now = reader.latest_block_time().expect("time").to_string();
        zkh(
            &home,
            &[
                "prove",
                "cohort",
                "--bundle",
                path(&bundle),
                "--request",
                path(&request),
                "--now",
                &now,
                "--out",
                path(&out),
            ],
        )
        .expect_code(0);
        zkh(
            &home,
            &[
                "--json",
                "chain",
                "verify",
                path(&out),
                "--request",
                path(&request),
                "--measure",
            ],
        )
    };
    let first = enrol("cohort1.json");
    first.expect_code(0);
    print_gas("Cohort", &first);
    let again = enrol("cohort2.json");
    again.expect_code(1);
    assert!(
        again.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("NullifierSpent"),
        "{}",
        again.stdout
    );
}
