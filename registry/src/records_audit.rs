//! The records half of the audit: replays the records log (each event lists the leaves it
//! appended and the indices it superseded) from an empty tree and checks the root history
//! (removal flags included), the `records` table, the current root and every stored node
//! against the replay.
//!
//! Record leaves carry no authority proof, so this audit establishes consistency, not
//! authorisation: whatever the log says was anchored is exactly what the tree, the roots and
//! the tables hold, and a leaf written around [`Registry::anchor_records`] is detected.
//!
//! [`Registry::anchor_records`]: super::Registry::anchor_records

use super::{
    records::{self, RecordEvent, RecordLeaf},
    replay::{
        compare_histories, compare_nodes, first_difference, replay_log, HistoryMismatch,
        ReplayedRoot,
    },
    roots,
    store::{self, Tree},
    RegistryError,
};
use ark_bn254::Fr;
use rusqlite::Connection;
use std::collections::HashSet;
use zkconsent_circuits::{
    merkle::{SparseMerkleTree, EMPTY_LEAF},
    types::{RecordCommitment, RecordsRoot, Timestamp},
};

/// The first inconsistency in the records tree.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordsFinding {
    /// Event sequence numbers are not 1, 2, 3, …
    #[error("anchoring {seq}: sequence gap (expected {expected})")]
    SequenceGap {
        /// The event's sequence number.
        seq: u64,
        /// The number expected.
        expected: u64,
    },
    /// An event's time is earlier than the previous event's.
    #[error("anchoring {seq}: time goes backwards")]
    TimeWentBackwards {
        /// The event.
        seq: u64,
    },
    /// An event appends the zero leaf.
    #[error("anchoring {seq}: zero leaf")]
    ZeroLeaf {
        /// The event.
        seq: u64,
    },
    /// An event appends a leaf anchored before.
    #[error("anchoring {seq}: leaf anchored twice")]
    DuplicateLeaf {
        /// The event.
        seq: u64,
    },
    /// An event does not append at the next free index, or overflows the tree.
    #[error("anchoring {seq}: leaves at {first_index}, expected {expected}")]
    WrongIndex {
        /// The event.
        seq: u64,
        /// The logged first index.
        first_index: u64,
        /// The next free index.
        expected: u64,
    },
    /// An event supersedes a leaf that is not an earlier anchored leaf still in the tree (or
    /// lists it twice).
    #[error("anchoring {seq}: supersedes leaf {leaf_index}, which is not a present earlier leaf")]
    BadSupersede {
        /// The event.
        seq: u64,
        /// The logged index.
        leaf_index: u64,
    },
    /// An event's `root_before` is not the replayed root.
    #[error("anchoring {seq}: root_before differs from the replay")]
    RootBeforeMismatch {
        /// The event.
        seq: u64,
    },
    /// An event's `root_after` is not the replayed root.
    #[error("anchoring {seq}: root_after differs from the replay")]
    RootAfterMismatch {
        /// The event.
        seq: u64,
    },
    /// The root history has the wrong number of rows (one per event, plus the empty root).
    #[error("root history has {found} rows, replay gives {expected}")]
    RootHistoryLength {
        /// Rows stored.
        found: usize,
        /// Rows expected.
        expected: usize,
    },
    /// A root history row differs from the replay.
    #[error("root history row {position} differs from the replay")]
    RootHistoryMismatch {
        /// 0-based position in the history.
        position: usize,
    },
    /// The `records` table differs from the replay at this leaf.
    #[error("records table differs from the replay at leaf {leaf_index}")]
    RecordMismatch {
        /// The first leaf that differs.
        leaf_index: u64,
    },
    /// The stored tree's root is not the replayed root.
    #[error("stored current root differs from the replay")]
    CurrentRootMismatch,
    /// A stored node differs from the replay.
    #[error("stored node (level {level}, index {idx}) differs from the replay")]
    NodeMismatch {
        /// Node level (0 = leaves).
        level: u64,
        /// Node position.
        idx: u64,
    },
}

/// The records replay's result.
pub(super) struct RecordsAudit {
    pub events: u64,
    pub records: u64,
    pub root: RecordsRoot,
    pub finding: Option<RecordsFinding>,
}

struct Replay {
    tree: SparseMerkleTree,
    /// Expected `records` rows, by index.
    records: Vec<RecordLeaf>,
    seen: HashSet<RecordCommitment>,
    roots: Vec<ReplayedRoot<RecordsRoot>>,
    last_at: Timestamp,
}

