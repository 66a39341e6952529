//! Anchorings written before they are submitted. [`Wallet::anchor_records`] stores every
//! new leaf's opening (salt included), the leaves each supersedes and the FHIR patient to
//! bind here *before* the registry sees the leaves, and moves them to `records` once the
//! registry has given them indices: so no leaf is ever in the tree while its opening exists
//! nowhere. A crash (or a lost answer) in between leaves the anchoring here; the next start
//! settles it (the registry holds its leaves), submits the same leaves again (it does not;
//! the registry accepts a leaf once) or forgets it (the registry refuses it for good).
//!
//! While an anchoring is pending, its resources, its patient and its FHIR patient are
//! taken: another anchoring of any of them is refused until it settles, so two runs can
//! neither plan one resource twice nor bind one patient twice.

use super::{anchor, resource_ref, RecordCandidate, Wallet, WalletError};
use crate::binding::{self, FhirPatient};
use rusqlite::{types::ValueRef, Connection};
use zkconsent_circuits::{
    record::{Record, RecordFields, RecordKind, ResourceIdentity, ScaledValue},
    types::{
        CodeId, EpochDay, IdentityId, RecordCommitment, RecordSalt, ResourceDigest, Timestamp,
    },
};
use zkconsent_store::codec::{fr_col, fr_to_blob, text_col, u64_col, u64_to_sql, CorruptValue};

/// Tables added in schema version 5.
pub(crate) const TABLES: &str = "
-- Anchorings whose leaves may be in the registry without their openings in `records`.
CREATE TABLE pending_anchorings (
    id             INTEGER PRIMARY KEY,
    patient_name   TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    -- The FHIR patient (Patient/id) to bind when settled; NULL for derived records.
    fhir_reference TEXT
);
-- Their new leaves' openings, in submission order.
CREATE TABLE pending_anchoring_leaves (
    anchoring    INTEGER NOT NULL REFERENCES pending_anchorings (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    kind         INTEGER NOT NULL,
    resource_id  TEXT NOT NULL,
    code         BLOB NOT NULL,
    date         INTEGER NOT NULL,
    end_date     INTEGER NOT NULL,
    value        INTEGER NOT NULL,
    related_code BLOB NOT NULL,
    patient      BLOB NOT NULL,
    coverage     BLOB NOT NULL,
    digest       BLOB NOT NULL,
    salt         BLOB NOT NULL,
    identity     BLOB NOT NULL,
    PRIMARY KEY (anchoring, position)
) WITHOUT ROWID;
-- A resource is in one pending anchoring at most.
CREATE UNIQUE INDEX pending_anchoring_resources ON pending_anchoring_leaves (kind, resource_id);
-- The live leaves each new leaf supersedes.
CREATE TABLE pending_anchoring_superseded (
    anchoring  INTEGER NOT NULL REFERENCES pending_anchorings (id) ON DELETE CASCADE,
    leaf_index INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (anchoring, leaf_index)
) WITHOUT ROWID;
-- The identifiers of the FHIR patient to bind.
CREATE TABLE pending_anchoring_identifiers (
    anchoring  INTEGER NOT NULL REFERENCES pending_anchorings (id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    PRIMARY KEY (anchoring, identifier)
) WITHOUT ROWID;
";

/// A new leaf of a pending anchoring: the opening to store once its index is known.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingLeaf {
    /// The FHIR resource id.
    pub resource_id: String,
    /// The committed tuple, salt included.
    pub record: Record,
    /// The live leaves of the resource it supersedes, ascending.
    pub supersedes: Vec<u64>,
}

/// An anchoring written but maybe not yet in the registry: what was (or is to be) submitted,
/// and what to store when it lands.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingAnchoring {
    /// Its key in the wallet.
    pub id: u64,
    /// The zkconsent patient the records are anchored for.
    pub patient_name: String,
    /// The new leaves, in submission order (the registry gives them consecutive indices).
    pub leaves: Vec<PendingLeaf>,
    /// The document's FHIR patient, bound when settled; `None` for derived records.
    pub fhir_patient: Option<FhirPatient>,
    /// When it was written (the anchoring time of its openings).
    pub created_at: Timestamp,
}

