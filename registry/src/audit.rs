//! The audit: replays the event log from an empty tree, re-verifying every logged authority
//! proof, and checks every table against the replay; then does the same for the records
//! tree's log (`records_audit`).
//!
//! Whoever can write the database can forge rows; they cannot forge authority proofs. A leaf
//! written around [`Registry::issue_grant`] either has no event (the grants table, roots or
//! nodes then disagree with the replay) or an event whose proof does not verify.

use super::{
    events::{self, EventRecord},
    grants::{self, GrantStatus},
    records_audit::{self, RecordsFinding},
    replay::{
        compare_histories, compare_nodes, first_difference, replay_log, HistoryMismatch,
        ReplayedRoot,
    },
    roots, store, GrantRecord, Registry, RegistryError,
};
use ark_bn254::Fr;
use std::collections::{BTreeMap, HashMap, HashSet};
use zkconsent_circuits::{
    authority::{AuthorityPublic, GrantAction},
    merkle::{SparseMerkleTree, EMPTY_LEAF},
    types::{GrantCommitment, GrantsRoot, RecordsRoot, Timestamp},
};
use zkconsent_verifier::{verify, PreparedVerifyingKey, Proof, VerifyError};

/// The first inconsistency the audit found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditFinding {
    /// Event sequence numbers are not 1, 2, 3, …
    #[error("event {seq}: sequence gap (expected {expected})")]
    SequenceGap {
        /// The event's sequence number.
        seq: u64,
        /// The number expected.
        expected: u64,
    },
    /// An event's time is earlier than the previous event's.
    #[error("event {seq}: time goes backwards")]
    TimeWentBackwards {
        /// The event.
        seq: u64,
    },
    /// An event's stored proof is not a valid proof encoding.
    #[error("event {seq}: authority proof does not decode")]
    ProofUndecodable {
        /// The event.
        seq: u64,
    },
    /// An event's proof does not verify for its action and commitment.
    #[error("event {seq}: authority proof rejected: {error}")]
    ProofRejected {
        /// The event.
        seq: u64,
        /// The verifier's answer.
        error: VerifyError,
    },
    /// An issue event for the zero commitment.
    #[error("event {seq}: zero commitment issued")]
    ZeroCommitment {
        /// The event.
        seq: u64,
    },
    /// An issue event for a commitment issued before.
    #[error("event {seq}: commitment issued twice")]
    DuplicateCommitment {
        /// The event.
        seq: u64,
    },
    /// An issue event not at the next sequential leaf index.
    #[error("event {seq}: issue at leaf {leaf_index}, expected {expected}")]
    WrongIssueIndex {
        /// The event.
        seq: u64,
        /// The logged index.
        leaf_index: u64,
        /// The next free index.
        expected: u64,
    },
    /// A revoke event for a leaf that is not an active grant with that commitment.
    #[error("event {seq}: revoke of leaf {leaf_index}, which is not that active grant")]
    BadRevoke {
        /// The event.
        seq: u64,
        /// The logged index.
        leaf_index: u64,
    },
    /// An event's `root_before` is not the replayed root.
    #[error("event {seq}: root_before differs from the replay")]
    RootBeforeMismatch {
        /// The event.
        seq: u64,
    },
    /// An event's `root_after` is not the replayed root.
    #[error("event {seq}: root_after differs from the replay")]
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
    /// A root history row differs from the replay (value or times).
    #[error("root history row {position} differs from the replay")]
    RootHistoryMismatch {
        /// 0-based position in the history.
        position: usize,
    },
    /// The grants table differs from the replay at this leaf.
    #[error("grants table differs from the replay at leaf {leaf_index}")]
    GrantMismatch {
        /// The first leaf that differs.
        leaf_index: u64,
    },
    /// The stored tree's root is not the replayed root.
    #[error("stored current root differs from the replay")]
    CurrentRootMismatch,
    /// A stored tree node differs from the replay.
    #[error("stored tree node (level {level}, index {idx}) differs from the replay")]
    NodeMismatch {
        /// Node level (0 = leaves).
        level: u64,
        /// Node position.
        idx: u64,
    },
    /// The records tree's log or tables disagree with its replay.
    #[error("records tree: {0}")]
    Records(RecordsFinding),
}

