//! A local anvil node for tests and demos: the binary from `interop/`'s lockfile
//! (`@foundry-rs/anvil` and its platform package), on a free port, stopped on drop.

use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    signers::local::PrivateKeySigner,
};
use std::path::{Path, PathBuf};

/// Environment variable naming an anvil binary to use instead of `interop/`'s.
pub const ANVIL_ENV: &str = "ZKCONSENT_ANVIL";

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No binary where we looked.
    #[error("no anvil binary at {0} (run `(cd interop && npm ci)`, or set ZKCONSENT_ANVIL)")]
    Missing(PathBuf),
    /// It did not start or announce its address.
    #[error("anvil did not start: {0}")]
    Spawn(String),
}

/// The anvil binary: `$ZKCONSENT_ANVIL`, or the npm platform package under
/// `repo_root/interop/node_modules` (run directly, not through npm's Node wrapper, so that
/// stopping it stops the node).
#[must_use]
pub fn anvil_path(repo_root: &Path) -> PathBuf {
    if let Some(path) = std::env::var_os(ANVIL_ENV) {
        return PathBuf::from(path);
    }
    let os = match std::env::consts::OS {
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let exe = if os == "win32" { "anvil.exe" } else { "anvil" };
    repo_root
        .join("interop/node_modules/@foundry-rs")
        .join(format!("anvil-{os}-{arch}"))
        .join("bin")
        .join(exe)
}

/// A running anvil node (killed when dropped).
#[derive(Debug)]
pub struct AnvilNode {
    instance: AnvilInstance,
}

impl AnvilNode {
    /// Starts `binary` on a free local port with its genesis block at `genesis_timestamp`
    /// (unix seconds); returns once it accepts JSON-RPC.
    ///
    /// # Errors
    ///
    /// [`NodeError`] if the binary is missing or the node does not start.
    pub fn start(binary: &Path, genesis_timestamp: u64) -> Result<Self, NodeError> {
        if !binary.is_file() {
            return Err(NodeError::Missing(binary.to_path_buf()));
        }
        let instance = Anvil::at(binary)
            .arg("--host")
            .arg("127.0.0.1")
            .arg("--timestamp")
            .arg(genesis_timestamp.to_string())
            .try_spawn()
            .map_err(|e| NodeError::Spawn(e.to_string()))?;
        Ok(Self { instance })
    }

    /// The JSON-RPC endpoint, `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        self.instance.endpoint()
    }

    /// Development account `index`'s key (funded at genesis; anvil's well-known keys).
    #[must_use]
    pub fn dev_key(&self, index: usize) -> Option<PrivateKeySigner> {
        self.instance.keys().get(index).cloned().map(Into::into)
    }
}