impl PendingAnchoring {
    /// The leaf commitments, in submission order.
    pub fn commitments(&self) -> Vec<RecordCommitment> {
        self.leaves.iter().map(|l| l.record.commit()).collect()
    }

    /// Every superseded leaf index, ascending and once each: the submission's list.
    pub fn superseded(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self
            .leaves
            .iter()
            .flat_map(|l| l.supersedes.iter().copied())
            .collect();
        all.sort_unstable();
        // Each leaf supersedes its own resource's leaves, so none repeats; the registry
        // refuses repeats, so make that an invariant rather than an assumption.
        all.dedup();
        all
    }
}

/// The refusal of an anchoring that touches what a pending one holds (module docs). Reported
/// as SQLite's "busy", which is what it is: another writer holds these rows.
fn taken(what: String) -> WalletError {
    WalletError::AnchoringInProgress(what)
}

/// Refuses an anchoring for `patient_name` of `candidates` (binding `fhir`) if a pending
/// anchoring holds one of the resources, the patient, or the FHIR patient or one of its
/// identifiers (module docs).
pub(super) fn check_free(
    conn: &Connection,
    patient_name: &str,
    fhir: Option<&FhirPatient>,
    candidates: &[RecordCandidate],
) -> Result<(), WalletError> {
    let mut stmt = conn.prepare_cached(
        "SELECT 1 FROM pending_anchoring_leaves WHERE kind = ?1 AND resource_id = ?2",
    )?;
    for c in candidates {
        let kind = c.record.fields.kind;
        if stmt.exists((u64_to_sql(kind.code()), &c.resource_id))? {
            return Err(taken(resource_ref(kind, &c.resource_id)));
        }
    }
    let busy = conn
        .prepare_cached("SELECT 1 FROM pending_anchorings WHERE patient_name = ?1")?
        .exists([patient_name])?;
    if busy {
        return Err(taken(format!("patient {patient_name:?}")));
    }
    if let Some(p) = fhir {
        let busy = conn
            .prepare_cached("SELECT 1 FROM pending_anchorings WHERE fhir_reference = ?1")?
            .exists([&p.reference])?;
        if busy {
            return Err(taken(p.reference.clone()));
        }
        let mut stmt = conn
            .prepare_cached("SELECT 1 FROM pending_anchoring_identifiers WHERE identifier = ?1")?;
        for identifier in &p.identifiers {
            if stmt.exists([identifier])? {
                return Err(taken(format!("{}'s identifier {identifier}", p.reference)));
            }
        }
    }
    Ok(())
}

/// Writes an anchoring of `new` (each candidate with the leaves it supersedes) before its
/// submission; returns its id.
pub(super) fn store(
    conn: &Connection,
    patient_name: &str,
    fhir: Option<&FhirPatient>,
    new: &[(&RecordCandidate, Vec<u64>)],
    now: Timestamp,
) -> Result<u64, WalletError> {
    conn.prepare_cached(
        "INSERT INTO pending_anchorings (patient_name, created_at, fhir_reference)
         VALUES (?1, ?2, ?3)",
    )?
    .execute((
        patient_name,
        u64_to_sql(now.0),
        fhir.map(|p| p.reference.as_str()),
    ))?;
    let id = conn.last_insert_rowid();
    let mut leaf = conn.prepare_cached(
        "INSERT INTO pending_anchoring_leaves (anchoring, position, kind, resource_id, code,
             date, end_date, value, related_code, patient, coverage, digest, salt, identity)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut superseded = conn.prepare_cached(
        "INSERT INTO pending_anchoring_superseded (anchoring, leaf_index, position)
         VALUES (?1, ?2, ?3)",
    )?;
    for (position, (c, old)) in (0u64..).zip(new) {
        let (f, r) = (&c.record.fields, &c.record);
        leaf.execute(rusqlite::params![
            id,
            u64_to_sql(position),
            u64_to_sql(f.kind.code()),
            c.resource_id,
            fr_to_blob(&f.code.0),
            u64_to_sql(f.date.0),
            u64_to_sql(f.end_date.0),
            u64_to_sql(f.value.0),
            fr_to_blob(&f.related_code.0),
            fr_to_blob(&r.patient.0),
            fr_to_blob(&f.coverage.0),
            fr_to_blob(&f.digest.0),
            fr_to_blob(&r.salt.0),
            fr_to_blob(&f.identity.0),
        ])?;
        for &index in old {
            superseded.execute((id, u64_to_sql(index), u64_to_sql(position)))?;
        }
    }
    if let Some(p) = fhir {
        let mut identifier = conn.prepare_cached(
            "INSERT INTO pending_anchoring_identifiers (anchoring, identifier) VALUES (?1, ?2)",
        )?;
        for i in &p.identifiers {
            identifier.execute((id, i))?;
        }
    }
    u64::try_from(id).map_err(|_| CorruptValue::new("pending_anchorings.id", "negative").into())
}