impl Replay {
    fn root(&self) -> RecordsRoot {
        RecordsRoot(self.tree.root().0)
    }

    fn apply(&mut self, e: &RecordEvent, expected_seq: u64) -> Result<(), RecordsFinding> {
        let seq = e.seq;
        if seq != expected_seq {
            return Err(RecordsFinding::SequenceGap {
                seq,
                expected: expected_seq,
            });
        }
        if e.at < self.last_at {
            return Err(RecordsFinding::TimeWentBackwards { seq });
        }
        if e.root_before != self.root() {
            return Err(RecordsFinding::RootBeforeMismatch { seq });
        }
        let next = self.records.len() as u64;
        let fits = next
            .checked_add(e.leaves.len() as u64)
            .is_some_and(|end| end <= self.tree.capacity());
        if e.first_index != next || !fits || e.leaves.is_empty() {
            return Err(RecordsFinding::WrongIndex {
                seq,
                first_index: e.first_index,
                expected: next,
            });
        }
        for (index, leaf) in (next..).zip(&e.leaves) {
            if leaf.0 == EMPTY_LEAF {
                return Err(RecordsFinding::ZeroLeaf { seq });
            }
            if !self.seen.insert(*leaf) {
                return Err(RecordsFinding::DuplicateLeaf { seq });
            }
            self.tree
                .set(index, leaf.0)
                .map_err(|_| RecordsFinding::WrongIndex {
                    seq,
                    first_index: e.first_index,
                    expected: next,
                })?;
            self.records.push(RecordLeaf {
                index,
                leaf: *leaf,
                anchored_at: e.at,
                event_seq: seq,
                removed_at: None,
                removed_by: None,
            });
        }
        for &index in &e.superseded {
            self.supersede(seq, index, next, e.at)?;
        }
        if e.root_after != self.root() {
            return Err(RecordsFinding::RootAfterMismatch { seq });
        }
        self.roots.push(ReplayedRoot {
            root: e.root_after,
            created_at: e.at,
            removes: !e.superseded.is_empty(),
        });
        self.last_at = e.at;
        Ok(())
    }

    /// Empties leaf `index`, which must have been anchored before event `seq` (below
    /// `earlier`, the event's first index) and still be in the tree.
    fn supersede(
        &mut self,
        seq: u64,
        index: u64,
        earlier: u64,
        at: Timestamp,
    ) -> Result<(), RecordsFinding> {
        let bad = RecordsFinding::BadSupersede {
            seq,
            leaf_index: index,
        };
        let record = usize::try_from(index)
            .ok()
            .filter(|_| index < earlier)
            .and_then(|i| self.records.get_mut(i))
            .filter(|r| r.is_present());
        let Some(record) = record else {
            return Err(bad);
        };
        record.removed_at = Some(at);
        record.removed_by = Some(seq);
        self.tree.set(index, EMPTY_LEAF).map_err(|_| bad)?;
        Ok(())
    }
}

/// Replays the records log and checks the records tables (inside the caller's snapshot).
pub(super) fn audit(
    conn: &Connection,
    zeros: &[Fr],
    depth: usize,
) -> Result<RecordsAudit, RegistryError> {
    let log = records::events(conn)?;
    let mut replay = Replay {
        tree: SparseMerkleTree::new(depth)?,
        records: Vec::new(),
        seen: HashSet::new(),
        roots: Vec::with_capacity(log.len() + 1),
        last_at: Timestamp(0),
    };
    replay.roots.push(ReplayedRoot::empty(replay.root()));
    let (replayed, mut finding) = replay_log(&log, |e, seq| replay.apply(e, seq));
    if finding.is_none() {
        finding = check_tables(conn, zeros, depth, &replay)?.err();
    }
    Ok(RecordsAudit {
        events: replayed,
        records: replay.records.len() as u64,
        root: replay.root(),
        finding,
    })
}

