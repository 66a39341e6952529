//! The exported contracts on a real node: anvil from `interop/`'s lockfile, started here as
//! a child process on a free port, driven through `zkconsent-chain` (alloy). Grants are
//! issued and revoked on `ZkconsentRegistry` only with the patients' authority proofs made
//! by the CLI, the contract's roots equal the home's, access proofs are accepted against
//! them once, and a revoked grant's proofs age out. Block times only move forward on a
//! node, so each story runs in time order; `tests/evm.rs` (revm) covers the clock-skew
//! cases that need time to go back.
//!
//! Prints the gas of every transaction (the README's "On an EVM chain" figures).

mod common;

use common::{
    issue_grant, new_request, prove, setup_home,
    sol::{
        access_contracts, anchorings, grant_updates, home_contracts, proof_file_words,
        registry_at_depth, repo_root, request_digests,
    },
    zkh, BASE,
};
use std::{collections::HashMap, path::Path, str::FromStr};
use zkconsent::export::solidity;
use zkconsent_chain::{anvil_path, Address, AnvilNode, Chain, ProofWords, Verifiers, B256, U256};

/// Registry policy: roots superseded over a minute ago expire; 5 minutes of clock skew.
const MAX_ROOT_AGE: u64 = 60;
const MAX_CLOCK_SKEW: u64 = 300;
/// Gas limit of the transactions that may fail: far above what they need, so a contract
/// that burned what it was given would show.
const GENEROUS_GAS: u64 = 10_000_000;
/// A rejected proof's transaction may take this much beyond a valid one's (calldata).
const CALLDATA_SLACK_GAS: u64 = 2_000;
/// A proof with A off the curve is refused before any precompile.
const OFF_CURVE_MAX_GAS: u64 = 60_000;
/// Positions in the `verifyProof` words: a (0..2), b (2..6), c (6..8), inputs (8..15).
const A_Y: usize = 1;
const B_X1: usize = 2;
const B_Y1: usize = 4;
const GRANTS_ROOT: usize = 8;
const REQUEST_HASH: usize = GRANTS_ROOT + 5;

fn words() -> [U256; 15] {
    let words: Vec<U256> = access_contracts()
        .words
        .iter()
        .map(|w| U256::from_str(w).expect("decimal"))
        .collect();
    words.try_into().expect("15 words")
}

fn p() -> U256 {
    U256::from_str(solidity::BASE_FIELD).expect("p")
}

/// Negates a coordinate mod p.
fn neg(y: U256) -> U256 {
    if y.is_zero() {
        y
    } else {
        p() - y
    }
}

fn start() -> (AnvilNode, Chain) {
    let binary = anvil_path(repo_root());
    assert!(
        binary.is_file(),
        "{} is missing: run `(cd interop && npm ci)` first; the anvil test must not be skipped",
        binary.display()
    );
    let node = AnvilNode::start(&binary, BASE - 1_000).expect("anvil starts");
    let key = node.dev_key(0).expect("a funded dev key");
    let chain = Chain::connect(&node.endpoint(), key).expect("client");
    (node, chain)
}

#[test]
fn verifier_on_anvil_accepts_the_proof_and_never_burns_gas() {
    let (_node, chain) = start();
    let args = words();
    let verifier = chain
        .deploy(&access_contracts().verifier, &[])
        .expect("verifier deploys");
    println!("gas: deploy ZkconsentAccessVerifier: {}", verifier.gas);
    assert!(chain.verify_proof(verifier.address, &args).expect("call"));
    let valid = chain
        .verify_proof_tx(verifier.address, &args, GENEROUS_GAS)
        .expect("tx");
    assert!(valid.success);
    println!(
        "gas: verifyProof transaction (7 public inputs): {}",
        valid.gas
    );

    // A off the curve: today's contracts burned 9.8M of a 10M limit here.
    let mut off_curve = args;
    off_curve[0] = U256::from(1);
    off_curve[1] = U256::from(3);
    assert!(!chain
        .verify_proof(verifier.address, &off_curve)
        .expect("call"));
    let bad = chain
        .verify_proof_tx(verifier.address, &off_curve, GENEROUS_GAS)
        .expect("tx");
    assert!(
        bad.gas < OFF_CURVE_MAX_GAS,
        "A off the curve: {} gas",
        bad.gas
    );
    println!("gas: verifyProof with A off the curve: {}", bad.gas);

    // B with its coordinates in the wrong order: the pairing precompile refuses it, and
    // costs what a valid pairing costs, no more.
    let mut swapped = args;
    swapped.swap(B_X1, B_X1 + 1);
    swapped.swap(B_Y1, B_Y1 + 1);
    assert!(!chain
        .verify_proof(verifier.address, &swapped)
        .expect("call"));
    let bad = chain
        .verify_proof_tx(verifier.address, &swapped, GENEROUS_GAS)
        .expect("tx");
    assert!(
        bad.gas <= valid.gas + CALLDATA_SLACK_GAS,
        "B swapped: {} gas, valid {}",
        bad.gas,
        valid.gas
    );
}

