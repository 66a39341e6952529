//! The Access verifier exported from the shared fixture home and `contracts/
//! ConsentRegistry.sol`, compiled with the pinned solc-js (`interop/package.json`, through
//! `interop/compile-sol.js`), for the EVM tests on revm (`tests/evm.rs`) and on anvil
//! (`tests/anvil.rs`). `(cd interop && npm ci)` must have run first: without it the tests
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
    home::Home,
    prover::Statement,
};

/// The repository's root.
pub fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Both contracts, the verifier's source, and the fixture proof's `verifyProof` words.
pub struct AccessContracts {
    /// Creation bytecode of `ZkconsentAccessVerifier`.
    pub verifier: Vec<u8>,
    /// Creation bytecode of `ConsentRegistry`.
    pub registry: Vec<u8>,
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

/// The contracts for the shared fixture home (compiled once per test binary).
pub fn access_contracts() -> &'static AccessContracts {
    static CONTRACTS: OnceLock<AccessContracts> = OnceLock::new();
    CONTRACTS.get_or_init(|| {
        let f = fixture();
        let home = Home::open(&f.home).expect("open home");
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
        let out = compile(&[
            verifier_path,
            repo_root().join("contracts/ConsentRegistry.sol"),
        ]);
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
            registry: bin("ConsentRegistry"),
            solc: out["solc"].as_str().unwrap_or("?").to_string(),
            source,
            words: EvmArgs::new(&decoded.proof, &decoded.inputs).words(),
        }
    })
}
