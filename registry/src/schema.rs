//! The registry's tables, connection settings and versioned `meta` table.
//!
//! Version 2 adds the records tree next to the grants tree; version 3 adds the spent
//! nullifiers (Claim, Cohort); version 4 records which root transitions removed a leaf and
//! lets an anchoring supersede record leaves. An older file is upgraded in place when opened
//! (`migrate`). A new file is built by the same steps in order, so both end alike.
//!
//! Durability: the file is in WAL mode with `synchronous=FULL`, so a committed issue or
//! revoke survives power loss (with `NORMAL` the last commits could be lost, which would
//! silently un-issue an acknowledged grant). Every mutation is one `BEGIN IMMEDIATE`
//! transaction, so a crash never leaves tree nodes, grants, root history and events
//! disagreeing.

use super::{store::Tree, RegistryError};
use ark_bn254::Fr;
use rusqlite::Connection;
pub(crate) use zkconsent_store::sql::{connect, ensure_fresh, is_empty_db, meta, upgrade};
use zkconsent_store::CorruptValue;

/// Value of `meta.format` in a registry file.
pub const REGISTRY_FORMAT: &str = "zkconsent.registry";
/// Schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 4;
/// Version 1 (grants only); `migrate` upgrades it in place on open.
pub const SCHEMA_VERSION_GRANTS_ONLY: u32 = 1;
/// Version 2 (grants and records, no nullifiers); `migrate` upgrades it in place on open.
pub const SCHEMA_VERSION_NO_NULLIFIERS: u32 = 2;
/// Version 3 (no removal flags in the root histories, records append-only); `migrate`
/// upgrades it in place on open.
pub const SCHEMA_VERSION_NO_REMOVALS: u32 = 3;

