//! The local replica of a registry service: the service's log applied, entry by entry, to a
//! local [`Registry`] through the same checked operations the service ran. Each grant event's
//! authority proof is verified again here and each root the service states is compared with
//! the one the replica computed, so an operator cannot slip in a grant nobody proved, or a
//! root no log explains: the replica stops with [`ReplicaError::Diverged`] instead.
//!
//! Merkle paths come from the replica, so the service never learns which grant a clinician
//! proves with.

use super::{
    client::{RegistryClient, RemoteError},
    wire::{GrantEventEntry, Heads, IdentityEntry, RecordEventEntry},
};
use crate::registry::{Registry, RegistryError, Role};
use zkconsent_circuits::types::{GrantCommitment, IdentityId, RecordCommitment, Timestamp};
use zkconsent_verifier::{self as verifier, parse_fr_decimal, PreparedVerifyingKey};

/// How many times a sync reads the log again when the replica is ahead of a page (another
/// process synced the same home meanwhile) before calling the service behind.
const MAX_REREADS: u32 = 3;

/// Why a replica could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The service could not be asked.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The local replica failed to read or write.
    #[error("replica: {0}")]
    Local(#[from] RegistryError),
    /// What the service serves contradicts itself or the replica: a forged or rewritten
    /// registry, or a replica of another registry. Nothing after the last good entry is
    /// applied.
    #[error("registry service diverges from the local replica: {0}")]
    Diverged(String),
    /// Another kind of upstream (a chain) failed: `refused` if it refused the write for good
    /// (a reverted transaction), otherwise it could not be asked or diverges.
    #[error("{message}")]
    Upstream {
        /// Whether the upstream refused a well-formed write.
        refused: bool,
        /// What happened.
        message: String,
    },
}

/// How far a replica got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Identities applied.
    pub identities: u64,
    /// Grant events applied.
    pub grant_events: u64,
    /// Record anchorings applied.
    pub record_events: u64,
}

/// The replica's own heads: how many entries of each log it holds (service sequence numbers
/// are dense from 1, so a count is the last sequence number applied).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LocalHeads {
    identities: u64,
    grant_events: u64,
    record_events: u64,
}

fn local_heads(registry: &Registry) -> Result<LocalHeads, RegistryError> {
    let heads = registry.heads()?;
    Ok(LocalHeads {
        identities: heads.identities,
        grant_events: heads.grant_events,
        record_events: heads.record_events,
    })
}

