//! Joining a registry service: a new home whose params are the service's (each file checked
//! against the manifest the service pins), an empty replica brought up to date, an empty
//! wallet, and `remote.json`; or joining a chain registry ([`join_chain`]), with params
//! given as files and checked against the verifiers the chain calls.

use super::{
    client::{RegistryClient, RemoteError},
    upstream::{ChainConfig, CHAIN_KEY_FILE},
    wire::{REGISTRY_API_FORMAT, REGISTRY_API_VERSION},
    RemoteConfig, REMOTE_FORMAT,
};
use crate::{
    home::{Home, HomeError, PARAMS_DIR, REGISTRY_FILE, WALLET_FILE},
    registry::Registry,
    wallet::{IssuedRequests, Wallet, ISSUED_FILE},
};
use std::path::Path;
use zkconsent_prover::{
    params::{sha256_hex, Manifest, MANIFEST_FILE},
    ParamsDir,
};

/// Why joining failed.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// The service could not be asked, or refused.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The service is not a zkconsent registry of this version, or serves params that do
    /// not match what it pins.
    #[error("registry service: {0}")]
    Untrusted(String),
    /// The directory already holds a home.
    #[error("{0} already holds a home; join into an empty directory")]
    Exists(String),
    /// Writing the new home failed.
    #[error("{0}")]
    Local(String),
    /// The new home failed to open or sync.
    #[error(transparent)]
    Home(#[from] HomeError),
}

/// The new wallet's passphrase, asked before anything is downloaded or written.
fn new_wallet_passphrase(dir: &Path) -> Result<Option<zkconsent_wallet::Passphrase>, JoinError> {
    let path = dir.join(WALLET_FILE);
    crate::passphrase::passphrase(crate::passphrase::PassphraseFor::NewWallet(&path))
        .map_err(|e| JoinError::Local(e.to_string()))
}

/// Creates a home in `dir` (new or empty) replicating the service at `url`. `token` is a
/// custodian's anchoring token, kept in `remote.json` (0600).
///
/// # Errors
///
/// See [`JoinError`]; a failed join leaves no `registry.db`, so it can be run again.
pub fn join(dir: &Path, url: &str, token: Option<String>) -> Result<Home, JoinError> {
    if dir.join(REGISTRY_FILE).exists() || dir.join(WALLET_FILE).exists() {
        return Err(JoinError::Exists(dir.display().to_string()));
    }
    let passphrase = new_wallet_passphrase(dir)?;
    let client = RegistryClient::new(url, token.clone())?;
    let info = client.info()?;
    if info.format != REGISTRY_API_FORMAT || info.api != REGISTRY_API_VERSION {
        return Err(JoinError::Untrusted(format!(
            "{url} serves {} API {}, not {REGISTRY_API_FORMAT} API {REGISTRY_API_VERSION}",
            info.format, info.api
        )));
    }
    let params_dir = dir.join(PARAMS_DIR);
    download_params(&client, &info.manifest_sha256, &params_dir)?;
    let params = ParamsDir::open(&params_dir).map_err(HomeError::from)?;
    if params.manifest().tree_depth != info.depth {
        return Err(JoinError::Untrusted(format!(
            "params depth {} differs from the registry's {}",
            params.manifest().tree_depth,
            info.depth
        )));
    }
    let local = |e: &dyn std::fmt::Display| JoinError::Local(e.to_string());
    Wallet::create(dir.join(WALLET_FILE), passphrase.as_ref()).map_err(|e| local(&e))?;
    IssuedRequests::open_or_create(dir.join(ISSUED_FILE))
        .and_then(|index| index.mark_complete())
        .map_err(|e| local(&e))?;
    RemoteConfig {
        format: REMOTE_FORMAT.into(),
        registry: client.url().to_owned(),
        token,
    }
    .write(dir)
    .map_err(|e| local(&e))?;
    // The replica last: its presence marks a complete join.
    Registry::create(dir.join(REGISTRY_FILE), info.depth).map_err(|e| local(&e))?;
    let mut home = Home::open_with(dir, passphrase.as_ref())?;
    home.sync()?;
    Ok(home)
}

