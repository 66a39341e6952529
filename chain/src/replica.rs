//! A registry replica rebuilt from `ZkconsentRegistry`'s events alone (`eth_getLogs`): every
//! grant issue and revoke is applied through the registry's checked operations (its authority
//! proof, logged in the event, verified again), every anchoring appended, and every root the
//! event states compared with the replica's; at the end both roots must equal the contract's
//! at that block. The replica then gives Merkle paths for proofs against the chain's roots.
//!
//! Reorgs: the replica remembers the last block it applied and that block's hash. If the
//! chain no longer has that hash at that height, the blocks it applied were reorganised
//! away, and [`sync_file`] rebuilds the replica from the deployment block (the events are the
//! whole state, so a rebuild is always possible).

use crate::{
    client::{node_error, Chain, ChainError},
    contracts::{ZkconsentRegistry, PROOF_WORDS},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use std::{
    collections::HashMap,
    future::IntoFuture,
    path::{Path, PathBuf},
};
use zkconsent_circuits::types::{GrantCommitment, RecordCommitment, Timestamp};
use zkconsent_registry::{Registry, RegistryError};
use zkconsent_verifier::{fr_to_decimal, parse_fr_decimal, PreparedVerifyingKey, Proof};

/// Blocks asked for in one `eth_getLogs` (nodes cap the range).
pub const MAX_LOG_BLOCKS: u64 = 10_000;

/// Why a replica could not follow the chain.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The node failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The local registry failed.
    #[error("replica: {0}")]
    Registry(#[from] RegistryError),
    /// The chain's events or roots differ from what the replica computes from them.
    #[error("the chain's registry diverges from its events: {0}")]
    Diverged(String),
    /// The last block applied is no longer on the chain.
    #[error("block {block} was reorganised away")]
    Reorged {
        /// Its height.
        block: u64,
    },
    /// The replica's state file is unreadable.
    #[error("{path}: {reason}")]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn diverged(what: impl Into<String>) -> ReplicaError {
    ReplicaError::Diverged(what.into())
}

/// The last block a replica applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Its height.
    pub block: u64,
    /// Its hash.
    pub hash: B256,
}

/// What one sync applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Grants issued.
    pub issued: u64,
    /// Grants revoked.
    pub revoked: u64,
    /// Records anchorings.
    pub anchorings: u64,
    /// The block the replica now reflects.
    pub block: u64,
    /// Whether the replica was built from the deployment block (the first sync, or a
    /// rebuild after a reorg).
    pub rebuilt: bool,
}

/// Follows one deployed registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReplica {
    /// The registry contract.
    pub address: Address,
    /// The block it was deployed in (no events before it).
    pub from_block: u64,
    /// The last block applied, if any.
    pub checkpoint: Option<Checkpoint>,
}

impl ChainReplica {
    /// A replica of the registry at `address`, deployed in block `from_block`, with nothing
    /// applied yet.
    #[must_use]
    pub fn new(address: Address, from_block: u64) -> Self {
        Self {
            address,
            from_block,
            checkpoint: None,
        }
    }

    /// Applies every event up to the chain's latest block to `registry` (which holds what
    /// this replica applied before), checking authority proofs with `authority`.
    ///
    /// # Errors
    ///
    /// [`ReplicaError::Reorged`] if the last block applied is gone; [`ReplicaError::Diverged`]
    /// if an event or the contract's roots differ from the replica's; node and registry errors.
    pub fn sync(
        &mut self,
        chain: &Chain,
        registry: &mut Registry,
        authority: &PreparedVerifyingKey,
    ) -> Result<SyncReport, ReplicaError> {
        if let Some(cp) = self.checkpoint {
            if block_hash(chain, cp.block)? != Some(cp.hash) {
                return Err(ReplicaError::Reorged { block: cp.block });
            }
        }
        let head = chain
            .block_on(chain.provider().get_block_number().into_future())
            .map_err(node_error)?;
        let head_hash = block_hash(chain, head)?
            .ok_or_else(|| ChainError::Node(format!("block {head} has no hash")))?;
        let mut report = SyncReport {
            block: head,
            ..SyncReport::default()
        };
        let mut times = HashMap::new();
        let mut from = self.checkpoint.map_or(self.from_block, |cp| cp.block + 1);
        while from <= head {
            let to = head.min(from + MAX_LOG_BLOCKS - 1);
            let filter = Filter::new()
                .address(self.address)
                .from_block(from)
                .to_block(to);
            let logs = chain
                .block_on(chain.provider().get_logs(&filter).into_future())
                .map_err(node_error)?;
            for log in &logs {
                apply(chain, registry, authority, log, &mut times, &mut report)?;
            }
            from = to + 1;
        }
        check_roots(chain, self.address, registry, head)?;
        self.checkpoint = Some(Checkpoint {
            block: head,
            hash: head_hash,
        });
        Ok(report)
    }
}

