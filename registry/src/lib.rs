//! zkconsent's embedded registry (the ledger side): the grants tree, its root history, the grant and identity
//! tables and the event log, and the records tree (FHIR record fingerprints) with its own
//! root history and log, in one SQLite file (`registry.db`).
//!
//! The registry is the ledger side: it holds commitments, roots and public ids, never a
//! secret (those are in each party's wallet, the `zkconsent-wallet` crate). It changes a grant leaf only with a
//! verifying grant-authority proof (statement 0) for that action and leaf, and logs the
//! proof so that [`Registry::audit`] can replay and re-check everything.
//!
//! Record leaves are appended by the record custodian ([`Registry::anchor_records`]), which
//! may in the same transition empty the leaves of the versions they supersede; the registry
//! holds only the leaves (salted commitments) and roots, never a record's fields.
//!
//! Each root history marks the transitions that emptied a leaf (revocations, superseded
//! records); only those age the roots before them ([`RootPolicy`]), so appends to either tree
//! never expire a proof.
//!
//! Files: [`schema`] (tables, durability settings), `store` (the trees' [`NodeStore`] on
//! SQLite), [`grants`] (issue, revoke, reads), [`records`] (anchor, reads), [`roots`]
//! (histories and freshness policy), [`events`] (the grants log), [`identities`], [`audit`]
//! (with `records_audit`), [`error`]; column encodings and SQLite settings are in
//! `zkconsent-store`, shared with the wallet.
//!
//! [`NodeStore`]: zkconsent_circuits::merkle::NodeStore
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod audit;
pub mod error;
pub mod events;
pub mod grants;
pub mod identities;
mod integrity;
pub mod log;
pub mod nullifiers;
pub mod records;
mod records_audit;
mod replay;
mod replicated;
pub mod requests;
pub mod roots;
pub mod schema;
mod store;
#[cfg(test)]
pub(crate) mod test_support;

pub use audit::{AuditFinding, AuditReport};
pub use error::RegistryError;
pub use events::EventRecord;
pub use grants::{GrantRecord, GrantStatus};
pub use identities::{IdentityRecord, Role, UnknownRole};
pub use nullifiers::{Answer, SpentNullifier};
pub use records::{RecordAnchoring, RecordEvent, RecordLeaf};
pub use records_audit::RecordsFinding;
pub use roots::{
    check_clock, PolicyError, RootCheckError, RootPolicy, RootRecord, TreeRoot,
    DEFAULT_MAX_CLOCK_SKEW_SECS, DEFAULT_MAX_ROOT_AGE_SECS,
};
pub use store::Tree;
pub use zkconsent_store::CorruptValue;

use ark_bn254::Fr;
use rusqlite::{Connection, Transaction};
use std::path::{Path, PathBuf};
use zkconsent_circuits::{
    merkle::{check_depth, zero_hashes},
    types::Timestamp,
};