/// Parses decimal words.
fn to_words(words: &[String]) -> Vec<U256> {
    words
        .iter()
        .map(|w| U256::from_str(w).expect("decimal"))
        .collect()
}

fn proof_words(words: &[String]) -> ProofWords {
    to_words(words).try_into().expect("eight proof words")
}

fn dec(x: &str) -> U256 {
    U256::from_str(x).expect("decimal")
}

/// Deploys the five verifiers and a registry (`registry` bytecode, e.g. at another depth);
/// the registry's address.
fn deploy_registry(chain: &Chain, bins: &HashMap<String, Vec<u8>>, registry: &[u8]) -> Address {
    let deploy = |name: &str| {
        chain
            .deploy(&bins[name], &[])
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .address
    };
    let verifiers = Verifiers {
        authority: deploy("ZkconsentAuthorityVerifier"),
        access: deploy("ZkconsentAccessVerifier"),
        record: deploy("ZkconsentRecordVerifier"),
        claim: deploy("ZkconsentClaimVerifier"),
        cohort: deploy("ZkconsentCohortVerifier"),
    };
    let deployed = chain
        .deploy_registry(registry, verifiers, MAX_ROOT_AGE, MAX_CLOCK_SKEW)
        .expect("registry deploys");
    println!("gas: deploy ZkconsentRegistry: {}", deployed.gas);
    deployed.address
}

/// Another funded account on the same node.
fn account(node: &AnvilNode, index: usize) -> Chain {
    Chain::connect(&node.endpoint(), node.dev_key(index).expect("dev key")).expect("client")
}

fn prove_at_base(home: &Path, request: &Path, out: &Path) -> Vec<U256> {
    let base = BASE.to_string();
    prove(
        home,
        0,
        request,
        &["--now", &base, "--out", out.to_str().expect("utf-8")],
    )
    .expect_code(0);
    to_words(&proof_file_words(&std::fs::read(out).expect("proof")))
}

fn digests(request: &Path) -> Vec<B256> {
    request_digests(request)
        .into_iter()
        .map(B256::from)
        .collect()
}

