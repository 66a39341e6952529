//! Root histories (one per tree: grants, records) and the root-freshness policy verifiers
//! apply.
//!
//! Every mutation appends the new root with `created_at = now` and marks the previous one
//! `superseded_at = now`. A root value can recur (revoking the only grant restores the
//! empty root), so rows carry a sequence number and a lookup by value answers with the most
//! recent row: the last period in which that root was valid.

use super::{
    codec::{fr_col, fr_to_blob, opt_u64_col, u64_col, u64_to_sql},
    store::Tree,
    Registry, RegistryError,
};
use ark_bn254::Fr;
use rusqlite::Connection;
use zkconsent_circuits::types::{GrantsRoot, RecordsRoot, Timestamp};

/// Default [`RootPolicy::max_root_age_secs`]: a proof may use a root up to five minutes
/// after it was superseded (time to prove and deliver against a busy registry).
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
}

impl<R: TreeRoot> RootRecord<R> {
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, RegistryError> {
        let [seq, root, created_at, superseded_at] = R::TREE.root_columns();
        Ok(Self {
            seq: u64_col(row, 0, seq)?,
            root: R::from_fr(fr_col(row, 1, root)?),
            created_at: Timestamp(u64_col(row, 2, created_at)?),
            superseded_at: opt_u64_col(row, 3, superseded_at)?.map(Timestamp),
        })
    }
}

/// Which roots and clocks a verifier accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootPolicy {
    /// A superseded root is accepted while superseded strictly less than this many seconds
    /// ago. Revocation takes effect for verifiers after at most this long.
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
    /// The root was never a root of this registry.
    #[error("grants root is unknown to the registry")]
    UnknownRoot,
    /// The root was superseded too long ago.
    #[error("grants root was superseded at {} ({age} s ago, limit {max_age} s)", superseded_at.0)]
    StaleRoot {
        /// When it was superseded.
        superseded_at: Timestamp,
        /// Seconds between that and the verifier's clock.
        age: u64,
        /// The policy's limit.
        max_age: u64,
    },
    /// The proof's `now` is too far from the verifier's clock.
    #[error("proof time {} is {skew} s from verifier time {} (limit {max_skew} s)", proof_now.0, verifier_now.0)]
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
    /// The root is unknown or stale.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The registry could not be read.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl RootPolicy {
    /// The policy's verdict on a root's latest history row (`None`: never a root).
    ///
    /// # Errors
    ///
    /// [`PolicyError::UnknownRoot`] or [`PolicyError::StaleRoot`].
    pub fn check_record<R>(
        &self,
        record: Option<&RootRecord<R>>,
        verifier_now: Timestamp,
    ) -> Result<(), PolicyError> {
        let record = record.ok_or(PolicyError::UnknownRoot)?;
        let Some(superseded_at) = record.superseded_at else {
            return Ok(());
        };
        // A verifier clock behind the registry's reads as age 0; check_clock bounds skew.
        let age = verifier_now.0.saturating_sub(superseded_at.0);
        if age < self.max_root_age_secs {
            Ok(())
        } else {
            Err(PolicyError::StaleRoot {
                superseded_at,
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
        "SELECT seq, root, created_at, superseded_at FROM {}",
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
/// a migration adds the tree).
pub(crate) fn start(conn: &Connection, tree: Tree, empty_root: Fr) -> Result<(), RegistryError> {
    conn.execute(
        &format!(
            "INSERT INTO {} (root, created_at, superseded_at) VALUES (?1, 0, NULL)",
            tree.roots_table()
        ),
        [fr_to_blob(&empty_root)],
    )?;
    Ok(())
}

/// Appends `root` as current at `now`, superseding the previous current root of its tree.
pub(crate) fn append<R: TreeRoot>(
    conn: &Connection,
    root: R,
    now: Timestamp,
) -> Result<(), RegistryError> {
    let table = R::TREE.roots_table();
    conn.prepare_cached(&format!(
        "UPDATE {table} SET superseded_at = ?1
         WHERE seq = (SELECT MAX(seq) FROM {table}) AND superseded_at IS NULL"
    ))?
    .execute([u64_to_sql(now.0)])?;
    conn.prepare_cached(&format!(
        "INSERT INTO {table} (root, created_at, superseded_at) VALUES (?1, ?2, NULL)"
    ))?
    .execute((fr_to_blob(&root.as_fr()), u64_to_sql(now.0)))?;
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

impl Registry {
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
        let record = self.records_root_record(root)?;
        Ok(policy.check_record(record.as_ref(), verifier_now)?)
    }

    /// The whole root history, oldest first.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn root_history(&self) -> Result<Vec<RootRecord>, RegistryError> {
        all(&self.conn)
    }

    /// Accepts `root` iff it is current, or was superseded strictly less than
    /// `policy.max_root_age_secs` before `verifier_now`.
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
        let record = self.root_record(root)?;
        Ok(policy.check_record(record.as_ref(), verifier_now)?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::{party, temp_registry};
    use ark_bn254::Fr;

    #[test]
    fn current_recent_stale_and_unknown_roots() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let empty = reg.current_root().unwrap();
        party(11).issue(&mut reg, 1_000);
        let r1 = reg.current_root().unwrap();
        party(12).issue(&mut reg, 1_100);
        let r2 = reg.current_root().unwrap();
        let policy = RootPolicy::default();
        let check = |root, now| reg.check_root(root, Timestamp(now), &policy);
        // Current: accepted at any time.
        assert!(check(r2, 1_000_000).is_ok());
        // Superseded at 1100: accepted while strictly younger than 300 s.
        assert!(check(r1, 1_100).is_ok());
        assert!(check(r1, 1_399).is_ok());
        assert!(check(r1, 1_050).is_ok());
        match check(r1, 1_400) {
            Err(RootCheckError::Policy(PolicyError::StaleRoot {
                superseded_at,
                age,
                max_age,
            })) => {
                assert_eq!((superseded_at, age, max_age), (Timestamp(1_100), 300, 300));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            check(empty, 1_300),
            Err(RootCheckError::Policy(PolicyError::StaleRoot { .. }))
        ));
        assert!(matches!(
            check(GrantsRoot(Fr::from(12_345u64)), 1_100),
            Err(RootCheckError::Policy(PolicyError::UnknownRoot))
        ));
        let strict = RootPolicy {
            max_root_age_secs: 0,
            ..policy
        };
        assert!(reg.check_root(r1, Timestamp(1_100), &strict).is_err());
        let rec = reg.root_record(r1).unwrap().unwrap();
        assert_eq!(
            (rec.seq, rec.created_at, rec.superseded_at),
            (2, Timestamp(1_000), Some(Timestamp(1_100)))
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
            (rec.seq, rec.created_at, rec.superseded_at),
            (3, Timestamp(20), None)
        );
        assert!(reg
            .check_root(empty, Timestamp(1_000_000), &RootPolicy::default())
            .is_ok());
        let history = reg.root_history().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(
            (history[0].root, history[0].superseded_at),
            (empty, Some(Timestamp(10)))
        );
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
        assert!(!line.contains('\n') && line.len() < 100, "{line}");
    }
}