/// An open registry file.
pub struct Registry {
    conn: Connection,
    path: PathBuf,
    depth: usize,
    /// `zero_hashes(depth)`, computed once per open.
    zeros: Vec<Fr>,
    /// If set, writes stamp the time this clock gives once the write lock is held (see
    /// [`Registry::use_clock`]).
    clock: Option<fn() -> Timestamp>,
    /// Opened by [`Registry::open_for_reading`]: the open-time checks run before the first
    /// write ([`Registry::checked_for_writing`]).
    checks_deferred: bool,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("path", &self.path)
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Creates a registry with empty grants and records trees of `depth` at `path` (absent or
    /// an empty file).
    ///
    /// Each empty tree's root enters its history with `created_at = 0`: it has been the root
    /// since before any grant or record.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Merkle`] for a depth outside `1..=32`,
    /// [`RegistryError::AlreadyExists`] if the file holds data, or an I/O or database error.
    pub fn create(path: impl AsRef<Path>, depth: usize) -> Result<Self, RegistryError> {
        let path = path.as_ref();
        check_depth(depth)?;
        if !schema::ensure_fresh(path)? {
            return Err(RegistryError::AlreadyExists(path.to_owned()));
        }
        let mut conn = schema::connect(path, true)?;
        let zeros = zero_hashes(depth);
        let tx = write_tx(&mut conn)?;
        if !schema::is_empty_db(&tx)? {
            return Err(RegistryError::AlreadyExists(path.to_owned()));
        }
        schema::init(&tx, depth)?;
        for tree in [Tree::Grants, Tree::Records] {
            roots::start(&tx, tree, zeros[depth])?;
        }
        tx.commit()?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            depth,
            zeros,
            clock: None,
            checks_deferred: false,
        })
    }

    /// Opens an existing registry, upgrading an older file in place (a version-1 file gains
    /// an empty records tree, versions 1 and 2 the spent-nullifier table, versions 1 to 3 the
    /// removal flags, every earlier root transition marked as a removal).
    ///
    /// # Errors
    ///
    /// A database error (including a missing file or one that is not SQLite),
    /// [`RegistryError::NotARegistry`], [`RegistryError::SchemaVersion`], or
    /// [`RegistryError::Corrupt`] for a bad stored depth, [`RegistryError::Damaged`] for a
    /// file that fails the open-time checks (module `integrity`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let mut registry = Self::open_for_reading(path)?;
        registry.checked_for_writing()?;
        Ok(registry)
    }

    /// Opens an existing registry for a command that reads it (verifying a proof checks
    /// roots, requests and nullifiers): the open-time checks (module `integrity`: a pass over
    /// every page and the newest paths rehashed, about 1.5 ms on a small file and growing
    /// with it) are deferred to the first write, which runs them before it writes anything.
    /// Reads still meet SQLite's own checks of every page they touch, so a damaged page is
    /// an error, never a wrong answer. A file that needs an upgrade is checked now.
    ///
    /// # Errors
    ///
    /// As [`Registry::open`], except that damage away from what is read shows at the first
    /// write.
    pub fn open_for_reading(path: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let path = path.as_ref();
        let mut conn = schema::connect(path, false)?;
        let (depth, older_version) = schema::check(&conn)?;
        let zeros = zero_hashes(depth);
        if let Some(from) = older_version {
            // Before an upgrade writes anything.
            integrity::quick_check(&conn)?;
            schema::migrate(&mut conn, from, zeros[depth])?;
        }
        let registry = Self {
            conn,
            path: path.to_owned(),
            depth,
            zeros,
            clock: None,
            checks_deferred: older_version.is_none(),
        };
        if older_version.is_some() {
            registry.check_trees()?;
        }
        Ok(registry)
    }

    /// Runs the open-time checks [`Registry::open_for_reading`] deferred, once: every write
    /// calls this before it starts.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Damaged`] naming what failed, or a database error.
    pub(crate) fn checked_for_writing(&mut self) -> Result<(), RegistryError> {
        if self.checks_deferred {
            self.check_integrity()?;
            self.checks_deferred = false;
        }
        Ok(())
    }

    /// Makes grant issues, revocations and anchorings stamp `clock`'s time, read once the
    /// write lock is held, instead of the time they are given: processes writing the same
    /// file at once then stamp times in the order they write (a time read before waiting
    /// for the lock could be older than the write that held it). A replica never uses one:
    /// it stamps its upstream's times.
    pub fn use_clock(&mut self, clock: fn() -> Timestamp) {
        self.clock = Some(clock);
    }

    /// The time a write stamps: the clock's now (under the write lock), else `given`.
    fn stamp(clock: Option<fn() -> Timestamp>, given: Timestamp) -> Timestamp {
        clock.map_or(given, |now| now())
    }

    /// The depth of the grants tree and of the records tree (`2^depth` leaf slots each).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The file this registry lives in.
    pub fn file_path(&self) -> &Path {
        &self.path
    }

    /// A deferred transaction for reads, so multi-query reads see one snapshot.
    fn read_tx(&self) -> rusqlite::Result<Transaction<'_>> {
        self.conn.unchecked_transaction()
    }
}

