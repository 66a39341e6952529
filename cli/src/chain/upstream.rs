//! A home whose registry replicates a `ZkconsentRegistry` on an EVM chain: the library's
//! [`Upstream`] over `zkconsent-chain`. Writes are transactions (each grant change carrying
//! the patient's authority proof, which the contract verifies); the replica is rebuilt from
//! the contract's events alone and checked against its roots, following reorgs.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};
use zkconsent::{
    circuits::types::{GrantCommitment, IdentityId, RecordCommitment},
    export::solidity::EvmArgs,
    registry::{Registry, Role},
    remote::{
        replica::{ReplicaError, SyncReport},
        upstream::{ChainConfig, Upstream, CHAIN_KEY_FILE, CHAIN_STATE_FILE},
    },
    verifier::{fr_to_decimal, PreparedVerifyingKey, Proof},
};
use zkconsent_chain::{
    parse_key, random_key, replica::ReplicaError as ChainReplicaError, Address, Chain, ProofWords,
    TxOutcome, U256,
};

/// Largest `chain.key` read.
const MAX_KEY_FILE: usize = 256;

/// A chain registry as a home's upstream.
pub(crate) struct ChainUpstream {
    chain: Chain,
    config: ChainConfig,
    address: Address,
    /// The replica's checkpoint file.
    state: PathBuf,
    /// Whether the home has a key to send transactions from.
    can_send: bool,
}

/// Transactions every chain upstream of this process sent since last asked, with their gas
/// (one process runs one command, or the demo's story, so one log is what is asked for).
static ACTIVITY: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Adds a line to [`ACTIVITY`].
pub(crate) fn record_activity(line: String) {
    if let Ok(mut log) = ACTIVITY.lock() {
        log.push(line);
    }
}

/// Drains [`ACTIVITY`].
pub(crate) fn take_activity() -> Vec<String> {
    ACTIVITY
        .lock()
        .map(|mut log| std::mem::take(&mut *log))
        .unwrap_or_default()
}

/// The library's [`zkconsent::remote::upstream::ChainConnector`].
pub(crate) fn connect(home: &Path, config: &ChainConfig) -> Result<Box<dyn Upstream>, String> {
    Ok(Box::new(ChainUpstream::open(home, config)?))
}

fn upstream_error(e: impl std::fmt::Display) -> ReplicaError {
    ReplicaError::Upstream {
        refused: false,
        message: format!("chain: {e}"),
    }
}

/// A revert by name. Final unless the chain moved under it (`RecordsMoved`: another
/// anchoring, perhaps this one's own earlier submission, landed first) or it has no name
/// (out of gas, state changed): then a retry after a sync may land, and a pending write is
/// kept.
fn refused(what: &str, name: &str) -> ReplicaError {
    ReplicaError::Upstream {
        refused: !matches!(name, "RecordsMoved" | "reverted"),
        message: format!("the chain registry refused {what}: {name}"),
    }
}

impl ChainUpstream {
    /// Connects to the node `config` names, sending from the home's `chain.key` if it has
    /// one (a home without one reads the chain only).
    pub(crate) fn open(home: &Path, config: &ChainConfig) -> Result<Self, String> {
        let address: Address = config
            .registry
            .parse()
            .map_err(|_| format!("{}: not an address", config.registry))?;
        let key_path = home.join(CHAIN_KEY_FILE);
        let (key, can_send) = if key_path.exists() {
            let bytes = zkconsent::files::read_limited(&key_path, MAX_KEY_FILE)
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("{}: not a key", key_path.display()))?;
            let key = parse_key(&text).map_err(|e| format!("{}: {e}", key_path.display()))?;
            (key, true)
        } else {
            (random_key(), false)
        };
        let chain = Chain::connect(&config.rpc, key).map_err(|e| e.to_string())?;
        Ok(Self {
            chain,
            config: config.clone(),
            address,
            state: home.join(CHAIN_STATE_FILE),
            can_send,
        })
    }

    fn note(&self, line: String) {
        record_activity(line);
    }

    fn sender(&self, what: &str) -> Result<(), ReplicaError> {
        if self.can_send {
            Ok(())
        } else {
            // Final: this home can never send it (a pending write is dropped, not retried).
            Err(ReplicaError::Upstream {
                refused: true,
                message: format!(
                    "{what} is a chain transaction, and this home has no {CHAIN_KEY_FILE} to \
                     send it from (join with --chain-key-file)"
                ),
            })
        }
    }

    /// Sends `data` unless a call says it would revert; a revert is a refusal by name.
    fn send(&self, what: &str, data: Vec<u8>, gas_limit: u64) -> Result<TxOutcome, ReplicaError> {
        self.sender(what)?;
        if let Some(name) = self
            .chain
            .refusal(self.address, data.clone())
            .map_err(upstream_error)?
        {
            return Err(refused(what, name));
        }
        let outcome = self
            .chain
            .transact(self.address, data.clone(), gas_limit)
            .map_err(upstream_error)?;
        if !outcome.success {
            let name = self
                .chain
                .refusal(self.address, data)
                .map_err(upstream_error)?
                .unwrap_or("reverted");
            return Err(refused(what, name));
        }
        self.note(format!("{what}: {} gas", group(outcome.gas)));
        Ok(outcome)
    }
}

