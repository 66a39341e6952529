//! The registry a home's `registry.db` replicates: a registry service ([`RegistryClient`]) or
//! a `ZkconsentRegistry` contract on an EVM chain. Both take the same writes (each grant
//! change with its authority proof) and bring the replica up to date through the registry's
//! checked operations; only the transport differs.
//!
//! A chain upstream needs an EVM client, which this library does not carry (alloy stays in
//! `zkconsent-chain`): the program that has one installs a [`ChainConnector`] once at start
//! ([`install_chain_connector`]), and [`crate::home::Home::open`] uses it for a home holding
//! [`CHAIN_FILE`].

use super::{
    client::RegistryClient,
    replica::{self, ReplicaError, SyncReport},
    wire::{AnchorRecords, IssueGrant, NewIdentity, RevokeGrant},
};
use crate::registry::{Registry, Role};
use serde::{Deserialize, Serialize};
use std::{path::Path, sync::OnceLock};
use zkconsent_circuits::types::{GrantCommitment, IdentityId, RecordCommitment};
use zkconsent_verifier::{self as verifier, fr_to_decimal, PreparedVerifyingKey};

/// File in a home naming the chain registry it replicates.
pub const CHAIN_FILE: &str = "chain.json";
/// `ChainConfig::format`.
pub const CHAIN_FORMAT: &str = "zkconsent.chain";
/// File in a home holding the key its chain transactions are sent from (hex, 0600).
pub const CHAIN_KEY_FILE: &str = "chain.key";
/// The replica's checkpoint (last block applied and its hash) beside `registry.db`.
pub const CHAIN_STATE_FILE: &str = "registry.db.chain.json";
/// Largest `chain.json` read.
const MAX_CHAIN_FILE: usize = 64 << 10;

/// What a home's registry replicates, and where its writes go.
pub trait Upstream: Send + Sync {
    /// Where it is, as `--registry` names it.
    fn location(&self) -> String;

    /// Registers a public identity. A chain keeps no names: there an identity is the home's
    /// own (in its replica only) and other parties learn it from the identity's card.
    ///
    /// # Errors
    ///
    /// The upstream unreachable or refusing.
    fn register_identity(
        &self,
        registry: &mut Registry,
        name: &str,
        role: Role,
        id: IdentityId,
    ) -> Result<(), ReplicaError>;

    /// Submits a grant issue; the leaf if the upstream says it, `None` if the commitment was
    /// already there (a retry of a write that landed) or the upstream does not say.
    ///
    /// # Errors
    ///
    /// The upstream unreachable or refusing.
    fn issue_grant(
        &self,
        commitment: GrantCommitment,
        proof: &verifier::Proof,
    ) -> Result<Option<u64>, ReplicaError>;

    /// Submits a grant revocation.
    ///
    /// # Errors
    ///
    /// The upstream unreachable or refusing.
    fn revoke_grant(&self, index: u64, proof: &verifier::Proof) -> Result<(), ReplicaError>;

    /// Anchors record leaves (emptying `superseded` ones); the first new leaf's index.
    /// `registry` is the replica, synced (a chain custodian states the roots before and
    /// after).
    ///
    /// # Errors
    ///
    /// The upstream unreachable or refusing.
    fn anchor_records(
        &self,
        registry: &mut Registry,
        leaves: &[RecordCommitment],
        superseded: &[u64],
    ) -> Result<u64, ReplicaError>;

    /// Applies everything the replica lacks, checking every authority proof with
    /// `authority` and every root the upstream states.
    ///
    /// # Errors
    ///
    /// The upstream unreachable, or diverging from the replica.
    fn sync(
        &self,
        registry: &mut Registry,
        authority: &PreparedVerifyingKey,
    ) -> Result<SyncReport, ReplicaError>;

    /// Whether it keeps the identities (names, roles, ids) every home shares; a chain keeps
    /// none, so a home learns another party's identity from its imported card.
    fn keeps_identities(&self) -> bool {
        true
    }

    /// What it did since last asked, one line each (a chain's transactions with their gas).
    fn take_activity(&self) -> Vec<String> {
        Vec::new()
    }
}

impl Upstream for RegistryClient {
    fn location(&self) -> String {
        self.url().to_owned()
    }

    fn register_identity(
        &self,
        _registry: &mut Registry,
        name: &str,
        role: Role,
        id: IdentityId,
    ) -> Result<(), ReplicaError> {
        RegistryClient::register_identity(
            self,
            &NewIdentity {
                name: name.to_owned(),
                role: role.as_str().to_owned(),
                id: fr_to_decimal(&id.0),
            },
        )?;
        Ok(())
    }

    fn issue_grant(
        &self,
        commitment: GrantCommitment,
        proof: &verifier::Proof,
    ) -> Result<Option<u64>, ReplicaError> {
        let ack = RegistryClient::issue_grant(
            self,
            &IssueGrant {
                commitment: fr_to_decimal(&commitment.0),
                proof: hex::encode(proof.to_bytes()),
            },
        )?;
        Ok(Some(ack.index))
    }

    fn revoke_grant(&self, index: u64, proof: &verifier::Proof) -> Result<(), ReplicaError> {
        RegistryClient::revoke_grant(
            self,
            index,
            &RevokeGrant {
                proof: hex::encode(proof.to_bytes()),
            },
        )?;
        Ok(())
    }

