//! The records tree: anchoring record leaves, and reading leaves, paths and the log.
//!
//! The tree is append-only: a leaf is never changed or removed (a changed resource is
//! anchored again as a new leaf; see `docs/spec.md`, "FHIR records"). Each anchoring is one
//! transaction covering nodes, the `records` rows, the root history and one logged event
//! that lists the leaves, so `registry audit` can replay every records root.
//!
//! The registry cannot tell whether a leaf commits to a well-formed record (it sees a
//! salted hash). Who may anchor is the registry operator's policy (the custodian writes its
//! own registry); what anchoring protects is the custodian's later proofs, which are sound
//! only about leaves that are in the tree.

use super::{
    codec::{
        blob_col, fr_col, fr_from_blob, fr_to_blob, u64_col, u64_from_sql, u64_to_sql, CorruptValue,
    },
    grants::check_time,
    roots,
    store::{with_tree, Tree},
    write_tx, Registry, RegistryError,
};
use ark_bn254::Fr;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashSet;
use zkconsent_circuits::{
    merkle::{MerklePath, EMPTY_LEAF},
    types::{RecordCommitment, RecordsRoot, Timestamp},
};
use zkconsent_verifier::FIELD_ELEMENT_BYTES;

/// A record leaf as the registry knows it: a commitment, never the fields behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLeaf {
    /// Leaf index, assigned sequentially from 0.
    pub index: u64,
    /// The leaf commitment.
    pub leaf: RecordCommitment,
    /// When it was anchored.
    pub anchored_at: Timestamp,
    /// The anchoring event that appended it.
    pub event_seq: u64,
}

impl RecordLeaf {
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, RegistryError> {
        Ok(Self {
            index: u64_col(row, 0, "records.leaf_index")?,
            leaf: RecordCommitment(fr_col(row, 1, "records.leaf")?),
            anchored_at: Timestamp(u64_col(row, 2, "records.anchored_at")?),
            event_seq: u64_col(row, 3, "records.event_seq")?,
        })
    }
}

/// One logged anchoring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEvent {
    /// Position in the records log, from 1.
    pub seq: u64,
    /// Index of the first leaf appended.
    pub first_index: u64,
    /// The leaves appended at `first_index..`, in order.
    pub leaves: Vec<RecordCommitment>,
    /// Records root before the anchoring.
    pub root_before: RecordsRoot,
    /// Records root after it.
    pub root_after: RecordsRoot,
    /// Time of the anchoring.
    pub at: Timestamp,
}

impl RecordEvent {
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, RegistryError> {
        Ok(Self {
            seq: u64_col(row, 0, "record_events.seq")?,
            first_index: u64_col(row, 1, "record_events.first_index")?,
            leaves: decode_leaves(&blob_col(row, 2, "record_events.leaves")?)?,
            root_before: RecordsRoot(fr_col(row, 3, "record_events.root_before")?),
            root_after: RecordsRoot(fr_col(row, 4, "record_events.root_after")?),
            at: Timestamp(u64_col(row, 5, "record_events.at")?),
        })
    }
}

/// What [`Registry::anchor_records`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordAnchoring {
    /// Index of the first leaf appended (the next free index when nothing was appended).
    pub first_index: u64,
    /// Number of leaves appended.
    pub count: u64,
    /// Records root before.
    pub root_before: RecordsRoot,
    /// Records root after (equal to `root_before` when nothing was appended).
    pub root_after: RecordsRoot,
    /// The logged event, `None` when nothing was appended.
    pub event_seq: Option<u64>,
}

fn encode_leaves(leaves: &[RecordCommitment]) -> Vec<u8> {
    leaves.iter().flat_map(|l| fr_to_blob(&l.0)).collect()
}

fn decode_leaves(bytes: &[u8]) -> Result<Vec<RecordCommitment>, CorruptValue> {
    let chunks = bytes.chunks_exact(FIELD_ELEMENT_BYTES);
    if !chunks.remainder().is_empty() || bytes.is_empty() {
        return Err(CorruptValue::new(
            "record_events.leaves",
            "not a non-empty list of 32-byte field elements",
        ));
    }
    chunks
        .map(|c| fr_from_blob(c, "record_events.leaves").map(RecordCommitment))
        .collect()
}

const RECORD_COLUMNS: &str = "SELECT leaf_index, leaf, anchored_at, event_seq FROM records";

