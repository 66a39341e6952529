//! The registry's three logs read in pages, for replicas: identities (in registration order,
//! the `identities` table's rowid as sequence number), grant events and record anchorings,
//! each after a sequence number and at most a limit, with the heads (how far each log goes
//! and both current roots) read in the same snapshot. Also the lookups that make a registry
//! service's writes idempotent: the event that issued a commitment, the one that revoked a
//! leaf, the anchoring that appended a record leaf.
//!
//! Sequence numbers are dense from 1: nothing deletes an identity or an event, and an
//! `INTEGER PRIMARY KEY` (or rowid) takes `MAX + 1`, so a rolled-back insert leaves no gap.

use super::{
    codec::{blob_col, fr_col, fr_from_blob, fr_to_blob, text_col, u64_col, u64_to_sql},
    events::EventRecord,
    identities::Role,
    records::RecordEvent,
    roots, CorruptValue, Registry, RegistryError,
};
use rusqlite::{Connection, OptionalExtension};
use zkconsent_circuits::{
    authority::GrantAction,
    types::{GrantCommitment, GrantsRoot, IdentityId, RecordCommitment, RecordsRoot, Timestamp},
};
use zkconsent_verifier::FIELD_ELEMENT_BYTES;

/// Bytes per leaf index in `record_events.superseded` (a big-endian `u64`, as `records`
/// writes it).
const INDEX_BYTES: usize = 8;
/// Most record leaves (appended plus superseded) one [`LogPage`] carries, whatever its
/// limit: one anchoring can hold tens of thousands, and a page must stay a few megabytes.
pub const MAX_PAGE_RECORD_LEAVES: usize = 100_000;

/// A registered identity with its position in the registration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedIdentity {
    /// Sequence number (the row's rowid), from 1.
    pub seq: u64,
    /// Unique name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Public id.
    pub id: IdentityId,
}

/// How far each log goes, and both trees' current roots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heads {
    /// Sequence number of the last identity (0: none).
    pub identities: u64,
    /// Sequence number of the last grant event (0: none).
    pub grant_events: u64,
    /// Sequence number of the last record anchoring (0: none).
    pub record_events: u64,
    /// The current grants root (the latest of its history).
    pub grants_root: GrantsRoot,
    /// The current records root (the latest of its history).
    pub records_root: RecordsRoot,
    /// The later of the two current roots' creation times: a mutation at an earlier time
    /// would be refused as time going backwards.
    pub last_at: Timestamp,
}

/// Where a page starts: the last sequence number of each log the reader holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCursor {
    /// Identities after this one.
    pub identities_after: u64,
    /// Grant events after this one.
    pub grants_after: u64,
    /// Record anchorings after this one.
    pub records_after: u64,
}

/// Entries of each log after a [`LogCursor`], at most a limit of each, in order, with the
/// heads of the same snapshot (a page may stop before them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogPage {
    /// Identities registered.
    pub identities: Vec<LoggedIdentity>,
    /// Grant issues and revocations.
    pub grant_events: Vec<EventRecord>,
    /// Record anchorings.
    pub record_events: Vec<RecordEvent>,
    /// The heads when the page was read.
    pub heads: Heads,
}

/// Totals for a service's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCounts {
    /// Grants issued (every issue event).
    pub issued: u64,
    /// Grants revoked.
    pub revoked: u64,
    /// Record leaves ever anchored, superseded ones included.
    pub record_leaves: u64,
    /// Record leaves superseded since.
    pub superseded: u64,
}

const IDENTITY_COLUMNS: &str = "SELECT rowid, name, role, id FROM identities";
const EVENT_COLUMNS: &str =
    "SELECT seq, kind, leaf_index, commitment, proof, root_before, root_after, at FROM events";
const RECORD_EVENT_COLUMNS: &str =
    "SELECT seq, first_index, leaves, superseded, root_before, root_after, at FROM record_events";

fn identity_from_row(row: &rusqlite::Row<'_>) -> Result<LoggedIdentity, RegistryError> {
    let role = text_col(row, 2, "identities.role")?
        .parse()
        .map_err(|_| CorruptValue::new("identities.role", "unknown role"))?;
    Ok(LoggedIdentity {
        seq: u64_col(row, 0, "identities.rowid")?,
        name: text_col(row, 1, "identities.name")?,
        role,
        id: IdentityId(fr_col(row, 3, "identities.id")?),
    })
}