#[test]
fn registry_on_anvil_changes_grants_only_with_the_patients_proof() {
    // A home's story: alice grants bob, the clinic asks twice, bob proves both, alice revokes.
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    assert_eq!(issue_grant(&home, "conditions,observations"), 0);
    let (request1, _) = new_request(&home);
    let (request2, _) = new_request(&home);
    let access1 = prove_at_base(&home, &request1, &dir.path().join("a1.json"));
    let access2 = prove_at_base(&home, &request2, &dir.path().join("a2.json"));
    zkh(&home, &["grant", "revoke", "0"]).expect_code(0);
    let updates = grant_updates(&home);
    assert_eq!(updates.len(), 2);
    let (issue, revoke) = (&updates[0], &updates[1]);
    assert!(!issue.revoke && revoke.revoke);
    let commitment = dec(&issue.commitment);

    let (node, admin) = start();
    let bins = home_contracts(&home);
    let registry = deploy_registry(&admin, &bins, &bins["ZkconsentRegistry"]);
    let clinic = account(&node, 1);
    let stranger = account(&node, 2);
    let refusal = |chain: &Chain, data: Vec<u8>| chain.refusal(registry, data).expect("call");
    let access_refusal = |words: &[U256], requester: Address| {
        stranger
            .verify_statement_refusal(registry, "verifyAccess", words, requester)
            .expect("call")
    };
    assert_eq!(
        access_refusal(&access1, clinic.address()),
        Some("UnknownRoot")
    );

    // Nobody changes the tree without alice's proof for exactly this change: not with a
    // proof for another leaf, not with her revoke proof, not as the admin with no proof;
    // and there is no root to post.
    let issue_proof = proof_words(&issue.proof);
    let revoke_proof = proof_words(&revoke.proof);
    let other = commitment + U256::from(1);
    for (proof, leaf) in [
        (&issue_proof, other),
        (&revoke_proof, commitment),
        (&[U256::ZERO; 8], commitment),
    ] {
        assert_eq!(
            refusal(&admin, Chain::issue_grant_call(proof, leaf)),
            Some("InvalidProof")
        );
    }
    let mut post_root = zkconsent_chain::contracts::selector("postRoot(uint256)").to_vec();
    post_root.extend_from_slice(&commitment.to_be_bytes::<32>());
    let posted = admin
        .transact(registry, post_root, GENEROUS_GAS)
        .expect("tx");
    assert!(!posted.success, "the registry has no postRoot");
    let initial_root = admin.grants_root(registry).expect("root");

    // Anyone may submit alice's proof; the contract computes the root the home computed.
    admin.set_next_block_timestamp(BASE - 200).expect("time");
    let issued = stranger
        .issue_grant(registry, &issue_proof, commitment)
        .expect("issue");
    assert!(issued.success, "issue refused");
    println!("gas: issueGrant (depth 4, first leaf): {}", issued.gas);
    let root = admin.grants_root(registry).expect("root");
    assert_ne!(root, initial_root);
    assert_eq!(root, dec(&issue.root_after));
    assert_eq!(root, access1[GRANTS_ROOT]);
    assert_eq!(
        refusal(&stranger, Chain::issue_grant_call(&issue_proof, commitment)),
        Some("AlreadyIssued")
    );

    // The clinic opens request 1 with its terms; a proof for it is accepted once.
    admin.set_next_block_timestamp(BASE + 10).expect("time");
    let opened = clinic
        .open_request(registry, access1[REQUEST_HASH], &digests(&request1))
        .expect("open");
    assert!(opened.success);
    println!("gas: openRequest (one terms digest): {}", opened.gas);
    assert_eq!(
        access_refusal(&access2, clinic.address()),
        Some("RequestNotOpen")
    );
    assert_eq!(
        access_refusal(&access1, stranger.address()),
        Some("RequestNotOpen"),
        "only the request's opener's terms count"
    );
    let mut tampered = access1.clone();
    tampered[A_Y] = neg(tampered[A_Y]);
    assert_eq!(
        access_refusal(&tampered, clinic.address()),
        Some("InvalidProof")
    );
    assert_eq!(access_refusal(&access1, clinic.address()), None);
    let accepted = stranger
        .verify_statement(
            registry,
            "verifyAccess",
            &access1,
            clinic.address(),
            GENEROUS_GAS,
        )
        .expect("tx");
    assert!(accepted.success && accepted.logs == 1);
    println!("gas: verifyAccess (first use): {}", accepted.gas);
    // Replay, also re-randomised (-A, -B, C): keyed on the request hash, not the bytes.
    assert_eq!(access_refusal(&access1, clinic.address()), Some("Replay"));
    let mut rerandomised = access1.clone();
    rerandomised[A_Y] = neg(rerandomised[A_Y]);
    for at in [B_Y1, B_Y1 + 1] {
        rerandomised[at] = neg(rerandomised[at]);
    }
    assert_eq!(
        access_refusal(&rerandomised, clinic.address()),
        Some("Replay")
    );

    // Alice revokes: only with her revoke proof, once; the issue proof cannot reinstate.
    let opened = clinic
        .open_request(registry, access2[REQUEST_HASH], &digests(&request2))
        .expect("open");
    assert!(opened.success);
    assert_eq!(
        refusal(&stranger, Chain::revoke_grant_call(&issue_proof, 0)),
        Some("InvalidProof")
    );
    admin.set_next_block_timestamp(BASE + 20).expect("time");
    let revoked = stranger
        .revoke_grant(registry, &revoke_proof, 0)
        .expect("revoke");
    assert!(revoked.success, "revoke refused");
    println!("gas: revokeGrant (depth 4): {}", revoked.gas);
    assert_eq!(
        admin.grants_root(registry).expect("root"),
        dec(&revoke.root_after)
    );
    assert_eq!(
        refusal(&stranger, Chain::revoke_grant_call(&revoke_proof, 0)),
        Some("AlreadyRevoked")
    );
    assert_eq!(
        refusal(&stranger, Chain::issue_grant_call(&issue_proof, commitment)),
        Some("AlreadyIssued")
    );
    // A proof against the root before the revocation: accepted within maxRootAge, then
    // refused: the revoked grant no longer opens anything.
    admin.set_next_block_timestamp(BASE + 21).expect("time");
    admin.mine().expect("mine");
    assert_eq!(access_refusal(&access2, clinic.address()), None);
    admin
        .set_next_block_timestamp(BASE + 20 + MAX_ROOT_AGE)
        .expect("time");
    admin.mine().expect("mine");
    assert_eq!(
        access_refusal(&access2, clinic.address()),
        Some("StaleRoot")
    );
}

