//! The exported Solidity verifier, the grants tree and `ZkconsentRegistry` on an in-process
//! EVM (revm): the fast check, with exact control of block times (clock skew both ways).
//! `tests/anvil.rs` runs them on a real node.
//!
//! Both contracts are compiled with the pinned solc-js (`tests/common/sol.rs`), so
//! `(cd interop && npm ci)` must have run first; without it the test fails rather than
//! skipping. The proof is a real access proof from a depth-4 home made through the CLI at
//! the fixed time `BASE`.

mod common;

use common::{
    fixture,
    sol::{access_contracts, grant_updates, home_contracts, request_digests},
    BASE,
};
use revm::{
    context::{result::ExecutionResult, result::Output, BlockEnv, TxEnv},
    database::{CacheDB, EmptyDB},
    handler::{MainnetContext, MainnetEvm},
    primitives::{keccak256, Address, Bytes, TxKind, U256},
    state::AccountInfo,
    Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
};
use serde_json::Value;
use std::{collections::HashMap, str::FromStr};
use zkconsent::{export::solidity, files::proof::ProofFile};

const VERIFY_PROOF: &str = "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[7])";
const VERIFY_ACCESS: &str = "verifyAccess(uint256[2],uint256[2][2],uint256[2],uint256[7],address)";
const ISSUE_GRANT: &str = "issueGrant(uint256[2],uint256[2][2],uint256[2],uint256)";
const OPERATOR: Address = Address::with_last_byte(0xA1);
const STRANGER: Address = Address::with_last_byte(0xB2);
/// Registry policy used here: roots superseded over a minute ago expire; 5 minutes of skew.
const MAX_ROOT_AGE: u64 = 60;
const MAX_CLOCK_SKEW: u64 = 300;

fn r() -> U256 {
    U256::from_str(solidity::SCALAR_FIELD).expect("r")
}

fn p() -> U256 {
    U256::from_str(solidity::BASE_FIELD).expect("p")
}

/// The fixture's `verifyProof` arguments as EVM words.
fn args() -> Vec<U256> {
    access_contracts()
        .words
        .iter()
        .map(|w| U256::from_str(w).expect("decimal"))
        .collect()
}

/// A one-node chain on revm with two funded accounts.
struct Chain {
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
    nonces: HashMap<Address, u64>,
}

/// What a call did.
#[derive(Debug)]
#[allow(dead_code)] // fields are read through `Debug` in failure messages
enum Outcome {
    Success {
        gas: u64,
        output: Vec<u8>,
        logs: usize,
    },
    Revert {
        gas: u64,
        output: Vec<u8>,
    },
    Halt(String),
}

impl Outcome {
    #[track_caller]
    fn ok(self) -> (u64, Vec<u8>) {
        match self {
            Outcome::Success { gas, output, .. } => (gas, output),
            other => panic!("expected success, got {other:?}"),
        }
    }

    /// The custom error's selector, asserting a revert.
    #[track_caller]
    fn revert_selector(self) -> [u8; 4] {
        match self {
            Outcome::Revert { output, .. } if output.len() >= 4 => {
                output[..4].try_into().expect("4 bytes")
            }
            other => panic!("expected a revert with an error, got {other:?}"),
        }
    }
}

fn selector(signature: &str) -> [u8; 4] {
    keccak256(signature.as_bytes())[..4]
        .try_into()
        .expect("4 bytes")
}

fn encode(signature: &str, words: &[U256]) -> Vec<u8> {
    let mut data = selector(signature).to_vec();
    for w in words {
        data.extend_from_slice(&w.to_be_bytes::<32>());
    }
    data
}

fn word_address(a: Address) -> U256 {
    U256::from_be_slice(a.as_slice())
}

