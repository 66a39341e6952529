//! SQLite with the house settings, shared by the registry and the wallet: opening a file,
//! the versioned `meta` table, in-place upgrades and write transactions.

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use std::{path::Path, time::Duration};

/// How long a connection waits for another process's write lock (SQLite retries with
/// back-off until then) before the operation fails with nothing changed.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A database error in one line; a lock held past [`BUSY_TIMEOUT`] says so plainly.
#[must_use]
pub fn describe_error(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => format!(
            "busy: another process held the write lock for over {} s; nothing was changed, \
             try again",
            BUSY_TIMEOUT.as_secs()
        ),
        _ => e.to_string(),
    }
}

/// A write transaction taking the write lock up front, so the state a mutation checks
/// cannot change before it writes.
pub fn write_tx(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

/// Opens (or, with `create`, creates) an SQLite file with the house settings.
pub fn connect(path: &Path, create: bool) -> rusqlite::Result<Connection> {
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

/// Whether SQLite says the file is damaged or not a database (as opposed to busy or
/// refusing a statement).
#[must_use]
pub fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// Fails unless `path` is absent or an empty file: `create` never overwrites data.
pub fn ensure_fresh(path: &Path) -> std::io::Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len() == 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Whether the database has no tables at all.
pub fn is_empty_db(conn: &Connection) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))?;
    Ok(n == 0)
}

/// A `meta` value, `None` if the key (or the table) is missing.
pub fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
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

/// Upgrades a file (registry or wallet) to schema version `to` in one write transaction:
/// runs `add` (the new tables and rows), then sets `meta.schema_version`. Does nothing if the
/// file is already at `to`: another process may have upgraded it between the caller's
/// version check and the write lock.
pub fn upgrade<E: From<rusqlite::Error>>(
    conn: &mut Connection,
    to: u32,
    add: impl FnOnce(&Connection) -> Result<(), E>,
) -> Result<(), E> {
    let tx = write_tx(conn)?;
    if meta(&tx, "schema_version")?.as_deref() == Some(&to.to_string()) {
        return Ok(());
    }
    add(&tx)?;
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [to.to_string()],
    )?;
    tx.commit()?;
    Ok(())
}