/// Block `block`'s hash and timestamp, if the chain has it.
fn block_header(chain: &Chain, block: u64) -> Result<Option<(B256, u64)>, ReplicaError> {
    let found = chain
        .block_on(
            chain
                .provider()
                .get_block_by_number(BlockNumberOrTag::Number(block))
                .into_future(),
        )
        .map_err(node_error)?;
    Ok(found.map(|b| (b.header.hash, b.header.timestamp)))
}

fn block_hash(chain: &Chain, block: u64) -> Result<Option<B256>, ReplicaError> {
    Ok(block_header(chain, block)?.map(|(hash, _)| hash))
}

fn block_time(
    chain: &Chain,
    log: &Log,
    times: &mut HashMap<u64, u64>,
) -> Result<Timestamp, ReplicaError> {
    let block = log
        .block_number
        .ok_or_else(|| ChainError::Node("a log without its block".into()))?;
    if let Some(t) = times.get(&block) {
        return Ok(Timestamp(*t));
    }
    let (_, time) = block_header(chain, block)?
        .ok_or_else(|| ChainError::Node(format!("block {block} is missing")))?;
    times.insert(block, time);
    Ok(Timestamp(time))
}

fn field(what: &str, x: U256) -> Result<zkconsent_verifier::Fr, ReplicaError> {
    parse_fr_decimal(&x.to_string()).map_err(|e| diverged(format!("{what}: {e}")))
}

/// An authority proof from its event words (a, b in EIP-197 order, c), checked on the curve.
///
/// # Errors
///
/// [`ReplicaError::Diverged`] for words that are no proof.
pub fn proof_from_words(words: &[U256; PROOF_WORDS]) -> Result<Proof, ReplicaError> {
    let d: Vec<String> = words.iter().map(U256::to_string).collect();
    Proof::from_decimal(
        [&d[0], &d[1]],
        [[&d[3], &d[2]], [&d[5], &d[4]]],
        [&d[6], &d[7]],
    )
    .map_err(|e| diverged(format!("a logged authority proof: {e}")))
}

