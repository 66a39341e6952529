//! Between the registry's types and the wire's: decimal field elements, hex proofs, and the
//! strict parsing of what clients send (hostile bytes: every failure is a 400, never a
//! panic).

use super::api::ApiFailure;
use axum::body::Bytes;
use serde::de::DeserializeOwned;
use zkconsent::{
    circuits::types::GrantCommitment,
    registry::{log, EventRecord, GrantStatus, RecordEvent},
    remote::wire::{GrantAck, GrantEventEntry, Heads, IdentityEntry, RecordEventEntry},
    verifier::{fr_to_decimal, parse_fr_decimal, Fr, Proof, PROOF_BYTES},
};

/// A JSON body of type `T` (closed objects: unknown fields are refused by the wire types).
pub(crate) fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiFailure> {
    serde_json::from_slice(body).map_err(|e| ApiFailure::malformed(format!("body: {e}")))
}

/// A field element from its canonical decimal string.
pub(crate) fn field(what: &str, decimal: &str) -> Result<Fr, ApiFailure> {
    parse_fr_decimal(decimal).map_err(|e| ApiFailure::malformed(format!("{what}: {e}")))
}

/// A proof from the hex of its compressed bytes, every point checked.
pub(crate) fn proof(hex_text: &str) -> Result<Proof, ApiFailure> {
    // Checked before decoding, so a huge string is refused without allocating its bytes.
    if hex_text.len() != 2 * PROOF_BYTES {
        return Err(ApiFailure::malformed(format!(
            "proof: expected {} hex digits, got {}",
            2 * PROOF_BYTES,
            hex_text.len()
        )));
    }
    let bytes = hex::decode(hex_text).map_err(|e| ApiFailure::malformed(format!("proof: {e}")))?;
    Proof::from_bytes(&bytes).map_err(|e| ApiFailure::malformed(format!("proof: {e}")))
}

/// The wire's heads.
pub(crate) fn heads(h: &log::Heads) -> Heads {
    Heads {
        identities: h.identities,
        grant_events: h.grant_events,
        record_events: h.record_events,
        grants_root: fr_to_decimal(&h.grants_root.0),
        records_root: fr_to_decimal(&h.records_root.0),
    }
}

/// A logged identity on the wire.
pub(crate) fn identity(i: &log::LoggedIdentity) -> IdentityEntry {
    IdentityEntry {
        seq: i.seq,
        name: i.name.clone(),
        role: i.role.as_str().to_owned(),
        id: fr_to_decimal(&i.id.0),
    }
}

/// A grant event on the wire.
pub(crate) fn grant_event(e: &EventRecord) -> GrantEventEntry {
    GrantEventEntry {
        seq: e.seq,
        kind: zkconsent::registry::events::action_name(e.kind).to_owned(),
        leaf_index: e.leaf_index,
        commitment: fr_to_decimal(&e.commitment.0),
        proof: hex::encode(&e.proof),
        root_before: fr_to_decimal(&e.root_before.0),
        root_after: fr_to_decimal(&e.root_after.0),
        at: e.at.0,
    }
}

/// A record anchoring on the wire.
pub(crate) fn record_event(e: &RecordEvent) -> RecordEventEntry {
    RecordEventEntry {
        seq: e.seq,
        first_index: e.first_index,
        leaves: e.leaves.iter().map(|l| fr_to_decimal(&l.0)).collect(),
        superseded: e.superseded.clone(),
        root_before: fr_to_decimal(&e.root_before.0),
        root_after: fr_to_decimal(&e.root_after.0),
        at: e.at.0,
    }
}

/// The ack of the grant event `e`, with the grant's status now.
pub(crate) fn grant_ack(e: &EventRecord, status: GrantStatus) -> GrantAck {
    GrantAck {
        index: e.leaf_index,
        status: status.as_str().to_owned(),
        event_seq: e.seq,
        root: fr_to_decimal(&e.root_after.0),
        at: e.at.0,
    }
}

/// A grant commitment, refused if it is the empty leaf (never a grant).
pub(crate) fn commitment(decimal: &str) -> Result<GrantCommitment, ApiFailure> {
    let c = GrantCommitment(field("commitment", decimal)?);
    if c.0 == zkconsent::circuits::merkle::EMPTY_LEAF {
        return Err(ApiFailure::refused(
            "the commitment is zero, the empty leaf: never a grant",
        ));
    }
    Ok(c)
}

/// The canonical decimal string of a field element.
pub(crate) fn field_decimal(x: &Fr) -> String {
    fr_to_decimal(x)
}
