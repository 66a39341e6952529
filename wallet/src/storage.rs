//! Where a wallet's database lives, and its write transactions.
//!
//! A *plain* wallet is an SQLite file (WAL, `synchronous = FULL`): SQLite locks and journals
//! it. A *sealed* wallet ([`crate::sealed`]) is opened into memory; each write transaction
//! takes an exclusive lock on `wallet.db.lock`, reloads the file if another process wrote
//! it since, and on commit seals the whole database to `wallet.db.tmp`, syncs it and renames
//! it over `wallet.db`, so a crash at any point leaves the old version or the new one, never
//! a mix. The lock is the operating system's (released when a process dies), waited for at
//! most [`BUSY_TIMEOUT`].
//!
//! Another process's writes are seen at this process's next write transaction, or when it
//! calls [`crate::Wallet::refresh`] (a long-lived reader, such as the verifier service, does
//! before each job: one 60-byte read when nothing changed).

use crate::{
    sealed::{Header, SealKey, HEADER_BYTES, NONCE_BYTES},
    WalletError,
};
use rusqlite::Connection;
use std::{
    fs::{File, OpenOptions},
    io::{Read, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use zkconsent_store::sql::BUSY_TIMEOUT;

/// The most bytes a sealed wallet file may have (far beyond any real wallet; bounds a read
/// of a hostile or damaged file).
pub const MAX_SEALED_WALLET_BYTES: u64 = 4 << 30;
/// How long to sleep between attempts at a held lock.
const LOCK_RETRY: Duration = Duration::from_millis(5);

/// A sealed wallet's key and the version of the file this process has in memory.
pub(crate) struct Sealing {
    pub(crate) key: SealKey,
    /// The nonce of the version in memory (every write seals under a new one).
    pub(crate) nonce: [u8; NONCE_BYTES],
}

/// One write transaction on a wallet, committed by [`WalletTx::commit`] and rolled back if
/// dropped. Dereferences to the connection for the statements inside it.
pub(crate) struct WalletTx<'a> {
    conn: &'a mut Connection,
    sealed: Option<(&'a mut Sealing, &'a Path, File)>,
    done: bool,
}

impl std::ops::Deref for WalletTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl WalletTx<'_> {
    /// Begins an immediate transaction; for a sealed wallet, under the file lock and on the
    /// newest version of the file.
    pub(crate) fn begin<'a>(
        conn: &'a mut Connection,
        sealing: Option<&'a mut Sealing>,
        path: &'a Path,
    ) -> Result<WalletTx<'a>, WalletError> {
        let sealed = match sealing {
            None => None,
            Some(sealing) => {
                let lock = lock_exclusive(path)?;
                refresh(conn, sealing, path)?;
                Some((sealing, path, lock))
            }
        };
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(WalletTx {
            conn,
            sealed,
            done: false,
        })
    }

    /// Commits; a sealed wallet's new version is on disk when this returns `Ok`.
    pub(crate) fn commit(mut self) -> Result<(), WalletError> {
        self.conn.execute_batch("COMMIT")?;
        self.done = true;
        if let Some((sealing, path, _lock)) = &mut self.sealed {
            if let Err(e) = persist(self.conn, sealing, path) {
                // Memory is ahead of the file: put the file's version back (still under the
                // lock); if even that fails, the next read or write tries again.
                sealing.nonce = [0; NONCE_BYTES];
                let _ = refresh(self.conn, sealing, path);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Drop for WalletTx<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to report from a rollback of a transaction that failed already.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// `wallet.db.lock` beside `wallet.db`.
fn lock_path(path: &Path) -> PathBuf {
    sibling(path, "lock")
}

/// `wallet.db.tmp` beside `wallet.db`.
fn temp_path(path: &Path) -> PathBuf {
    sibling(path, "tmp")
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates (or narrows to) an owner-only file and opens it for writing.
pub(crate) fn open_private(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

/// Takes the wallet's exclusive lock, waiting at most [`BUSY_TIMEOUT`].
pub(crate) fn lock_exclusive(path: &Path) -> Result<File, WalletError> {
    let lock = open_private(&lock_path(path), false)?;
    let start = Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(LOCK_RETRY);
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(WalletError::Busy),
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
    }
}

/// Reads a whole sealed wallet file, bounded.
pub(crate) fn read_sealed(path: &Path) -> Result<Vec<u8>, WalletError> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_SEALED_WALLET_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SEALED_WALLET_BYTES {
        return Err(WalletError::Io(std::io::Error::other(format!(
            "wallet file is over {MAX_SEALED_WALLET_BYTES} bytes"
        ))));
    }
    Ok(bytes)
}

/// Whether the file at `path` is a sealed wallet (an absent file is an error).
pub(crate) fn is_sealed(path: &Path) -> Result<bool, WalletError> {
    let mut prefix = Vec::with_capacity(HEADER_BYTES);
    File::open(path)?
        .take(HEADER_BYTES as u64)
        .read_to_end(&mut prefix)?;
    Ok(crate::sealed::looks_sealed(&prefix))
}

/// Removes SQLite's companions of a wallet that was plain before it was sealed (a WAL or
/// journal holds plaintext pages); returns how many were removed.
pub(crate) fn remove_plain_leftovers(path: &Path) -> Result<usize, WalletError> {
    let mut removed = 0;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(removed)
}

/// Replaces the database in `conn` with `image` (a serialized SQLite database).
pub(crate) fn load_image(conn: &mut Connection, image: &[u8]) -> Result<(), WalletError> {
    conn.deserialize_read_exact("main", image, image.len(), false)?;
    conn.flush_prepared_statement_cache();
    Ok(())
}

/// Reloads the file into `conn` if another process wrote a newer version (no lock needed:
/// the file is only ever replaced whole, by a rename).
pub(crate) fn refresh(
    conn: &mut Connection,
    sealing: &mut Sealing,
    path: &Path,
) -> Result<(), WalletError> {
    let mut head = Vec::with_capacity(HEADER_BYTES);
    File::open(path)?
        .take(HEADER_BYTES as u64)
        .read_to_end(&mut head)?;
    if head.len() == HEADER_BYTES && head[HEADER_BYTES - NONCE_BYTES..] == sealing.nonce {
        return Ok(());
    }
    let file = read_sealed(path)?;
    let header = Header::parse(&file)?;
    let image = sealing.key.reopen(&file)?;
    load_image(conn, &image)?;
    sealing.nonce = header.nonce;
    Ok(())
}

/// Seals the newest version of the wallet under `key` instead of its current key.
pub(crate) fn rekey(
    conn: &mut Connection,
    sealing: &mut Sealing,
    path: &Path,
    key: SealKey,
) -> Result<(), WalletError> {
    let _lock = lock_exclusive(path)?;
    refresh(conn, sealing, path)?;
    let old = std::mem::replace(&mut sealing.key, key);
    if let Err(e) = persist(conn, sealing, path) {
        sealing.key = old;
        return Err(e);
    }
    Ok(())
}

/// Seals the database in `conn` to `path` (through a synced temporary file and a rename).
pub(crate) fn persist(
    conn: &Connection,
    sealing: &mut Sealing,
    path: &Path,
) -> Result<(), WalletError> {
    let sealed = {
        let image = conn.serialize("main")?;
        sealing.key.seal(&image)?
    };
    let header = Header::parse(&sealed)?;
    write_atomically(path, &sealed)?;
    sealing.nonce = header.nonce;
    Ok(())
}

/// Writes `bytes` to `path` all or nothing: a synced temporary file renamed over it, then
/// the directory synced so the rename survives a power cut.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WalletError> {
    let temp = temp_path(path);
    let mut file = open_private(&temp, true)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, path)?;
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