/// What the audit checked, and the first inconsistency if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    /// Events replayed (all of them when consistent).
    pub events: u64,
    /// Grants issued according to the log.
    pub grants: u64,
    /// Grants still active according to the log.
    pub active_grants: u64,
    /// The replayed current root.
    pub root: GrantsRoot,
    /// Anchorings replayed from the records log.
    pub record_events: u64,
    /// Record leaves anchored according to the records log.
    pub records: u64,
    /// The replayed current records root.
    pub records_root: RecordsRoot,
    /// The first inconsistency (the grants tree's first); `None` when every check passed.
    pub finding: Option<AuditFinding>,
}

impl AuditReport {
    /// Whether every check passed.
    pub fn is_consistent(&self) -> bool {
        self.finding.is_none()
    }
}

/// The replay's view of one grant.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Expected {
    commitment: GrantCommitment,
    issued_at: Timestamp,
    revoked_at: Option<Timestamp>,
}

struct Replay {
    tree: SparseMerkleTree,
    grants: BTreeMap<u64, Expected>,
    seen: HashSet<GrantCommitment>,
    /// The history rows the log implies; the first is the empty root.
    roots: Vec<ReplayedRoot<GrantsRoot>>,
    last_at: Timestamp,
}

impl Replay {
    fn apply(
        &mut self,
        pvk: &PreparedVerifyingKey,
        e: &EventRecord,
        expected_seq: u64,
    ) -> Result<(), AuditFinding> {
        let seq = e.seq;
        if seq != expected_seq {
            return Err(AuditFinding::SequenceGap {
                seq,
                expected: expected_seq,
            });
        }
        if e.at < self.last_at {
            return Err(AuditFinding::TimeWentBackwards { seq });
        }
        if e.root_before != self.tree.root() {
            return Err(AuditFinding::RootBeforeMismatch { seq });
        }
        let proof =
            Proof::from_bytes(&e.proof).map_err(|_| AuditFinding::ProofUndecodable { seq })?;
        let public = AuthorityPublic {
            action: e.kind,
            commitment: e.commitment,
        };
        verify(pvk, &public.to_field_elements(), &proof)
            .map_err(|error| AuditFinding::ProofRejected { seq, error })?;
        let bad_index = |expected| AuditFinding::WrongIssueIndex {
            seq,
            leaf_index: e.leaf_index,
            expected,
        };
        let new_leaf = match e.kind {
            GrantAction::Issue => {
                if e.commitment.0 == EMPTY_LEAF {
                    return Err(AuditFinding::ZeroCommitment { seq });
                }
                if !self.seen.insert(e.commitment) {
                    return Err(AuditFinding::DuplicateCommitment { seq });
                }
                let next = self.grants.len() as u64;
                if e.leaf_index != next || next >= self.tree.capacity() {
                    return Err(bad_index(next));
                }
                self.grants.insert(
                    e.leaf_index,
                    Expected {
                        commitment: e.commitment,
                        issued_at: e.at,
                        revoked_at: None,
                    },
                );
                e.commitment.0
            }
            GrantAction::Revoke => {
                match self.grants.get_mut(&e.leaf_index) {
                    Some(g) if g.revoked_at.is_none() && g.commitment == e.commitment => {
                        g.revoked_at = Some(e.at);
                    }
                    _ => {
                        return Err(AuditFinding::BadRevoke {
                            seq,
                            leaf_index: e.leaf_index,
                        })
                    }
                }
                EMPTY_LEAF
            }
        };
        let root = self
            .tree
            .set(e.leaf_index, new_leaf)
            .map_err(|_| bad_index(e.leaf_index))?;
        if e.root_after != root {
            return Err(AuditFinding::RootAfterMismatch { seq });
        }
        self.roots.push(ReplayedRoot {
            root,
            created_at: e.at,
            removes: e.kind == GrantAction::Revoke,
        });
        self.last_at = e.at;
        Ok(())
    }
}

