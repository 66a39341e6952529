//! The records tree: anchoring record leaves (each anchoring may supersede earlier leaves),
//! and reading leaves, paths and the log.
//!
//! Leaves are appended at the next free index. A changed resource is anchored again as a new
//! leaf, and the anchoring names the index of the leaf it supersedes, which is set to the
//! empty leaf in the same transition (see `docs/spec.md`, "FHIR records"): a proof about the
//! old version stops verifying once the grace period after that removal ends, while proofs
//! against roots followed only by appends stay valid (see `roots`). Each anchoring is one
//! transaction covering nodes, the `records` rows, the root history and one logged event that
//! lists the leaves appended and the indices emptied, so `registry audit` can replay every
//! records root.
//!
//! The registry cannot tell whether a leaf commits to a well-formed record (it sees a
//! salted hash). Who may anchor is the registry operator's policy (the custodian writes its
//! own registry); what anchoring protects is the custodian's later proofs, which are sound
//! only about leaves that are in the tree.

use super::{
    codec::{
        blob_col, fr_col, fr_from_blob, fr_to_blob, opt_u64_col, u64_col, u64_from_sql, u64_to_sql,
        CorruptValue,
    },
    grants::check_time,
    roots::{self, Transition},
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

/// Bytes per leaf index in `record_events.superseded` (a big-endian `u64`).
const INDEX_BYTES: usize = 8;

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
    /// When a later anchoring superseded it (its slot is empty since); `None` while it is in
    /// the tree.
    pub removed_at: Option<Timestamp>,
    /// The anchoring event that superseded it.
    pub removed_by: Option<u64>,
}