fn query_records(
    conn: &Connection,
    filter: &str,
    param: impl rusqlite::Params,
) -> Result<Vec<RecordLeaf>, RegistryError> {
    let mut stmt = conn.prepare_cached(&format!("{RECORD_COLUMNS} {filter}"))?;
    let mut rows = stmt.query(param)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(RecordLeaf::from_row(row)?);
    }
    Ok(out)
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<RecordLeaf>, RegistryError> {
    query_records(conn, "ORDER BY leaf_index", [])
}

fn by_leaf(conn: &Connection, leaf: RecordCommitment) -> Result<Option<RecordLeaf>, RegistryError> {
    Ok(query_records(conn, "WHERE leaf = ?1", [fr_to_blob(&leaf.0)])?.pop())
}

/// Every anchoring in log order.
pub(crate) fn events(conn: &Connection) -> Result<Vec<RecordEvent>, RegistryError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, first_index, leaves, root_before, root_after, at
         FROM record_events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(RecordEvent::from_row(row)?);
    }
    Ok(out)
}

impl Registry {
    /// Appends `leaves` to the records tree at the next free indices, in order, as one
    /// logged anchoring. An empty list changes nothing and logs nothing.
    ///
    /// # Errors
    ///
    /// [`RegistryError::ZeroRecordLeaf`], [`RegistryError::DuplicateRecordLeaf`] (a leaf
    /// already in the tree, or twice in `leaves`), [`RegistryError::RecordsTreeFull`],
    /// [`RegistryError::TimeWentBackwards`], or a database error; nothing changes on error.
    pub fn anchor_records(
        &mut self,
        leaves: &[RecordCommitment],
        now: Timestamp,
    ) -> Result<RecordAnchoring, RegistryError> {
        let mut seen = HashSet::with_capacity(leaves.len());
        for (position, leaf) in leaves.iter().enumerate() {
            if leaf.0 == EMPTY_LEAF {
                return Err(RegistryError::ZeroRecordLeaf);
            }
            if !seen.insert(*leaf) {
                return Err(RegistryError::DuplicateRecordLeaf {
                    index: position as u64,
                });
            }
        }
        let (depth, zeros) = (self.depth, &self.zeros);
        let tx = write_tx(&mut self.conn)?;
        let next: Option<i64> =
            tx.query_row("SELECT MAX(leaf_index) FROM records", [], |r| r.get(0))?;
        let first_index = match next {
            None => 0,
            Some(max) => u64_from_sql(max).saturating_add(1),
        };
        let last = roots::latest::<RecordsRoot>(&tx)?;
        if leaves.is_empty() {
            return Ok(RecordAnchoring {
                first_index,
                count: 0,
                root_before: last.root,
                root_after: last.root,
                event_seq: None,
            });
        }
        for leaf in leaves {
            if let Some(earlier) = by_leaf(&tx, *leaf)? {
                return Err(RegistryError::DuplicateRecordLeaf {
                    index: earlier.index,
                });
            }
        }
        check_time(now, last.created_at)?;
        let count = leaves.len() as u64;
        let free = (1u64 << depth).saturating_sub(first_index);
        if count > free {
            return Err(RegistryError::RecordsTreeFull {
                requested: count,
                free,
            });
        }
        let (root_before, root_after) = with_tree(&tx, Tree::Records, zeros, depth, |tree| {
            let before = tree.root();
            let mut after = before;
            for (k, leaf) in (first_index..).zip(leaves) {
                after = tree.set(k, leaf.0)?;
            }
            Ok((RecordsRoot(before.0), RecordsRoot(after.0)))
        })?;
        if root_before != last.root {
            return Err(RegistryError::Inconsistent(
                "records tree root differs from its root history",
            ));
        }
        tx.execute(
            "INSERT INTO record_events (first_index, leaves, root_before, root_after, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            (
                u64_to_sql(first_index),
                encode_leaves(leaves),
                fr_to_blob(&root_before.0),
                fr_to_blob(&root_after.0),
                u64_to_sql(now.0),
            ),
        )?;
        let event_seq = u64_from_sql(tx.last_insert_rowid());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO records (leaf_index, leaf, anchored_at, event_seq)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (k, leaf) in (first_index..).zip(leaves) {
                insert.execute((
                    u64_to_sql(k),
                    fr_to_blob(&leaf.0),
                    u64_to_sql(now.0),
                    u64_to_sql(event_seq),
                ))?;
            }
        }
        roots::append(&tx, root_after, now)?;
        tx.commit()?;
        Ok(RecordAnchoring {
            first_index,
            count,
            root_before,
            root_after,
            event_seq: Some(event_seq),
        })
    }

    /// The current records root (read from the stored tree).
    ///
    /// # Errors
    ///
    /// A database error or a corrupt node.
    pub fn records_root(&self) -> Result<RecordsRoot, RegistryError> {
        let tx = self.read_tx()?;
        with_tree(&tx, Tree::Records, &self.zeros, self.depth, |tree| {
            Ok(RecordsRoot(tree.root().0))
        })
    }

    /// The current records root and the inclusion path of record leaf `index`, read in one
    /// snapshot.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Merkle`] past the last slot, a database error or a corrupt node.
    pub fn records_root_and_path(
        &self,
        index: u64,
    ) -> Result<(RecordsRoot, MerklePath), RegistryError> {
        let tx = self.read_tx()?;
        with_tree(&tx, Tree::Records, &self.zeros, self.depth, |tree| {
            Ok((RecordsRoot(tree.root().0), tree.path(index)?))
        })
    }

    /// The record leaf in slot `index` ([`EMPTY_LEAF`] if none yet).
    ///
    /// # Errors
    ///
    /// As [`Registry::records_root_and_path`].
    pub fn record_leaf(&self, index: u64) -> Result<Fr, RegistryError> {
        let tx = self.read_tx()?;
        with_tree(&tx, Tree::Records, &self.zeros, self.depth, |tree| {
            tree.leaf(index)
        })
    }

    /// Every anchored record leaf, by index.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn records(&self) -> Result<Vec<RecordLeaf>, RegistryError> {
        all(&self.conn)
    }

    /// The anchored leaf with this commitment, if any.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn find_record(&self, leaf: RecordCommitment) -> Result<Option<RecordLeaf>, RegistryError> {
        by_leaf(&self.conn, leaf)
    }

    /// Number of anchored record leaves.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn record_count(&self) -> Result<u64, RegistryError> {
        let n: Option<i64> = self
            .conn
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
            .optional()?;
        Ok(n.map(u64_from_sql).unwrap_or(0))
    }

    /// The records log, oldest first.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn record_events(&self) -> Result<Vec<RecordEvent>, RegistryError> {
        events(&self.conn)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::temp_registry;
    use zkconsent_circuits::merkle::{zero_hashes, SparseMerkleTree};
    use zkconsent_circuits::types::GrantsRoot;

    fn leaves(from: u64, n: u64) -> Vec<RecordCommitment> {
        (from..from + n)
            .map(|i| RecordCommitment(Fr::from(1_000 + i)))
            .collect()
    }

    #[test]
    fn anchoring_appends_in_order_and_logs_one_event() {
        let (_dir, path, mut reg) = temp_registry(4);
        let empty = reg.records_root().unwrap();
        assert_eq!(empty.0, zero_hashes(4)[4]);
        let grants_root = reg.current_root().unwrap();
        let a = reg.anchor_records(&leaves(0, 3), Timestamp(100)).unwrap();
        assert_eq!((a.first_index, a.count, a.event_seq), (0, 3, Some(1)));
        assert_eq!(a.root_before, empty);
        let b = reg.anchor_records(&leaves(3, 2), Timestamp(110)).unwrap();
        assert_eq!((b.first_index, b.count, b.event_seq), (3, 2, Some(2)));
        assert_eq!(b.root_before, a.root_after);
        // The same tree built in memory.
        let mut model = SparseMerkleTree::new(4).unwrap();
        for (i, l) in leaves(0, 5).iter().enumerate() {
            model.set(i as u64, l.0).unwrap();
        }
        assert_eq!(reg.records_root().unwrap().0, model.root().0);
        for i in 0..16 {
            let (root, path) = reg.records_root_and_path(i).unwrap();
            assert_eq!(path, model.path(i).unwrap());
            assert!(path.verify_membership(GrantsRoot(root.0), model.leaf(i).unwrap()));
        }
        assert_eq!(reg.record_leaf(4).unwrap(), Fr::from(1_004u64));
        // The grants tree is untouched.
        assert_eq!(reg.current_root().unwrap(), grants_root);
        assert_eq!(reg.root_history().unwrap().len(), 1);
        let history = reg.records_root_history().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(
            (
                history[1].root,
                history[1].created_at,
                history[1].superseded_at
            ),
            (a.root_after, Timestamp(100), Some(Timestamp(110)))
        );
        let rec = reg.records_root_record(a.root_after).unwrap().unwrap();
        assert_eq!(rec.seq, 2);
        let log = reg.record_events().unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(
            (log[1].first_index, log[1].leaves.clone()),
            (3, leaves(3, 2))
        );
        assert_eq!(reg.record_count().unwrap(), 5);
        let r = reg.find_record(leaves(4, 1)[0]).unwrap().unwrap();
        assert_eq!(
            (r.index, r.anchored_at, r.event_seq),
            (4, Timestamp(110), 2)
        );
        // Nothing to anchor: nothing changes.
        let none = reg.anchor_records(&[], Timestamp(120)).unwrap();
        assert_eq!((none.first_index, none.count, none.event_seq), (5, 0, None));
        assert_eq!(none.root_after, b.root_after);
        assert_eq!(reg.record_events().unwrap().len(), 2);
        // Survives reopening.
        drop(reg);
        let reg = Registry::open(&path).unwrap();
        assert_eq!(reg.records_root().unwrap(), b.root_after);
        assert_eq!(reg.records().unwrap().len(), 5);
    }

    #[test]
    fn refusals_change_nothing() {
        let (_dir, _path, mut reg) = temp_registry(2);
        reg.anchor_records(&leaves(0, 2), Timestamp(100)).unwrap();
        let root = reg.records_root().unwrap();
        let zero = RecordCommitment(EMPTY_LEAF);
        assert!(matches!(
            reg.anchor_records(&[leaves(5, 1)[0], zero], Timestamp(100)),
            Err(RegistryError::ZeroRecordLeaf)
        ));
        assert!(matches!(
            reg.anchor_records(&[leaves(5, 1)[0], leaves(5, 1)[0]], Timestamp(100)),
            Err(RegistryError::DuplicateRecordLeaf { index: 1 })
        ));
        assert!(matches!(
            reg.anchor_records(&leaves(1, 1), Timestamp(100)),
            Err(RegistryError::DuplicateRecordLeaf { index: 1 })
        ));
        assert!(matches!(
            reg.anchor_records(&leaves(5, 1), Timestamp(99)),
            Err(RegistryError::TimeWentBackwards { now: 99, last: 100 })
        ));
        assert!(matches!(
            reg.anchor_records(&leaves(5, 3), Timestamp(100)),
            Err(RegistryError::RecordsTreeFull {
                requested: 3,
                free: 2
            })
        ));
        assert_eq!(reg.records_root().unwrap(), root);
        assert_eq!(reg.record_events().unwrap().len(), 1);
        assert_eq!(reg.records_root_history().unwrap().len(), 2);
        // Exactly full is fine; then nothing fits.
        reg.anchor_records(&leaves(5, 2), Timestamp(100)).unwrap();
        assert!(matches!(
            reg.anchor_records(&leaves(9, 1), Timestamp(100)),
            Err(RegistryError::RecordsTreeFull {
                requested: 1,
                free: 0
            })
        ));
    }

    #[test]
    fn a_grants_only_registry_is_upgraded_on_open() {
        let (_dir, path, reg) = temp_registry(3);
        // Make it look like a version-1 file.
        reg.conn
            .execute_batch(
                "DROP TABLE record_nodes; DROP TABLE records; DROP TABLE record_roots;
                 DROP TABLE record_events; DROP TABLE spent_nullifiers;
                 UPDATE meta SET value = '1' WHERE key = 'schema_version';",
            )
            .unwrap();
        drop(reg);
        let mut reg = Registry::open(&path).unwrap();
        assert_eq!(reg.records_root().unwrap().0, zero_hashes(3)[3]);
        assert_eq!(
            reg.records_root_history().unwrap()[0].created_at,
            Timestamp(0)
        );
        reg.anchor_records(&leaves(0, 1), Timestamp(5)).unwrap();
        drop(reg);
        let reg = Registry::open(&path).unwrap();
        assert_eq!(reg.record_count().unwrap(), 1);
        let version: String = reg
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(version, crate::schema::SCHEMA_VERSION.to_string());
    }

    #[test]
    fn corrupt_event_leaves_are_errors() {
        let (_dir, _path, mut reg) = temp_registry(3);
        reg.anchor_records(&leaves(0, 2), Timestamp(5)).unwrap();
        reg.conn
            .execute("UPDATE record_events SET leaves = x'00'", [])
            .unwrap_err(); // CHECK holds
        reg.conn
            .execute("UPDATE record_events SET leaves = ?1", [vec![0xffu8; 32]])
            .unwrap();
        assert!(matches!(
            reg.record_events(),
            Err(RegistryError::Corrupt(_))
        ));
        assert_eq!(
            decode_leaves(&[]).unwrap_err().column,
            "record_events.leaves"
        );
    }
}