fn apply(
    chain: &Chain,
    registry: &mut Registry,
    authority: &PreparedVerifyingKey,
    log: &Log,
    times: &mut HashMap<u64, u64>,
    report: &mut SyncReport,
) -> Result<(), ReplicaError> {
    let Some(topic) = log.topic0() else {
        return Ok(());
    };
    let decode_failed = |e: alloy::sol_types::Error| diverged(format!("an event: {e}"));
    if *topic == ZkconsentRegistry::GrantIssued::SIGNATURE_HASH {
        let e = log
            .log_decode::<ZkconsentRegistry::GrantIssued>()
            .map_err(decode_failed)?
            .inner
            .data;
        let commitment = GrantCommitment(field("commitment", e.commitment)?);
        // Applied already (by another process syncing the same home, or before a stop
        // between the database and the checkpoint): the final root check still holds.
        if let Some(held) = registry.find_grant(commitment)? {
            return if U256::from(held.index) == e.index {
                Ok(())
            } else {
                Err(diverged(format!(
                    "the replica holds commitment {} at leaf {}, the chain at {}",
                    e.commitment, held.index, e.index
                )))
            };
        }
        let at = block_time(chain, log, times)?;
        let index = registry
            .issue_grant(authority, commitment, &proof_from_words(&e.proof)?, at)
            .map_err(|err| diverged(format!("grant {}: {err}", e.index)))?;
        if U256::from(index) != e.index {
            return Err(diverged(format!(
                "issued at leaf {index}, the chain says {}",
                e.index
            )));
        }
        same_root(registry.current_root()?.0, e.root, "after an issue")?;
        report.issued += 1;
    } else if *topic == ZkconsentRegistry::GrantRevoked::SIGNATURE_HASH {
        let e = log
            .log_decode::<ZkconsentRegistry::GrantRevoked>()
            .map_err(decode_failed)?
            .inner
            .data;
        let index = u64::try_from(e.index).map_err(|_| diverged("a revoked index past 2^64"))?;
        if registry
            .grant(index)?
            .is_some_and(|g| g.status == zkconsent_registry::GrantStatus::Revoked)
        {
            return Ok(()); // applied already
        }
        let at = block_time(chain, log, times)?;
        if registry.leaf(index)? != field("commitment", e.commitment)? {
            return Err(diverged(format!(
                "leaf {index} does not hold the commitment revoked"
            )));
        }
        registry
            .revoke_grant(authority, index, &proof_from_words(&e.proof)?, at)
            .map_err(|err| diverged(format!("revoke {index}: {err}")))?;
        same_root(registry.current_root()?.0, e.root, "after a revoke")?;
        report.revoked += 1;
    } else if *topic == ZkconsentRegistry::RecordsAnchored::SIGNATURE_HASH {
        let e = log
            .log_decode::<ZkconsentRegistry::RecordsAnchored>()
            .map_err(decode_failed)?
            .inner
            .data;
        let leaves = e
            .leaves
            .iter()
            .map(|l| field("record leaf", *l).map(RecordCommitment))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(first) = leaves.first() {
            if let Some(held) = registry.find_record(*first)? {
                return if U256::from(held.index) == e.firstIndex {
                    Ok(()) // applied already
                } else {
                    Err(diverged(format!(
                        "the replica holds a record leaf at {}, the chain at {}",
                        held.index, e.firstIndex
                    )))
                };
            }
        }
        let at = block_time(chain, log, times)?;
        let superseded = e
            .superseded
            .iter()
            .map(|i| u64::try_from(*i).map_err(|_| diverged("a superseded index past 2^64")))
            .collect::<Result<Vec<_>, _>>()?;
        let anchoring = registry
            .anchor_records(&leaves, &superseded, at)
            .map_err(|err| diverged(format!("anchoring by {}: {err}", e.custodian)))?;
        if U256::from(anchoring.first_index) != e.firstIndex {
            return Err(diverged(format!(
                "custodian {}'s leaves start at {}, the replica's at {}",
                e.custodian, e.firstIndex, anchoring.first_index
            )));
        }
        same_root(
            anchoring.root_after.0,
            e.root,
            &format!("custodian {}'s records root", e.custodian),
        )?;
        report.anchorings += 1;
    }
    Ok(())
}

fn same_root(ours: zkconsent_verifier::Fr, chain: U256, what: &str) -> Result<(), ReplicaError> {
    if fr_to_decimal(&ours) == chain.to_string() {
        Ok(())
    } else {
        Err(diverged(format!(
            "{what}: the chain says {chain}, its leaves give {}",
            fr_to_decimal(&ours)
        )))
    }
}

/// The contract's grants and records roots at `block` equal the replica's.
fn check_roots(
    chain: &Chain,
    address: Address,
    registry: &Registry,
    block: u64,
) -> Result<(), ReplicaError> {
    let (grants, records) = chain.roots_at(address, Some(block))?;
    same_root(registry.current_root()?.0, grants, "the grants root")?;
    same_root(registry.records_root()?.0, records, "the records root")
}