/// Applies one entry unless another process syncing the same home (a CLI command beside the
/// verifier service) applied it first: the heads are read again before, and after a
/// failure, so the race is lost gracefully rather than reported as a divergence.
fn apply_once(
    registry: &mut Registry,
    heads: &mut LocalHeads,
    seq: u64,
    have: fn(&LocalHeads) -> u64,
    apply: impl FnOnce(&mut Registry, &mut LocalHeads) -> Result<(), ReplicaError>,
) -> Result<bool, ReplicaError> {
    *heads = local_heads(registry)?;
    if have(heads) >= seq {
        return Ok(false);
    }
    match apply(registry, heads) {
        Ok(()) => Ok(true),
        Err(e) => {
            *heads = local_heads(registry)?;
            if have(heads) >= seq {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// Pulls every log entry the replica lacks from `client` and applies it, then checks the
/// replica's roots against the service's heads. `authority` verifies grant events.
///
/// # Errors
///
/// See [`ReplicaError`].
pub fn sync(
    registry: &mut Registry,
    client: &RegistryClient,
    authority: &PreparedVerifyingKey,
) -> Result<SyncReport, ReplicaError> {
    let mut report = SyncReport::default();
    let mut rereads = 0;
    loop {
        let mut heads = local_heads(registry)?;
        let page = client.log(heads.identities, heads.grant_events, heads.record_events)?;
        let empty = page.identities.is_empty()
            && page.grant_events.is_empty()
            && page.record_events.is_empty();
        for entry in &page.identities {
            let applied = apply_once(
                registry,
                &mut heads,
                entry.seq,
                |h| h.identities,
                |r, h| apply_identity(r, h, entry),
            )?;
            report.identities += u64::from(applied);
        }
        for entry in &page.grant_events {
            let applied = apply_once(
                registry,
                &mut heads,
                entry.seq,
                |h| h.grant_events,
                |r, h| apply_grant_event(r, authority, h, entry),
            )?;
            report.grant_events += u64::from(applied);
        }
        for entry in &page.record_events {
            let applied = apply_once(
                registry,
                &mut heads,
                entry.seq,
                |h| h.record_events,
                |r, h| apply_record_event(r, h, entry),
            )?;
            report.record_events += u64::from(applied);
        }
        if empty {
            let have = local_heads(registry)?;
            let ahead = have.identities > page.heads.identities
                || have.grant_events > page.heads.grant_events
                || have.record_events > page.heads.record_events;
            // Another process synced past this page meanwhile: read the log again. A
            // service that stays behind the replica has lost or hidden entries.
            if ahead && rereads < MAX_REREADS {
                rereads += 1;
                continue;
            }
            check_heads(registry, &have, &page.heads)?;
            return Ok(report);
        }
    }
}

fn diverged(what: impl Into<String>) -> ReplicaError {
    ReplicaError::Diverged(what.into())
}

fn next_seq(kind: &str, have: u64, seq: u64) -> Result<(), ReplicaError> {
    if have.checked_add(1) == Some(seq) {
        Ok(())
    } else {
        Err(diverged(format!(
            "{kind} entry {seq} follows {have}: the log has a gap or was rewritten"
        )))
    }
}

fn field(what: &str, decimal: &str) -> Result<ark_bn254::Fr, ReplicaError> {
    parse_fr_decimal(decimal).map_err(|e| diverged(format!("{what} {decimal:?}: {e}")))
}

fn apply_identity(
    registry: &mut Registry,
    heads: &mut LocalHeads,
    entry: &IdentityEntry,
) -> Result<(), ReplicaError> {
    next_seq("identity", heads.identities, entry.seq)?;
    let role: Role = entry
        .role
        .parse()
        .map_err(|_| diverged(format!("identity {}: unknown role", entry.seq)))?;
    let id = IdentityId(field("identity id", &entry.id)?);
    registry
        .register_identity(&entry.name, role, id)
        .map_err(|e| diverged(format!("identity {} ({}): {e}", entry.seq, entry.name)))?;
    heads.identities = entry.seq;
    Ok(())
}

fn apply_grant_event(
    registry: &mut Registry,
    authority: &PreparedVerifyingKey,
    heads: &mut LocalHeads,
    entry: &GrantEventEntry,
) -> Result<(), ReplicaError> {
    next_seq("grant event", heads.grant_events, entry.seq)?;
    let commitment = GrantCommitment(field("commitment", &entry.commitment)?);
    let proof_bytes = hex::decode(&entry.proof)
        .map_err(|e| diverged(format!("grant event {}: proof: {e}", entry.seq)))?;
    let proof = verifier::Proof::from_bytes(&proof_bytes)
        .map_err(|e| diverged(format!("grant event {}: proof: {e}", entry.seq)))?;
    let before = registry.current_root()?;
    if before.0 != field("root_before", &entry.root_before)? {
        return Err(diverged(format!(
            "grant event {}: root_before is not the replica's root",
            entry.seq
        )));
    }
    let at = Timestamp(entry.at);
    let refused = |e: RegistryError| diverged(format!("grant event {}: {e}", entry.seq));
    match entry.kind.as_str() {
        "issue" => {
            let index = registry
                .issue_grant(authority, commitment, &proof, at)
                .map_err(refused)?;
            if index != entry.leaf_index {
                return Err(diverged(format!(
                    "grant event {}: issued at leaf {index}, the service says {}",
                    entry.seq, entry.leaf_index
                )));
            }
        }
        "revoke" => {
            if registry.leaf(entry.leaf_index)? != commitment.0 {
                return Err(diverged(format!(
                    "grant event {}: leaf {} does not hold the commitment revoked",
                    entry.seq, entry.leaf_index
                )));
            }
            registry
                .revoke_grant(authority, entry.leaf_index, &proof, at)
                .map_err(refused)?;
        }
        other => {
            return Err(diverged(format!(
                "grant event {}: unknown kind {other:?}",
                entry.seq
            )))
        }
    }
    if registry.current_root()?.0 != field("root_after", &entry.root_after)? {
        return Err(diverged(format!(
            "grant event {}: the service's root_after is not the root its log gives",
            entry.seq
        )));
    }
    heads.grant_events = entry.seq;
    Ok(())
}

fn apply_record_event(
    registry: &mut Registry,
    heads: &mut LocalHeads,
    entry: &RecordEventEntry,
) -> Result<(), ReplicaError> {
    next_seq("record event", heads.record_events, entry.seq)?;
    let leaves = entry
        .leaves
        .iter()
        .map(|l| field("record leaf", l).map(RecordCommitment))
        .collect::<Result<Vec<_>, _>>()?;
    if registry.records_root()?.0 != field("root_before", &entry.root_before)? {
        return Err(diverged(format!(
            "record event {}: root_before is not the replica's root",
            entry.seq
        )));
    }
    let anchoring = registry
        .anchor_records(&leaves, &entry.superseded, Timestamp(entry.at))
        .map_err(|e| diverged(format!("record event {}: {e}", entry.seq)))?;
    if anchoring.first_index != entry.first_index
        || anchoring.root_after.0 != field("root_after", &entry.root_after)?
    {
        return Err(diverged(format!(
            "record event {}: the service's leaves or root differ from its log's",
            entry.seq
        )));
    }
    heads.record_events = entry.seq;
    Ok(())
}

/// After the last page: the replica holds exactly the service's logs and the same roots.
fn check_heads(registry: &Registry, have: &LocalHeads, heads: &Heads) -> Result<(), ReplicaError> {
    if (have.identities, have.grant_events, have.record_events)
        != (heads.identities, heads.grant_events, heads.record_events)
    {
        return Err(diverged(format!(
            "the service's heads ({}, {}, {}) are not its log's ({}, {}, {})",
            heads.identities,
            heads.grant_events,
            heads.record_events,
            have.identities,
            have.grant_events,
            have.record_events
        )));
    }
    if registry.current_root()?.0 != field("grants_root", &heads.grants_root)? {
        return Err(diverged(
            "the service's grants root is not the root its log gives",
        ));
    }
    if registry.records_root()?.0 != field("records_root", &heads.records_root)? {
        return Err(diverged(
            "the service's records root is not the root its log gives",
        ));
    }
    Ok(())
}