    fn anchor_records(
        &self,
        _registry: &mut Registry,
        leaves: &[RecordCommitment],
        superseded: &[u64],
    ) -> Result<u64, ReplicaError> {
        Ok(RegistryClient::anchor_records(
            self,
            &AnchorRecords {
                leaves: leaves.iter().map(|l| fr_to_decimal(&l.0)).collect(),
                superseded: superseded.to_vec(),
            },
        )?
        .first_index)
    }

    fn sync(
        &self,
        registry: &mut Registry,
        authority: &PreparedVerifyingKey,
    ) -> Result<SyncReport, ReplicaError> {
        replica::sync(registry, self, authority)
    }
}

/// `chain.json`: which `ZkconsentRegistry` this home replicates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// [`CHAIN_FORMAT`].
    pub format: String,
    /// The node's JSON-RPC endpoint.
    pub rpc: String,
    /// The registry contract's address (0x…).
    pub registry: String,
    /// The block it was deployed in (its events start there).
    pub from_block: u64,
}

impl ChainConfig {
    /// The `--registry` form: `evm+RPC#ADDRESS`.
    #[must_use]
    pub fn location(&self) -> String {
        format!("{EVM_SCHEME}{}#{}", self.rpc, self.registry)
    }

    /// Reads `chain.json` from a home, if the home has one.
    ///
    /// # Errors
    ///
    /// An unreadable or malformed file.
    pub fn read(home: &Path) -> Result<Option<Self>, String> {
        let path = home.join(CHAIN_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let bytes = crate::files::read_limited(&path, MAX_CHAIN_FILE).map_err(|e| e.to_string())?;
        let config: Self =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        if config.format != CHAIN_FORMAT {
            return Err(format!("{}: not a {CHAIN_FORMAT} file", path.display()));
        }
        Ok(Some(config))
    }

    /// Writes `chain.json` into a home.
    ///
    /// # Errors
    ///
    /// File errors.
    pub fn write(&self, home: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::files::write_private_atomic(&home.join(CHAIN_FILE), &json)
    }
}

/// `--registry evm+http://HOST:PORT#0xADDRESS`: a chain registry.
pub const EVM_SCHEME: &str = "evm+";

/// Splits `evm+RPC#ADDRESS` into the endpoint and the address; `None` for a registry
/// service's URL.
///
/// # Errors
///
/// An `evm+` location without `#ADDRESS`, or an address that is not 20 hex bytes.
pub fn parse_evm_location(location: &str) -> Result<Option<(String, String)>, String> {
    let Some(rest) = location.strip_prefix(EVM_SCHEME) else {
        return Ok(None);
    };
    let (rpc, address) = rest.rsplit_once('#').ok_or_else(|| {
        format!("{location:?}: a chain registry is {EVM_SCHEME}http://HOST:PORT#0xADDRESS")
    })?;
    let hex_part = address
        .strip_prefix("0x")
        .ok_or_else(|| format!("{address:?}: an address starts with 0x"))?;
    if hex_part.len() != 40 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{address:?}: an address is 20 bytes in hex"));
    }
    if !(rpc.starts_with("http://") || rpc.starts_with("https://")) {
        return Err(format!(
            "{rpc:?}: the node's endpoint is http(s)://HOST:PORT"
        ));
    }
    Ok(Some((rpc.to_owned(), address.to_owned())))
}

/// Opens a chain upstream for the home in `home` from its `chain.json`.
pub type ChainConnector =
    fn(home: &Path, config: &ChainConfig) -> Result<Box<dyn Upstream>, String>;

static CHAIN_CONNECTOR: OnceLock<ChainConnector> = OnceLock::new();

/// Installs the chain client (once per process; later calls are ignored).
pub fn install_chain_connector(connector: ChainConnector) {
    let _ = CHAIN_CONNECTOR.set(connector);
}

/// Opens the chain upstream of a home holding `config`.
///
/// # Errors
///
/// No chain client in this program, or the connector's failure.
pub(crate) fn connect_chain(
    home: &Path,
    config: &ChainConfig,
) -> Result<Box<dyn Upstream>, String> {
    let connect = CHAIN_CONNECTOR.get().ok_or_else(|| {
        format!(
            "{} follows the chain registry {}, and this program has no chain client",
            home.display(),
            config.location()
        )
    })?;
    connect(home, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evm_locations_parse_and_service_urls_pass_through() {
        let address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        assert_eq!(
            parse_evm_location(&format!("evm+http://127.0.0.1:8545#{address}")).unwrap(),
            Some(("http://127.0.0.1:8545".into(), address.into()))
        );
        assert_eq!(parse_evm_location("http://127.0.0.1:7000").unwrap(), None);
        for bad in [
            "evm+http://127.0.0.1:8545",
            "evm+http://127.0.0.1:8545#5FbDB2315678afecb367f032d93F642f64180aa3",
            "evm+http://127.0.0.1:8545#0x5FbDB2315678afecb367f032d93F642f64180aa",
            "evm+http://127.0.0.1:8545#0x5FbDB2315678afecb367f032d93F642f64180aaZ",
            "evm+ftp://x#0x5FbDB2315678afecb367f032d93F642f64180aa3",
        ] {
            assert!(parse_evm_location(bad).is_err(), "{bad}");
        }
    }
}
