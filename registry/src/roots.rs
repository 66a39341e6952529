//! Root histories (one per tree: grants, records) and the root-freshness policy verifiers
//! apply.
//!
//! Every mutation appends the new root with `created_at = now` and marks the previous one
//! `superseded_at = now`; the new row says whether the mutation emptied or changed a leaf
//! (`removes`: a revocation, an anchoring that superseded records) or only filled empty slots.
//!
//! Freshness: every statement proves that leaves are *in* a tree. An append keeps every leaf
//! of the old root in the new tree, so a proof against the old root stays true; only a
//! removal can make it false. A superseded root is therefore acceptable until the first
//! removal after it, plus the grace period `max_root_age_secs` (time to prove and deliver).
//!
//! A root value can recur (revoking the only grant restores the empty root), so rows carry a
//! sequence number and a lookup by value answers with the most recent row. That is sound: the
//! value fixes the tree's leaves, so a proof against an earlier period of the value is a proof
//! about the latest one, and what followed the latest period decides.

use super::{
    codec::{fr_col, fr_to_blob, opt_u64_col, u64_col, u64_to_sql, CorruptValue},
    store::Tree,
    Registry, RegistryError,
};
use ark_bn254::Fr;
use rusqlite::{Connection, OptionalExtension};
use zkconsent_circuits::types::{GrantsRoot, RecordsRoot, Timestamp};

/// Default [`RootPolicy::max_root_age_secs`]: a proof may use a root up to five minutes
/// after the first removal that followed it (time to prove and deliver against a busy
/// registry).
pub const DEFAULT_MAX_ROOT_AGE_SECS: u64 = 300;
/// Default [`RootPolicy::max_clock_skew_secs`]: prover and verifier clocks may differ by two
/// minutes.
pub const DEFAULT_MAX_CLOCK_SKEW_SECS: u64 = 120;

/// The root type of one of the registry's trees; it decides which history a
/// [`RootRecord`] comes from.
pub trait TreeRoot: Copy + PartialEq + core::fmt::Debug {
    /// The tree these are roots of.
    const TREE: Tree;
    /// Wraps a field element.
    fn from_fr(x: Fr) -> Self;
    /// The field element.
    fn as_fr(self) -> Fr;
}

impl TreeRoot for GrantsRoot {
    const TREE: Tree = Tree::Grants;
    fn from_fr(x: Fr) -> Self {
        Self(x)
    }
    fn as_fr(self) -> Fr {
        self.0
    }
}

impl TreeRoot for RecordsRoot {
    const TREE: Tree = Tree::Records;
    fn from_fr(x: Fr) -> Self {
        Self(x)
    }
    fn as_fr(self) -> Fr {
        self.0
    }
}

/// One period in which a root was the current root of its tree (grants by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootRecord<R = GrantsRoot> {
    /// Position in the history (the empty tree's root is 1).
    pub seq: u64,
    /// The root.
    pub root: R,
    /// When it became current (0 for the empty tree's root at creation).
    pub created_at: Timestamp,
    /// When the next mutation replaced it; `None` while it is current.
    pub superseded_at: Option<Timestamp>,
    /// Whether the mutation that made it current emptied or changed a leaf (a revocation, an
    /// anchoring that superseded records); `false` for appends and the empty tree's first
    /// root. Rows written before schema version 4 read `true`.
    pub removes: bool,
}

impl<R: TreeRoot> RootRecord<R> {
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, RegistryError> {
        let [seq, root, created_at, superseded_at, removes] = R::TREE.root_columns();
        Ok(Self {
            seq: u64_col(row, 0, seq)?,
            root: R::from_fr(fr_col(row, 1, root)?),
            created_at: Timestamp(u64_col(row, 2, created_at)?),
            superseded_at: opt_u64_col(row, 3, superseded_at)?.map(Timestamp),
            removes: match u64_col(row, 4, removes)? {
                0 => false,
                1 => true,
                _ => return Err(CorruptValue::new(removes, "not 0 or 1").into()),
            },
        })
    }
}

/// What a mutation did to its tree's leaves, as the root history records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    /// Only filled empty slots: every leaf of the old root is in the new tree.
    Appends,
    /// Emptied or changed a leaf: a proof of its membership in the old root is no longer true.
    Removes,
}