impl Chain {
    fn new(time: u64) -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        for who in [OPERATOR, STRANGER] {
            db.insert_account_info(who, AccountInfo::from_balance(U256::from(10u128.pow(24))));
        }
        let mut chain = Self {
            evm: Context::mainnet().with_db(db).build_mainnet(),
            nonces: HashMap::new(),
        };
        chain.set_time(time);
        chain
    }

    fn set_time(&mut self, time: u64) {
        self.evm.set_block(BlockEnv {
            timestamp: U256::from(time),
            number: U256::from(time),
            ..BlockEnv::default()
        });
    }

    fn nonce(&mut self, who: Address) -> u64 {
        *self.nonces.entry(who).or_default()
    }

    fn send(&mut self, from: Address, kind: TxKind, data: Vec<u8>) -> (Outcome, Option<Address>) {
        let nonce = self.nonce(from);
        let tx = TxEnv::builder()
            .caller(from)
            .kind(kind)
            .data(Bytes::from(data))
            .gas_limit(10_000_000)
            .gas_price(0)
            .nonce(nonce)
            .build()
            .expect("tx");
        let result = self.evm.transact_commit(tx).expect("EVM error");
        *self.nonces.entry(from).or_default() += 1;
        let created = result.created_address();
        let outcome = match result {
            ExecutionResult::Success {
                gas, output, logs, ..
            } => Outcome::Success {
                gas: gas.tx_gas_used(),
                output: match output {
                    Output::Call(b) => b.to_vec(),
                    Output::Create(b, _) => b.to_vec(),
                },
                logs: logs.len(),
            },
            ExecutionResult::Revert { gas, output, .. } => Outcome::Revert {
                gas: gas.tx_gas_used(),
                output: output.to_vec(),
            },
            ExecutionResult::Halt { reason, .. } => Outcome::Halt(format!("{reason:?}")),
        };
        (outcome, created)
    }

    fn deploy(&mut self, code: &[u8], ctor_args: &[U256]) -> Address {
        let mut data = code.to_vec();
        for w in ctor_args {
            data.extend_from_slice(&w.to_be_bytes::<32>());
        }
        let (outcome, created) = self.send(OPERATOR, TxKind::Create, data);
        outcome.ok();
        created.expect("created address")
    }

    fn call(&mut self, from: Address, to: Address, data: Vec<u8>) -> Outcome {
        self.send(from, TxKind::Call(to), data).0
    }

    /// `verifyProof` as a transaction: (gas used, returned bool). Never a revert.
    #[track_caller]
    fn verify_proof(&mut self, verifier: Address, words: &[U256]) -> (u64, bool) {
        let (gas, output) = self
            .call(OPERATOR, verifier, encode(VERIFY_PROOF, words))
            .ok();
        assert_eq!(output.len(), 32, "one ABI bool");
        (gas, output[31] == 1)
    }

    /// `verifyAccess` for OPERATOR's request, sent by a stranger.
    fn verify_access(&mut self, registry: Address, words: &[U256]) -> Outcome {
        let mut words = words.to_vec();
        words.push(word_address(OPERATOR));
        self.call(STRANGER, registry, encode(VERIFY_ACCESS, &words))
    }

    /// The five verifiers and the registry from `bins`.
    fn deploy_registry(&mut self, bins: &HashMap<String, Vec<u8>>) -> Address {
        let mut args = Vec::new();
        for statement in zkconsent::prover::Statement::ALL {
            let name = solidity::contract_name(statement.name());
            args.push(word_address(self.deploy(&bins[&name], &[])));
        }
        args.push(U256::from(MAX_ROOT_AGE));
        args.push(U256::from(MAX_CLOCK_SKEW));
        self.deploy(&bins["ZkconsentRegistry"], &args)
    }
}

/// Gas a rejected proof's transaction may take beyond a valid one's (its calldata differs).
const CALLDATA_SLACK_GAS: u64 = 2_000;
/// A proof with A or C off the curve is refused before any precompile: base transaction,
/// calldata and the checks before the pairing.
const OFF_CURVE_MAX_GAS: u64 = 60_000;

/// Positions in `EvmArgs::words`: a (0..2), b (2..6), c (6..8), inputs (8..15).
const A_Y: usize = 1;
const B_X1: usize = 2;
const INPUT: usize = 8;
const GRANTS_ROOT: usize = INPUT;
const REQUEST_HASH: usize = INPUT + 5;