/// Tables of schema version 1 (the grants tree). Field elements are 32-byte canonical LE
/// BLOBs; `u64`s are stored bit-for-bit as `INTEGER` (see `codec`).
const TABLES: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Non-empty nodes of the grants tree; a missing row is an empty subtree.
CREATE TABLE tree_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE identities (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('patient', 'clinician', 'verifier')),
    id   BLOB NOT NULL
);
CREATE TABLE grants (
    leaf_index INTEGER PRIMARY KEY,
    commitment BLOB NOT NULL UNIQUE,
    status     TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    issued_at  INTEGER NOT NULL,
    revoked_at INTEGER
);
-- Every root the tree has had, in order; a value can recur (see Registry::root_record).
CREATE TABLE roots (
    seq           INTEGER PRIMARY KEY,
    root          BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    superseded_at INTEGER
);
CREATE INDEX roots_by_value ON roots (root, seq);
-- The append-only log the audit replays; each row carries the authority proof.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('issue', 'revoke')),
    leaf_index  INTEGER NOT NULL,
    commitment  BLOB NOT NULL,
    proof       BLOB NOT NULL,
    root_before BLOB NOT NULL,
    root_after  BLOB NOT NULL,
    at          INTEGER NOT NULL
);
-- Requests a verifier has answered: a request hash is accepted once (replay protection).
CREATE TABLE answered_requests (
    request_hash BLOB PRIMARY KEY,
    access_tag   BLOB NOT NULL,
    at           INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Tables added in schema version 2: the records tree, the same shape as the grants tree's
/// (nodes, root history) with its own leaf table and log. Record leaves are appended by the
/// custodian without an authority proof, so the log holds the leaves themselves: the audit
/// replays them and recomputes every records root.
const RECORD_TABLES: &str = "
-- Non-empty nodes of the records tree; a missing row is an empty subtree.
CREATE TABLE record_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
-- One row per anchored record leaf (a commitment; never the record's fields).
CREATE TABLE records (
    leaf_index  INTEGER PRIMARY KEY,
    leaf        BLOB NOT NULL UNIQUE,
    anchored_at INTEGER NOT NULL,
    event_seq   INTEGER NOT NULL
);
CREATE TABLE record_roots (
    seq           INTEGER PRIMARY KEY,
    root          BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    superseded_at INTEGER
);
CREATE INDEX record_roots_by_value ON record_roots (root, seq);
-- One row per anchoring: the leaves appended at first_index.., 32 bytes each.
CREATE TABLE record_events (
    seq         INTEGER PRIMARY KEY,
    first_index INTEGER NOT NULL,
    leaves      BLOB NOT NULL CHECK (length(leaves) > 0 AND length(leaves) % 32 = 0),
    root_before BLOB NOT NULL,
    root_after  BLOB NOT NULL,
    at          INTEGER NOT NULL
);
";

/// Tables added in schema version 3: nullifiers a verifier has accepted. A Claim nullifier
/// (one resource, one insurer) or a Cohort nullifier (one patient, one study) is accepted
/// once per statement; the request it came with is kept for the audit trail.
const NULLIFIER_TABLES: &str = "
CREATE TABLE spent_nullifiers (
    statement    TEXT NOT NULL,
    nullifier    BLOB NOT NULL,
    request_hash BLOB NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (statement, nullifier)
) WITHOUT ROWID;
";

/// Columns added in schema version 4.
///
/// `removes`: whether the transition that made a root current emptied or changed a leaf (a
/// revocation, an anchoring that superseded leaves); the first such transition after a root
/// starts its grace period (see `roots`). Rows written before get 1, which keeps the rule
/// they were written under (every transition started it). The partial indices find that
/// first removal without scanning the appends in between.
///
/// `record_events.superseded`: the leaves an anchoring emptied, 8-byte big-endian indices;
/// `records.removed_at`/`removed_by`: when, and by which anchoring, a leaf was superseded.
const REMOVAL_COLUMNS: &str = "
ALTER TABLE roots ADD COLUMN removes INTEGER NOT NULL DEFAULT 1 CHECK (removes IN (0, 1));
CREATE INDEX roots_removals ON roots (seq) WHERE removes = 1;
ALTER TABLE record_roots ADD COLUMN removes INTEGER NOT NULL DEFAULT 1
    CHECK (removes IN (0, 1));
CREATE INDEX record_roots_removals ON record_roots (seq) WHERE removes = 1;
ALTER TABLE record_events ADD COLUMN superseded BLOB NOT NULL DEFAULT x''
    CHECK (length(superseded) % 8 = 0);
ALTER TABLE records ADD COLUMN removed_at INTEGER;
ALTER TABLE records ADD COLUMN removed_by INTEGER
    CHECK ((removed_by IS NULL) = (removed_at IS NULL));
";

/// Creates the tables and the `meta` rows (inside the caller's transaction).
pub(crate) fn init(conn: &Connection, depth: usize) -> Result<(), RegistryError> {
    conn.execute_batch(TABLES)?;
    conn.execute_batch(RECORD_TABLES)?;
    conn.execute_batch(NULLIFIER_TABLES)?;
    conn.execute_batch(REMOVAL_COLUMNS)?;
    let mut put = conn.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    put.execute(("format", REGISTRY_FORMAT))?;
    put.execute(("schema_version", SCHEMA_VERSION.to_string()))?;
    put.execute(("tree_depth", depth.to_string()))?;
    Ok(())
}

/// Upgrades a registry of an older version (`from`) to the current one: version 1 gains the
/// records tables with an empty records tree whose root (`empty_root`) enters the history
/// with `created_at = 0`, as at creation; versions 1 and 2 gain the spent-nullifier table;
/// versions 1 to 3 gain the removal columns, every existing root row marked `removes = 1`.
pub(crate) fn migrate(
    conn: &mut Connection,
    from: u32,
    empty_root: Fr,
) -> Result<(), RegistryError> {
    upgrade(conn, SCHEMA_VERSION, |tx| {
        if from == SCHEMA_VERSION_GRANTS_ONLY {
            tx.execute_batch(RECORD_TABLES)?;
        }
        if from <= SCHEMA_VERSION_NO_NULLIFIERS {
            tx.execute_batch(NULLIFIER_TABLES)?;
        }
        tx.execute_batch(REMOVAL_COLUMNS)?;
        if from == SCHEMA_VERSION_GRANTS_ONLY {
            // After the removal columns, so the new tree starts as a created one does.
            super::roots::start(tx, Tree::Records, empty_root)?;
        }
        Ok(())
    })
}

/// Checks the format marker and version and returns the tree depth and, for a file of an
/// older version that [`migrate`] upgrades, that version.
pub(crate) fn check(conn: &Connection) -> Result<(usize, Option<u32>), RegistryError> {
    if meta(conn, "format")?.as_deref() != Some(REGISTRY_FORMAT) {
        return Err(RegistryError::NotARegistry);
    }
    let version = meta(conn, "schema_version")?.unwrap_or_default();
    let older = [
        SCHEMA_VERSION_GRANTS_ONLY,
        SCHEMA_VERSION_NO_NULLIFIERS,
        SCHEMA_VERSION_NO_REMOVALS,
    ]
    .into_iter()
    .find(|v| version == v.to_string());
    if version != SCHEMA_VERSION.to_string() && older.is_none() {
        return Err(RegistryError::SchemaVersion {
            found: version,
            expected: SCHEMA_VERSION,
        });
    }
    let depth = meta(conn, "tree_depth")?
        .and_then(|d| d.parse::<usize>().ok())
        .ok_or(CorruptValue::new(
            "meta.tree_depth",
            "missing or not a number",
        ))?;
    zkconsent_circuits::merkle::check_depth(depth)
        .map_err(|_| CorruptValue::new("meta.tree_depth", "outside 1..=32"))?;
    Ok((depth, older))
}

/// Turns a current file back into the layout of version 3 (for upgrade tests): the
/// removal columns and their indices dropped, the version set to 3.
#[cfg(test)]
pub(crate) fn downgrade_to_version_3(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DROP INDEX roots_removals; DROP INDEX record_roots_removals;
         ALTER TABLE roots DROP COLUMN removes;
         ALTER TABLE record_roots DROP COLUMN removes;
         ALTER TABLE record_events DROP COLUMN superseded;
         ALTER TABLE records DROP COLUMN removed_by;
         ALTER TABLE records DROP COLUMN removed_at;
         UPDATE meta SET value = '3' WHERE key = 'schema_version';",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{
        test_support::{keys, party, temp_registry},
        PolicyError, Registry, RootCheckError, RootPolicy,
    };
    use zkconsent_circuits::types::{RecordCommitment, Timestamp};

    #[test]
    fn a_version_3_registry_keeps_its_rows_as_removals() {
        let (_dir, path, mut reg) = temp_registry(3);
        party(51).issue(&mut reg, 100);
        let r1 = reg.current_root().unwrap();
        party(52).issue(&mut reg, 110);
        let leaves = [RecordCommitment(Fr::from(9u64))];
        let a = reg.anchor_records(&leaves, &[], Timestamp(120)).unwrap();
        downgrade_to_version_3(&reg.conn).unwrap();
        drop(reg);
        let mut reg = Registry::open(&path).unwrap();
        assert_eq!(
            meta(&reg.conn, "schema_version").unwrap(),
            Some(SCHEMA_VERSION.to_string())
        );
        // Every row written before reads as a removal: the old rule, unchanged.
        assert!(reg.root_history().unwrap().iter().all(|r| r.removes));
        assert!(reg
            .records_root_history()
            .unwrap()
            .iter()
            .all(|r| r.removes));
        let strict = RootPolicy {
            max_root_age_secs: 0,
            ..RootPolicy::default()
        };
        assert!(matches!(
            reg.check_root(r1, Timestamp(110), &strict),
            Err(RootCheckError::Policy(PolicyError::StaleRoot { .. }))
        ));
        assert!(reg
            .check_root(r1, Timestamp(409), &RootPolicy::default())
            .is_ok());
        let old_records = reg.records().unwrap();
        assert_eq!(old_records.len(), 1);
        assert!(old_records[0].is_present());
        assert!(reg.record_events().unwrap()[0].superseded.is_empty());
        // New transitions are recorded as what they are, and the audit accepts the mix.
        party(53).issue(&mut reg, 130);
        let more = [RecordCommitment(Fr::from(10u64))];
        let b = reg.anchor_records(&more, &[0], Timestamp(140)).unwrap();
        assert_eq!(b.root_before, a.root_after);
        let removes: Vec<_> = reg
            .root_history()
            .unwrap()
            .iter()
            .map(|r| r.removes)
            .collect();
        assert_eq!(removes, [true, true, true, false]);
        let removes: Vec<_> = reg
            .records_root_history()
            .unwrap()
            .iter()
            .map(|r| r.removes)
            .collect();
        assert_eq!(removes, [true, true, true]);
        assert_eq!(reg.audit(&keys().pvk).unwrap().finding, None);
        // Opening again changes nothing.
        drop(reg);
        let reg = Registry::open(&path).unwrap();
        assert_eq!(reg.root_history().unwrap().len(), 4);
    }
}
