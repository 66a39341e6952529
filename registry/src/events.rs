//! The append-only event log: one row per issue or revoke, with the authority proof that
//! allowed it, so anyone holding the authority key can replay and re-check the registry.

use super::{
    codec::{blob_col, fr_col, fr_to_blob, text_col, u64_col, u64_to_sql, CorruptValue},
    Registry, RegistryError,
};
use rusqlite::Connection;
use zkconsent_circuits::{
    authority::GrantAction,
    types::{GrantCommitment, GrantsRoot, Timestamp},
};
use zkconsent_verifier::Proof;

/// The stored name of an action: `issue` or `revoke`.
pub fn action_name(action: GrantAction) -> &'static str {
    match action {
        GrantAction::Issue => "issue",
        GrantAction::Revoke => "revoke",
    }
}

/// One logged mutation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// Position in the log, from 1.
    pub seq: u64,
    /// Issue or revoke.
    pub kind: GrantAction,
    /// The leaf acted on.
    pub leaf_index: u64,
    /// The grant commitment acted on.
    pub commitment: GrantCommitment,
    /// The authority proof as stored (128 compressed bytes; decode it strictly).
    pub proof: Vec<u8>,
    /// Root before the mutation.
    pub root_before: GrantsRoot,
    /// Root after the mutation.
    pub root_after: GrantsRoot,
    /// Time of the mutation.
    pub at: Timestamp,
}

impl EventRecord {
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, RegistryError> {
        let kind = match text_col(row, 1, "events.kind")?.as_str() {
            "issue" => GrantAction::Issue,
            "revoke" => GrantAction::Revoke,
            _ => return Err(CorruptValue::new("events.kind", "unknown kind").into()),
        };
        Ok(Self {
            seq: u64_col(row, 0, "events.seq")?,
            kind,
            leaf_index: u64_col(row, 2, "events.leaf_index")?,
            commitment: GrantCommitment(fr_col(row, 3, "events.commitment")?),
            proof: blob_col(row, 4, "events.proof")?,
            root_before: GrantsRoot(fr_col(row, 5, "events.root_before")?),
            root_after: GrantsRoot(fr_col(row, 6, "events.root_after")?),
            at: Timestamp(u64_col(row, 7, "events.at")?),
        })
    }
}

/// What [`append`] logs.
pub(crate) struct NewEvent<'a> {
    pub kind: GrantAction,
    pub leaf_index: u64,
    pub commitment: GrantCommitment,
    pub proof: &'a Proof,
    pub root_before: GrantsRoot,
    pub root_after: GrantsRoot,
    pub at: Timestamp,
}

/// Appends an event (inside the caller's transaction).
pub(crate) fn append(conn: &Connection, e: &NewEvent<'_>) -> Result<(), RegistryError> {
    conn.prepare_cached(
        "INSERT INTO events (kind, leaf_index, commitment, proof, root_before, root_after, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute((
        action_name(e.kind),
        u64_to_sql(e.leaf_index),
        fr_to_blob(&e.commitment.0),
        e.proof.to_bytes(),
        fr_to_blob(&e.root_before.0),
        fr_to_blob(&e.root_after.0),
        u64_to_sql(e.at.0),
    ))?;
    Ok(())
}

/// Every event in log order.
pub(crate) fn all(conn: &Connection) -> Result<Vec<EventRecord>, RegistryError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, leaf_index, commitment, proof, root_before, root_after, at
         FROM events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(EventRecord::from_row(row)?);
    }
    Ok(out)
}

impl Registry {
    /// The event log, oldest first.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn events(&self) -> Result<Vec<EventRecord>, RegistryError> {
        all(&self.conn)
    }
}