/// Creates a home in `dir` (new or empty) replicating the chain registry `config` names,
/// with the params in `params_from` (each key file checked against their manifest, then the
/// whole set by `check`, which compares them with the verifiers the registry calls) and,
/// for a home that sends transactions, `key` (hex) in `chain.key` (0600). Needs the chain
/// client installed ([`super::upstream::install_chain_connector`]).
///
/// # Errors
///
/// See [`JoinError`]; a failed join leaves no `registry.db`, so it can be run again.
pub fn join_chain(
    dir: &Path,
    params_from: &Path,
    config: &ChainConfig,
    key: Option<&str>,
    check: &dyn Fn(&ParamsDir) -> Result<(), String>,
) -> Result<Home, JoinError> {
    if dir.join(REGISTRY_FILE).exists() || dir.join(WALLET_FILE).exists() {
        return Err(JoinError::Exists(dir.display().to_string()));
    }
    let passphrase = new_wallet_passphrase(dir)?;
    let read = |name: &str| {
        crate::files::read_limited(&params_from.join(name), MAX_PARAMS_FILE)
            .map_err(|e| JoinError::Local(e.to_string()))
    };
    let params_dir = dir.join(PARAMS_DIR);
    install_params(&read, None, &params_dir)?;
    let params = ParamsDir::open(&params_dir).map_err(HomeError::from)?;
    check(&params).map_err(JoinError::Untrusted)?;
    let local = |e: &dyn std::fmt::Display| JoinError::Local(e.to_string());
    Wallet::create(dir.join(WALLET_FILE), passphrase.as_ref()).map_err(|e| local(&e))?;
    IssuedRequests::open_or_create(dir.join(ISSUED_FILE))
        .and_then(|index| index.mark_complete())
        .map_err(|e| local(&e))?;
    config.write(dir).map_err(|e| local(&e))?;
    if let Some(key) = key {
        crate::files::write_private_atomic(&dir.join(CHAIN_KEY_FILE), key.as_bytes())
            .map_err(|e| local(&e))?;
    }
    Registry::create(dir.join(REGISTRY_FILE), params.manifest().tree_depth)
        .map_err(|e| local(&e))?;
    let mut home = Home::open_with(dir, passphrase.as_ref())?;
    home.sync()?;
    Ok(home)
}

/// Largest params file copied (proving keys of deep trees are tens of megabytes).
const MAX_PARAMS_FILE: usize = 1 << 30;

/// Downloads the manifest the service pins by hash, then every key file it names, each
/// checked against the manifest before it is written.
fn download_params(
    client: &RegistryClient,
    manifest_sha256: &str,
    params_dir: &Path,
) -> Result<(), JoinError> {
    install_params(
        &|name| Ok(client.params_file(name)?),
        Some(manifest_sha256),
        params_dir,
    )
}

/// Fetches the manifest (checked against `manifest_sha256` if pinned), then every key file
/// it names, each checked against the manifest before it is written.
fn install_params(
    fetch: &dyn Fn(&str) -> Result<Vec<u8>, JoinError>,
    manifest_sha256: Option<&str>,
    params_dir: &Path,
) -> Result<(), JoinError> {
    let manifest_bytes = fetch(MANIFEST_FILE)?;
    if manifest_sha256.is_some_and(|pinned| sha256_hex(&manifest_bytes) != pinned) {
        return Err(JoinError::Untrusted(
            "its manifest.json does not hash to the value /v1/info pins".into(),
        ));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| JoinError::Untrusted(format!("manifest.json: {e}")))?;
    std::fs::create_dir_all(params_dir).map_err(|e| JoinError::Local(e.to_string()))?;
    for entry in &manifest.keys {
        for (name, sha) in entry.files() {
            if !is_plain_file_name(name) {
                return Err(JoinError::Untrusted(format!(
                    "manifest names a key file {name:?} outside the params directory"
                )));
            }
            let bytes = fetch(name)?;
            if sha256_hex(&bytes) != sha {
                return Err(JoinError::Untrusted(format!(
                    "{name} does not hash to the manifest's value"
                )));
            }
            std::fs::write(params_dir.join(name), &bytes)
                .map_err(|e| JoinError::Local(e.to_string()))?;
        }
    }
    std::fs::write(params_dir.join(MANIFEST_FILE), &manifest_bytes)
        .map_err(|e| JoinError::Local(e.to_string()))
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}