impl Transition {
    /// The transition that sets the leaves in `removed` to empty (along with any appends).
    pub(crate) fn removing<T>(removed: &[T]) -> Self {
        if removed.is_empty() {
            Self::Appends
        } else {
            Self::Removes
        }
    }
}

/// Which roots and clocks a verifier accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootPolicy {
    /// A superseded root is accepted while the first removal after it (a revocation, a
    /// superseded record) happened strictly less than this many seconds ago; a root followed
    /// only by appends is accepted at any age. Revocation takes effect for verifiers after at
    /// most this long.
    pub max_root_age_secs: u64,
    /// Largest accepted difference between the proof's `now` and the verifier's clock.
    pub max_clock_skew_secs: u64,
}

impl Default for RootPolicy {
    fn default() -> Self {
        Self {
            max_root_age_secs: DEFAULT_MAX_ROOT_AGE_SECS,
            max_clock_skew_secs: DEFAULT_MAX_CLOCK_SKEW_SECS,
        }
    }
}

/// A well-formed proof rejected by policy (the CLI's exit code 1), as opposed to a
/// [`RegistryError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The root was never a root of this tree.
    #[error("{tree} root is unknown to the registry")]
    UnknownRoot {
        /// The tree the root was looked up in.
        tree: Tree,
    },
    /// A leaf was removed after the root, too long ago.
    #[error(
        "{tree} root was superseded by a removal at {removed_at} ({age} s ago, limit {max_age} s)"
    )]
    StaleRoot {
        /// The tree.
        tree: Tree,
        /// When the first removal after the root happened.
        removed_at: Timestamp,
        /// Seconds between that and the verifier's clock.
        age: u64,
        /// The policy's limit.
        max_age: u64,
    },
    /// The proof's `now` is too far from the verifier's clock.
    #[error(
        "proof time {proof_now} is {skew} s from verifier time {verifier_now} (limit {max_skew} s)"
    )]
    ClockSkew {
        /// The `now` the proof was made for.
        proof_now: Timestamp,
        /// The verifier's clock.
        verifier_now: Timestamp,
        /// `|proof_now - verifier_now|`.
        skew: u64,
        /// The policy's limit.
        max_skew: u64,
    },
}

/// [`Registry::check_root`]'s error: a policy verdict, or a failure to read the registry.
#[derive(Debug, thiserror::Error)]
pub enum RootCheckError {
    /// The root is unknown or stale (the error names the tree).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The registry could not be read.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl RootPolicy {
    /// The policy's verdict on a root of `R`'s tree: `record` is the root's latest history row
    /// (`None`: never a root), `first_removal_after` the creation time of the first row after
    /// it with `removes` set (`None`: only appends followed it, or it is current).
    ///
    /// Accepts iff the root is current, or no removal followed it, or that first removal
    /// happened strictly less than `max_root_age_secs` before `verifier_now`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::UnknownRoot`] or [`PolicyError::StaleRoot`].
    pub fn check_record<R: TreeRoot>(
        &self,
        record: Option<&RootRecord<R>>,
        first_removal_after: Option<Timestamp>,
        verifier_now: Timestamp,
    ) -> Result<(), PolicyError> {
        let record = record.ok_or(PolicyError::UnknownRoot { tree: R::TREE })?;
        if record.superseded_at.is_none() {
            return Ok(());
        }
        let Some(removed_at) = first_removal_after else {
            return Ok(());
        };
        // A verifier clock behind the registry's reads as age 0; check_clock bounds skew.
        let age = verifier_now.0.saturating_sub(removed_at.0);
        if age < self.max_root_age_secs {
            Ok(())
        } else {
            Err(PolicyError::StaleRoot {
                tree: R::TREE,
                removed_at,
                age,
                max_age: self.max_root_age_secs,
            })
        }
    }
}

