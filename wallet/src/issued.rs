//! A verifier's index of the requests it issued, kept beside the sealed wallet and not
//! sealed, so that checking a proof against a request needs no passphrase (and no key
//! derivation): `zkconsent verify` opens only this, the params and the registry.
//!
//! Each row is a request hash and a digest of the request file the verifier wrote. Neither
//! says anything about the request: the hash commits to every term under a fresh random
//! salt, and the digest is the caller's hash of the file. The whole request is also kept in
//! the sealed wallet ([`crate::Wallet::add_request`]), written after this index, so the index
//! holds every request the wallet holds once it is *complete*: made with the wallet, or
//! filled from it ([`IssuedRequests::mark_complete`]). A complete index answers "not issued"
//! on its own; an incomplete or missing one (a home from before the index) sends the caller
//! to the wallet.

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use zkconsent_circuits::types::{RequestHash, Timestamp};
use zkconsent_store::{
    codec::{blob_col, fr_to_blob, u64_to_sql},
    sql,
};

use crate::WalletError;

/// The index's file name in a home.
pub const ISSUED_FILE: &str = "requests.db";

/// Schema of the index (version 1).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS issued (
    request_hash BLOB PRIMARY KEY,
    digest       BLOB NOT NULL,
    issued_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// The `meta` key set once the index holds every request of the wallet beside it.
const COMPLETE_KEY: &str = "complete";

/// The issued-request index of one home.
pub struct IssuedRequests {
    path: PathBuf,
    conn: Connection,
}

impl std::fmt::Debug for IssuedRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedRequests")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl IssuedRequests {
    /// Opens the index for reading, `None` if this home never issued a request through it.
    ///
    /// # Errors
    ///
    /// A file that is not an index, or a database error.
    pub fn open(path: impl AsRef<Path>) -> Result<Option<Self>, WalletError> {
        let path = path.as_ref();
        if !path.exists() {
            return Ok(None);
        }
        // Read-only, no WAL set-up, no schema writes: the cheapest open SQLite has.
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(sql::BUSY_TIMEOUT)?;
        Ok(Some(Self {
            path: path.to_path_buf(),
            conn,
        }))
    }

    /// Opens the index for writing, creating it (owner-only) if absent.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<Self, WalletError> {
        let path = path.as_ref();
        // Created owner-only (SQLite gives its -wal and -shm files the same mode).
        drop(crate::storage::open_private(path, false).map_err(WalletError::Io)?);
        let conn = sql::connect(path, true)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            path: path.to_path_buf(),
            conn,
        })
    }

    /// Records an issued request (the same hash again keeps the first digest).
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn add(
        &self,
        request_hash: RequestHash,
        digest: &[u8],
        at: Timestamp,
    ) -> Result<(), WalletError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO issued (request_hash, digest, issued_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                fr_to_blob(&request_hash.0).to_vec(),
                digest,
                u64_to_sql(at.0)
            ],
        )?;
        Ok(())
    }

    /// Whether the index holds every request the wallet beside it holds (module docs).
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn is_complete(&self) -> Result<bool, WalletError> {
        Ok(sql::meta(&self.conn, COMPLETE_KEY)?.is_some())
    }

    /// Records that the index holds every request of the wallet beside it: made with the
    /// wallet, or after adding each of the wallet's requests.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn mark_complete(&self) -> Result<(), WalletError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, '1')",
            [COMPLETE_KEY],
        )?;
        Ok(())
    }

    /// The digest recorded for `request_hash`, if this home issued it.
    ///
    /// # Errors
    ///
    /// A database error (a file without the table is one).
    pub fn digest(&self, request_hash: RequestHash) -> Result<Option<Vec<u8>>, WalletError> {
        let key = fr_to_blob(&request_hash.0).to_vec();
        let digest = self
            .conn
            .query_row(
                "SELECT digest FROM issued WHERE request_hash = ?1",
                [&key],
                |row| Ok(blob_col(row, 0, "issued.digest")),
            )
            .optional()?;
        Ok(digest.transpose()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;

    #[test]
    fn an_issued_request_is_found_by_its_hash_and_keeps_its_first_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ISSUED_FILE);
        assert!(IssuedRequests::open(&path).unwrap().is_none());
        let index = IssuedRequests::open_or_create(&path).unwrap();
        let (hash, other) = (RequestHash(Fr::from(7u64)), RequestHash(Fr::from(8u64)));
        index.add(hash, &[1; 32], Timestamp(5)).unwrap();
        index.add(hash, &[2; 32], Timestamp(6)).unwrap();
        let reader = IssuedRequests::open(&path).unwrap().unwrap();
        assert_eq!(reader.digest(hash).unwrap(), Some(vec![1; 32]));
        assert_eq!(reader.digest(other).unwrap(), None);
        assert!(!reader.is_complete().unwrap());
        index.mark_complete().unwrap();
        index.mark_complete().unwrap();
        assert!(reader.is_complete().unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "index readable by others: {mode:o}");
        }
    }

    #[test]
    fn a_file_that_is_not_an_index_is_an_error_not_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ISSUED_FILE);
        std::fs::write(&path, b"not a database at all, just some bytes here").unwrap();
        let opened = IssuedRequests::open(&path);
        let looked_up = opened.and_then(|index| match index {
            Some(index) => index.digest(RequestHash(Fr::from(1u64))),
            None => Ok(None),
        });
        assert!(looked_up.is_err());
    }
}
