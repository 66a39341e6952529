//! The registry's tables, connection settings and versioned `meta` table.
//!
//! Version 2 adds the records tree next to the grants tree; version 3 adds the spent
//! nullifiers (Claim, Cohort). An older file is upgraded in place when opened (`migrate`).
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
pub const SCHEMA_VERSION: u32 = 3;
/// Version 1 (grants only); `migrate` upgrades it in place on open.
pub const SCHEMA_VERSION_GRANTS_ONLY: u32 = 1;
/// Version 2 (grants and records, no nullifiers); `migrate` upgrades it in place on open.
pub const SCHEMA_VERSION_NO_NULLIFIERS: u32 = 2;

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

/// Creates the tables and the `meta` rows (inside the caller's transaction).
pub(crate) fn init(conn: &Connection, depth: usize) -> Result<(), RegistryError> {
    conn.execute_batch(TABLES)?;
    conn.execute_batch(RECORD_TABLES)?;
    conn.execute_batch(NULLIFIER_TABLES)?;
    let mut put = conn.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    put.execute(("format", REGISTRY_FORMAT))?;
    put.execute(("schema_version", SCHEMA_VERSION.to_string()))?;
    put.execute(("tree_depth", depth.to_string()))?;
    Ok(())
}

/// Upgrades a registry of an older version (`from`) to the current one: version 1 gains the
/// records tables with an empty records tree whose root (`empty_root`) enters the history
/// with `created_at = 0`, as at creation; versions 1 and 2 gain the spent-nullifier table.
pub(crate) fn migrate(
    conn: &mut Connection,
    from: u32,
    empty_root: Fr,
) -> Result<(), RegistryError> {
    upgrade(conn, SCHEMA_VERSION, |tx| {
        if from == SCHEMA_VERSION_GRANTS_ONLY {
            tx.execute_batch(RECORD_TABLES)?;
            super::roots::start(tx, Tree::Records, empty_root)?;
        }
        tx.execute_batch(NULLIFIER_TABLES)?;
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
    let older = [SCHEMA_VERSION_GRANTS_ONLY, SCHEMA_VERSION_NO_NULLIFIERS]
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