/// Accepts iff `|proof_now - verifier_now| <= policy.max_clock_skew_secs`.
///
/// # Errors
///
/// [`PolicyError::ClockSkew`] otherwise.
pub fn check_clock(
    proof_now: Timestamp,
    verifier_now: Timestamp,
    policy: &RootPolicy,
) -> Result<(), PolicyError> {
    let skew = proof_now.0.abs_diff(verifier_now.0);
    if skew <= policy.max_clock_skew_secs {
        Ok(())
    } else {
        Err(PolicyError::ClockSkew {
            proof_now,
            verifier_now,
            skew,
            max_skew: policy.max_clock_skew_secs,
        })
    }
}

/// `SELECT` of a root history's columns, in [`RootRecord::from_row`] order.
fn root_columns(tree: Tree) -> String {
    format!(
        "SELECT seq, root, created_at, superseded_at, removes FROM {}",
        tree.roots_table()
    )
}

/// The current (latest) root row of `R`'s tree.
pub(crate) fn latest<R: TreeRoot>(conn: &Connection) -> Result<RootRecord<R>, RegistryError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{} ORDER BY seq DESC LIMIT 1",
        root_columns(R::TREE)
    ))?;
    let mut rows = stmt.query([])?;
    match rows.next()? {
        Some(row) => RootRecord::from_row(row),
        None => Err(RegistryError::Inconsistent("root history is empty")),
    }
}

/// Starts `tree`'s history with its empty root, current since time 0 (at creation, or when
/// a migration adds the tree); no transition made it, so it removes nothing.
pub(crate) fn start(conn: &Connection, tree: Tree, empty_root: Fr) -> Result<(), RegistryError> {
    conn.execute(
        &format!(
            "INSERT INTO {} (root, created_at, superseded_at, removes) VALUES (?1, 0, NULL, 0)",
            tree.roots_table()
        ),
        [fr_to_blob(&empty_root)],
    )?;
    Ok(())
}

/// Appends `root` as current at `now`, made by `transition`, superseding the previous
/// current root of its tree.
pub(crate) fn append<R: TreeRoot>(
    conn: &Connection,
    root: R,
    now: Timestamp,
    transition: Transition,
) -> Result<(), RegistryError> {
    let table = R::TREE.roots_table();
    conn.prepare_cached(&format!(
        "UPDATE {table} SET superseded_at = ?1
         WHERE seq = (SELECT MAX(seq) FROM {table}) AND superseded_at IS NULL"
    ))?
    .execute([u64_to_sql(now.0)])?;
    conn.prepare_cached(&format!(
        "INSERT INTO {table} (root, created_at, superseded_at, removes) VALUES (?1, ?2, NULL, ?3)"
    ))?
    .execute((
        fr_to_blob(&root.as_fr()),
        u64_to_sql(now.0),
        transition == Transition::Removes,
    ))?;
    Ok(())
}

/// Every root row of `R`'s tree in order.
pub(crate) fn all<R: TreeRoot>(conn: &Connection) -> Result<Vec<RootRecord<R>>, RegistryError> {
    let mut stmt = conn.prepare_cached(&format!("{} ORDER BY seq", root_columns(R::TREE)))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(RootRecord::from_row(row)?);
    }
    Ok(out)
}

/// The most recent history row of a root value in its tree.
fn record_of<R: TreeRoot>(
    conn: &Connection,
    root: R,
) -> Result<Option<RootRecord<R>>, RegistryError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{} WHERE root = ?1 ORDER BY seq DESC LIMIT 1",
        root_columns(R::TREE)
    ))?;
    let mut rows = stmt.query([fr_to_blob(&root.as_fr())])?;
    match rows.next()? {
        Some(row) => Ok(Some(RootRecord::from_row(row)?)),
        None => Ok(None),
    }
}

/// The creation time of the first removing row after row `seq` of `R`'s tree (ordered by
/// `seq`, which `created_at` follows), `None` if only appends followed it.
fn first_removal_after<R: TreeRoot>(
    conn: &Connection,
    seq: u64,
) -> Result<Option<Timestamp>, RegistryError> {
    let table = R::TREE.roots_table();
    let column = R::TREE.root_columns()[2];
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT created_at FROM {table} WHERE seq > ?1 AND removes = 1 ORDER BY seq LIMIT 1"
    ))?;
    let at = stmt
        .query_row([u64_to_sql(seq)], |row| Ok(u64_col(row, 0, column)))
        .optional()?;
    Ok(at.transpose()?.map(Timestamp))
}

