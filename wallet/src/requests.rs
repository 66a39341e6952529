//! A verifier's open requests: each request file it issued, kept whole, so that a proof is
//! checked against the terms the verifier asked for and not against a file someone edited.
//! A request is public (it goes to the prover), so nothing here is secret; it lives in the
//! verifier's wallet because it is that party's own state.

use super::{Wallet, WalletError};
use rusqlite::OptionalExtension;
use zkconsent_circuits::types::{RequestHash, Timestamp};
use zkconsent_store::codec::{blob_col, fr_col, fr_to_blob, u64_col, u64_to_sql};

/// The open-requests table (since wallet schema version 3).
pub(super) const TABLES: &str = "
-- Requests this party issued as a verifier: the request hash and the request file's bytes.
CREATE TABLE requests (
    request_hash BLOB PRIMARY KEY,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL
) WITHOUT ROWID;
";

impl Wallet {
    /// Keeps a request this party issued. The same hash twice is refused (a request hash
    /// commits to a fresh random salt, so a repeat is a bug or a copy).
    ///
    /// # Errors
    ///
    /// [`WalletError::DuplicateRequest`] or a database error.
    pub fn add_request(
        &mut self,
        request_hash: RequestHash,
        body: &[u8],
        at: Timestamp,
    ) -> Result<(), WalletError> {
        let tx = self.begin()?;
        let key = fr_to_blob(&request_hash.0).to_vec();
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM requests WHERE request_hash = ?1",
                [&key],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Err(WalletError::DuplicateRequest);
        }
        tx.execute(
            "INSERT INTO requests (request_hash, body, created_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![key, body, u64_to_sql(at.0)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every request this party issued: hash, body and issue time, oldest first.
    ///
    /// # Errors
    ///
    /// Database errors, or a stored hash that is not a field element.
    pub fn requests(&self) -> Result<Vec<(RequestHash, Vec<u8>, Timestamp)>, WalletError> {
        let mut stmt = self
            .conn
            .prepare("SELECT request_hash, body, created_at FROM requests ORDER BY created_at")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                fr_col(row, 0, "requests.request_hash"),
                blob_col(row, 1, "requests.body"),
                u64_col(row, 2, "requests.created_at"),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, body, at) = row?;
            out.push((RequestHash(hash?), body?, Timestamp(at?)));
        }
        Ok(out)
    }

    /// The stored body of a request this party issued, if it did.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn request(&self, request_hash: RequestHash) -> Result<Option<Vec<u8>>, WalletError> {
        let key = fr_to_blob(&request_hash.0).to_vec();
        let body = self
            .conn
            .query_row(
                "SELECT body FROM requests WHERE request_hash = ?1",
                [&key],
                |row| Ok(blob_col(row, 0, "requests.body")),
            )
            .optional()?;
        Ok(body.transpose()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;

    #[test]
    fn a_request_is_kept_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let mut w = Wallet::create(&path, None).unwrap();
        let hash = RequestHash(Fr::from(9u64));
        assert_eq!(w.request(hash).unwrap(), None);
        w.add_request(hash, b"{}", Timestamp(1)).unwrap();
        assert!(matches!(
            w.add_request(hash, b"{}", Timestamp(2)),
            Err(WalletError::DuplicateRequest)
        ));
        drop(w);
        let w = Wallet::open(&path, None).unwrap();
        assert_eq!(w.request(hash).unwrap().as_deref(), Some(&b"{}"[..]));
    }
}