/// Compares the stored grants root history with the replayed one.
fn check_roots(
    stored: &[roots::RootRecord],
    replayed: &[ReplayedRoot<GrantsRoot>],
) -> Result<(), AuditFinding> {
    compare_histories(stored, replayed).map_err(|m| match m {
        HistoryMismatch::Length { found, expected } => {
            AuditFinding::RootHistoryLength { found, expected }
        }
        HistoryMismatch::Row(position) => AuditFinding::RootHistoryMismatch { position },
    })
}

/// Compares the grants table with the replayed grants.
fn check_grants(
    stored: &[GrantRecord],
    replayed: &BTreeMap<u64, Expected>,
) -> Result<(), AuditFinding> {
    let same = |s: &&GrantRecord, r: &&Expected| {
        let status = if r.revoked_at.is_some() {
            GrantStatus::Revoked
        } else {
            GrantStatus::Active
        };
        s.commitment == r.commitment
            && s.status == status
            && s.issued_at == r.issued_at
            && s.revoked_at == r.revoked_at
    };
    match first_difference(
        stored.iter().map(|s| (s.index, s)),
        replayed.iter().map(|(&i, r)| (i, r)),
        same,
    ) {
        Some(leaf_index) => Err(AuditFinding::GrantMismatch { leaf_index }),
        None => Ok(()),
    }
}

/// [`compare_nodes`] for the grants tree.
fn check_nodes(
    stored: &[((u64, u64), Fr)],
    replayed: &HashMap<(usize, u64), Fr>,
    depth: usize,
) -> Result<(), AuditFinding> {
    compare_nodes(stored, replayed, depth)
        .map_err(|(level, idx)| AuditFinding::NodeMismatch { level, idx })
}

impl Registry {
    /// Replays the event log from an empty tree under the authority key `authority_pvk`,
    /// re-verifying every logged proof against its action and leaf, and checks each event's
    /// roots, the root history, the grants table, the current root and every stored node
    /// against the replay; then replays the records log the same way (its events carry the
    /// leaves, there being no authority proof). All reads come from one snapshot.
    ///
    /// # Errors
    ///
    /// A database error or a value that does not decode. Inconsistencies are not errors:
    /// they are in [`AuditReport::finding`].
    pub fn audit(
        &self,
        authority_pvk: &PreparedVerifyingKey,
    ) -> Result<AuditReport, RegistryError> {
        let tx = self.read_tx()?;
        let log = events::all(&tx)?;
        let mut replay = Replay {
            tree: SparseMerkleTree::new(self.depth)?,
            grants: BTreeMap::new(),
            seen: HashSet::new(),
            roots: Vec::with_capacity(log.len() + 1),
            last_at: Timestamp(0),
        };
        replay.roots.push(ReplayedRoot::empty(replay.tree.root()));
        let (replayed, mut finding) =
            replay_log(&log, |e, seq| replay.apply(authority_pvk, e, seq));
        if finding.is_none() {
            finding = self.check_tables(&tx, &replay)?.err();
        }
        let records = records_audit::audit(&tx, &self.zeros, self.depth)?;
        if finding.is_none() {
            finding = records.finding.map(AuditFinding::Records);
        }
        let active = replay
            .grants
            .values()
            .filter(|g| g.revoked_at.is_none())
            .count();
        Ok(AuditReport {
            events: replayed,
            grants: replay.grants.len() as u64,
            active_grants: active as u64,
            root: replay.tree.root(),
            record_events: records.events,
            records: records.records,
            records_root: records.root,
            finding,
        })
    }

