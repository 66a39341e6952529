//! The custodian's record openings: for each anchored leaf, the full tuple (salt included),
//! the leaf index, which resource it fingerprints, its leaf version and whether a later
//! version replaced it. The registry never sees any of this. Anchoring (which resources are
//! new, new versions or already anchored, and which leaves they supersede) is in [`anchor`],
//! anchorings written before their submission in [`pending`]; the bundle's FHIR patient and
//! its binding in [`crate::binding`].
//!
//! An opening is *provable* when its leaf is in the tree and the current circuits can open
//! it ([`RecordOpening::provable`]): not superseded, and committed with the current leaf
//! layout ([`RECORD_LEAF_VERSION`]). Openings from a wallet older than schema version 4 are
//! kept with [`RECORD_LEAF_VERSION_TEN_FIELDS`]: their leaves are in the tree, but they
//! commit ten fields (no identity), which the current circuits cannot prove; anchoring the
//! bundle again anchors current leaves that supersede them.

use super::{Wallet, WalletError};
use rusqlite::{types::ValueRef, Connection, OptionalExtension};
use zkconsent_circuits::{
    record::{Record, RecordFields, RecordKind, ResourceIdentity, ScaledValue, RECORD_FIELDS},
    types::{CodeId, EpochDay, IdentityId, RecordSalt, ResourceDigest, Timestamp},
};
use zkconsent_store::codec::{
    fr_col, fr_from_blob, opt_u64_col, text_col, u64_col, u64_to_sql, CorruptValue,
};

pub mod anchor;
pub mod import;
pub mod pending;

pub use anchor::{AnchorStatus, AnchoredRecord, RecordCandidate, RecordSource};
pub use pending::{PendingAnchoring, PendingLeaf};
// The pending anchorings tables (schema version 5).
pub(crate) use pending::TABLES as PENDING_TABLES;

/// Leaf layout of the openings this build writes: the 11-field leaf (identity included).
pub const RECORD_LEAF_VERSION: u32 = 3;
/// Leaf layout of openings written before wallet schema version 4: the 10-field leaf of
/// record circuit version 2, without the identity.
pub const RECORD_LEAF_VERSION_TEN_FIELDS: u32 = 2;

// A change of the leaf's field count is a new leaf version: bump it with the circuits.
const _: () = assert!(
    RECORD_FIELDS == 11,
    "the record leaf changed: bump RECORD_LEAF_VERSION"
);

/// The record openings table (since wallet schema version 2; this layout since 4). The
/// literals 2 and 3 are [`RECORD_LEAF_VERSION_TEN_FIELDS`] and [`RECORD_LEAF_VERSION`].
pub(super) const TABLES: &str = "
-- Openings of the registry's record leaves, keyed by leaf index; one row per anchored
-- resource version.
CREATE TABLE records (
    leaf_index    INTEGER PRIMARY KEY,
    kind          INTEGER NOT NULL,
    resource_id   TEXT NOT NULL,
    code          BLOB NOT NULL,
    date          INTEGER NOT NULL,
    end_date      INTEGER NOT NULL,
    value         INTEGER NOT NULL,
    related_code  BLOB NOT NULL,
    patient       BLOB NOT NULL,
    coverage      BLOB NOT NULL,
    digest        BLOB NOT NULL,
    salt          BLOB NOT NULL,
    patient_name  TEXT NOT NULL,
    anchored_at   INTEGER NOT NULL,
    -- NULL exactly for leaf version 2, whose 10-field leaf does not commit it.
    identity      BLOB,
    leaf_version  INTEGER NOT NULL CHECK (leaf_version IN (2, 3)),
    -- The leaf of the later version that replaced this one (the registry emptied this leaf).
    superseded_by INTEGER,
    CHECK ((identity IS NULL) = (leaf_version = 2))
);
CREATE INDEX records_by_resource ON records (kind, resource_id, leaf_index);
-- At most one live current-version leaf per resource.
CREATE UNIQUE INDEX records_live ON records (kind, resource_id)
    WHERE superseded_by IS NULL AND leaf_version = 3;