/// Patients issuing grants at the same moment: the measured throughput figure.
const PATIENTS_AT_ONCE: usize = 50;
/// Depth of the home making the patients' proofs: 64 leaves.
const LOCAL_DEPTH: &str = "6";
/// The production tree depth, for the gas and per-block figures.
const PRODUCTION_DEPTH: usize = zkconsent::circuits::merkle::DEFAULT_TREE_DEPTH;
/// Gas limit given per update: the estimate plus this share (a block takes a transaction
/// only while its limit fits).
const GAS_MARGIN_PERCENT: u64 = 10;

#[test]
fn many_patients_grants_land_in_the_same_blocks() {
    use zkconsent::circuits::merkle::SparseMerkleTree;
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    // Room for every patient's grant (the local tree's depth; the chain's is 20).
    zkh(&home, &["setup", "--depth", LOCAL_DEPTH]).expect_code(0);
    zkh(&home, &["identity", "new", "bob", "--role", "clinician"]).expect_code(0);
    for i in 0..PATIENTS_AT_ONCE {
        let name = format!("patient{i}");
        zkh(&home, &["identity", "new", &name, "--role", "patient"]).expect_code(0);
        zkh(
            &home,
            &[
                "grant",
                "issue",
                "--patient",
                &name,
                "--grantee",
                "bob",
                "--scope",
                "observations",
            ],
        )
        .expect_code(0);
    }
    zkh(&home, &["grant", "revoke", "0"]).expect_code(0);
    let updates = grant_updates(&home);
    let (issues, revoke) = updates.split_at(PATIENTS_AT_ONCE);

    // Authority proofs do not depend on the tree depth: a depth-20 registry takes them.
    let (node, admin) = start();
    let bins = home_contracts(&home);
    let registry = deploy_registry(&admin, &bins, &registry_at_depth(PRODUCTION_DEPTH));
    let submitter = account(&node, 1);
    let first = Chain::issue_grant_tx(
        registry,
        &proof_words(&issues[0].proof),
        dec(&issues[0].commitment),
        zkconsent_chain::registry::GRANT_UPDATE_GAS,
    );
    let estimate = submitter.estimate_gas(first).expect("estimate");
    let limit = estimate + estimate * GAS_MARGIN_PERCENT / 100;
    let txs = issues
        .iter()
        .map(|u| Chain::issue_grant_tx(registry, &proof_words(&u.proof), dec(&u.commitment), limit))
        .collect();
    let started = std::time::Instant::now();
    let outcomes = submitter.send_together(txs).expect("send");
    let elapsed = started.elapsed();
    assert!(outcomes.iter().all(|(o, _)| o.success), "an issue reverted");
    let mut per_block: Vec<(u64, usize)> = Vec::new();
    for (_, block) in &outcomes {
        match per_block.last_mut() {
            Some((b, n)) if b == block => *n += 1,
            _ => per_block.push((*block, 1)),
        }
    }
    let gas: Vec<u64> = outcomes.iter().map(|(o, _)| o.gas).collect();
    println!(
        "gas: issueGrant at depth {PRODUCTION_DEPTH}: first leaf {}, later leaves {}..{}",
        gas[0],
        gas[1..].iter().min().expect("gas"),
        gas[1..].iter().max().expect("gas")
    );
    println!(
        "throughput: {PATIENTS_AT_ONCE} patients' grants sent at once landed in {} blocks \
         ({:?} per block, 30M gas limit), all provable after the last; {:.2} s on anvil",
        per_block.len(),
        per_block.iter().map(|(_, n)| n).collect::<Vec<_>>(),
        elapsed.as_secs_f64()
    );
    assert!(
        per_block[0].1 > 1,
        "several patients' updates must land in one block"
    );
    assert_eq!(
        submitter.grant_count(registry).expect("count"),
        U256::from(PATIENTS_AT_ONCE)
    );

    // The contract's root is the depth-20 tree of those leaves, computed natively.
    let mut tree = SparseMerkleTree::new(PRODUCTION_DEPTH).expect("tree");
    for u in issues {
        let leaf = zkconsent::verifier::parse_fr_decimal(&u.commitment).expect("leaf");
        tree.set(u.index, leaf).expect("set");
    }
    let expected = zkconsent::verifier::fr_to_decimal(&tree.root().0);
    assert_eq!(
        submitter.grants_root(registry).expect("root"),
        dec(&expected)
    );

    let revoked = submitter
        .revoke_grant(registry, &proof_words(&revoke[0].proof), revoke[0].index)
        .expect("revoke");
    assert!(revoked.success);
    println!(
        "gas: revokeGrant at depth {PRODUCTION_DEPTH}: {}",
        revoked.gas
    );
}