#[test]
fn generated_source_shape() {
    let s = &access_contracts().source;
    assert!(s.contains("contract ZkconsentAccessVerifier {"));
    assert!(s.contains("uint256 public constant N_PUBLIC = 7;"));
    assert!(s.contains("uint256[7] calldata input"));
    assert!(s.contains("IC7_X") && !s.contains("IC8_X"));
    // No precompile call may forward all the gas: a failing one would burn it.
    assert!(!s.contains("staticcall(gas()"), "{s}");
    // An ecMul and an ecAdd per input, and the pairing.
    assert_eq!(s.matches("staticcall(").count(), 2 * 7 + 1);
    assert!(
        access_contracts().solc.starts_with("0.8.28"),
        "{}",
        access_contracts().solc
    );

    // The CLI writes the same contract, and the same call arguments.
    let f = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("Verifier.sol");
    let path_str = path.to_str().expect("utf-8");
    common::zkh(&f.home, &["export", "solidity", "--out", path_str]).expect_code(0);
    assert_eq!(&std::fs::read_to_string(&path).expect("written"), s);
    let proof_path = f.proof_path.to_str().expect("utf-8");
    let run = common::zkh(&f.home, &["export", "calldata", proof_path]);
    run.expect_code(0);
    let decoded = ProofFile::decode(&f.proof_bytes).expect("decodes");
    assert_eq!(
        run.stdout.trim(),
        solidity::calldata(&decoded.proof, &decoded.inputs)
    );
    let words: Vec<String> = serde_json::from_str::<Value>(&format!("[{}]", run.stdout.trim()))
        .expect("calldata is JSON array items")
        .as_array()
        .expect("array")
        .iter()
        .flat_map(flatten)
        .collect();
    let expected = access_contracts().words.clone();
    assert_eq!(words, expected);
    common::zkh(&f.home, &["export", "solidity", "--statement", "nope"]).expect_code(2);
}

