//! Grants written before they are submitted. A patient's wallet stores a grant's opening and
//! its authority proof here *before* the registry sees the commitment, and moves it to
//! `grants` once the registry has given it a leaf: so no grant can be active in a registry
//! while its opening exists nowhere (the patient could never revoke it). A crash in between
//! leaves the row here; the next start settles it (the registry has the commitment) or sends
//! the same submission again (it has not; the registry accepts a commitment once).

use crate::{WalletError, GRANT_FIELDS};
use rusqlite::OptionalExtension;
use zkconsent_circuits::{
    grant::Grant,
    types::{GrantCommitment, GrantSalt, IdentityId, Purpose, Scope, Timestamp},
};
use zkconsent_store::{
    codec::{blob_col, fr_col, fr_to_blob, text_col, u64_col, u64_to_sql},
    identity::is_valid_name,
};

/// Table added in schema version 5.
pub(crate) const TABLES: &str = "
-- Grants whose submission to the registry may not have landed, keyed by commitment.
CREATE TABLE pending_grants (
    commitment   BLOB PRIMARY KEY,
    patient      BLOB NOT NULL,
    grantee      BLOB NOT NULL,
    scope        INTEGER NOT NULL,
    purpose      INTEGER NOT NULL,
    not_before   INTEGER NOT NULL,
    not_after    INTEGER NOT NULL,
    salt         BLOB NOT NULL,
    patient_name TEXT NOT NULL,
    grantee_name TEXT NOT NULL,
    proof        BLOB NOT NULL,
    created_at   INTEGER NOT NULL
) WITHOUT ROWID;
";

/// A grant written but maybe not yet in the registry: its opening and the authority proof
/// to submit (again).
#[derive(Clone, PartialEq, Eq)]
pub struct PendingGrant {
    /// The grant's fields.
    pub grant: Grant,
    /// The patient's name.
    pub patient_name: String,
    /// The grantee's name.
    pub grantee_name: String,
    /// The issue proof, compressed bytes.
    pub proof: Vec<u8>,
    /// When it was written.
    pub created_at: Timestamp,
}

impl crate::Wallet {
    /// Writes a grant before its submission.
    ///
    /// # Errors
    ///
    /// [`WalletError::InvalidName`], or a database error (also for the same commitment twice).
    pub fn add_pending_grant(&mut self, pending: &PendingGrant) -> Result<(), WalletError> {
        if !is_valid_name(&pending.patient_name) || !is_valid_name(&pending.grantee_name) {
            return Err(WalletError::InvalidName);
        }
        let g = &pending.grant;
        let tx = self.begin()?;
        tx.execute(
            "INSERT INTO pending_grants (commitment, patient, grantee, scope, purpose,
                 not_before, not_after, salt, patient_name, grantee_name, proof, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            rusqlite::params![
                fr_to_blob(&g.commit().0),
                fr_to_blob(&g.patient.0),
                fr_to_blob(&g.grantee.0),
                u64_to_sql(g.scope.0),
                u64_to_sql(g.purpose.0),
                u64_to_sql(g.not_before.0),
                u64_to_sql(g.not_after.0),
                fr_to_blob(&g.salt.0),
                pending.patient_name,
                pending.grantee_name,
                pending.proof,
                u64_to_sql(pending.created_at.0),
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every pending grant, oldest first.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt value.
    pub fn pending_grants(&self) -> Result<Vec<PendingGrant>, WalletError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT patient, grantee, scope, purpose, not_before, not_after, salt,
                    patient_name, grantee_name, proof, created_at
             FROM pending_grants ORDER BY created_at, commitment",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(PendingGrant {
                grant: Grant {
                    patient: IdentityId(fr_col(row, 0, "pending_grants.patient")?),
                    grantee: IdentityId(fr_col(row, 1, "pending_grants.grantee")?),
                    scope: Scope(u64_col(row, 2, "pending_grants.scope")?),
                    purpose: Purpose(u64_col(row, 3, "pending_grants.purpose")?),
                    not_before: Timestamp(u64_col(row, 4, "pending_grants.not_before")?),
                    not_after: Timestamp(u64_col(row, 5, "pending_grants.not_after")?),
                    salt: GrantSalt(fr_col(row, 6, "pending_grants.salt")?),
                },
                patient_name: text_col(row, 7, "pending_grants.patient_name")?,
                grantee_name: text_col(row, 8, "pending_grants.grantee_name")?,
                proof: blob_col(row, 9, "pending_grants.proof")?,
                created_at: Timestamp(u64_col(row, 10, "pending_grants.created_at")?),
            });
        }
        Ok(out)
    }

    /// Moves the pending grant of `commitment` to the openings, at the leaf the registry gave
    /// it, in one transaction. Settling a grant already settled at that leaf does nothing.
    ///
    /// # Errors
    ///
    /// [`WalletError::UnknownGrant`] if nothing of that commitment is pending or settled,
    /// [`WalletError::DuplicateGrant`] if the leaf holds another opening, or a database error.
    pub fn settle_pending_grant(
        &mut self,
        commitment: GrantCommitment,
        index: u64,
    ) -> Result<(), WalletError> {
        let key = fr_to_blob(&commitment.0);
        let tx = self.begin()?;
        let moved = tx.execute(
            &format!(
                "INSERT INTO grants (leaf_index, {GRANT_FIELDS})
                 SELECT ?2, {GRANT_FIELDS} FROM pending_grants WHERE commitment = ?1
                 AND NOT EXISTS (SELECT 1 FROM grants WHERE leaf_index = ?2)"
            ),
            (&key, u64_to_sql(index)),
        )?;
        let removed = tx.execute("DELETE FROM pending_grants WHERE commitment = ?1", [&key])?;
        if moved == 0 && removed > 0 {
            return Err(WalletError::DuplicateGrant(index));
        }
        if moved == 0 {
            let settled: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM grants WHERE leaf_index = ?1",
                    [u64_to_sql(index)],
                    |r| r.get(0),
                )
                .optional()?;
            if settled.is_none() {
                return Err(WalletError::UnknownGrant(index));
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets a pending grant the registry refused for good (its proof or terms can never
    /// be accepted), so it is not sent again.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn drop_pending_grant(&mut self, commitment: GrantCommitment) -> Result<(), WalletError> {
        let tx = self.begin()?;
        tx.execute(
            "DELETE FROM pending_grants WHERE commitment = ?1",
            [fr_to_blob(&commitment.0)],
        )?;
        tx.commit()?;
        Ok(())
    }
}