/// The pending anchoring `id`, if there is one.
fn load(conn: &Connection, id: u64) -> Result<Option<PendingAnchoring>, WalletError> {
    let mut stmt = conn.prepare_cached(
        "SELECT patient_name, created_at, fhir_reference FROM pending_anchorings WHERE id = ?1",
    )?;
    let mut rows = stmt.query([u64_to_sql(id)])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let patient_name = text_col(row, 0, "pending_anchorings.patient_name")?;
    let created_at = Timestamp(u64_col(row, 1, "pending_anchorings.created_at")?);
    let reference = match row.get_ref(2)? {
        ValueRef::Null => None,
        _ => Some(text_col(row, 2, "pending_anchorings.fhir_reference")?),
    };
    let mut leaves = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT position, kind, resource_id, code, date, end_date, value, related_code,
                patient, coverage, digest, salt, identity
         FROM pending_anchoring_leaves WHERE anchoring = ?1 ORDER BY position",
    )?;
    let mut rows = stmt.query([u64_to_sql(id)])?;
    while let Some(row) = rows.next()? {
        // Positions are 0.. with no gap: the leaves are submitted in this order.
        if u64_col(row, 0, "pending_anchoring_leaves.position")? != leaves.len() as u64 {
            return Err(CorruptValue::new("pending_anchoring_leaves.position", "gap").into());
        }
        leaves.push(leaf_from_row(row)?);
    }
    if leaves.is_empty() {
        return Err(
            CorruptValue::new("pending_anchoring_leaves", "anchoring without leaves").into(),
        );
    }
    let mut stmt = conn.prepare_cached(
        "SELECT leaf_index, position FROM pending_anchoring_superseded WHERE anchoring = ?1
         ORDER BY leaf_index",
    )?;
    let mut rows = stmt.query([u64_to_sql(id)])?;
    while let Some(row) = rows.next()? {
        let index = u64_col(row, 0, "pending_anchoring_superseded.leaf_index")?;
        let position = u64_col(row, 1, "pending_anchoring_superseded.position")?;
        let leaf = usize::try_from(position)
            .ok()
            .and_then(|p| leaves.get_mut(p))
            .ok_or(CorruptValue::new(
                "pending_anchoring_superseded.position",
                "no such leaf",
            ))?;
        leaf.supersedes.push(index);
    }
    let fhir_patient = match reference {
        None => None,
        Some(reference) => {
            let mut stmt = conn.prepare_cached(
                "SELECT identifier FROM pending_anchoring_identifiers WHERE anchoring = ?1
                 ORDER BY identifier",
            )?;
            let mut rows = stmt.query([u64_to_sql(id)])?;
            let mut identifiers = Vec::new();
            while let Some(row) = rows.next()? {
                identifiers.push(text_col(
                    row,
                    0,
                    "pending_anchoring_identifiers.identifier",
                )?);
            }
            Some(FhirPatient {
                reference,
                identifiers,
            })
        }
    };
    Ok(Some(PendingAnchoring {
        id,
        patient_name,
        leaves,
        fhir_patient,
        created_at,
    }))
}