fn flatten(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(flatten).collect(),
        Value::String(s) => vec![s.clone()],
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn verifier_accepts_the_proof_and_rejects_tampering() {
    let args = args();
    assert_eq!(args.len(), 15);
    let mut chain = Chain::new(BASE);
    let verifier = chain.deploy(&access_contracts().verifier, &[]);

    let (gas, ok) = chain.verify_proof(verifier, &args);
    assert!(ok, "the EVM verifier rejected a valid proof");
    println!("gas: verifyProof transaction (7 public inputs, incl. 21000 base + calldata): {gas}");

    let (r, p) = (r(), p());
    // A bad proof never costs more than a good one (a failing precompile gets only its
    // price); calldata bytes differ a little.
    let valid_gas = gas;
    let rejected = |chain: &mut Chain, what: &str, edit: &dyn Fn(&mut Vec<U256>)| {
        let mut words = args.clone();
        edit(&mut words);
        assert_ne!(words, args);
        let (gas, ok) = chain.verify_proof(verifier, &words);
        assert!(!ok, "accepted with {what}");
        assert!(
            gas <= valid_gas + CALLDATA_SLACK_GAS,
            "{what}: {gas} gas, a valid proof takes {valid_gas}"
        );
    };
    // Off the curve: refused before any precompile, so far below a valid proof.
    for (what, at) in [("A off the curve", 0), ("C off the curve", 6)] {
        let mut words = args.clone();
        words[at] = U256::from(1);
        words[at + 1] = U256::from(3);
        let (gas, ok) = chain.verify_proof(verifier, &words);
        assert!(!ok, "accepted with {what}");
        assert!(gas < OFF_CURVE_MAX_GAS, "{what}: {gas} gas");
    }
    rejected(&mut chain, "A negated", &|w| w[A_Y] = p - w[A_Y]);
    rejected(&mut chain, "C.x + 1", &|w| w[6] += U256::from(1));
    rejected(&mut chain, "an input + 1", &|w| {
        w[INPUT + 1] += U256::from(1)
    });
    rejected(&mut chain, "B in arkworks order", &|w| {
        w.swap(B_X1, B_X1 + 1);
        w.swap(B_X1 + 2, B_X1 + 3);
    });
    // Inputs >= r: ecMul alone would reduce them mod r and accept an aliased input.
    for i in 0..7 {
        rejected(&mut chain, "an input + r", &|w| w[INPUT + i] += r);
    }
    rejected(&mut chain, "input = 2^256 - 1", &|w| w[INPUT] = U256::MAX);
    // Coordinates >= p, and the point at infinity.
    rejected(&mut chain, "A.x + p", &|w| w[0] += p);
    rejected(&mut chain, "B.x.c1 + p", &|w| w[B_X1] += p);
    rejected(&mut chain, "A at infinity", &|w| {
        w[0] = U256::ZERO;
        w[1] = U256::ZERO;
    });
    rejected(&mut chain, "A and C swapped", &|w| {
        w.swap(0, 6);
        w.swap(1, 7);
    });

    // The valid proof still verifies (nothing above changed state).
    assert!(chain.verify_proof(verifier, &args).1);
}

#[test]
fn registry_enforces_clock_request_and_replay() {
    let f = fixture();
    let args = args();
    let err = |name: &str| selector(name);
    let bins = home_contracts(&f.home);
    let issue = &grant_updates(&f.home)[0];

    let mut chain = Chain::new(BASE - 500);
    let registry = chain.deploy_registry(&bins);
    chain.set_time(BASE);
    assert_eq!(
        chain.verify_access(registry, &args).revert_selector(),
        err("UnknownRoot(uint256)")
    );
    // The patient's authority proof, submitted by anyone, makes the proof's root current.
    chain.set_time(BASE - 200);
    let mut issue_words: Vec<U256> = issue
        .proof
        .iter()
        .map(|w| U256::from_str(w).expect("decimal"))
        .collect();
    issue_words.push(U256::from_str(&issue.commitment).expect("decimal"));
    chain
        .call(STRANGER, registry, encode(ISSUE_GRANT, &issue_words))
        .ok();
    let root = word(&chain.call(STRANGER, registry, encode("root()", &[])).ok().1);
    assert_eq!(root, args[GRANTS_ROOT]);
    assert_eq!(
        chain.verify_access(registry, &args).revert_selector(),
        err("RequestNotOpen(uint256)")
    );
    // The clinic (OPERATOR here) opens the request with its terms.
    let digests = request_digests(&f.request);
    let mut open = encode(
        "openRequest(uint256,bytes32[])",
        &[
            args[REQUEST_HASH],
            U256::from(64),
            U256::from(digests.len()),
        ],
    );
    for d in &digests {
        open.extend_from_slice(d);
    }
    chain.call(OPERATOR, registry, open).ok();

    chain.set_time(BASE + MAX_CLOCK_SKEW + 1);
    assert_eq!(
        chain.verify_access(registry, &args).revert_selector(),
        err("ClockSkew(uint256,uint256)")
    );
    chain.set_time(BASE - MAX_CLOCK_SKEW - 1);
    assert_eq!(
        chain.verify_access(registry, &args).revert_selector(),
        err("ClockSkew(uint256,uint256)")
    );
    chain.set_time(BASE + 10);
    let mut tampered = args.clone();
    tampered[A_Y] = p() - tampered[A_Y];
    assert_eq!(
        chain.verify_access(registry, &tampered).revert_selector(),
        err("InvalidProof()")
    );
    // The request hash + r is another request: never opened.
    let mut aliased = args.clone();
    aliased[REQUEST_HASH] += r();
    assert_eq!(
        chain.verify_access(registry, &aliased).revert_selector(),
        err("RequestNotOpen(uint256)")
    );
    let (gas, output, logs) = match chain.verify_access(registry, &args) {
        Outcome::Success { gas, output, logs } => (gas, output, logs),
        other => panic!("valid access proof refused: {other:?}"),
    };
    assert_eq!(output.last(), Some(&1));
    assert_eq!(logs, 1, "one ProofAccepted event");
    println!(
        "gas: ZkconsentRegistry.verifyAccess transaction (first use, incl. 21000 base): {gas}"
    );
    assert_eq!(
        chain.verify_access(registry, &args).revert_selector(),
        err("Replay(uint256)")
    );
}

/// Depth of the on-chain grants tree test: the production depth, for the gas figures.
const TREE_DEPTH: usize = zkconsent::circuits::merkle::DEFAULT_TREE_DEPTH;

/// A contract that exposes the generated tree's `_setLeaf` (a registry would check who may
/// change a leaf first).
const TREE_HARNESS: &str = r#"// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity >=0.8.20 <0.9.0;
import "./ZkconsentGrantsTree.sol";
contract GrantsTreeHarness is ZkconsentGrantsTree {
    function setLeaf(uint256 index, uint256 value) external returns (uint256) {
        return _setLeaf(index, value);
    }
}
"#;

fn word(output: &[u8]) -> U256 {
    assert_eq!(output.len(), 32, "one ABI word");
    U256::from_be_slice(output)
}

fn to_word(x: &zkconsent::verifier::Fr) -> U256 {
    U256::from_str(&zkconsent::verifier::fr_to_decimal(x)).expect("decimal")
}

#[test]
fn on_chain_grants_tree_computes_our_roots() {
    use zkconsent::circuits::merkle::{node_hash, SparseMerkleTree};
    use zkconsent::verifier::Fr;

    let dir = tempfile::tempdir().expect("tempdir");
    let tree_path = dir.path().join("ZkconsentGrantsTree.sol");
    let harness_path = dir.path().join("GrantsTreeHarness.sol");
    std::fs::write(
        &tree_path,
        zkconsent::export::grants_tree::render_grants_tree(TREE_DEPTH),
    )
    .expect("write tree");
    std::fs::write(&harness_path, TREE_HARNESS).expect("write harness");
    let out = common::sol::compile(&[tree_path, harness_path]);
    let code = hex::decode(out["GrantsTreeHarness"]["bin"].as_str().expect("bin")).expect("hex");
    let mut chain = Chain::new(BASE);
    let tree = chain.deploy(&code, &[]);
    let root_of =
        |chain: &mut Chain| word(&chain.call(STRANGER, tree, encode("root()", &[])).ok().1);

    let mut native = SparseMerkleTree::new(TREE_DEPTH).expect("tree");
    assert_eq!(root_of(&mut chain), to_word(&native.root().0));

    // The hash is ours (circomlib's Poseidon, merkle-node domain).
    for (l, r) in [(0u64, 0u64), (1, 2), (123_456_789, 987_654_321)] {
        let (l, r) = (Fr::from(l), Fr::from(r));
        let (gas, out) = chain
            .call(
                STRANGER,
                tree,
                encode("hashNode(uint256,uint256)", &[to_word(&l), to_word(&r)]),
            )
            .ok();
        assert_eq!(word(&out), to_word(&node_hash(l, r)));
        println!("gas: hashNode transaction (21000 base and calldata included): {gas}");
    }
    assert_eq!(
        chain
            .call(
                STRANGER,
                tree,
                encode("hashNode(uint256,uint256)", &[r(), U256::from(1)])
            )
            .revert_selector(),
        selector("NotInField(uint256)")
    );

    // Inserts, neighbours, an update in place and a revocation: every root equals ours.
    let leaf = |n: u64| Fr::from(n) * Fr::from(0x9e37_79b9_7f4a_7c15u64) + Fr::from(7u64);
    let mut gas = Vec::new();
    for (index, value) in [
        (0u64, leaf(1)),
        (1, leaf(2)),
        (5, leaf(3)),
        ((1 << TREE_DEPTH) - 1, leaf(4)),
        (1, leaf(5)),
        (5, Fr::from(0u64)),
    ] {
        native.set(index, value).expect("native set");
        let (used, _) = chain
            .call(
                OPERATOR,
                tree,
                encode(
                    "setLeaf(uint256,uint256)",
                    &[U256::from(index), to_word(&value)],
                ),
            )
            .ok();
        gas.push(used);
        assert_eq!(
            root_of(&mut chain),
            to_word(&native.root().0),
            "after leaf {index}"
        );
    }
    println!(
        "gas: on-chain grants tree (depth {TREE_DEPTH}): first insert {}, neighbour {}, \
         update in place {}, revoke {}",
        gas[0], gas[1], gas[4], gas[5]
    );
    assert_eq!(
        chain
            .call(
                OPERATOR,
                tree,
                encode(
                    "setLeaf(uint256,uint256)",
                    &[U256::from(1u64 << TREE_DEPTH), U256::from(1)]
                )
            )
            .revert_selector(),
        selector("IndexOutOfRange(uint256)")
    );
}

#[test]
fn export_contracts_writes_every_contract_for_the_home() {
    let f = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("contracts");
    let run = common::zkh(
        &f.home,
        &[
            "--json",
            "export",
            "contracts",
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    run.expect_code(0);
    assert_eq!(run.json()["files"].as_array().map(Vec::len), Some(7));
    for statement in zkconsent::prover::Statement::ALL {
        let name = format!("{}.sol", solidity::contract_name(statement.name()));
        assert!(out.join(&name).is_file(), "{name}");
    }
    let registry = std::fs::read_to_string(out.join("ZkconsentRegistry.sol")).expect("read");
    // The fixture home's depth is 4.
    assert_eq!(registry, zkconsent::export::registry::render_registry(4));
    assert_eq!(
        std::fs::read_to_string(out.join("ZkconsentAccessVerifier.sol")).expect("read"),
        access_contracts().source
    );
}