";

/// Rebuilds a schema 2 or 3 `records` table in the current layout, its rows marked as leaf
/// version 2 (no identity, not superseded: their leaves are still in the tree). SQLite
/// cannot drop the old `UNIQUE (kind, resource_id, digest)`, which a re-anchored resource
/// would break, hence the copy.
pub(super) fn upgrade_ten_field_leaves(conn: &Connection) -> Result<(), WalletError> {
    conn.execute_batch(&format!(
        "DROP INDEX records_by_resource;
         ALTER TABLE records RENAME TO records_ten_field_leaves;
         {TABLES}
         INSERT INTO records (leaf_index, kind, resource_id, code, date, end_date, value,
                 related_code, patient, coverage, digest, salt, patient_name, anchored_at,
                 identity, leaf_version, superseded_by)
             SELECT leaf_index, kind, resource_id, code, date, end_date, value,
                 related_code, patient, coverage, digest, salt, patient_name, anchored_at,
                 NULL, {RECORD_LEAF_VERSION_TEN_FIELDS}, NULL
             FROM records_ten_field_leaves;
         DROP TABLE records_ten_field_leaves;"
    ))?;
    Ok(())
}

/// A record opening: everything needed to prove facts about the leaf at `index`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordOpening {
    /// Leaf index in the registry's records tree.
    pub index: u64,
    /// The FHIR resource id.
    pub resource_id: String,
    /// The committed tuple, salt included. For leaf version
    /// [`RECORD_LEAF_VERSION_TEN_FIELDS`] the identity was not committed and is zero here,
    /// so `record.commit()` is not its leaf.
    pub record: Record,
    /// The patient's name (for display).
    pub patient_name: String,
    /// When it was anchored.
    pub anchored_at: Timestamp,
    /// The leaf layout it was committed with ([`RECORD_LEAF_VERSION`] or
    /// [`RECORD_LEAF_VERSION_TEN_FIELDS`]).
    pub leaf_version: u32,
    /// The leaf of the later version that replaced it, if one did: the registry emptied
    /// this leaf, and the opening is kept for audit only.
    pub superseded_by: Option<u64>,
}

impl std::fmt::Debug for RecordOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Record's own Debug omits the salt and the clinical content.
        f.debug_struct("RecordOpening")
            .field("index", &self.index)
            .field("resource_id", &self.resource_id)
            .field("record", &self.record)
            .field("patient_name", &self.patient_name)
            .field("anchored_at", &self.anchored_at)
            .field("leaf_version", &self.leaf_version)
            .field("superseded_by", &self.superseded_by)
            .finish()
    }
}

/// `Type/id` of a resource.
pub(crate) fn resource_ref(kind: RecordKind, id: &str) -> String {
    format!("{}/{id}", kind.resource_type())
}

/// Column `idx` as an optional field element (`NULL` or a canonical 32-byte BLOB).
fn opt_fr_col(
    row: &rusqlite::Row<'_>,
    idx: usize,
    column: &'static str,
) -> Result<Option<ark_bn254::Fr>, WalletError> {
    match row.get_ref(idx)? {
        ValueRef::Null => Ok(None),
        ValueRef::Blob(b) => Ok(Some(fr_from_blob(b, column)?)),
        _ => Err(CorruptValue::new(column, "field element is not a BLOB or NULL").into()),
    }
}

impl RecordOpening {
    /// `Type/id`.
    pub fn resource(&self) -> String {
        resource_ref(self.record.fields.kind, &self.resource_id)
    }