/// Body temperature (LOINC): the lab's code set.
const TEMPERATURE: &str = "http://loinc.org|8310-5";
/// Depth of the records test's home: room for one patient bundle's records.
const RECORDS_DEPTH: &str = "10";
/// The request hash's position in a Record proof's words.
const RECORD_REQUEST_HASH: usize = 8 + zkconsent::circuits::record::inputs::REQUEST_HASH;

#[test]
fn custodians_anchor_records_and_a_record_proof_answers_on_chain() {
    use common::fhir::{first_coding, patient_bundles, resources};
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    zkh(&home, &["setup", "--depth", RECORDS_DEPTH]).expect_code(0);
    zkh(&home, &["identity", "new", "lab", "--role", "verifier"]).expect_code(0);
    let is_temperature = |o: &serde_json::Value| {
        first_coding(o) == TEMPERATURE && o["valueQuantity"]["value"].is_number()
    };
    let (bundle, patient, observation) = patient_bundles()
        .into_iter()
        .find_map(|(bundle, patient)| {
            let o = resources(&bundle, "Observation").find(|o| is_temperature(o))?;
            let id = format!("Observation/{}", o["id"].as_str()?);
            Some((bundle, patient, id))
        })
        .expect("a bundle with a body temperature");
    zkh(&home, &["identity", "new", &patient, "--role", "patient"]).expect_code(0);
    let bundle = bundle.to_str().expect("utf-8").to_string();
    zkh(&home, &["record", "anchor", &bundle, "--patient", &patient]).expect_code(0);
    let codes = dir.path().join("temperature.json");
    std::fs::write(&codes, serde_json::json!([TEMPERATURE]).to_string()).expect("write");
    let (request, _) = common::new_request_with(
        &home,
        "lab",
        &[
            "--statement",
            "record",
            "--code-set",
            codes.to_str().expect("utf-8"),
        ],
    );
    let out = dir.path().join("record.json");
    zkh(
        &home,
        &[
            "prove",
            "record",
            "--resource",
            &observation,
            "--request",
            request.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
    )
    .expect_code(0);
    let record = to_words(&proof_file_words(&std::fs::read(&out).expect("proof")));

    let (node, admin) = start();
    let bins = home_contracts(&home);
    let registry = deploy_registry(&admin, &bins, &bins["ZkconsentRegistry"]);
    let lab = account(&node, 1);
    let custodian = account(&node, 3);
    let anchoring = &anchorings(&home)[0];
    let leaves = to_words(&anchoring.leaves);
    let call = Chain::anchor_records_call(
        dec(&anchoring.root_before),
        &leaves,
        &[],
        dec(&anchoring.root_after),
    );
    assert_eq!(
        custodian.refusal(registry, call.clone()).expect("call"),
        Some("NotCustodian")
    );
    assert_eq!(
        lab.refusal(
            registry,
            Chain::issue_grant_call(&[U256::ZERO; 8], U256::from(1))
        )
        .expect("call"),
        Some("InvalidProof")
    );
    assert!(
        admin
            .set_custodian(registry, custodian.address(), true)
            .expect("tx")
            .success
    );
    assert_eq!(
        admin.records_root(registry).expect("root"),
        dec(&anchoring.root_before),
        "the chain's empty records tree is the home's"
    );
    let anchored = custodian
        .anchor_records(
            registry,
            dec(&anchoring.root_before),
            &leaves,
            &[],
            dec(&anchoring.root_after),
        )
        .expect("anchor");
    assert!(anchored.success);
    println!(
        "gas: anchorRecords ({} leaves, one bundle): {}",
        leaves.len(),
        anchored.gas
    );
    assert_eq!(
        custodian.refusal(registry, call).expect("call"),
        Some("RecordsMoved"),
        "an anchoring on a root that is no longer current"
    );

    let function = "verifyRecord";
    assert!(
        lab.open_request(registry, record[RECORD_REQUEST_HASH], &digests(&request))
            .expect("open")
            .success
    );
    let accepted = admin
        .verify_statement(registry, function, &record, lab.address(), GENEROUS_GAS)
        .expect("tx");
    assert!(accepted.success, "record proof refused on chain");
    println!("gas: verifyRecord (first use): {}", accepted.gas);
    assert_eq!(
        admin
            .verify_statement_refusal(registry, function, &record, lab.address())
            .expect("call"),
        Some("Replay")
    );
}

#[test]
fn a_replica_rebuilt_from_events_follows_the_chain_through_a_reorg() {
    use zkconsent::{prover::Statement, registry::Registry};
    use zkconsent_chain::sync_file;
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    for _ in 0..3 {
        issue_grant(&home, "observations");
    }
    zkh(&home, &["grant", "revoke", "1"]).expect_code(0);
    let updates = grant_updates(&home);
    let (authority, _) = common::open_home(&home)
        .verifying_key(Statement::Authority)
        .expect("authority key");
    let depth = Registry::open(home.join("registry.db"))
        .expect("registry")
        .depth();

    let (node, admin) = start();
    let bins = home_contracts(&home);
    let registry = deploy_registry(&admin, &bins, &bins["ZkconsentRegistry"]);
    let from_block = 0;
    let submit = |u: &common::sol::GrantUpdate| {
        let proof = proof_words(&u.proof);
        let outcome = if u.revoke {
            admin.revoke_grant(registry, &proof, u.index)
        } else {
            admin.issue_grant(registry, &proof, dec(&u.commitment))
        };
        assert!(outcome.expect("tx").success, "{u:?}");
    };
    let replica = dir.path().join("replica.db");
    let sync = || sync_file(&admin, registry, from_block, &replica, depth, &authority);
    let chain_root = || admin.grants_root(registry).expect("root");
    let replica_root = || {
        let r = Registry::open(&replica).expect("replica");
        dec(&zkconsent::verifier::fr_to_decimal(
            &r.current_root().expect("root").0,
        ))
    };

    submit(&updates[0]);
    submit(&updates[1]);
    let report = sync().expect("sync");
    assert_eq!((report.issued, report.revoked), (2, 0));
    assert_eq!(replica_root(), chain_root());
    // The replica's path for a grant opens it under the chain's root: a prover can use it.
    {
        let r = Registry::open(&replica).expect("replica");
        let (root, path) = r.root_and_path(0).expect("path");
        assert!(path.verify_membership(root, r.leaf(0).expect("leaf")));
    }

    let snapshot = admin.snapshot().expect("snapshot");
    submit(&updates[2]);
    submit(&updates[3]); // the revoke of grant 1
    let report = sync().expect("sync");
    assert_eq!(
        (report.issued, report.revoked, report.rebuilt),
        (1, 1, false)
    );
    assert_eq!(replica_root(), chain_root());

    // A reorg drops both; another branch has only grant 2, in other blocks.
    admin.revert(snapshot).expect("revert");
    admin.mine().expect("mine");
    submit(&updates[2]);
    admin.mine().expect("mine");
    let report = sync().expect("sync after the reorg");
    assert!(report.rebuilt, "the replica noticed the reorg and rebuilt");
    assert_eq!((report.issued, report.revoked), (3, 0));
    assert_eq!(replica_root(), chain_root());
    assert_ne!(
        Registry::open(&replica)
            .expect("replica")
            .leaf(1)
            .expect("leaf"),
        zkconsent::verifier::Fr::from(0u64),
        "the revocation was reorganised away"
    );

    // A custodian's wrong records root is caught by every replica.
    let custodian = account(&node, 3);
    assert!(
        admin
            .set_custodian(registry, custodian.address(), true)
            .expect("tx")
            .success
    );
    let before = admin.records_root(registry).expect("root");
    assert!(
        custodian
            .anchor_records(
                registry,
                before,
                &[U256::from(7), U256::from(8)],
                &[],
                U256::from(9)
            )
            .expect("tx")
            .success
    );
    let err = sync().expect_err("a wrong records root");
    assert!(
        err.to_string().contains("records root"),
        "unexpected error: {err}"
    );
}