impl Registry {
    /// The policy's verdict on a root of `R`'s tree, from one snapshot of its history.
    fn check_tree_root<R: TreeRoot>(
        &self,
        root: R,
        verifier_now: Timestamp,
        policy: &RootPolicy,
    ) -> Result<(), RootCheckError> {
        let tx = self.read_tx().map_err(RegistryError::from)?;
        let record = record_of(&tx, root)?;
        let removal = match &record {
            Some(r) if r.superseded_at.is_some() => first_removal_after::<R>(&tx, r.seq)?,
            _ => None,
        };
        Ok(policy.check_record(record.as_ref(), removal, verifier_now)?)
    }

    /// The most recent history row for this root value, `None` if it was never a root.
    ///
    /// A value can recur (e.g. revoking the only grant restores the empty root); the most
    /// recent row says whether it is current and, if not, when it was last superseded.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn root_record(&self, root: GrantsRoot) -> Result<Option<RootRecord>, RegistryError> {
        record_of(&self.conn, root)
    }

    /// As [`Registry::root_record`], for the records tree.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn records_root_record(
        &self,
        root: RecordsRoot,
    ) -> Result<Option<RootRecord<RecordsRoot>>, RegistryError> {
        record_of(&self.conn, root)
    }

    /// The records tree's root history, oldest first.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn records_root_history(&self) -> Result<Vec<RootRecord<RecordsRoot>>, RegistryError> {
        all(&self.conn)
    }

    /// As [`Registry::check_root`], for a records root (the same freshness policy).
    ///
    /// # Errors
    ///
    /// As [`Registry::check_root`].
    pub fn check_records_root(
        &self,
        root: RecordsRoot,
        verifier_now: Timestamp,
        policy: &RootPolicy,
    ) -> Result<(), RootCheckError> {
        self.check_tree_root(root, verifier_now, policy)
    }

    /// The whole root history, oldest first.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn root_history(&self) -> Result<Vec<RootRecord>, RegistryError> {
        all(&self.conn)
    }

    /// Accepts `root` iff it is current, or only appends followed it, or the first removal
    /// after it (a revocation) happened strictly less than `policy.max_root_age_secs` before
    /// `verifier_now` (see [`RootPolicy::check_record`]). A recurring value is judged by its
    /// latest period (module docs).
    ///
    /// # Errors
    ///
    /// [`RootCheckError::Policy`] with [`PolicyError::UnknownRoot`] or
    /// [`PolicyError::StaleRoot`]; [`RootCheckError::Registry`] if the history cannot be read.
    pub fn check_root(
        &self,
        root: GrantsRoot,
        verifier_now: Timestamp,
        policy: &RootPolicy,
    ) -> Result<(), RootCheckError> {
        self.check_tree_root(root, verifier_now, policy)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::{party, temp_registry};
    use ark_bn254::Fr;
    use zkconsent_circuits::types::RecordCommitment;

    /// 2026-12-04T18:39:01Z.
    const DEC_4_2026: u64 = 1_796_409_541;

    const STRICT: RootPolicy = RootPolicy {
        max_root_age_secs: 0,
        max_clock_skew_secs: DEFAULT_MAX_CLOCK_SKEW_SECS,
    };

    fn record_leaves(from: u64, n: u64) -> Vec<RecordCommitment> {
        (from..from + n)
            .map(|i| RecordCommitment(Fr::from(3_000 + i)))
            .collect()
    }

    fn stale(tree: Tree, removed_at: u64, age: u64, max_age: u64) -> PolicyError {
        PolicyError::StaleRoot {
            tree,
            removed_at: Timestamp(removed_at),
            age,
            max_age,
        }
    }

    fn policy_error(r: Result<(), RootCheckError>) -> PolicyError {
        match r {
            Err(RootCheckError::Policy(p)) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn roots_followed_only_by_appends_never_age() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let empty = reg.current_root().unwrap();
        let records_empty = reg.records_root().unwrap();
        party(11).issue(&mut reg, 1_000);
        let r1 = reg.current_root().unwrap();
        let a = reg
            .anchor_records(&record_leaves(0, 2), &[], Timestamp(1_050))
            .unwrap();
        party(12).issue(&mut reg, 1_100);
        reg.anchor_records(&record_leaves(2, 1), &[], Timestamp(1_150))
            .unwrap();
        let far = Timestamp(1_000_000);
        // With max_root_age 0, the grants that other patients were issued and the records
        // that were anchored expire nothing.
        for root in [empty, r1] {
            assert!(reg.check_root(root, far, &STRICT).is_ok());
        }
        for root in [records_empty, a.root_after] {
            assert!(reg.check_records_root(root, far, &STRICT).is_ok());
        }
        let history = reg.root_history().unwrap();
        assert_eq!(
            history.iter().map(|r| r.removes).collect::<Vec<_>>(),
            [false, false, false]
        );
        assert_eq!(history[1].superseded_at, Some(Timestamp(1_100)));
    }

    #[test]
    fn the_first_removal_after_a_root_starts_its_grace_period() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let (a, b, c) = (party(13), party(14), party(15));
        a.issue(&mut reg, 1_000);
        let r1 = reg.current_root().unwrap();
        b.issue(&mut reg, 1_100);
        let r2 = reg.current_root().unwrap();
        a.revoke(&mut reg, 0, 1_200);
        let r3 = reg.current_root().unwrap();
        c.issue(&mut reg, 1_450);
        let r4 = reg.current_root().unwrap();
        // Until the next removal, the append at 1450 ages nothing.
        assert!(reg.check_root(r3, Timestamp(1_000_000), &STRICT).is_ok());
        b.revoke(&mut reg, 1, 1_500);
        let r5 = reg.current_root().unwrap();
        let policy = RootPolicy::default();
        let check = |root, now, policy: &RootPolicy| reg.check_root(root, Timestamp(now), policy);
        // r1 was superseded at 1100 by an append: its age counts from the revocation at 1200,
        // the first removal after it, not from 1100, nor from the last transition (1500).
        for root in [r1, r2] {
            assert_eq!(
                policy_error(check(root, 1_200, &STRICT)),
                stale(Tree::Grants, 1_200, 0, 0)
            );
            assert!(check(root, 1_499, &policy).is_ok());
            assert_eq!(
                policy_error(check(root, 1_500, &policy)),
                stale(Tree::Grants, 1_200, 300, 300)
            );
        }
        // r3 and r4: the revocation at 1500 ages them.
        for root in [r3, r4] {
            assert!(check(root, 1_799, &policy).is_ok());
            assert_eq!(
                policy_error(check(root, 1_800, &policy)),
                stale(Tree::Grants, 1_500, 300, 300)
            );
        }
        // A verifier clock behind the removal reads as age 0.
        assert!(check(r1, 1_100, &policy).is_ok());
        assert!(check(r5, u64::MAX, &STRICT).is_ok());
        let removes: Vec<_> = reg
            .root_history()
            .unwrap()
            .iter()
            .map(|r| r.removes)
            .collect();
        assert_eq!(removes, [false, false, false, true, false, true]);
        assert_eq!(
            policy_error(check(GrantsRoot(Fr::from(12_345u64)), 1_100, &policy)),
            PolicyError::UnknownRoot { tree: Tree::Grants }
        );
    }

    #[test]
    fn the_trees_age_independently_and_messages_name_them() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let t = DEC_4_2026;
        let p = party(16);
        p.issue(&mut reg, t - 100);
        let grants_root = reg.current_root().unwrap();
        let first = reg
            .anchor_records(&record_leaves(0, 2), &[], Timestamp(t - 50))
            .unwrap();
        // A superseding anchoring ages records roots only.
        let second = reg
            .anchor_records(&record_leaves(2, 1), &[0], Timestamp(t))
            .unwrap();
        party(17).issue(&mut reg, t + 10);
        assert!(reg
            .check_root(grants_root, Timestamp(t + 400), &STRICT)
            .is_ok());
        let e = policy_error(reg.check_records_root(
            first.root_after,
            Timestamp(t + 400),
            &RootPolicy::default(),
        ));
        assert_eq!(e, stale(Tree::Records, t, 400, 300));
        assert_eq!(
            e.to_string(),
            "records root was superseded by a removal at 2026-12-04T18:39:01Z \
             (400 s ago, limit 300 s)"
        );
        assert!(reg
            .check_records_root(second.root_after, Timestamp(t + 400), &STRICT)
            .is_ok());
        // A revocation ages grants roots only.
        p.revoke(&mut reg, 0, t + 20);
        assert!(reg
            .check_records_root(second.root_after, Timestamp(t + 400), &STRICT)
            .is_ok());
        let e = policy_error(reg.check_root(grants_root, Timestamp(t + 20), &STRICT));
        assert_eq!(e, stale(Tree::Grants, t + 20, 0, 0));
        assert!(e.to_string().starts_with(
            "grants root was superseded by a removal at 2026-12-04T18:39:21Z (0 s ago"
        ));
        // Unknown roots, by tree.
        let e =
            policy_error(reg.check_records_root(RecordsRoot(grants_root.0), Timestamp(t), &STRICT));
        assert_eq!(
            e,
            PolicyError::UnknownRoot {
                tree: Tree::Records
            }
        );
        assert_eq!(e.to_string(), "records root is unknown to the registry");
        assert_eq!(
            PolicyError::UnknownRoot { tree: Tree::Grants }.to_string(),
            "grants root is unknown to the registry"
        );
    }

    #[test]
    fn a_recurring_root_answers_with_its_latest_period() {
        let (_dir, _path, mut reg) = temp_registry(3);
        let empty = reg.current_root().unwrap();
        let p = party(13);
        p.issue(&mut reg, 10);
        p.revoke(&mut reg, 0, 20);
        assert_eq!(reg.current_root().unwrap(), empty);
        let rec = reg.root_record(empty).unwrap().unwrap();
        assert_eq!(
            (rec.seq, rec.created_at, rec.superseded_at, rec.removes),
            (3, Timestamp(20), None, true)
        );
        assert!(reg.check_root(empty, Timestamp(1_000_000), &STRICT).is_ok());
        let history = reg.root_history().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(
            (history[0].root, history[0].superseded_at),
            (empty, Some(Timestamp(10)))
        );
        // Its latest period was followed by an append only: still accepted, though the
        // first period (seq 1) was followed by the revocation at 20.
        party(18).issue(&mut reg, 30);
        assert!(reg.check_root(empty, Timestamp(1_000_000), &STRICT).is_ok());
    }

    #[test]
    fn clock_skew_is_bounded_both_ways() {
        let p = RootPolicy::default();
        assert_eq!((p.max_root_age_secs, p.max_clock_skew_secs), (300, 120));
        assert!(check_clock(Timestamp(1_000), Timestamp(1_120), &p).is_ok());
        assert!(check_clock(Timestamp(1_120), Timestamp(1_000), &p).is_ok());
        let e = check_clock(Timestamp(1_000), Timestamp(1_121), &p).unwrap_err();
        assert_eq!(
            e,
            PolicyError::ClockSkew {
                proof_now: Timestamp(1_000),
                verifier_now: Timestamp(1_121),
                skew: 121,
                max_skew: 120
            }
        );
        assert!(check_clock(Timestamp(u64::MAX), Timestamp(0), &p).is_err());
        let line = e.to_string();
        assert_eq!(
            line,
            "proof time 1970-01-01T00:16:40Z is 121 s from verifier time \
             1970-01-01T00:18:41Z (limit 120 s)"
        );
    }

    #[test]
    fn a_corrupt_removal_flag_is_an_error() {
        let (_dir, _path, reg) = temp_registry(3);
        // The CHECK refuses it; a file written without the CHECK is read as corrupt.
        reg.conn
            .execute("UPDATE roots SET removes = 2", [])
            .unwrap_err();
        reg.conn
            .execute_batch("PRAGMA ignore_check_constraints = ON; UPDATE roots SET removes = 2;")
            .unwrap();
        assert!(matches!(reg.root_history(), Err(RegistryError::Corrupt(_))));
        let root = reg.current_root().unwrap();
        assert!(matches!(
            reg.check_root(root, Timestamp(0), &STRICT),
            Err(RootCheckError::Registry(RegistryError::Corrupt(_)))
        ));
    }
}
