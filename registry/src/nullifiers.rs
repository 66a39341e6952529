//! Spent nullifiers: a verifier accepts each Claim nullifier (one resource, one insurer) and
//! each Cohort nullifier (one patient, one study) once, so a claim is paid once and a patient
//! enrols in a study once. The request is answered in the same transaction, so a proof is
//! either fully consumed or not at all.

use super::{
    codec::{fr_to_blob, u64_to_sql},
    write_tx, Registry, RegistryError,
};
use ark_bn254::Fr;
use rusqlite::{params, Connection, OptionalExtension};
use zkconsent_circuits::{
    statement::StatementKind,
    types::{AccessTag, RequestHash, Timestamp},
};

/// A nullifier as a verifier spends it: the statement it belongs to (nullifiers of different
/// statements never collide in the table) and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpentNullifier {
    /// The statement it belongs to (Claim, Cohort); stored by name.
    pub statement: StatementKind,
    /// The nullifier public input.
    pub value: Fr,
}

/// What consuming an accepted proof did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The request is now answered and its nullifier, if any, spent.
    Fresh,
    /// The request was already answered (a replayed proof); nothing changed.
    RequestReplayed,
    /// The nullifier was already spent with another request (a second claim or enrolment);
    /// nothing changed.
    NullifierReused,
}

