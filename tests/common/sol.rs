//! The contracts exported from a home (`zkconsent export contracts`: verifiers, grants tree,
//! registry), compiled with the pinned solc-js (`interop/package.json`, through
//! `interop/compile-sol.js`), and a home's proofs as EVM words, for the EVM tests on revm
//! (`tests/evm.rs`) and on anvil (`tests/anvil.rs`). `(cd interop && npm ci)` must have run first: without it the tests
//! fail rather than skip.

use super::fixture;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};
use zkconsent::{
    export::solidity::{self, EvmArgs},
    files::proof::ProofFile,
    prover::Statement,
};

/// The repository's root.
pub fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The Access verifier, its source, and the fixture proof's `verifyProof` words.
pub struct AccessContracts {
    /// Creation bytecode of `ZkconsentAccessVerifier`.
    pub verifier: Vec<u8>,
    /// The compiler's version.
    pub solc: String,
    /// The generated verifier's Solidity source.
    pub source: String,
    /// The fixture's access proof as decimal `verifyProof` words: a, b, c, inputs.
    pub words: Vec<String>,
}

/// Compiles Solidity `files` with the pinned solc; the compiler's JSON (`{name: {bin}}`,
/// `solc`).
pub fn compile(files: &[PathBuf]) -> Value {
    let solcjs = repo_root().join("interop/node_modules/.bin/solcjs");
    assert!(
        solcjs.exists(),
        "{} is missing: run `(cd interop && npm ci)` first; the EVM tests need the pinned \
         solc and must not be skipped",
        solcjs.display()
    );
    let output = Command::new("node")
        .arg(repo_root().join("interop/compile-sol.js"))
        .args(files)
        .current_dir(repo_root().join("interop"))
        .output()
        .expect("run node (is node installed?)");
    assert!(
        output.status.success(),
        "solc failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("compiler JSON")
}

/// The Access verifier for the shared fixture home (compiled once per test binary).
pub fn access_contracts() -> &'static AccessContracts {
    static CONTRACTS: OnceLock<AccessContracts> = OnceLock::new();
    CONTRACTS.get_or_init(|| {
        let f = fixture();
        let home = super::open_home(&f.home);
        let (pvk, vk_sha256) = home.verifying_key(Statement::Access).expect("vk");
        let decoded = ProofFile::decode(&f.proof_bytes).expect("proof decodes");
        let source = solidity::render_verifier(pvk.vk(), "access", Some(&vk_sha256));
        assert_eq!(
            source,
            solidity::export_solidity(&home, Statement::Access).expect("export")
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let verifier_path = dir.path().join("ZkconsentAccessVerifier.sol");
        std::fs::write(&verifier_path, &source).expect("write verifier");
        let out = compile(&[verifier_path]);
        let bin = |name: &str| {
            hex::decode(
                out[name]["bin"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name} bin")),
            )
            .expect("hex")
        };
        AccessContracts {
            verifier: bin("ZkconsentAccessVerifier"),
            solc: out["solc"].as_str().unwrap_or("?").to_string(),
            source,
            words: EvmArgs::new(&decoded.proof, &decoded.inputs).words(),
        }
    })
}

/// Every contract `zkconsent export contracts` writes for `home` (the five verifiers, the
/// grants tree and `ZkconsentRegistry`), compiled: creation bytecode by contract name.
pub fn home_contracts(home: &Path) -> std::collections::HashMap<String, Vec<u8>> {
    let home = super::open_home(home);
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = zkconsent::export::registry::write_contracts(&home, dir.path()).expect("export");
    bins(&compile(&paths))
}

/// `ZkconsentRegistry` and its grants tree alone at `depth` (the verifiers are interfaces
/// to it), compiled: its creation bytecode.
pub fn registry_at_depth(depth: usize) -> Vec<u8> {
    use zkconsent::export::{grants_tree, registry};
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = dir.path().join(registry::GRANTS_TREE_FILE);
    let reg = dir.path().join("ZkconsentRegistry.sol");
    std::fs::write(&tree, grants_tree::render_grants_tree(depth)).expect("write");
    std::fs::write(&reg, registry::render_registry(depth)).expect("write");
    bins(&compile(&[tree, reg]))
        .remove(registry::REGISTRY_CONTRACT)
        .expect("registry bytecode")
}

fn bins(out: &Value) -> std::collections::HashMap<String, Vec<u8>> {
    out.as_object()
        .expect("compiler JSON object")
        .iter()
        .filter_map(|(name, v)| {
            let bin = v.get("bin")?.as_str()?;
            (!bin.is_empty()).then(|| (name.clone(), hex::decode(bin).expect("hex")))
        })
        .collect()
}

/// A grant issue or revoke from a home's registry log, with its authority proof's words.
#[derive(Clone, Debug)]
pub struct GrantUpdate {
    /// Revoke (true) or issue.
    pub revoke: bool,
    /// The leaf.
    pub index: u64,
    /// The commitment, decimal.
    pub commitment: String,
    /// The authority proof's eight `verifyProof` words (a, b, c), decimal.
    pub proof: Vec<String>,
    /// The grants root after it, decimal.
    pub root_after: String,
}

/// Every grant update in `home`'s registry, in log order.
pub fn grant_updates(home: &Path) -> Vec<GrantUpdate> {
    use zkconsent::circuits::authority::{AuthorityPublic, GrantAction};
    let registry =
        zkconsent::registry::Registry::open(home.join("registry.db")).expect("open registry");
    registry
        .events()
        .expect("events")
        .into_iter()
        .map(|e| {
            let proof = zkconsent::verifier::Proof::from_bytes(&e.proof).expect("stored proof");
            let inputs = AuthorityPublic {
                action: e.kind,
                commitment: e.commitment,
            }
            .to_field_elements();
            let mut words = EvmArgs::new(&proof, &inputs).words();
            words.truncate(8);
            GrantUpdate {
                revoke: e.kind == GrantAction::Revoke,
                index: e.leaf_index,
                commitment: zkconsent::verifier::fr_to_decimal(&e.commitment.0),
                proof: words,
                root_after: zkconsent::verifier::fr_to_decimal(&e.root_after.0),
            }
        })
        .collect()
}

/// A proof file's `verifyProof` words (a, b, c, inputs), decimal.
pub fn proof_file_words(bytes: &[u8]) -> Vec<String> {
    let decoded = ProofFile::decode(bytes).expect("proof decodes");
    EvmArgs::new(&decoded.proof, &decoded.inputs).words()
}

/// The digests `request`'s verifier opens it with on chain.
pub fn request_digests(request: &Path) -> Vec<[u8; 32]> {
    let request = zkconsent::request::Request::read(request).expect("request");
    zkconsent::export::registry::request_digests(&request).expect("digests")
}

/// A records anchoring from a home's registry log: root before, leaves, root after (decimal).
#[derive(Clone, Debug)]
pub struct Anchoring {
    /// The records root it was made on.
    pub root_before: String,
    /// The leaves appended, in order.
    pub leaves: Vec<String>,
    /// The records root after it.
    pub root_after: String,
}

/// Every records anchoring in `home`'s registry, in log order (none may supersede a leaf:
/// the chain only appends).
pub fn anchorings(home: &Path) -> Vec<Anchoring> {
    use zkconsent::verifier::fr_to_decimal;
    let registry =
        zkconsent::registry::Registry::open(home.join("registry.db")).expect("open registry");
    registry
        .record_events()
        .expect("record events")
        .into_iter()
        .map(|e| {
            assert!(e.superseded.is_empty(), "the chain only appends records");
            Anchoring {
                root_before: fr_to_decimal(&e.root_before.0),
                leaves: e.leaves.iter().map(|l| fr_to_decimal(&l.0)).collect(),
                root_after: fr_to_decimal(&e.root_after.0),
            }
        })
        .collect()
}