    /// Whether a proof can be made about this leaf: it is in the tree (not superseded) and
    /// committed with the current layout.
    ///
    /// # Errors
    ///
    /// [`WalletError::SupersededRecord`] or [`WalletError::OldRecordLeaf`], each saying what
    /// to do instead.
    pub fn provable(&self) -> Result<(), WalletError> {
        if let Some(by) = self.superseded_by {
            return Err(WalletError::SupersededRecord {
                resource: self.resource(),
                index: self.index,
                by,
            });
        }
        if self.leaf_version != RECORD_LEAF_VERSION {
            return Err(WalletError::OldRecordLeaf {
                resource: self.resource(),
                index: self.index,
                leaf_version: self.leaf_version,
            });
        }
        Ok(())
    }

    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, WalletError> {
        let kind = RecordKind::from_code(u64_col(row, 1, "records.kind")?)
            .ok_or(CorruptValue::new("records.kind", "unknown record kind"))?;
        // The identity is committed exactly from the current leaf version on.
        let (leaf_version, identity) = match (
            u64_col(row, 15, "records.leaf_version")?,
            opt_fr_col(row, 14, "records.identity")?,
        ) {
            (v, Some(id)) if v == u64::from(RECORD_LEAF_VERSION) => {
                (RECORD_LEAF_VERSION, ResourceIdentity(id))
            }
            (v, None) if v == u64::from(RECORD_LEAF_VERSION_TEN_FIELDS) => {
                (RECORD_LEAF_VERSION_TEN_FIELDS, ResourceIdentity::default())
            }
            _ => {
                return Err(CorruptValue::new(
                    "records.leaf_version",
                    "unknown leaf version, or an identity that does not match it",
                )
                .into())
            }
        };
        Ok(Self {
            index: u64_col(row, 0, "records.leaf_index")?,
            resource_id: text_col(row, 2, "records.resource_id")?,
            record: Record {
                fields: RecordFields {
                    kind,
                    code: CodeId(fr_col(row, 3, "records.code")?),
                    date: EpochDay(u64_col(row, 4, "records.date")?),
                    end_date: EpochDay(u64_col(row, 5, "records.end_date")?),
                    value: ScaledValue(u64_col(row, 6, "records.value")?),
                    related_code: CodeId(fr_col(row, 7, "records.related_code")?),
                    coverage: CodeId(fr_col(row, 9, "records.coverage")?),
                    digest: ResourceDigest(fr_col(row, 10, "records.digest")?),
                    identity,
                },
                patient: IdentityId(fr_col(row, 8, "records.patient")?),
                salt: RecordSalt(fr_col(row, 11, "records.salt")?),
            },
            patient_name: text_col(row, 12, "records.patient_name")?,
            anchored_at: Timestamp(u64_col(row, 13, "records.anchored_at")?),
            leaf_version,
            superseded_by: opt_u64_col(row, 16, "records.superseded_by")?,
        })
    }
}

const RECORD_COLUMNS: &str = "SELECT leaf_index, kind, resource_id, code, date, end_date, value,
    related_code, patient, coverage, digest, salt, patient_name, anchored_at, identity,
    leaf_version, superseded_by FROM records";

impl Wallet {
    /// Every record opening, by leaf index, superseded and old-version ones included (each
    /// flagged: [`RecordOpening::provable`]). A prover picks among the provable ones; the
    /// Conditions a condition summary listed are rebuilt from all of them, since a later
    /// version may have replaced one after the summary.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt value.
    pub fn record_openings(&self) -> Result<Vec<RecordOpening>, WalletError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{RECORD_COLUMNS} ORDER BY leaf_index"))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(RecordOpening::from_row(row)?);
        }
        Ok(out)
    }

    /// The opening of the record leaf at `index`, to prove with: `None` if the wallet has
    /// none, an error if it has one that cannot be proved.
    ///
    /// # Errors
    ///
    /// [`WalletError::SupersededRecord`] (a later version replaced it),
    /// [`WalletError::OldRecordLeaf`] (anchored under leaf version 2: anchor the bundle
    /// again), a database error or a corrupt value.
    pub fn record_opening(&self, index: u64) -> Result<Option<RecordOpening>, WalletError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{RECORD_COLUMNS} WHERE leaf_index = ?1"))?;
        let opening = stmt
            .query_row([u64_to_sql(index)], |row| Ok(RecordOpening::from_row(row)))
            .optional()?
            .transpose()?;
        if let Some(o) = &opening {
            o.provable()?;
        }
        Ok(opening)
    }
}

#[cfg(test)]
mod tests;