fn nullifier_spent(conn: &Connection, nullifier: &SpentNullifier) -> rusqlite::Result<bool> {
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM spent_nullifiers WHERE statement = ?1 AND nullifier = ?2",
            params![
                nullifier.statement.name(),
                fr_to_blob(&nullifier.value).to_vec()
            ],
            |row| row.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Inserts the answered request and the spent nullifier on `conn` (a transaction or a
/// savepoint the caller commits only for [`Answer::Fresh`]).
fn answer_in(
    tx: &Connection,
    request: RequestHash,
    access_tag: AccessTag,
    nullifier: Option<SpentNullifier>,
    at: Timestamp,
) -> Result<Answer, RegistryError> {
    let request_blob = fr_to_blob(&request.0).to_vec();
    let answered = tx.execute(
            "INSERT OR IGNORE INTO answered_requests (request_hash, access_tag, at) VALUES (?1, ?2, ?3)",
            params![request_blob, fr_to_blob(&access_tag.0).to_vec(), u64_to_sql(at.0)],
        )?;
    if answered == 0 {
        return Ok(Answer::RequestReplayed);
    }
    if let Some(n) = nullifier {
        let spent = tx.execute(
            "INSERT OR IGNORE INTO spent_nullifiers (statement, nullifier, request_hash, at) \
                 VALUES (?1, ?2, ?3, ?4)",
            params![
                n.statement.name(),
                fr_to_blob(&n.value).to_vec(),
                request_blob,
                u64_to_sql(at.0)
            ],
        )?;
        if spent == 0 {
            return Ok(Answer::NullifierReused);
        }
    }
    Ok(Answer::Fresh)
}

impl Registry {
    /// Answers `request` and spends `nullifier` (if the statement has one), in one
    /// transaction: both happen, or neither when either was already used.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn answer(
        &mut self,
        request: RequestHash,
        access_tag: AccessTag,
        nullifier: Option<SpentNullifier>,
        at: Timestamp,
    ) -> Result<Answer, RegistryError> {
        self.checked_for_writing()?;
        let tx = write_tx(&mut self.conn)?;
        let answer = answer_in(&tx, request, access_tag, nullifier, at)?;
        if answer == Answer::Fresh {
            tx.commit()?;
        }
        // Otherwise dropping the transaction rolls the request's row back.
        Ok(answer)
    }

    /// [`Registry::answer`] for many proofs in one transaction (one commit for a verifier's
    /// whole batch), in order: each item is answered or not on its own (a savepoint each),
    /// so a replayed request or a reused nullifier changes nothing for it and blocks nothing
    /// else; of two items with one request or one nullifier, the first wins.
    ///
    /// # Errors
    ///
    /// Database errors; then nothing is answered.
    pub fn answer_many(
        &mut self,
        items: &[(RequestHash, AccessTag, Option<SpentNullifier>)],
        at: Timestamp,
    ) -> Result<Vec<Answer>, RegistryError> {
        self.checked_for_writing()?;
        let mut tx = write_tx(&mut self.conn)?;
        let mut answers = Vec::with_capacity(items.len());
        for (request, access_tag, nullifier) in items {
            let item = tx.savepoint()?;
            let answer = answer_in(&item, *request, *access_tag, *nullifier, at)?;
            if answer == Answer::Fresh {
                item.commit()?;
            }
            // Otherwise dropping the savepoint rolls this item's rows back.
            answers.push(answer);
        }
        tx.commit()?;
        Ok(answers)
    }

    /// Whether `nullifier` was already spent.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn is_spent(&self, nullifier: &SpentNullifier) -> Result<bool, RegistryError> {
        Ok(nullifier_spent(&self.conn, nullifier)?)
    }

    /// How many nullifiers of `statement` were spent.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn spent_count(&self, statement: StatementKind) -> Result<u64, RegistryError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM spent_nullifiers WHERE statement = ?1",
            [statement.name()],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::temp_registry;

    fn nullifier(statement: StatementKind, v: u64) -> SpentNullifier {
        SpentNullifier {
            statement,
            value: Fr::from(v),
        }
    }

    #[test]
    fn a_nullifier_is_spent_once_and_the_request_with_it() {
        let (_dir, _path, mut reg) = temp_registry(3);
        let tag = AccessTag(Fr::from(0u64));
        let n = nullifier(StatementKind::Claim, 7);
        assert!(!reg.is_spent(&n).unwrap());
        let first = reg.answer(RequestHash(Fr::from(1u64)), tag, Some(n), Timestamp(10));
        assert_eq!(first.unwrap(), Answer::Fresh);
        assert!(reg.is_spent(&n).unwrap());
        // The same request again is a replay.
        let replay = reg.answer(RequestHash(Fr::from(1u64)), tag, Some(n), Timestamp(11));
        assert_eq!(replay.unwrap(), Answer::RequestReplayed);
        // A new request with the spent nullifier is refused, and its request stays unanswered.
        let second = reg.answer(RequestHash(Fr::from(2u64)), tag, Some(n), Timestamp(12));
        assert_eq!(second.unwrap(), Answer::NullifierReused);
        assert!(!reg.is_answered(RequestHash(Fr::from(2u64))).unwrap());
        // The same value under another statement is another nullifier.
        let cohort = nullifier(StatementKind::Cohort, 7);
        assert!(!reg.is_spent(&cohort).unwrap());
        let third = reg.answer(
            RequestHash(Fr::from(3u64)),
            tag,
            Some(cohort),
            Timestamp(13),
        );
        assert_eq!(third.unwrap(), Answer::Fresh);
        assert_eq!(reg.spent_count(StatementKind::Claim).unwrap(), 1);
        assert_eq!(reg.spent_count(StatementKind::Cohort).unwrap(), 1);
    }

    #[test]
    fn a_version_2_registry_gains_the_nullifier_table_on_open() {
        let (_dir, path, reg) = temp_registry(3);
        crate::schema::downgrade_to_version_3(&reg.conn).unwrap();
        reg.conn
            .execute_batch(
                "DROP TABLE spent_nullifiers;
                 UPDATE meta SET value = '2' WHERE key = 'schema_version';",
            )
            .unwrap();
        drop(reg);
        let mut reg = Registry::open(&path).unwrap();
        let n = nullifier(StatementKind::Claim, 1);
        let tag = AccessTag(Fr::from(0u64));
        let answer = reg.answer(RequestHash(Fr::from(1u64)), tag, Some(n), Timestamp(1));
        assert_eq!(answer.unwrap(), Answer::Fresh);
        assert!(reg.is_spent(&n).unwrap());
    }
}
