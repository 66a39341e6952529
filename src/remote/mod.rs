//! A home whose registry is a registry service: the `/v1` API's types ([`wire`]), a client
//! ([`client`]), the local replica it keeps ([`replica`]) and joining a service ([`join`]).
//!
//! A home may instead replicate a `ZkconsentRegistry` on an EVM chain ([`upstream`]); both
//! are an [`upstream::Upstream`].
//!
//! Such a home holds `remote.json` (the service's URL and, for a custodian, its anchoring
//! token); its `registry.db` is a replica written only by [`replica::sync`], plus the
//! verifier's own tables (answered requests, spent nullifiers), which never leave it.
pub mod client;
pub mod join;
pub mod replica;
mod submit;
pub mod upstream;
pub mod wire;

use serde::{Deserialize, Serialize};
use std::path::Path;

/// File in a home naming its registry service.
pub const REMOTE_FILE: &str = "remote.json";
/// `RemoteConfig::format`.
pub const REMOTE_FORMAT: &str = "zkconsent.remote";
/// Environment variable holding the registry service URL (`--registry`).
pub const REGISTRY_ENV: &str = "ZKCONSENT_REGISTRY";
/// Largest `remote.json` read.
const MAX_REMOTE_FILE: usize = 64 << 10;

/// `remote.json`: which registry service this home replicates.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteConfig {
    /// [`REMOTE_FORMAT`].
    pub format: String,
    /// The service's base URL.
    pub registry: String,
    /// A custodian's anchoring token (the file is kept 0600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl std::fmt::Debug for RemoteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfig")
            .field("registry", &self.registry)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish()
    }
}

impl RemoteConfig {
    /// Reads `remote.json` from a home, if the home has one.
    ///
    /// # Errors
    ///
    /// An unreadable or malformed file.
    pub fn read(home: &Path) -> Result<Option<Self>, String> {
        let path = home.join(REMOTE_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let bytes =
            crate::files::read_limited(&path, MAX_REMOTE_FILE).map_err(|e| e.to_string())?;
        let config: Self =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        if config.format != REMOTE_FORMAT {
            return Err(format!("{}: not a {REMOTE_FORMAT} file", path.display()));
        }
        Ok(Some(config))
    }

    /// Writes `remote.json` into a home, readable by its owner only.
    ///
    /// # Errors
    ///
    /// File errors.
    pub fn write(&self, home: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::files::write_private_atomic(&home.join(REMOTE_FILE), &json)
    }
}