use zkconsent_store::codec;
pub(crate) use zkconsent_store::sql::write_tx;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::{keys, party, temp_registry};
    use zkconsent_circuits::{authority::GrantAction, types::Timestamp};

    #[test]
    fn create_refuses_data_and_bad_depths_and_open_checks_the_file() {
        let (dir, path, reg) = temp_registry(4);
        drop(reg);
        assert!(matches!(
            Registry::create(&path, 4),
            Err(RegistryError::AlreadyExists(_))
        ));
        let fresh = dir.path().join("fresh.db");
        assert!(matches!(
            Registry::create(&fresh, 0),
            Err(RegistryError::Merkle(_))
        ));
        assert!(matches!(
            Registry::create(&fresh, 33),
            Err(RegistryError::Merkle(_))
        ));
        // An existing empty file is fine.
        std::fs::write(&fresh, b"").unwrap();
        assert_eq!(Registry::create(&fresh, 32).unwrap().depth(), 32);
        // Opening never creates a file.
        let missing = dir.path().join("missing.db");
        assert!(matches!(
            Registry::open(&missing),
            Err(RegistryError::Sqlite(_))
        ));
        assert!(!missing.exists());
        // Foreign files.
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, vec![0x42u8; 4096]).unwrap();
        assert!(Registry::open(&junk).is_err());
        let wallet = dir.path().join("wallet.db");
        // Any SQLite file with another format marker (here a wallet's) is refused.
        rusqlite::Connection::open(&wallet)
            .unwrap()
            .execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO meta VALUES ('format', 'zkconsent.wallet');",
            )
            .unwrap();
        assert!(matches!(
            Registry::open(&wallet),
            Err(RegistryError::NotARegistry)
        ));
        // Bad meta rows.
        for (key, value) in [
            ("tree_depth", "abc"),
            ("tree_depth", "40"),
            ("schema_version", "9"),
        ] {
            let p = dir.path().join(format!("meta-{key}-{value}.db"));
            let reg = Registry::create(&p, 4).unwrap();
            reg.conn
                .execute("UPDATE meta SET value = ?2 WHERE key = ?1", [key, value])
                .unwrap();
            drop(reg);
            let e = Registry::open(&p).unwrap_err();
            assert!(
                matches!(
                    e,
                    RegistryError::Corrupt(_) | RegistryError::SchemaVersion { .. }
                ),
                "{e}"
            );
        }
    }

    /// Opened for reading, a registry answers reads at once and runs the open-time checks
    /// before its first write: a damaged tree node is found then, and nothing is written.
    #[test]
    fn checks_deferred_to_the_first_write_refuse_a_damaged_tree_before_writing() {
        let (_dir, path, mut reg) = temp_registry(4);
        let p = party(43);
        let proof = p.proof(GrantAction::Issue, 1);
        reg.issue_grant(&keys().pvk, p.grant.commit(), &proof, Timestamp(5))
            .unwrap();
        // A node on the newest leaf's path that is not the hash of its children.
        reg.conn
            .execute(
                "UPDATE tree_nodes SET hash = ?1 WHERE level = 1 AND idx = 0",
                [codec::fr_to_blob(&Fr::from(99u64)).to_vec()],
            )
            .unwrap();
        drop(reg);
        assert!(matches!(
            Registry::open(&path),
            Err(RegistryError::Damaged(_))
        ));
        let mut reading = Registry::open_for_reading(&path).unwrap();
        assert_eq!(reading.root_history().unwrap().len(), 2);
        let q = party(44);
        let err = reading
            .issue_grant(
                &keys().pvk,
                q.grant.commit(),
                &q.proof(GrantAction::Issue, 1),
                Timestamp(6),
            )
            .unwrap_err();
        assert!(matches!(err, RegistryError::Damaged(_)), "{err}");
        assert_eq!(reading.grants().unwrap().len(), 1, "nothing written");
        assert_eq!(reading.root_history().unwrap().len(), 2);
        // An undamaged file opened for reading writes as usual once the checks pass.
        let (_dir2, path2, reg2) = temp_registry(4);
        drop(reg2);
        let mut fine = Registry::open_for_reading(&path2).unwrap();
        fine.issue_grant(
            &keys().pvk,
            q.grant.commit(),
            &q.proof(GrantAction::Issue, 1),
            Timestamp(6),
        )
        .unwrap();
        assert_eq!(fine.grants().unwrap().len(), 1);
    }

    #[test]
    fn corrupt_node_bytes_give_errors_and_roll_back() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let p = party(41);
        let proof = p.proof(GrantAction::Issue, 1);
        // The root node (read for the root) and leaf 1 (the sibling in leaf 0's path).
        let corrupt =
            "INSERT OR REPLACE INTO tree_nodes (level, idx, hash) VALUES (4, 0, ?1), (0, 1, ?1)";
        let bad: [rusqlite::types::Value; 4] = [
            vec![0u8; 31].into(),               // wrong length
            vec![0xffu8; 32].into(),            // not below the modulus
            String::from("not a blob").into(),  // wrong type
            rusqlite::types::Value::Integer(7), // wrong type
        ];
        for value in bad {
            reg.conn.execute(corrupt, [value]).unwrap();
            assert!(matches!(reg.current_root(), Err(RegistryError::Corrupt(_))));
            assert!(matches!(reg.path(0), Err(RegistryError::Corrupt(_))));
            // A failed read inside a mutation rolls the whole mutation back.
            assert!(matches!(
                reg.issue_grant(&keys().pvk, p.grant.commit(), &proof, Timestamp(5)),
                Err(RegistryError::Corrupt(_))
            ));
            assert!(reg.grants().unwrap().is_empty() && reg.events().unwrap().is_empty());
            assert_eq!(reg.root_history().unwrap().len(), 1);
        }
        reg.conn.execute("DELETE FROM tree_nodes", []).unwrap();
        assert_eq!(
            reg.issue_grant(&keys().pvk, p.grant.commit(), &proof, Timestamp(5))
                .unwrap(),
            0
        );
        // Corrupt rows elsewhere are errors too.
        reg.conn
            .execute("UPDATE grants SET commitment = x'00'", [])
            .unwrap();
        assert!(matches!(reg.grants(), Err(RegistryError::Corrupt(_))));
        reg.conn
            .execute("UPDATE grants SET status = 'maybe'", [])
            .unwrap_err(); // CHECK holds
        reg.conn
            .execute("UPDATE roots SET root = x'01'", [])
            .unwrap();
        assert!(matches!(reg.root_history(), Err(RegistryError::Corrupt(_))));
        assert!(matches!(
            reg.audit(&keys().pvk),
            Err(RegistryError::Corrupt(_))
        ));
    }
}