fn leaf_from_row(row: &rusqlite::Row<'_>) -> Result<PendingLeaf, WalletError> {
    let kind = RecordKind::from_code(u64_col(row, 1, "pending_anchoring_leaves.kind")?).ok_or(
        CorruptValue::new("pending_anchoring_leaves.kind", "unknown record kind"),
    )?;
    Ok(PendingLeaf {
        resource_id: text_col(row, 2, "pending_anchoring_leaves.resource_id")?,
        record: Record {
            fields: RecordFields {
                kind,
                code: CodeId(fr_col(row, 3, "pending_anchoring_leaves.code")?),
                date: EpochDay(u64_col(row, 4, "pending_anchoring_leaves.date")?),
                end_date: EpochDay(u64_col(row, 5, "pending_anchoring_leaves.end_date")?),
                value: ScaledValue(u64_col(row, 6, "pending_anchoring_leaves.value")?),
                related_code: CodeId(fr_col(row, 7, "pending_anchoring_leaves.related_code")?),
                coverage: CodeId(fr_col(row, 9, "pending_anchoring_leaves.coverage")?),
                digest: ResourceDigest(fr_col(row, 10, "pending_anchoring_leaves.digest")?),
                identity: ResourceIdentity(fr_col(row, 12, "pending_anchoring_leaves.identity")?),
            },
            patient: IdentityId(fr_col(row, 8, "pending_anchoring_leaves.patient")?),
            salt: RecordSalt(fr_col(row, 11, "pending_anchoring_leaves.salt")?),
        },
        supersedes: Vec::new(),
    })
}

/// Forgets the pending anchoring `id` (if any).
fn delete(conn: &Connection, id: u64) -> Result<(), WalletError> {
    let id = u64_to_sql(id);
    // Children first, so this holds without foreign-key enforcement too.
    for table in [
        "pending_anchoring_superseded",
        "pending_anchoring_identifiers",
        "pending_anchoring_leaves",
    ] {
        conn.execute(&format!("DELETE FROM {table} WHERE anchoring = ?1"), [id])?;
    }
    conn.execute("DELETE FROM pending_anchorings WHERE id = ?1", [id])?;
    Ok(())
}

/// Settles the pending anchoring `id` whose leaves the registry holds from `first` on, in
/// the caller's transaction: marks the leaves they supersede, stores the openings, binds the
/// FHIR patient and forgets the pending anchoring. Returns whether it was pending.
pub(super) fn settle(conn: &Connection, id: u64, first: u64) -> Result<bool, WalletError> {
    let Some(pending) = load(conn, id)? else {
        return Ok(false);
    };
    for (leaf, index) in pending.leaves.iter().zip(first..) {
        // Superseded rows first: the new row is then the resource's only live one.
        anchor::supersede(conn, &leaf.supersedes, index)?;
        anchor::insert(
            conn,
            index,
            &leaf.resource_id,
            &leaf.record,
            &pending.patient_name,
            pending.created_at,
        )?;
    }
    if let Some(p) = &pending.fhir_patient {
        binding::bind(conn, &pending.patient_name, p, pending.created_at)?;
    }
    delete(conn, id)?;
    Ok(true)
}

impl Wallet {
    /// Every pending anchoring (module docs), oldest first.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt value.
    pub fn pending_anchorings(&self) -> Result<Vec<PendingAnchoring>, WalletError> {
        // One read transaction: a snapshot, so a concurrent settle cannot tear an anchoring.
        let tx = self.conn.unchecked_transaction()?;
        let mut stmt = tx.prepare_cached("SELECT id FROM pending_anchorings ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut ids = Vec::new();
        while let Some(row) = rows.next()? {
            ids.push(u64_col(row, 0, "pending_anchorings.id")?);
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(p) = load(&tx, id)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Settles the pending anchoring `id`, whose leaves the registry holds at `first_index`
    /// on, in one transaction: the openings are stored at `first_index..`, the leaves they
    /// supersede marked, the FHIR patient bound. Returns `false` if nothing is pending under
    /// `id` (settled or dropped already, by another run).
    ///
    /// # Errors
    ///
    /// A database error (also for an opening already stored at one of the indices) or a
    /// corrupt value; the anchoring stays pending.
    pub fn settle_anchoring(&mut self, id: u64, first_index: u64) -> Result<bool, WalletError> {
        let tx = self.begin()?;
        let settled = settle(&tx, id, first_index)?;
        tx.commit()?;
        Ok(settled)
    }

    /// Forgets the pending anchoring `id`, which the registry refused for good (it holds
    /// none of its leaves, and never will), so it is not sent again and its resources can
    /// be anchored anew.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn drop_anchoring(&mut self, id: u64) -> Result<(), WalletError> {
        let tx = self.begin()?;
        delete(&tx, id)?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