fn event_from_row(row: &rusqlite::Row<'_>) -> Result<EventRecord, RegistryError> {
    let kind = match text_col(row, 1, "events.kind")?.as_str() {
        "issue" => GrantAction::Issue,
        "revoke" => GrantAction::Revoke,
        _ => return Err(CorruptValue::new("events.kind", "unknown kind").into()),
    };
    Ok(EventRecord {
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

fn record_event_from_row(row: &rusqlite::Row<'_>) -> Result<RecordEvent, RegistryError> {
    let leaves = blob_col(row, 2, "record_events.leaves")?;
    let chunks = leaves.chunks_exact(FIELD_ELEMENT_BYTES);
    if leaves.is_empty() || !chunks.remainder().is_empty() {
        return Err(CorruptValue::new(
            "record_events.leaves",
            "not a non-empty list of 32-byte field elements",
        )
        .into());
    }
    let leaves = chunks
        .map(|c| fr_from_blob(c, "record_events.leaves").map(RecordCommitment))
        .collect::<Result<Vec<_>, _>>()?;
    let superseded = blob_col(row, 3, "record_events.superseded")?;
    let chunks = superseded.chunks_exact(INDEX_BYTES);
    if !chunks.remainder().is_empty() {
        return Err(
            CorruptValue::new("record_events.superseded", "not a list of 8-byte indices").into(),
        );
    }
    let superseded = chunks
        .map(|c| {
            let mut be = [0u8; INDEX_BYTES];
            be.copy_from_slice(c);
            u64::from_be_bytes(be)
        })
        .collect();
    Ok(RecordEvent {
        seq: u64_col(row, 0, "record_events.seq")?,
        first_index: u64_col(row, 1, "record_events.first_index")?,
        leaves,
        superseded,
        root_before: RecordsRoot(fr_col(row, 4, "record_events.root_before")?),
        root_after: RecordsRoot(fr_col(row, 5, "record_events.root_after")?),
        at: Timestamp(u64_col(row, 6, "record_events.at")?),
    })
}

/// Rows of `select` (a `SELECT … FROM …` with a filter taking `params`) decoded by `decode`.
fn query<T>(
    conn: &Connection,
    select: &str,
    params: impl rusqlite::Params,
    decode: fn(&rusqlite::Row<'_>) -> Result<T, RegistryError>,
) -> Result<Vec<T>, RegistryError> {
    let mut stmt = conn.prepare_cached(select)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// The entries of one log after `after`, at most `limit`, oldest first. Sequence numbers
/// are positive `INTEGER`s, so an `after` beyond `i64::MAX` has nothing after it; neither
/// is passed bit-for-bit, which would read as negative (and a negative `LIMIT` is none).
fn page<T>(
    conn: &Connection,
    columns: &str,
    key: &str,
    after: u64,
    limit: u64,
    decode: fn(&rusqlite::Row<'_>) -> Result<T, RegistryError>,
) -> Result<Vec<T>, RegistryError> {
    let Ok(after) = i64::try_from(after) else {
        return Ok(Vec::new());
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    query(
        conn,
        &format!("{columns} WHERE {key} > ?1 ORDER BY {key} LIMIT ?2"),
        (after, limit),
        decode,
    )
}

/// The anchorings of a page up to [`MAX_PAGE_RECORD_LEAVES`] leaves in all (always the
/// first one, so a page makes progress).
fn within_leaf_budget(mut events: Vec<RecordEvent>) -> Vec<RecordEvent> {
    let mut total = 0usize;
    let keep = events
        .iter()
        .position(|e| {
            total = total.saturating_add(e.leaves.len() + e.superseded.len());
            total > MAX_PAGE_RECORD_LEAVES
        })
        .map_or(events.len(), |over| over.max(1));
    events.truncate(keep);
    events
}

fn max_seq(conn: &Connection, table: &str, key: &str) -> Result<u64, RegistryError> {
    let max: Option<i64> = conn
        .prepare_cached(&format!("SELECT MAX({key}) FROM {table}"))?
        .query_row([], |r| r.get(0))?;
    Ok(max.map(super::codec::u64_from_sql).unwrap_or(0))
}

fn heads(conn: &Connection) -> Result<Heads, RegistryError> {
    let grants = roots::latest::<GrantsRoot>(conn)?;
    let records = roots::latest::<RecordsRoot>(conn)?;
    Ok(Heads {
        identities: max_seq(conn, "identities", "rowid")?,
        grant_events: max_seq(conn, "events", "seq")?,
        record_events: max_seq(conn, "record_events", "seq")?,
        grants_root: grants.root,
        records_root: records.root,
        last_at: grants.created_at.max(records.created_at),
    })
}

fn count(conn: &Connection, sql: &str) -> Result<u64, RegistryError> {
    let n: i64 = conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?;
    Ok(super::codec::u64_from_sql(n))
}

impl Registry {
    /// The heads: each log's last sequence number and both current roots, in one snapshot.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn heads(&self) -> Result<Heads, RegistryError> {
        let tx = self.read_tx()?;
        heads(&tx)
    }

    /// The entries of each log after `cursor`, at most `limit` of each (anchorings also up
    /// to [`MAX_PAGE_RECORD_LEAVES`] leaves), and the heads, all from one snapshot.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn log_page(&self, cursor: LogCursor, limit: u64) -> Result<LogPage, RegistryError> {
        let tx = self.read_tx()?;
        Ok(LogPage {
            identities: page(
                &tx,
                IDENTITY_COLUMNS,
                "rowid",
                cursor.identities_after,
                limit,
                identity_from_row,
            )?,
            grant_events: page(
                &tx,
                EVENT_COLUMNS,
                "seq",
                cursor.grants_after,
                limit,
                event_from_row,
            )?,
            record_events: within_leaf_budget(page(
                &tx,
                RECORD_EVENT_COLUMNS,
                "seq",
                cursor.records_after,
                limit,
                record_event_from_row,
            )?),
            heads: heads(&tx)?,
        })
    }

    /// The identity registered under `name` with its sequence number, if any.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn logged_identity(&self, name: &str) -> Result<Option<LoggedIdentity>, RegistryError> {
        let select = format!("{IDENTITY_COLUMNS} WHERE name = ?1");
        Ok(query(&self.conn, &select, [name], identity_from_row)?.pop())
    }

    /// The event that issued `commitment`, if it was ever issued (a commitment is issued at
    /// most once). Found through the grants table's index, then the log; the log has no
    /// index by leaf, so call this on a retry, not on every write.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn issue_event(
        &self,
        commitment: GrantCommitment,
    ) -> Result<Option<EventRecord>, RegistryError> {
        let tx = self.read_tx()?;
        let index: Option<i64> = tx
            .prepare_cached("SELECT leaf_index FROM grants WHERE commitment = ?1")?
            .query_row([fr_to_blob(&commitment.0)], |r| r.get(0))
            .optional()?;
        let Some(index) = index else {
            return Ok(None);
        };
        let select = format!("{EVENT_COLUMNS} WHERE kind = 'issue' AND leaf_index = ?1");
        Ok(query(&tx, &select, [index], event_from_row)?.pop())
    }

    /// The event that revoked the grant at `index`, if it was revoked (at most once).
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn revoke_event(&self, index: u64) -> Result<Option<EventRecord>, RegistryError> {
        let select = format!("{EVENT_COLUMNS} WHERE kind = 'revoke' AND leaf_index = ?1");
        Ok(query(&self.conn, &select, [u64_to_sql(index)], event_from_row)?.pop())
    }

    /// The latest grant event, if any (under a writer's lock: the one it just appended).
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn last_grant_event(&self) -> Result<Option<EventRecord>, RegistryError> {
        let select = format!("{EVENT_COLUMNS} ORDER BY seq DESC LIMIT 1");
        Ok(query(&self.conn, &select, [], event_from_row)?.pop())
    }

    /// The record anchoring with this sequence number, if any.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn record_event(&self, seq: u64) -> Result<Option<RecordEvent>, RegistryError> {
        let select = format!("{RECORD_EVENT_COLUMNS} WHERE seq = ?1");
        Ok(query(
            &self.conn,
            &select,
            [u64_to_sql(seq)],
            record_event_from_row,
        )?
        .pop())
    }

    /// The anchoring that appended record leaf `leaf`, if it was ever anchored.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn anchoring_of(
        &self,
        leaf: RecordCommitment,
    ) -> Result<Option<RecordEvent>, RegistryError> {
        let tx = self.read_tx()?;
        let seq: Option<i64> = tx
            .prepare_cached("SELECT event_seq FROM records WHERE leaf = ?1")?
            .query_row([fr_to_blob(&leaf.0)], |r| r.get(0))
            .optional()?;
        let Some(seq) = seq else {
            return Ok(None);
        };
        let select = format!("{RECORD_EVENT_COLUMNS} WHERE seq = ?1");
        Ok(query(&tx, &select, [seq], record_event_from_row)?.pop())
    }

    /// Totals of grants issued and revoked and record leaves anchored and superseded.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn log_counts(&self) -> Result<LogCounts, RegistryError> {
        let tx = self.read_tx()?;
        Ok(LogCounts {
            issued: count(&tx, "SELECT COUNT(*) FROM events WHERE kind = 'issue'")?,
            revoked: count(&tx, "SELECT COUNT(*) FROM events WHERE kind = 'revoke'")?,
            record_leaves: count(&tx, "SELECT COUNT(*) FROM records")?,
            superseded: count(
                &tx,
                "SELECT COUNT(*) FROM records WHERE removed_at IS NOT NULL",
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::{keys, party, temp_registry};
    use ark_bn254::Fr;

    fn cursor(identities_after: u64, grants_after: u64, records_after: u64) -> LogCursor {
        LogCursor {
            identities_after,
            grants_after,
            records_after,
        }
    }

    #[test]
    fn a_page_of_anchorings_stays_within_the_leaf_budget() {
        let event = |n: usize| RecordEvent {
            seq: 1,
            first_index: 0,
            leaves: vec![RecordCommitment(Fr::from(1u64)); n],
            superseded: Vec::new(),
            root_before: RecordsRoot(Fr::from(0u64)),
            root_after: RecordsRoot(Fr::from(0u64)),
            at: Timestamp(0),
        };
        let half = MAX_PAGE_RECORD_LEAVES / 2;
        let lens = |v: Vec<RecordEvent>| v.iter().map(|e| e.leaves.len()).collect::<Vec<_>>();
        assert_eq!(lens(within_leaf_budget(vec![event(half); 3])), [half, half]);
        let huge = MAX_PAGE_RECORD_LEAVES + 1;
        assert_eq!(
            lens(within_leaf_budget(vec![event(huge), event(1)])),
            [huge]
        );
        assert_eq!(lens(within_leaf_budget(vec![event(1); 4])), [1; 4]);
        assert!(within_leaf_budget(Vec::new()).is_empty());
    }

    #[test]
    fn an_empty_registry_has_zero_heads_and_empty_pages() {
        let (_dir, _path, reg) = temp_registry(3);
        let heads = reg.heads().unwrap();
        assert_eq!(
            (heads.identities, heads.grant_events, heads.record_events),
            (0, 0, 0)
        );
        assert_eq!(heads.grants_root, reg.current_root().unwrap());
        assert_eq!(heads.records_root, reg.records_root().unwrap());
        assert_eq!(heads.last_at, Timestamp(0));
        let page = reg.log_page(LogCursor::default(), 10).unwrap();
        assert!(page.identities.is_empty() && page.grant_events.is_empty());
        assert!(page.record_events.is_empty());
        assert_eq!(page.heads, heads);
        assert_eq!(reg.log_counts().unwrap(), LogCounts::default());
        assert!(reg.last_grant_event().unwrap().is_none());
    }

    #[test]
    fn pages_follow_the_logs_in_order_and_lookups_find_each_entry() {
        let (_dir, _path, mut reg) = temp_registry(4);
        for (k, name) in ["zed", "amy", "kim"].into_iter().enumerate() {
            reg.register_identity(name, Role::Patient, IdentityId(Fr::from(k as u64 + 1)))
                .unwrap();
        }
        let (a, b) = (party(61), party(62));
        a.issue(&mut reg, 100);
        b.issue(&mut reg, 110);
        a.revoke(&mut reg, 0, 120);
        let leaves: Vec<_> = (1..=3u64)
            .map(|i| RecordCommitment(Fr::from(500 + i)))
            .collect();
        reg.anchor_records(&leaves[..2], &[], Timestamp(130))
            .unwrap();
        reg.anchor_records(&leaves[2..], &[0], Timestamp(140))
            .unwrap();

        // Identities come in registration order (rowid), not by name.
        let page = reg.log_page(cursor(0, 0, 0), 2).unwrap();
        let names: Vec<_> = page
            .identities
            .iter()
            .map(|i| (i.seq, i.name.as_str()))
            .collect();
        assert_eq!(names, [(1, "zed"), (2, "amy")]);
        assert_eq!(page.grant_events, reg.events().unwrap()[..2]);
        assert_eq!(page.record_events, reg.record_events().unwrap());
        let heads = page.heads;
        assert_eq!(
            (heads.identities, heads.grant_events, heads.record_events),
            (3, 3, 2)
        );
        assert_eq!(heads.grants_root, reg.current_root().unwrap());
        assert_eq!(heads.records_root, reg.records_root().unwrap());
        assert_eq!(heads.last_at, Timestamp(140));
        // The next page, limit 1; then nothing after the heads, or far beyond them.
        let page = reg.log_page(cursor(2, 2, 1), 1).unwrap();
        assert_eq!(page.identities[0].name, "kim");
        assert_eq!(page.grant_events, reg.events().unwrap()[2..]);
        assert_eq!(page.record_events[0].superseded, [0]);
        assert_eq!(page.record_events[0].leaves, leaves[2..]);
        for after in [3, u64::MAX / 2, u64::MAX] {
            let page = reg.log_page(cursor(after, after, after), 10).unwrap();
            assert!(page.identities.is_empty() && page.grant_events.is_empty());
            assert!(page.record_events.is_empty());
        }
        assert!(reg
            .log_page(cursor(0, 0, 0), 0)
            .unwrap()
            .identities
            .is_empty());
        // A huge limit reads everything (and is not taken as SQLite's "no limit" by accident).
        assert_eq!(
            reg.log_page(cursor(0, 0, 0), u64::MAX)
                .unwrap()
                .identities
                .len(),
            3
        );

        // Lookups for idempotent writes.
        let kim = reg.logged_identity("kim").unwrap().unwrap();
        assert_eq!(
            (kim.seq, kim.role, kim.id),
            (3, Role::Patient, IdentityId(Fr::from(3u64)))
        );
        assert!(reg.logged_identity("nobody").unwrap().is_none());
        let issued = reg.issue_event(a.grant.commit()).unwrap().unwrap();
        assert_eq!(
            (issued.seq, issued.kind, issued.leaf_index),
            (1, GrantAction::Issue, 0)
        );
        assert_eq!(reg.issue_event(b.grant.commit()).unwrap().unwrap().seq, 2);
        assert!(reg.issue_event(party(63).grant.commit()).unwrap().is_none());
        let revoked = reg.revoke_event(0).unwrap().unwrap();
        assert_eq!((revoked.seq, revoked.kind), (3, GrantAction::Revoke));
        assert!(reg.revoke_event(1).unwrap().is_none());
        assert_eq!(reg.last_grant_event().unwrap(), Some(revoked));
        let first = reg.anchoring_of(leaves[1]).unwrap().unwrap();
        assert_eq!((first.seq, first.first_index), (1, 0));
        assert_eq!(reg.anchoring_of(leaves[2]).unwrap().unwrap().seq, 2);
        assert!(reg
            .anchoring_of(RecordCommitment(Fr::from(9u64)))
            .unwrap()
            .is_none());
        assert_eq!(reg.record_event(2).unwrap().unwrap().superseded, [0]);
        assert!(reg.record_event(3).unwrap().is_none());
        assert_eq!(
            reg.log_counts().unwrap(),
            LogCounts {
                issued: 2,
                revoked: 1,
                record_leaves: 3,
                superseded: 1
            }
        );
        // The logged proofs are the ones the audit replays.
        assert!(reg.audit(&keys().pvk).unwrap().is_consistent());
    }
}