impl RecordLeaf {
    /// Whether the leaf is in the current tree (not superseded).
    pub fn is_present(&self) -> bool {
        self.removed_at.is_none()
    }

    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, RegistryError> {
        Ok(Self {
            index: u64_col(row, 0, "records.leaf_index")?,
            leaf: RecordCommitment(fr_col(row, 1, "records.leaf")?),
            anchored_at: Timestamp(u64_col(row, 2, "records.anchored_at")?),
            event_seq: u64_col(row, 3, "records.event_seq")?,
            removed_at: opt_u64_col(row, 4, "records.removed_at")?.map(Timestamp),
            removed_by: opt_u64_col(row, 5, "records.removed_by")?,
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
    /// Indices of earlier leaves this anchoring superseded (set to the empty leaf), in the
    /// order given.
    pub superseded: Vec<u64>,
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
            superseded: decode_indices(&blob_col(row, 6, "record_events.superseded")?)?,
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
    /// Number of earlier leaves superseded (emptied).
    pub superseded: u64,
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

fn encode_indices(indices: &[u64]) -> Vec<u8> {
    indices.iter().flat_map(|i| i.to_be_bytes()).collect()
}

fn decode_indices(bytes: &[u8]) -> Result<Vec<u64>, CorruptValue> {
    let chunks = bytes.chunks_exact(INDEX_BYTES);
    if !chunks.remainder().is_empty() {
        return Err(CorruptValue::new(
            "record_events.superseded",
            "not a list of 8-byte indices",
        ));
    }
    Ok(chunks
        .map(|c| {
            let mut be = [0u8; INDEX_BYTES];
            be.copy_from_slice(c);
            u64::from_be_bytes(be)
        })
        .collect())
}

const RECORD_COLUMNS: &str =
    "SELECT leaf_index, leaf, anchored_at, event_seq, removed_at, removed_by FROM records";

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

fn by_index(conn: &Connection, index: u64) -> Result<Option<RecordLeaf>, RegistryError> {
    Ok(query_records(conn, "WHERE leaf_index = ?1", [u64_to_sql(index)])?.pop())
}

/// Every anchoring in log order.
pub(crate) fn events(conn: &Connection) -> Result<Vec<RecordEvent>, RegistryError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, first_index, leaves, root_before, root_after, at, superseded
         FROM record_events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(RecordEvent::from_row(row)?);
    }
    Ok(out)
}

/// The checks on an anchoring's arguments that need no database: no zero or repeated leaf,
/// no repeated index, no supersession without a new leaf.
fn check_arguments(leaves: &[RecordCommitment], superseded: &[u64]) -> Result<(), RegistryError> {
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
    let mut listed = HashSet::with_capacity(superseded.len());
    if let Some(&twice) = superseded.iter().find(|&&i| !listed.insert(i)) {
        return Err(RegistryError::DuplicateSuperseded(twice));
    }
    if leaves.is_empty() && !superseded.is_empty() {
        return Err(RegistryError::SupersedeWithoutLeaves);
    }
    Ok(())
}

/// The stored leaves of `superseded`, each an anchored leaf still in the tree.
fn present_leaves(
    conn: &Connection,
    superseded: &[u64],
) -> Result<Vec<RecordCommitment>, RegistryError> {
    superseded
        .iter()
        .map(|&index| match by_index(conn, index)? {
            None => Err(RegistryError::UnknownRecord(index)),
            Some(r) if !r.is_present() => Err(RegistryError::RecordAlreadySuperseded(index)),
            Some(r) => Ok(r.leaf),
        })
        .collect()
}

impl Registry {
    /// Appends `leaves` to the records tree at the next free indices, in order, and sets the
    /// earlier leaves at the indices `superseded` to the empty leaf, as one logged anchoring:
    /// one new records root, recorded as a removal when `superseded` is not empty (which
    /// starts the grace period of every earlier root, see [`RootPolicy`]), as an append
    /// otherwise. Nothing to append changes nothing and logs nothing.
    ///
    /// [`RootPolicy`]: crate::RootPolicy
    ///
    /// # Errors
    ///
    /// [`RegistryError::ZeroRecordLeaf`], [`RegistryError::DuplicateRecordLeaf`] (a leaf
    /// ever anchored before, or twice in `leaves`), [`RegistryError::DuplicateSuperseded`],
    /// [`RegistryError::SupersedeWithoutLeaves`], [`RegistryError::UnknownRecord`] (an index
    /// never anchored), [`RegistryError::RecordAlreadySuperseded`],
    /// [`RegistryError::RecordsTreeFull`], [`RegistryError::TimeWentBackwards`], or a
    /// database error; nothing changes on error.
    pub fn anchor_records(
        &mut self,
        leaves: &[RecordCommitment],
        superseded: &[u64],
        now: Timestamp,
    ) -> Result<RecordAnchoring, RegistryError> {
        self.anchor(leaves, superseded, Some(now))
    }

    /// What [`Registry::anchor_records`] would do now (first index, roots before and after),
    /// with the same checks, changing nothing: a chain custodian states the root its
    /// anchoring makes (`anchorRecords(rootBefore, leaves, rootAfter)`).
    ///
    /// # Errors
    ///
    /// As [`Registry::anchor_records`], but for the clock.
    pub fn preview_anchoring(
        &mut self,
        leaves: &[RecordCommitment],
        superseded: &[u64],
    ) -> Result<RecordAnchoring, RegistryError> {
        self.anchor(leaves, superseded, None)
    }

    /// Anchors at `now`, or with `None` previews: the transaction is rolled back.
    fn anchor(
        &mut self,
        leaves: &[RecordCommitment],
        superseded: &[u64],
        now: Option<Timestamp>,
    ) -> Result<RecordAnchoring, RegistryError> {
        check_arguments(leaves, superseded)?;
        let previewing = now.is_none();
        self.checked_for_writing()?;
        let (depth, zeros, clock) = (self.depth, &self.zeros, self.clock);
        let tx = write_tx(&mut self.conn)?;
        let now = now.map(|given| Registry::stamp(clock, given));
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
                superseded: 0,
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
        let old_leaves = present_leaves(&tx, superseded)?;
        let now = match now {
            Some(now) => {
                check_time(now, last.created_at)?;
                now
            }
            None => last.created_at,
        };
        let count = leaves.len() as u64;
        let free = (1u64 << depth).saturating_sub(first_index);
        if count > free {
            return Err(RegistryError::RecordsTreeFull {
                requested: count,
                free,
            });
        }
        let (root_before, root_after, in_tree) =
            with_tree(&tx, Tree::Records, zeros, depth, |tree| {
                let before = tree.root();
                let mut after = before;
                for (k, leaf) in (first_index..).zip(leaves) {
                    after = tree.set(k, leaf.0)?;
                }
                let mut in_tree = true;
                for (&k, old) in superseded.iter().zip(&old_leaves) {
                    in_tree &= tree.leaf(k)? == old.0;
                    after = tree.set(k, EMPTY_LEAF)?;
                }
                Ok((RecordsRoot(before.0), RecordsRoot(after.0), in_tree))
            })?;
        if root_before != last.root || !in_tree {
            return Err(RegistryError::Inconsistent(
                "records tree differs from its records table or root history",
            ));
        }
        tx.execute(
            "INSERT INTO record_events
                 (first_index, leaves, root_before, root_after, at, superseded)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            (
                u64_to_sql(first_index),
                encode_leaves(leaves),
                fr_to_blob(&root_before.0),
                fr_to_blob(&root_after.0),
                u64_to_sql(now.0),
                encode_indices(superseded),
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
            let mut remove = tx.prepare_cached(
                "UPDATE records SET removed_at = ?2, removed_by = ?3 WHERE leaf_index = ?1",
            )?;
            for &k in superseded {
                remove.execute((u64_to_sql(k), u64_to_sql(now.0), u64_to_sql(event_seq)))?;
            }
        }
        roots::append(&tx, root_after, now, Transition::removing(superseded))?;
        if previewing {
            drop(tx); // rolled back
        } else {
            tx.commit()?;
        }
        Ok(RecordAnchoring {
            first_index,
            count,
            superseded: superseded.len() as u64,
            root_before,
            root_after,
            event_seq: (!previewing).then_some(event_seq),
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

    /// The record leaf in slot `index` ([`EMPTY_LEAF`] if none yet, or superseded).
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

    /// Every record leaf ever anchored, by index; superseded ones have
    /// [`RecordLeaf::removed_at`] set.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn records(&self) -> Result<Vec<RecordLeaf>, RegistryError> {
        all(&self.conn)
    }

    /// The leaf with this commitment if it was ever anchored (check
    /// [`RecordLeaf::is_present`]: it may have been superseded since).
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn find_record(&self, leaf: RecordCommitment) -> Result<Option<RecordLeaf>, RegistryError> {
        by_leaf(&self.conn, leaf)
    }

    /// Number of record leaves ever anchored, superseded ones included (the next free index).
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
    fn a_preview_states_the_anchorings_roots_and_changes_nothing() {
        let (_dir, _path, mut reg) = temp_registry(4);
        reg.anchor_records(&leaves(0, 2), &[], Timestamp(100))
            .unwrap();
        let preview = reg.preview_anchoring(&leaves(2, 3), &[0]).unwrap();
        assert_eq!(reg.record_count().unwrap(), 2);
        assert_eq!(reg.records_root().unwrap(), preview.root_before);
        assert_eq!(reg.records_root_history().unwrap().len(), 2);
        assert_eq!(preview.event_seq, None);
        let done = reg
            .anchor_records(&leaves(2, 3), &[0], Timestamp(100))
            .unwrap();
        assert_eq!(
            (done.first_index, done.root_before, done.root_after),
            (preview.first_index, preview.root_before, preview.root_after)
        );
        // The same refusals as the anchoring itself.
        assert!(matches!(
            reg.preview_anchoring(&leaves(2, 1), &[]),
            Err(RegistryError::DuplicateRecordLeaf { index: 2 })
        ));
    }

    #[test]
    fn anchoring_appends_in_order_and_logs_one_event() {
        let (_dir, path, mut reg) = temp_registry(4);
        let empty = reg.records_root().unwrap();
        assert_eq!(empty.0, zero_hashes(4)[4]);
        let grants_root = reg.current_root().unwrap();
        let a = reg
            .anchor_records(&leaves(0, 3), &[], Timestamp(100))
            .unwrap();
        assert_eq!((a.first_index, a.count, a.event_seq), (0, 3, Some(1)));
        assert_eq!(a.root_before, empty);
        let b = reg
            .anchor_records(&leaves(3, 2), &[], Timestamp(110))
            .unwrap();
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
        let none = reg.anchor_records(&[], &[], Timestamp(120)).unwrap();
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
        reg.anchor_records(&leaves(0, 2), &[], Timestamp(100))
            .unwrap();
        let root = reg.records_root().unwrap();
        let zero = RecordCommitment(EMPTY_LEAF);
        assert!(matches!(
            reg.anchor_records(&[leaves(5, 1)[0], zero], &[], Timestamp(100)),
            Err(RegistryError::ZeroRecordLeaf)
        ));
        assert!(matches!(
            reg.anchor_records(&[leaves(5, 1)[0], leaves(5, 1)[0]], &[], Timestamp(100)),
            Err(RegistryError::DuplicateRecordLeaf { index: 1 })
        ));
        assert!(matches!(
            reg.anchor_records(&leaves(1, 1), &[], Timestamp(100)),
            Err(RegistryError::DuplicateRecordLeaf { index: 1 })
        ));
        assert!(matches!(
            reg.anchor_records(&leaves(5, 1), &[], Timestamp(99)),
            Err(RegistryError::TimeWentBackwards { now: 99, last: 100 })
        ));
        assert!(matches!(
            reg.anchor_records(&leaves(5, 3), &[], Timestamp(100)),
            Err(RegistryError::RecordsTreeFull {
                requested: 3,
                free: 2
            })
        ));
        assert_eq!(reg.records_root().unwrap(), root);
        assert_eq!(reg.record_events().unwrap().len(), 1);
        assert_eq!(reg.records_root_history().unwrap().len(), 2);
        // Exactly full is fine; then nothing fits.
        reg.anchor_records(&leaves(5, 2), &[], Timestamp(100))
            .unwrap();
        assert!(matches!(
            reg.anchor_records(&leaves(9, 1), &[], Timestamp(100)),
            Err(RegistryError::RecordsTreeFull {
                requested: 1,
                free: 0
            })
        ));
    }

    #[test]
    fn superseding_empties_leaves_in_one_transition() {
        let (_dir, path, mut reg) = temp_registry(3);
        let a = reg
            .anchor_records(&leaves(0, 3), &[], Timestamp(100))
            .unwrap();
        let b = reg
            .anchor_records(&leaves(3, 2), &[2, 0], Timestamp(110))
            .unwrap();
        assert_eq!(
            (b.first_index, b.count, b.superseded, b.event_seq),
            (3, 2, 2, Some(2))
        );
        assert_eq!(b.root_before, a.root_after);
        let mut model = SparseMerkleTree::new(3).unwrap();
        for (i, l) in leaves(0, 5).iter().enumerate() {
            model.set(i as u64, l.0).unwrap();
        }
        model.set(0, EMPTY_LEAF).unwrap();
        model.set(2, EMPTY_LEAF).unwrap();
        assert_eq!(reg.records_root().unwrap().0, model.root().0);
        assert_eq!(b.root_after.0, model.root().0);
        for i in [0, 2] {
            assert_eq!(reg.record_leaf(i).unwrap(), EMPTY_LEAF);
        }
        assert_eq!(reg.record_leaf(1).unwrap(), leaves(1, 1)[0].0);
        // One root row for the call, marked as a removal; the first anchoring's was not.
        let history = reg.records_root_history().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(
            history.iter().map(|r| r.removes).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert_eq!(history[2].root, b.root_after);
        // The superseded leaves are reported as removed, not dropped.
        let old = reg.find_record(leaves(2, 1)[0]).unwrap().unwrap();
        assert_eq!(
            (old.index, old.removed_at, old.removed_by, old.is_present()),
            (2, Some(Timestamp(110)), Some(2), false)
        );
        let all = reg.records().unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(
            all.iter().map(RecordLeaf::is_present).collect::<Vec<_>>(),
            [false, true, false, true, true]
        );
        assert_eq!(reg.record_count().unwrap(), 5);
        let log = reg.record_events().unwrap();
        assert_eq!(
            (log[0].superseded.clone(), log[1].superseded.clone()),
            (vec![], vec![2, 0])
        );
        assert!(reg
            .audit(&crate::test_support::keys().pvk)
            .unwrap()
            .is_consistent());
        drop(reg);
        let reg = Registry::open(&path).unwrap();
        assert_eq!(reg.records().unwrap(), all);
        assert_eq!(reg.record_events().unwrap(), log);
    }

    #[test]
    fn bad_supersessions_write_nothing() {
        let (_dir, _path, mut reg) = temp_registry(3);
        reg.anchor_records(&leaves(0, 3), &[], Timestamp(100))
            .unwrap();
        reg.anchor_records(&leaves(3, 1), &[1], Timestamp(110))
            .unwrap();
        let (root, records) = (reg.records_root().unwrap(), reg.records().unwrap());
        let new = leaves(10, 1);
        let mut refuse = |superseded: &[u64]| {
            reg.anchor_records(&new, superseded, Timestamp(120))
                .unwrap_err()
        };
        // Never anchored, the index the new leaf itself would take, already superseded,
        // listed twice.
        assert!(matches!(refuse(&[7]), RegistryError::UnknownRecord(7)));
        assert!(matches!(refuse(&[4]), RegistryError::UnknownRecord(4)));
        assert!(matches!(
            refuse(&[u64::MAX]),
            RegistryError::UnknownRecord(u64::MAX)
        ));
        assert!(matches!(
            refuse(&[0, 1]),
            RegistryError::RecordAlreadySuperseded(1)
        ));
        assert!(matches!(
            refuse(&[2, 0, 2]),
            RegistryError::DuplicateSuperseded(2)
        ));
        assert!(matches!(
            reg.anchor_records(&[], &[0], Timestamp(120)),
            Err(RegistryError::SupersedeWithoutLeaves)
        ));
        // A valid supersession with a bad leaf or time is refused whole.
        assert!(matches!(
            reg.anchor_records(&leaves(0, 1), &[0], Timestamp(120)),
            Err(RegistryError::DuplicateRecordLeaf { index: 0 })
        ));
        assert!(matches!(
            reg.anchor_records(&new, &[0], Timestamp(109)),
            Err(RegistryError::TimeWentBackwards { .. })
        ));
        assert_eq!(reg.records_root().unwrap(), root);
        assert_eq!(reg.records().unwrap(), records);
        assert_eq!(reg.record_events().unwrap().len(), 2);
        assert_eq!(reg.records_root_history().unwrap().len(), 3);
        assert_eq!(reg.record_leaf(0).unwrap(), leaves(0, 1)[0].0);
        // The same call, valid, goes through.
        reg.anchor_records(&new, &[0, 2], Timestamp(120)).unwrap();
        assert_eq!(
            reg.records()
                .unwrap()
                .iter()
                .filter(|r| r.is_present())
                .count(),
            2
        );
    }

    #[test]
    fn a_grants_only_registry_is_upgraded_on_open() {
        let (_dir, path, reg) = temp_registry(3);
        // Make it look like a version-1 file.
        crate::schema::downgrade_to_version_3(&reg.conn).unwrap();
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
        let start = reg.records_root_history().unwrap()[0];
        assert_eq!((start.created_at, start.removes), (Timestamp(0), false));
        reg.anchor_records(&leaves(0, 1), &[], Timestamp(5))
            .unwrap();
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
        reg.anchor_records(&leaves(0, 2), &[], Timestamp(5))
            .unwrap();
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
        // Superseded indices: whole 8-byte words only.
        reg.conn
            .execute("UPDATE record_events SET superseded = x'01'", [])
            .unwrap_err(); // CHECK holds
        assert_eq!(
            decode_indices(&[1]).unwrap_err().column,
            "record_events.superseded"
        );
        assert_eq!(
            decode_indices(&encode_indices(&[0, 7, u64::MAX])).unwrap(),
            [0, 7, u64::MAX]
        );
    }
}
