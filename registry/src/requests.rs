//! Answered requests: a verifier accepts each request (its nonce) once, so a proof cannot be
//! replayed to it within the root-age and clock-skew windows.

use super::{codec::fr_to_blob, Registry, RegistryError};
use rusqlite::params;
use zkconsent_circuits::types::{AccessTag, RequestHash, Timestamp};

impl Registry {
    /// Records `request` as answered. Returns `false`, changing nothing, if it already was.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn answer_request(
        &mut self,
        request: RequestHash,
        access_tag: AccessTag,
        at: Timestamp,
    ) -> Result<bool, RegistryError> {
        let answer = self.answer(request, access_tag, None, at)?;
        Ok(answer == super::Answer::Fresh)
    }

    /// Whether `request` was already answered.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn is_answered(&self, request: RequestHash) -> Result<bool, RegistryError> {
        let found: Option<i64> = rusqlite::OptionalExtension::optional(self.conn.query_row(
            "SELECT 1 FROM answered_requests WHERE request_hash = ?1",
            params![fr_to_blob(&request.0).to_vec()],
            |row| row.get(0),
        ))?;
        Ok(found.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;

    #[test]
    fn a_request_is_answered_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut registry = Registry::create(dir.path().join("r.db"), 4).unwrap();
        let request = RequestHash(Fr::from(7u64));
        assert!(!registry.is_answered(request).unwrap());
        assert!(registry
            .answer_request(request, AccessTag(Fr::from(1u64)), Timestamp(10))
            .unwrap());
        assert!(registry.is_answered(request).unwrap());
        assert!(!registry
            .answer_request(request, AccessTag(Fr::from(2u64)), Timestamp(11))
            .unwrap());
        drop(registry);
        let registry = Registry::open(dir.path().join("r.db")).unwrap();
        assert!(registry.is_answered(request).unwrap());
    }
}
