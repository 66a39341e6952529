//! Compiling the exported contracts with a Solidity compiler through its Standard JSON
//! interface (`solc --standard-json`, which solc-js's `solcjs` also speaks), with the
//! settings the repository's EVM tests use, so a deployment's code is what they measured.

use serde_json::{json, Value};
use std::{
    collections::HashMap,
    path::Path,
    process::{Command, Stdio},
};

/// Environment variable naming the compiler (`--solc`).
pub(crate) const SOLC_ENV: &str = "ZKCONSENT_SOLC";
/// Optimizer runs (as in `interop/compile-sol.js`).
const OPTIMIZER_RUNS: u64 = 200;
/// The EVM version compiled for (as in `interop/compile-sol.js`).
const EVM_VERSION: &str = "cancun";
/// Largest compiler output read (the registry and five verifiers are well below it).
const MAX_OUTPUT_BYTES: usize = 64 << 20;

/// A compiled contract.
pub(crate) struct Compiled {
    /// Creation bytecode.
    pub creation: Vec<u8>,
    /// Runtime bytecode (what `eth_getCode` returns once deployed, but for immutables).
    pub runtime: Vec<u8>,
    /// Byte ranges of the runtime code the constructor fills with immutables.
    pub immutables: Vec<std::ops::Range<usize>>,
}

impl Compiled {
    /// Whether `deployed` is this contract's runtime code, immutables aside (each immutable
    /// range may hold anything; every other byte must match).
    pub fn matches_runtime(&self, deployed: &[u8]) -> bool {
        if deployed.len() != self.runtime.len() {
            return false;
        }
        let mut ours = self.runtime.clone();
        let mut theirs = deployed.to_vec();
        for range in &self.immutables {
            if range.end > ours.len() {
                return false;
            }
            ours[range.clone()].fill(0);
            theirs[range.clone()].fill(0);
        }
        ours == theirs
    }
}

/// Compiles `sources` (file name, source) with `solc`; the contracts by name.
pub(crate) fn compile(
    solc: &Path,
    sources: &[(String, String)],
) -> Result<HashMap<String, Compiled>, String> {
    let files: serde_json::Map<String, Value> = sources
        .iter()
        .map(|(name, source)| (name.clone(), json!({ "content": source })))
        .collect();
    let input = json!({
        "language": "Solidity",
        "sources": files,
        "settings": {
            "optimizer": { "enabled": true, "runs": OPTIMIZER_RUNS },
            "evmVersion": EVM_VERSION,
            "outputSelection": { "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences"] } },
        },
    });
    let output_path = std::env::temp_dir().join(format!(
        "zkconsent-solc-{}-{}.json",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let answer = run_compiler(solc, &input, &output_path);
    let _ = std::fs::remove_file(&output_path);
    let answer = answer?;
    let errors: Vec<&str> = answer["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["severity"] == "error")
        .filter_map(|e| e["formattedMessage"].as_str())
        .collect();
    if !errors.is_empty() {
        return Err(format!("solc: {}", errors.join("\n")));
    }
    let mut out = HashMap::new();
    for contracts in answer["contracts"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for (name, c) in contracts.as_object().into_iter().flatten() {
            let hex_of = |v: &Value| hex::decode(v.as_str().unwrap_or_default());
            let creation = hex_of(&c["evm"]["bytecode"]["object"]).map_err(|e| e.to_string())?;
            let runtime =
                hex_of(&c["evm"]["deployedBytecode"]["object"]).map_err(|e| e.to_string())?;
            let immutables = c["evm"]["deployedBytecode"]["immutableReferences"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .flat_map(|refs| refs.as_array().cloned().unwrap_or_default())
                .filter_map(|r| {
                    let start = usize::try_from(r["start"].as_u64()?).ok()?;
                    let length = usize::try_from(r["length"].as_u64()?).ok()?;
                    Some(start..start.checked_add(length)?)
                })
                .collect();
            out.insert(
                name.clone(),
                Compiled {
                    creation,
                    runtime,
                    immutables,
                },
            );
        }
    }
    Ok(out)
}

/// Runs `solc --standard-json` on `input`, its answer written to `output_path`. Both ends
/// are files, not pipes: solcjs reads its input with one synchronous read that fails with
/// EAGAIN on a pipe not yet filled, and exits before a pipe drains its answer (cut at 64 KiB).
fn run_compiler(solc: &Path, input: &Value, output_path: &Path) -> Result<Value, String> {
    let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", solc.display());
    let input_path = output_path.with_extension("input.json");
    std::fs::write(&input_path, input.to_string()).map_err(|e| failed(&e))?;
    let stdin = std::fs::File::open(&input_path).map_err(|e| failed(&e));
    let _ = std::fs::remove_file(&input_path); // the open file stays readable
    let stdout = std::fs::File::create(output_path).map_err(|e| failed(&e))?;
    let done = Command::new(solc)
        .arg("--standard-json")
        .stdin(stdin?)
        // The compiler has no use for the wallet's passphrase.
        .env_remove(crate::passphrase::PASSPHRASE_ENV)
        .env_remove(crate::passphrase::NEW_PASSPHRASE_ENV)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            format!(
                "{}: {e} (give a Solidity compiler with --solc or {SOLC_ENV}, e.g. \
                 interop/node_modules/.bin/solcjs)",
                solc.display()
            )
        })?;
    let bytes =
        zkconsent::files::read_limited(output_path, MAX_OUTPUT_BYTES).map_err(|e| failed(&e))?;
    // solcjs prints a line of its own before the JSON on some versions: start at the brace.
    let start = bytes.iter().position(|&b| b == b'{').ok_or_else(|| {
        format!(
            "{} gave no JSON: {}",
            solc.display(),
            String::from_utf8_lossy(&done.stderr).trim()
        )
    })?;
    serde_json::from_slice(&bytes[start..]).map_err(|e| failed(&e))
}