/// The table checks after a complete replay: `Ok(Err(finding))` on an inconsistency.
fn check_tables(
    conn: &Connection,
    zeros: &[Fr],
    depth: usize,
    replay: &Replay,
) -> Result<Result<(), RecordsFinding>, RegistryError> {
    let history = roots::all::<RecordsRoot>(conn)?;
    if let Err(m) = compare_histories(&history, &replay.roots) {
        return Ok(Err(match m {
            HistoryMismatch::Length { found, expected } => {
                RecordsFinding::RootHistoryLength { found, expected }
            }
            HistoryMismatch::Row(position) => RecordsFinding::RootHistoryMismatch { position },
        }));
    }
    let stored = records::all(conn)?;
    let by_index = |l: &RecordLeaf| (l.index, *l);
    if let Some(leaf_index) = first_difference(
        stored.iter().map(by_index),
        replay.records.iter().map(by_index),
        |s, r| s == r,
    ) {
        return Ok(Err(RecordsFinding::RecordMismatch { leaf_index }));
    }
    let stored_root = store::with_tree(conn, Tree::Records, zeros, depth, |t| Ok(t.root()))?;
    if RecordsRoot(stored_root.0) != replay.root() {
        return Ok(Err(RecordsFinding::CurrentRootMismatch));
    }
    Ok(compare_nodes(
        &store::all_nodes(conn, Tree::Records)?,
        replay.tree.store(),
        depth,
    )
    .map_err(|(level, idx)| RecordsFinding::NodeMismatch { level, idx }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{
        codec::fr_to_blob,
        test_support::{keys, party, temp_registry},
        AuditFinding, Registry,
    };

    fn leaves(from: u64, n: u64) -> Vec<RecordCommitment> {
        (from..from + n)
            .map(|i| RecordCommitment(Fr::from(7_000 + i)))
            .collect()
    }

    /// A registry with two anchorings and a grant; a fresh copy per tampering.
    fn honest() -> (tempfile::TempDir, std::path::PathBuf) {
        let (dir, _path, mut reg) = temp_registry(3);
        reg.anchor_records(&leaves(0, 3), &[], Timestamp(100))
            .unwrap();
        party(61).issue(&mut reg, 105);
        reg.anchor_records(&leaves(3, 2), &[], Timestamp(110))
            .unwrap();
        let report = reg.audit(&keys().pvk).unwrap();
        assert_eq!(report.finding, None);
        assert_eq!((report.record_events, report.records), (2, 5));
        assert_eq!(report.records_root, reg.records_root().unwrap());
        assert_eq!((report.events, report.grants), (1, 1));
        let snapshot = dir.path().join("honest.db");
        reg.conn
            .execute("VACUUM INTO ?1", [snapshot.to_str().unwrap()])
            .unwrap();
        (dir, snapshot)
    }

    fn tampered(snapshot: &std::path::Path, sql: &str) -> Option<AuditFinding> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        std::fs::copy(snapshot, &path).unwrap();
        let reg = Registry::open(&path).unwrap();
        reg.conn.execute_batch(sql).unwrap();
        reg.audit(&keys().pvk).unwrap().finding
    }

    #[test]
    fn audit_catches_records_tampering() {
        let (_keep, snapshot) = honest();
        let f = |sql: &str| tampered(&snapshot, sql);
        assert_eq!(f(""), None);
        // A leaf swapped in the tree alone, then the root too.
        let forged = hex::encode(fr_to_blob(&Fr::from(0xbadu64)));
        assert_eq!(
            f(&format!(
                "UPDATE record_nodes SET hash = x'{forged}' WHERE level = 0 AND idx = 1"
            )),
            Some(AuditFinding::Records(RecordsFinding::NodeMismatch {
                level: 0,
                idx: 1
            }))
        );
        assert_eq!(
            f(&format!(
                "UPDATE record_nodes SET hash = x'{forged}' WHERE level = 3 AND idx = 0"
            )),
            Some(AuditFinding::Records(RecordsFinding::CurrentRootMismatch))
        );
        // A row added to the records table only.
        assert_eq!(
            f(&format!(
                "INSERT INTO records VALUES (5, x'{forged}', 120, 2, NULL, NULL)"
            )),
            Some(AuditFinding::Records(RecordsFinding::RecordMismatch {
                leaf_index: 5
            }))
        );
        // A logged leaf rewritten: the replay's root no longer matches the logged one.
        let hex_leaf = |i: u64| hex::encode(fr_to_blob(&leaves(i, 1)[0].0));
        assert_eq!(
            f(&format!(
                "UPDATE record_events SET leaves = x'{forged}{}' WHERE seq = 2",
                hex_leaf(4)
            )),
            Some(AuditFinding::Records(RecordsFinding::RootAfterMismatch {
                seq: 2
            }))
        );
        // A deleted anchoring.
        assert_eq!(
            f("DELETE FROM record_events WHERE seq = 1"),
            Some(AuditFinding::Records(RecordsFinding::SequenceGap {
                seq: 2,
                expected: 1
            }))
        );
        // A rewritten root history time.
        assert_eq!(
            f("UPDATE record_roots SET created_at = 101 WHERE seq = 2"),
            Some(AuditFinding::Records(RecordsFinding::RootHistoryMismatch {
                position: 1
            }))
        );
        // A second copy of a leaf, logged consistently, is still a duplicate.
        assert_eq!(
            f(&format!(
                "UPDATE record_events SET leaves = x'{}{}' WHERE seq = 2",
                hex_leaf(3),
                hex_leaf(3)
            )),
            Some(AuditFinding::Records(RecordsFinding::DuplicateLeaf {
                seq: 2
            }))
        );
        // An anchoring that claims another index.
        assert_eq!(
            f("UPDATE record_events SET first_index = 4 WHERE seq = 2"),
            Some(AuditFinding::Records(RecordsFinding::WrongIndex {
                seq: 2,
                first_index: 4,
                expected: 3
            }))
        );
    }

    /// Three anchorings, the second superseding leaf 1 and the third leaf 0; a snapshot.
    fn with_supersessions() -> (tempfile::TempDir, std::path::PathBuf) {
        let (dir, _path, mut reg) = temp_registry(3);
        reg.anchor_records(&leaves(0, 3), &[], Timestamp(100))
            .unwrap();
        reg.anchor_records(&leaves(3, 2), &[1], Timestamp(110))
            .unwrap();
        reg.anchor_records(&leaves(5, 1), &[0], Timestamp(120))
            .unwrap();
        let report = reg.audit(&keys().pvk).unwrap();
        assert_eq!(report.finding, None);
        assert_eq!((report.record_events, report.records), (3, 6));
        assert_eq!(report.records_root, reg.records_root().unwrap());
        let snapshot = dir.path().join("superseded.db");
        reg.conn
            .execute("VACUUM INTO ?1", [snapshot.to_str().unwrap()])
            .unwrap();
        (dir, snapshot)
    }

    #[test]
    fn audit_replays_supersessions_and_catches_tampering() {
        let (_keep, snapshot) = with_supersessions();
        let f = |sql: &str| tampered(&snapshot, sql);
        let finding = |f: RecordsFinding| Some(AuditFinding::Records(f));
        assert_eq!(f(""), None);
        let index = |i: u64| hex::encode(i.to_be_bytes());
        // A removal erased from the log, or moved to another leaf: the roots disagree.
        assert_eq!(
            f("UPDATE record_events SET superseded = x'' WHERE seq = 2"),
            finding(RecordsFinding::RootAfterMismatch { seq: 2 })
        );
        assert_eq!(
            f(&format!(
                "UPDATE record_events SET superseded = x'{}' WHERE seq = 2",
                index(2)
            )),
            finding(RecordsFinding::RootAfterMismatch { seq: 2 })
        );
        // Removals of a leaf already removed, of one not anchored before, or twice.
        for (seq, listed, leaf_index) in [
            (3, index(1), 1),
            (2, index(3), 3),
            (2, index(9), 9),
            (2, format!("{}{}", index(1), index(1)), 1),
        ] {
            assert_eq!(
                f(&format!(
                    "UPDATE record_events SET superseded = x'{listed}' WHERE seq = {seq}"
                )),
                finding(RecordsFinding::BadSupersede { seq, leaf_index })
            );
        }
        // A removal flag cleared: the root before it would outlive the removal.
        assert_eq!(
            f("UPDATE record_roots SET removes = 0 WHERE seq = 3"),
            finding(RecordsFinding::RootHistoryMismatch { position: 2 })
        );
        // A flag set on an append only shortens acceptance, as upgraded files do: accepted.
        assert_eq!(f("UPDATE record_roots SET removes = 1 WHERE seq = 2"), None);
        // A removed leaf reported present, or restored in the tree.
        assert_eq!(
            f("UPDATE records SET removed_at = NULL, removed_by = NULL WHERE leaf_index = 1"),
            finding(RecordsFinding::RecordMismatch { leaf_index: 1 })
        );
        assert_eq!(
            f("UPDATE records SET removed_at = 111 WHERE leaf_index = 0"),
            finding(RecordsFinding::RecordMismatch { leaf_index: 0 })
        );
        let restored = hex::encode(fr_to_blob(&leaves(1, 1)[0].0));
        assert_eq!(
            f(&format!(
                "INSERT INTO record_nodes VALUES (0, 1, x'{restored}')"
            )),
            finding(RecordsFinding::NodeMismatch { level: 0, idx: 1 })
        );
    }
}