    /// The table checks after a complete replay: `Ok(Err(finding))` on an inconsistency.
    fn check_tables(
        &self,
        tx: &rusqlite::Transaction<'_>,
        replay: &Replay,
    ) -> Result<Result<(), AuditFinding>, RegistryError> {
        if let Err(f) = check_roots(&roots::all(tx)?, &replay.roots) {
            return Ok(Err(f));
        }
        if let Err(f) = check_grants(&grants::all(tx)?, &replay.grants) {
            return Ok(Err(f));
        }
        let stored_root =
            store::with_tree(tx, store::Tree::Grants, &self.zeros, self.depth, |t| {
                Ok(t.root())
            })?;
        if stored_root != replay.tree.root() {
            return Ok(Err(AuditFinding::CurrentRootMismatch));
        }
        Ok(check_nodes(
            &store::all_nodes(tx, store::Tree::Grants)?,
            replay.tree.store(),
            self.depth,
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{
        codec::fr_to_blob,
        test_support::{keys, party, temp_registry},
    };
    use tempfile::TempDir;

    /// An honest registry (A issued and revoked, B issued) copied to a fresh file per use.
    fn honest() -> (TempDir, std::path::PathBuf) {
        let (dir, _path, mut reg) = temp_registry(4);
        let (a, b) = (party(31), party(32));
        a.issue(&mut reg, 100);
        b.issue(&mut reg, 110);
        a.revoke(&mut reg, 0, 120);
        let report = reg.audit(&keys().pvk).unwrap();
        assert_eq!(report.finding, None);
        assert_eq!(
            (report.events, report.grants, report.active_grants),
            (3, 2, 1)
        );
        assert_eq!(report.root, reg.current_root().unwrap());
        let snapshot = dir.path().join("honest.db");
        reg.conn
            .execute("VACUUM INTO ?1", [snapshot.to_str().unwrap()])
            .unwrap();
        (dir, snapshot)
    }

    fn copy_of(src: &std::path::Path) -> (TempDir, Registry) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        std::fs::copy(src, &path).unwrap();
        let reg = Registry::open(&path).unwrap();
        (dir, reg)
    }

    fn finding(reg: &Registry) -> Option<AuditFinding> {
        reg.audit(&keys().pvk).unwrap().finding
    }

    /// A malicious operator appends a leaf with raw SQL, keeping nodes, grants and root
    /// history mutually consistent: the live API serves it, the audit catches it.
    fn forge_leaf(reg: &Registry, with_event: bool) -> Fr {
        let forged = Fr::from(0xf0f0u64);
        let mut model = SparseMerkleTree::new(4).unwrap();
        model.set(1, reg.leaf(1).unwrap()).unwrap();
        let before = model.root();
        let after = model.set(2, forged).unwrap();
        assert_eq!(before, reg.current_root().unwrap());
        let c = &reg.conn;
        c.execute("DELETE FROM tree_nodes", []).unwrap();
        for (&(level, idx), v) in model.store() {
            c.execute(
                "INSERT INTO tree_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
                (level as i64, idx as i64, fr_to_blob(v)),
            )
            .unwrap();
        }
        c.execute(
            "INSERT INTO grants VALUES (2, ?1, 'active', 200, NULL)",
            [fr_to_blob(&forged)],
        )
        .unwrap();
        c.execute(
            "UPDATE roots SET superseded_at = 200 WHERE superseded_at IS NULL",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO roots (root, created_at) VALUES (?1, 200)",
            [fr_to_blob(&after.0)],
        )
        .unwrap();
        if with_event {
            // The best proof the operator has: a real one, for another leaf.
            c.execute(
                "INSERT INTO events (kind, leaf_index, commitment, proof, root_before, root_after, at)
                 SELECT 'issue', 2, ?1, proof, ?2, ?3, 200 FROM events WHERE seq = 2",
                (fr_to_blob(&forged), fr_to_blob(&before.0), fr_to_blob(&after.0)),
            )
            .unwrap();
        }
        assert!(reg.path(2).unwrap().verify_membership(after, forged));
        forged
    }

    #[test]
    fn audit_passes_honest_logs_and_catches_tampering() {
        let (_keep, snapshot) = honest();

        let (_d, reg) = copy_of(&snapshot);
        assert!(reg.audit(&keys().pvk).unwrap().is_consistent());

        let (_d, reg) = copy_of(&snapshot);
        forge_leaf(&reg, false);
        assert_eq!(
            finding(&reg),
            Some(AuditFinding::RootHistoryLength {
                found: 5,
                expected: 4
            })
        );

        let (_d, reg) = copy_of(&snapshot);
        forge_leaf(&reg, true);
        assert!(matches!(
            finding(&reg),
            Some(AuditFinding::ProofRejected {
                seq: 4,
                error: VerifyError::InvalidProof
            })
        ));

        // Un-revoking a grant in the grants table alone.
        let (_d, reg) = copy_of(&snapshot);
        reg.conn
            .execute(
                "UPDATE grants SET status = 'active', revoked_at = NULL WHERE leaf_index = 0",
                [],
            )
            .unwrap();
        assert_eq!(
            finding(&reg),
            Some(AuditFinding::GrantMismatch { leaf_index: 0 })
        );

        // Restoring a revoked leaf in the tree alone.
        let (_d, reg) = copy_of(&snapshot);
        let a = reg.grant(0).unwrap().unwrap().commitment;
        reg.conn
            .execute(
                "INSERT INTO tree_nodes VALUES (0, 0, ?1)",
                [fr_to_blob(&a.0)],
            )
            .unwrap();
        assert_eq!(
            finding(&reg),
            Some(AuditFinding::NodeMismatch { level: 0, idx: 0 })
        );

        // A truncated stored proof.
        let (_d, reg) = copy_of(&snapshot);
        reg.conn
            .execute(
                "UPDATE events SET proof = substr(proof, 1, 127) WHERE seq = 1",
                [],
            )
            .unwrap();
        assert_eq!(
            finding(&reg),
            Some(AuditFinding::ProofUndecodable { seq: 1 })
        );

        // A deleted event in the middle.
        let (_d, reg) = copy_of(&snapshot);
        reg.conn
            .execute("DELETE FROM events WHERE seq = 2", [])
            .unwrap();
        assert_eq!(
            finding(&reg),
            Some(AuditFinding::SequenceGap {
                seq: 3,
                expected: 2
            })
        );

        // The revocation's removal flag cleared: the roots before it would never age.
        let (_d, reg) = copy_of(&snapshot);
        reg.conn
            .execute("UPDATE roots SET removes = 0 WHERE seq = 4", [])
            .unwrap();
        assert_eq!(
            finding(&reg),
            Some(AuditFinding::RootHistoryMismatch { position: 3 })
        );

        // A rewritten root history time.
        let (_d, reg) = copy_of(&snapshot);
        reg.conn
            .execute("UPDATE roots SET created_at = 111 WHERE seq = 3", [])
            .unwrap();
        assert_eq!(
            finding(&reg),
            Some(AuditFinding::RootHistoryMismatch { position: 2 })
        );
    }

    #[test]
    fn audit_under_the_wrong_key_fails() {
        let (_keep, snapshot) = honest();
        let (_d, reg) = copy_of(&snapshot);
        // A key for another circuit shape: the input count differs.
        let mut vk = keys().pvk.vk().clone();
        vk.gamma_abc_g1.pop();
        let other = zkconsent_verifier::prepare_verifying_key(&vk).unwrap();
        assert!(matches!(
            reg.audit(&other).unwrap().finding,
            Some(AuditFinding::ProofRejected { seq: 1, .. })
        ));
    }
}
