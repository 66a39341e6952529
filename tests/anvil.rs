//! The exported Access verifier and `contracts/ConsentRegistry.sol` on a real node: anvil
//! from `interop/`'s lockfile, started here as a child process on a free port, driven
//! through `zkconsent-chain` (alloy). Block times only move forward on a node, so the story
//! runs in time order; `tests/evm.rs` (revm) covers the clock-skew cases that need time
//! to go back.
//!
//! Prints the gas of every transaction (the README's "On an EVM chain" figures).

mod common;

use common::{
    sol::{access_contracts, repo_root},
    BASE,
};
use std::str::FromStr;
use zkconsent::export::solidity;
use zkconsent_chain::{anvil_path, AnvilNode, Chain, U256};

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

#[test]
fn registry_on_anvil_accepts_once_and_refuses_replays_and_stale_roots() {
    let (_node, chain) = start();
    let args = words();
    let root = args[GRANTS_ROOT];
    let c = access_contracts();
    let verifier = chain.deploy(&c.verifier, &[]).expect("verifier").address;
    let registry = chain
        .deploy_registry(&c.registry, verifier, MAX_ROOT_AGE, MAX_CLOCK_SKEW)
        .expect("registry deploys");
    println!("gas: deploy ConsentRegistry: {}", registry.gas);
    let registry = registry.address;
    let refusal = |words: &[U256; 15]| chain.verify_access_refusal(registry, words).expect("call");

    assert_eq!(refusal(&args), Some("UnknownRoot"));
    chain.set_next_block_timestamp(BASE - 200).expect("time");
    let posted = chain.post_root(registry, root).expect("postRoot");
    assert!(posted.success && posted.logs == 1);
    println!("gas: postRoot (first root): {}", posted.gas);
    assert_eq!(chain.current_root(registry).expect("root"), root);

    chain.set_next_block_timestamp(BASE + 10).expect("time");
    chain.mine().expect("mine");
    // A tampered proof is refused, and a transaction carrying it costs no more than a
    // valid one would.
    let mut tampered = args;
    tampered[A_Y] = neg(tampered[A_Y]);
    assert_eq!(refusal(&tampered), Some("InvalidProof"));
    let mut off_curve = args;
    off_curve[0] = U256::from(1);
    off_curve[1] = U256::from(3);
    assert_eq!(refusal(&off_curve), Some("InvalidProof"));
    let reverted = chain
        .verify_access(registry, &off_curve, GENEROUS_GAS)
        .expect("tx");
    assert!(!reverted.success);
    assert!(
        reverted.gas < OFF_CURVE_MAX_GAS + 20_000,
        "{} gas",
        reverted.gas
    );

    assert_eq!(refusal(&args), None);
    let accepted = chain
        .verify_access(registry, &args, GENEROUS_GAS)
        .expect("tx");
    assert!(accepted.success, "valid access proof refused");
    assert_eq!(accepted.logs, 1, "one AccessVerified event");
    println!("gas: verifyAccess (first use): {}", accepted.gas);

    // The same request again: refused, also as a different proof of the same statement
    // (-A, -B, C verifies too): replay is keyed on the public inputs, not the proof bytes.
    assert_eq!(refusal(&args), Some("Replay"));
    let mut rerandomised = args;
    rerandomised[A_Y] = neg(rerandomised[A_Y]);
    for at in [B_Y1, B_Y1 + 1] {
        rerandomised[at] = neg(rerandomised[at]);
    }
    assert_ne!(rerandomised, args);
    assert!(chain.verify_proof(verifier, &rerandomised).expect("call"));
    assert_eq!(refusal(&rerandomised), Some("Replay"));
    let replayed = chain
        .verify_access(registry, &rerandomised, GENEROUS_GAS)
        .expect("tx");
    assert!(!replayed.success);

    // A newer root, then past the age limit: the proof's root is stale.
    chain.set_next_block_timestamp(BASE + 20).expect("time");
    assert!(
        chain
            .post_root(registry, U256::from(12_345))
            .expect("post")
            .success
    );
    chain
        .set_next_block_timestamp(BASE + 20 + MAX_ROOT_AGE + 1)
        .expect("time");
    chain.mine().expect("mine");
    assert_eq!(refusal(&args), Some("StaleRoot"));
}