/// A proof's eight `verifyProof` words (a, b in EIP-197 order, c).
fn proof_words(proof: &Proof) -> Result<ProofWords, ReplicaError> {
    let words = EvmArgs::new(proof, &[]).words();
    let mut out = [U256::ZERO; zkconsent_chain::contracts::PROOF_WORDS];
    if words.len() != out.len() {
        return Err(upstream_error("a proof is not eight words"));
    }
    for (slot, word) in out.iter_mut().zip(&words) {
        *slot = word.parse().map_err(upstream_error)?;
    }
    Ok(out)
}

fn word(x: &ark_bn254::Fr) -> Result<U256, ReplicaError> {
    fr_to_decimal(x).parse().map_err(upstream_error)
}

/// `1234567` → `1,234,567`.
pub(crate) fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Upstream for ChainUpstream {
    fn location(&self) -> String {
        self.config.location()
    }

    fn register_identity(
        &self,
        registry: &mut Registry,
        name: &str,
        role: Role,
        id: IdentityId,
    ) -> Result<(), ReplicaError> {
        // The chain keeps no names: the identity is this home's (others learn it from its
        // card).
        Ok(registry.register_identity(name, role, id)?)
    }

    fn issue_grant(
        &self,
        commitment: GrantCommitment,
        proof: &Proof,
    ) -> Result<Option<u64>, ReplicaError> {
        let data = Chain::issue_grant_call(&proof_words(proof)?, word(&commitment.0)?);
        match self.send(
            "issueGrant",
            data,
            zkconsent_chain::registry::GRANT_UPDATE_GAS,
        ) {
            Ok(_) => Ok(None),
            // Landed before (a retry after a lost answer): the replica finds its leaf.
            Err(ReplicaError::Upstream {
                refused: true,
                message,
            }) if message.ends_with("AlreadyIssued") => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn revoke_grant(&self, index: u64, proof: &Proof) -> Result<(), ReplicaError> {
        let data = Chain::revoke_grant_call(&proof_words(proof)?, index);
        self.send(
            "revokeGrant",
            data,
            zkconsent_chain::registry::GRANT_UPDATE_GAS,
        )?;
        Ok(())
    }

    fn anchor_records(
        &self,
        registry: &mut Registry,
        leaves: &[RecordCommitment],
        superseded: &[u64],
    ) -> Result<u64, ReplicaError> {
        let preview = registry.preview_anchoring(leaves, superseded)?;
        let words = leaves
            .iter()
            .map(|l| word(&l.0))
            .collect::<Result<Vec<_>, _>>()?;
        let data = Chain::anchor_records_call(
            word(&preview.root_before.0)?,
            &words,
            superseded,
            word(&preview.root_after.0)?,
        );
        let gas = Chain::anchor_records_gas(leaves.len(), superseded.len());
        self.send("anchorRecords", data, gas)?;
        Ok(preview.first_index)
    }

    fn sync(
        &self,
        registry: &mut Registry,
        authority: &PreparedVerifyingKey,
    ) -> Result<SyncReport, ReplicaError> {
        let report = zkconsent_chain::sync_registry(
            &self.chain,
            self.address,
            self.config.from_block,
            registry,
            &self.state,
            authority,
        )
        .map_err(|e| match e {
            ChainReplicaError::Registry(e) => ReplicaError::Local(e),
            ChainReplicaError::Diverged(why) => ReplicaError::Diverged(why),
            other => upstream_error(other),
        })?;
        if report.rebuilt && report.issued + report.revoked + report.anchorings > 0 {
            self.note(format!(
                "replica rebuilt from the chain's events up to block {}",
                report.block
            ));
        }
        Ok(SyncReport {
            identities: 0,
            grant_events: report.issued + report.revoked,
            record_events: report.anchorings,
        })
    }

    fn keeps_identities(&self) -> bool {
        false
    }

    fn take_activity(&self) -> Vec<String> {
        take_activity()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gas_is_grouped_by_thousands() {
        assert_eq!(super::group(0), "0");
        assert_eq!(super::group(999), "999");
        assert_eq!(super::group(1_625_792), "1,625,792");
    }
}
