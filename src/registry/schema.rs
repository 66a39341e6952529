//! The registry's tables, connection settings and versioned `meta` table.
//!
//! Durability: the file is in WAL mode with `synchronous=FULL`, so a committed issue or
//! revoke survives power loss (with `NORMAL` the last commits could be lost, which would
//! silently un-issue an acknowledged grant). Every mutation is one `BEGIN IMMEDIATE`
//! transaction, so a crash never leaves tree nodes, grants, root history and events
//! disagreeing.

use super::{codec::CorruptValue, RegistryError};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::{path::Path, time::Duration};

/// Value of `meta.format` in a registry file.
pub const REGISTRY_FORMAT: &str = "zkconsent.registry";
/// Schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;
/// How long a connection waits for another process's write lock.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Tables of schema version 1. Field elements are 32-byte canonical LE BLOBs; `u64`s are
/// stored bit-for-bit as `INTEGER` (see `codec`).
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

/// Opens (or, with `create`, creates) an SQLite file with the house settings.
pub(crate) fn connect(path: &Path, create: bool) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Fails unless `path` is absent or an empty file: `create` never overwrites data.
pub(crate) fn ensure_fresh(path: &Path) -> std::io::Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len() == 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Whether the database has no tables at all.
pub(crate) fn is_empty_db(conn: &Connection) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))?;
    Ok(n == 0)
}

/// Creates the tables and the `meta` rows (inside the caller's transaction).
pub(crate) fn init(conn: &Connection, depth: usize) -> Result<(), RegistryError> {
    conn.execute_batch(TABLES)?;
    let mut put = conn.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    put.execute(("format", REGISTRY_FORMAT))?;
    put.execute(("schema_version", SCHEMA_VERSION.to_string()))?;
    put.execute(("tree_depth", depth.to_string()))?;
    Ok(())
}

/// A `meta` value, `None` if the key (or the table) is missing.
pub(crate) fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    let has_meta: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        [],
        |r| r.get(0),
    )?;
    if has_meta == 0 {
        return Ok(None);
    }
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// Checks the format marker and version and returns the tree depth.
pub(crate) fn check(conn: &Connection) -> Result<usize, RegistryError> {
    if meta(conn, "format")?.as_deref() != Some(REGISTRY_FORMAT) {
        return Err(RegistryError::NotARegistry);
    }
    let version = meta(conn, "schema_version")?.unwrap_or_default();
    if version != SCHEMA_VERSION.to_string() {
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
    Ok(depth)
}