/// The state file beside a replica's database: `PATH.chain.json`.
#[must_use]
pub fn state_path(registry: &Path) -> PathBuf {
    let mut name = registry.as_os_str().to_owned();
    name.push(".chain.json");
    PathBuf::from(name)
}

fn read_state(
    path: &Path,
    address: Address,
    from_block: u64,
) -> Result<ChainReplica, ReplicaError> {
    let bad = |reason: String| ReplicaError::State {
        path: path.to_path_buf(),
        reason,
    };
    let mut replica = ChainReplica::new(address, from_block);
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(replica);
    };
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let same = v["address"].as_str() == Some(&address.to_string())
        && v["from_block"].as_u64() == Some(from_block);
    if !same {
        return Err(bad("it follows another registry contract".into()));
    }
    let block = v["block"].as_u64();
    let hash = v["hash"].as_str().and_then(|h| h.parse::<B256>().ok());
    replica.checkpoint = block
        .zip(hash)
        .map(|(block, hash)| Checkpoint { block, hash });
    Ok(replica)
}

fn write_state(path: &Path, replica: &ChainReplica) -> Result<(), ReplicaError> {
    let io = |e: std::io::Error| ReplicaError::State {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let cp = replica.checkpoint;
    let v = serde_json::json!({
        "address": replica.address.to_string(),
        "from_block": replica.from_block,
        "block": cp.map(|c| c.block),
        "hash": cp.map(|c| c.hash.to_string()),
    });
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, v.to_string()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Syncs the replica database at `path` (created with `depth` if absent) with the registry at
/// `address` (deployed in `from_block`), its checkpoint kept in [`state_path`]; see
/// [`sync_registry`].
///
/// # Errors
///
/// [`ReplicaError`].
pub fn sync_file(
    chain: &Chain,
    address: Address,
    from_block: u64,
    path: &Path,
    depth: usize,
    authority: &PreparedVerifyingKey,
) -> Result<SyncReport, ReplicaError> {
    let mut registry = if path.exists() {
        Registry::open(path)?
    } else {
        Registry::create(path, depth)?
    };
    sync_registry(
        chain,
        address,
        from_block,
        &mut registry,
        &state_path(path),
        authority,
    )
}

/// Syncs an open replica with the registry at `address` (deployed in `from_block`), its
/// checkpoint kept in the file `state`. After a reorg, or if the database and its checkpoint
/// disagree (a stop between the two writes), both trees are cleared
/// ([`Registry::clear_trees`]: identities and a verifier's answered requests and spent
/// nullifiers stay) and rebuilt from the deployment block; a divergence that a rebuild
/// reproduces is an error.
///
/// # Errors
///
/// [`ReplicaError`].
pub fn sync_registry(
    chain: &Chain,
    address: Address,
    from_block: u64,
    registry: &mut Registry,
    state: &Path,
    authority: &PreparedVerifyingKey,
) -> Result<SyncReport, ReplicaError> {
    // Twice: a divergence may be another process's sync of the same home racing this one
    // (applied events are skipped, so a second pass from the newer checkpoint settles it).
    for _ in 0..2 {
        let mut replica = read_state(state, address, from_block)?;
        if replica.checkpoint.is_none() {
            break;
        }
        match replica.sync(chain, registry, authority) {
            Ok(report) => {
                write_state(state, &replica)?;
                return Ok(report);
            }
            Err(ReplicaError::Reorged { .. }) => break,
            Err(ReplicaError::Diverged(_)) => {}
            Err(e) => return Err(e),
        }
    }
    // No checkpoint while the trees are rebuilt: a rebuild cut short is redone next time.
    match std::fs::remove_file(state) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(ReplicaError::State {
                path: state.to_path_buf(),
                reason: e.to_string(),
            })
        }
    }
    registry.clear_trees()?;
    let mut replica = ChainReplica::new(address, from_block);
    let mut report = replica.sync(chain, registry, authority)?;
    write_state(state, &replica)?;
    report.rebuilt = true;
    Ok(report)
}
