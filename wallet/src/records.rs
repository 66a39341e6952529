//! The custodian's record openings: for each anchored leaf, the full tuple (salt included),
//! the leaf index and which resource it fingerprints. The registry never sees any of this.
//!
//! Idempotency lives here, because only the custodian knows which resource a salted leaf
//! commits to. The key is `(kind, resource id, digest)`:
//! - the identical resource again is reported as already anchored, with its leaf index;
//! - the same `Type/id` with another digest (the resource changed) is anchored as a new
//!   version, a new leaf; the old leaf stays (the tree is append-only), so a proof about an
//!   older version remains a proof about what was anchored then;
//! - a resource anchored for one patient is never re-anchored for another.
//!
//! [`Wallet::anchor_records`] decides all this inside one wallet write transaction, calls the
//! registry to append the new leaves while holding it, then stores the openings, so two
//! concurrent anchorings of one bundle cannot both count a resource as new.

use super::{Wallet, WalletError};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use zkconsent_circuits::{
    record::{Record, RecordFields, RecordKind, ScaledValue},
    types::{
        CodeId, EpochDay, IdentityId, RecordCommitment, RecordSalt, ResourceDigest, Timestamp,
    },
};
use zkconsent_store::{
    codec::{fr_col, fr_to_blob, text_col, u64_col, u64_to_sql, CorruptValue},
    identity::is_valid_name,
    sql::write_tx,
};

/// The record openings table (since wallet schema version 2).
pub(super) const TABLES: &str = "
-- Openings of the registry's record leaves, keyed by leaf index; one row per anchored
-- resource version.
CREATE TABLE records (
    leaf_index   INTEGER PRIMARY KEY,
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
    patient_name TEXT NOT NULL,
    anchored_at  INTEGER NOT NULL,
    UNIQUE (kind, resource_id, digest)
);
CREATE INDEX records_by_resource ON records (kind, resource_id, leaf_index);
";

/// A record opening: everything needed to prove facts about the leaf at `index`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordOpening {
    /// Leaf index in the registry's records tree.
    pub index: u64,
    /// The FHIR resource id.
    pub resource_id: String,
    /// The committed tuple, salt included.
    pub record: Record,
    /// The patient's name (for display).
    pub patient_name: String,
    /// When it was anchored.
    pub anchored_at: Timestamp,
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
            .finish()
    }
}

/// `Type/id` of a resource.
fn resource_ref(kind: RecordKind, id: &str) -> String {
    format!("{}/{id}", kind.resource_type())
}

impl RecordOpening {
    /// `Type/id`.
    pub fn resource(&self) -> String {
        resource_ref(self.record.fields.kind, &self.resource_id)
    }

    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, WalletError> {
        let kind = RecordKind::from_code(u64_col(row, 1, "records.kind")?)
            .ok_or(CorruptValue::new("records.kind", "unknown record kind"))?;
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
                },
                patient: IdentityId(fr_col(row, 8, "records.patient")?),
                salt: RecordSalt(fr_col(row, 11, "records.salt")?),
            },
            patient_name: text_col(row, 12, "records.patient_name")?,
            anchored_at: Timestamp(u64_col(row, 13, "records.anchored_at")?),
        })
    }
}

const RECORD_COLUMNS: &str = "SELECT leaf_index, kind, resource_id, code, date, end_date, value,
    related_code, patient, coverage, digest, salt, patient_name, anchored_at FROM records";

/// A resource offered for anchoring: its id and its full tuple (with a fresh salt, used only
/// if the resource turns out to be new).
#[derive(Clone, Debug)]
pub struct RecordCandidate {
    /// The FHIR resource id.
    pub resource_id: String,
    /// The tuple to commit.
    pub record: Record,
}

/// What anchoring did with one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorStatus {
    /// First anchoring of this `Type/id`.
    Anchored,
    /// This `Type/id` was anchored before with another digest; this is a new version.
    NewVersion {
        /// Leaf index of the latest earlier version.
        previous: u64,
    },
    /// The identical resource is already anchored (nothing appended).
    AlreadyAnchored,
}

impl AnchorStatus {
    /// [`AnchorStatus::Anchored`]'s name.
    pub const ANCHORED: &'static str = "anchored";
    /// [`AnchorStatus::NewVersion`]'s name (whatever the previous leaf).
    pub const NEW_VERSION: &'static str = "new_version";
    /// [`AnchorStatus::AlreadyAnchored`]'s name.
    pub const ALREADY_ANCHORED: &'static str = "already_anchored";

    /// Short name for output: `anchored`, `new_version`, `already_anchored`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anchored => Self::ANCHORED,
            Self::NewVersion { .. } => Self::NEW_VERSION,
            Self::AlreadyAnchored => Self::ALREADY_ANCHORED,
        }
    }
}

/// One resource's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchoredRecord {
    /// Its kind.
    pub kind: RecordKind,
    /// Its FHIR id.
    pub resource_id: String,
    /// Its leaf index (the existing one when already anchored).
    pub index: u64,
    /// What happened.
    pub status: AnchorStatus,
}

/// A leaf index known now, or the position of a leaf in this batch (known after appending).
#[derive(Clone, Copy)]
enum Slot {
    Stored(u64),
    Pending(u64),
}

/// A candidate's outcome before the batch's leaves have indices.
enum Outcome {
    /// The identical resource is anchored (or earlier in this batch) at this slot.
    Already(Slot),
    /// Appended at this batch position; `previous` is the latest earlier version, if any.
    New { pos: u64, previous: Option<Slot> },
}

/// `(leaf index, patient, patient name)` of the first opening that `filter` picks (a
/// `WHERE` clause and order on the `records` table).
fn first_opening(
    conn: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> Result<Option<(u64, IdentityId, String)>, WalletError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT leaf_index, patient, patient_name FROM records {filter}"
    ))?;
    let mut rows = stmt.query(params)?;
    match rows.next()? {
        Some(row) => Ok(Some((
            u64_col(row, 0, "records.leaf_index")?,
            IdentityId(fr_col(row, 1, "records.patient")?),
            text_col(row, 2, "records.patient_name")?,
        ))),
        None => Ok(None),
    }
}

/// This exact resource version (the same digest), if anchored.
fn existing_leaf(
    conn: &Connection,
    c: &RecordCandidate,
) -> Result<Option<(u64, IdentityId, String)>, WalletError> {
    first_opening(
        conn,
        "WHERE kind = ?1 AND resource_id = ?2 AND digest = ?3",
        (
            u64_to_sql(c.record.fields.kind.code()),
            &c.resource_id,
            fr_to_blob(&c.record.fields.digest.0),
        ),
    )
}

/// The latest anchored version of the candidate's `Type/id`, if any.
fn latest_version(
    conn: &Connection,
    c: &RecordCandidate,
) -> Result<Option<(u64, IdentityId, String)>, WalletError> {
    first_opening(
        conn,
        "WHERE kind = ?1 AND resource_id = ?2 ORDER BY leaf_index DESC LIMIT 1",
        (u64_to_sql(c.record.fields.kind.code()), &c.resource_id),
    )
}

fn insert(
    conn: &Connection,
    index: u64,
    c: &RecordCandidate,
    patient_name: &str,
    now: Timestamp,
) -> Result<(), WalletError> {
    let f = &c.record.fields;
    conn.prepare_cached(
        "INSERT INTO records (leaf_index, kind, resource_id, code, date, end_date, value,
             related_code, patient, coverage, digest, salt, patient_name, anchored_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(rusqlite::params![
        u64_to_sql(index),
        u64_to_sql(f.kind.code()),
        c.resource_id,
        fr_to_blob(&f.code.0),
        u64_to_sql(f.date.0),
        u64_to_sql(f.end_date.0),
        u64_to_sql(f.value.0),
        fr_to_blob(&f.related_code.0),
        fr_to_blob(&c.record.patient.0),
        fr_to_blob(&f.coverage.0),
        fr_to_blob(&f.digest.0),
        fr_to_blob(&c.record.salt.0),
        patient_name,
        u64_to_sql(now.0),
    ])?;
    Ok(())
}

impl Wallet {
    /// Anchors the new resources among `candidates` (all for the patient named
    /// `patient_name`, whose id is in each record): decides which are new, new versions or
    /// already anchored (module docs), calls `append` with the new leaves in order (it
    /// returns the first leaf index the registry assigned), and stores their openings.
    /// `append` is not called when nothing is new. Returns one outcome per candidate, in
    /// order.
    ///
    /// # Errors
    ///
    /// [`WalletError::InvalidName`], [`WalletError::RecordOfAnotherPatient`], `append`'s
    /// error (nothing changes), [`WalletError::OpeningsLost`] if storing the openings failed
    /// after `append` succeeded, or a database error.
    pub fn anchor_records<E: From<WalletError>>(
        &mut self,
        candidates: &[RecordCandidate],
        patient_name: &str,
        now: Timestamp,
        append: impl FnOnce(&[RecordCommitment]) -> Result<u64, E>,
    ) -> Result<Vec<AnchoredRecord>, E> {
        if !is_valid_name(patient_name) {
            return Err(WalletError::InvalidName.into());
        }
        let tx = write_tx(&mut self.conn).map_err(WalletError::from)?;
        // Per (kind, id): the latest version in this batch; per (kind, id, digest): its slot.
        let mut batch_latest: HashMap<(RecordKind, &str), u64> = HashMap::new();
        let mut batch_exact: HashMap<(RecordKind, &str, ResourceDigest), u64> = HashMap::new();
        let mut new: Vec<&RecordCandidate> = Vec::new();
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(candidates.len());
        for c in candidates {
            let kind = c.record.fields.kind;
            let id = c.resource_id.as_str();
            let another_patient = |patient: IdentityId, name: String| {
                (patient != c.record.patient).then(|| WalletError::RecordOfAnotherPatient {
                    resource: resource_ref(kind, id),
                    patient: name,
                })
            };
            if let Some((index, patient, name)) = existing_leaf(&tx, c)? {
                if let Some(e) = another_patient(patient, name) {
                    return Err(e.into());
                }
                outcomes.push(Outcome::Already(Slot::Stored(index)));
                continue;
            }
            if let Some(&pos) = batch_exact.get(&(kind, id, c.record.fields.digest)) {
                outcomes.push(Outcome::Already(Slot::Pending(pos)));
                continue;
            }
            let previous = match batch_latest.get(&(kind, id)) {
                Some(&pos) => Some(Slot::Pending(pos)),
                None => match latest_version(&tx, c)? {
                    Some((index, patient, name)) => {
                        if let Some(e) = another_patient(patient, name) {
                            return Err(e.into());
                        }
                        Some(Slot::Stored(index))
                    }
                    None => None,
                },
            };
            let pos = new.len() as u64;
            new.push(c);
            batch_latest.insert((kind, id), pos);
            batch_exact.insert((kind, id, c.record.fields.digest), pos);
            outcomes.push(Outcome::New { pos, previous });
        }
        let first = if new.is_empty() {
            0
        } else {
            let leaves: Vec<RecordCommitment> = new.iter().map(|c| c.record.commit()).collect();
            let first = append(&leaves)?;
            let stored = new
                .iter()
                .zip(first..)
                .try_for_each(|(c, index)| insert(&tx, index, c, patient_name, now));
            if let Err(e) = stored.and_then(|()| tx.commit().map_err(WalletError::from)) {
                return Err(WalletError::OpeningsLost {
                    first,
                    end: first + new.len() as u64,
                    reason: e.to_string(),
                }
                .into());
            }
            first
        };
        let resolve = |slot: Slot| match slot {
            Slot::Stored(index) => index,
            Slot::Pending(pos) => first + pos,
        };
        Ok(candidates
            .iter()
            .zip(outcomes)
            .map(|(c, outcome)| {
                let (index, status) = match outcome {
                    Outcome::Already(slot) => (resolve(slot), AnchorStatus::AlreadyAnchored),
                    Outcome::New {
                        pos,
                        previous: None,
                    } => (first + pos, AnchorStatus::Anchored),
                    Outcome::New {
                        pos,
                        previous: Some(p),
                    } => (
                        first + pos,
                        AnchorStatus::NewVersion {
                            previous: resolve(p),
                        },
                    ),
                };
                AnchoredRecord {
                    kind: c.record.fields.kind,
                    resource_id: c.resource_id.clone(),
                    index,
                    status,
                }
            })
            .collect())
    }

    /// Every record opening, by leaf index.
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

    /// The opening of the record leaf at `index`, if the wallet has it.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt value.
    pub fn record_opening(&self, index: u64) -> Result<Option<RecordOpening>, WalletError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{RECORD_COLUMNS} WHERE leaf_index = ?1"))?;
        stmt.query_row([u64_to_sql(index)], |row| Ok(RecordOpening::from_row(row)))
            .optional()?
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ark_bn254::Fr;
    use rand::{rngs::StdRng, SeedableRng};
    use zkconsent_circuits::types::SecretKey;
    use zkconsent_store::Role;

    fn candidate(rng: &mut StdRng, patient: IdentityId, id: &str, digest: u64) -> RecordCandidate {
        RecordCandidate {
            resource_id: id.into(),
            record: Record {
                fields: RecordFields {
                    kind: RecordKind::Condition,
                    code: CodeId(Fr::from(5u64)),
                    date: EpochDay(18_000),
                    end_date: EpochDay::NONE,
                    value: ScaledValue(u64::MAX), // all 64 bits survive the INTEGER column
                    related_code: CodeId::default(),
                    coverage: CodeId::default(),
                    digest: ResourceDigest(Fr::from(digest)),
                },
                patient,
                salt: RecordSalt::random(rng),
            },
        }
    }

    /// A fake registry: appends after `base` leaves.
    fn appender(
        log: &mut Vec<Vec<RecordCommitment>>,
        base: u64,
    ) -> impl FnOnce(&[RecordCommitment]) -> Result<u64, WalletError> + '_ {
        move |leaves| {
            let first = base + log.iter().map(|l| l.len() as u64).sum::<u64>();
            log.push(leaves.to_vec());
            Ok(first)
        }
    }

    #[test]
    fn new_versions_and_repeats_are_reported_and_openings_round_trip() {
        let mut rng = StdRng::seed_from_u64(71);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.db");
        let mut w = Wallet::create(&path).unwrap();
        let alice = SecretKey::random(&mut rng).id();
        let a1 = candidate(&mut rng, alice, "c1", 1);
        let b1 = candidate(&mut rng, alice, "c2", 1);
        let a1_again = candidate(&mut rng, alice, "c1", 1); // same resource, fresh salt
        let a2 = candidate(&mut rng, alice, "c1", 2); // changed resource
        let mut log = Vec::new();
        let out = w
            .anchor_records(
                &[a1.clone(), b1, a1_again.clone(), a2],
                "alice",
                Timestamp(9),
                appender(&mut log, 10),
            )
            .unwrap();
        let got: Vec<_> = out
            .iter()
            .map(|o| (o.resource_id.as_str(), o.index, o.status))
            .collect();
        assert_eq!(
            got,
            [
                ("c1", 10, AnchorStatus::Anchored),
                ("c2", 11, AnchorStatus::Anchored),
                ("c1", 10, AnchorStatus::AlreadyAnchored),
                ("c1", 12, AnchorStatus::NewVersion { previous: 10 }),
            ]
        );
        assert_eq!(log.len(), 1);
        assert_eq!(
            log[0],
            vec![a1.record.commit(), out_leaf(&w, 11), out_leaf(&w, 12)]
        );
        // Again: everything already anchored, nothing appended.
        let out = w
            .anchor_records(
                &[a1_again],
                "alice",
                Timestamp(10),
                |_: &[RecordCommitment]| -> Result<u64, WalletError> { panic!("nothing is new") },
            )
            .unwrap();
        assert_eq!(
            (out[0].index, out[0].status),
            (10, AnchorStatus::AlreadyAnchored)
        );
        // A third version follows the latest stored one.
        let a3 = candidate(&mut rng, alice, "c1", 3);
        let mut log = Vec::new();
        let out = w
            .anchor_records(&[a3], "alice", Timestamp(11), appender(&mut log, 13))
            .unwrap();
        assert_eq!(
            (out[0].index, out[0].status),
            (13, AnchorStatus::NewVersion { previous: 12 })
        );
        // Openings round-trip, salt and all, and Debug hides the salt.
        let openings = w.record_openings().unwrap();
        assert_eq!(openings.len(), 4);
        assert_eq!(openings[0].record, a1.record);
        assert_eq!(openings[0].record.commit(), a1.record.commit());
        assert_eq!(
            (openings[0].resource(), openings[0].anchored_at),
            ("Condition/c1".to_string(), Timestamp(9))
        );
        assert_eq!(w.record_opening(13).unwrap().unwrap().index, 13);
        assert!(w.record_opening(99).unwrap().is_none());
        let shown = format!("{openings:?}");
        assert!(
            !shown.contains(&zkconsent_circuits::fr_to_hex(&a1.record.salt.0)),
            "{shown}"
        );
    }

    fn out_leaf(w: &Wallet, index: u64) -> RecordCommitment {
        w.record_opening(index).unwrap().unwrap().record.commit()
    }

    #[test]
    fn another_patients_resource_and_a_failed_append_change_nothing() {
        let mut rng = StdRng::seed_from_u64(72);
        let dir = tempfile::tempdir().unwrap();
        let mut w = Wallet::create(dir.path().join("wallet.db")).unwrap();
        w.add_identity("alice", Role::Patient, &SecretKey::random(&mut rng))
            .unwrap();
        let (alice, bob) = (
            SecretKey::random(&mut rng).id(),
            SecretKey::random(&mut rng).id(),
        );
        let mut log = Vec::new();
        w.anchor_records(
            &[candidate(&mut rng, alice, "c1", 1)],
            "alice",
            Timestamp(1),
            appender(&mut log, 0),
        )
        .unwrap();
        for digest in [1, 2] {
            let e = w
                .anchor_records(
                    &[candidate(&mut rng, bob, "c1", digest)],
                    "bob",
                    Timestamp(2),
                    appender(&mut log, 1),
                )
                .unwrap_err();
            assert!(
                matches!(e, WalletError::RecordOfAnotherPatient { ref patient, .. } if patient == "alice"),
                "{e}"
            );
        }
        let e = w
            .anchor_records(
                &[candidate(&mut rng, alice, "c9", 1)],
                "alice",
                Timestamp(2),
                |_: &[RecordCommitment]| Err(WalletError::UnknownGrant(0)),
            )
            .unwrap_err();
        assert!(matches!(e, WalletError::UnknownGrant(0)));
        assert_eq!(w.record_openings().unwrap().len(), 1);
        assert!(matches!(
            w.anchor_records(&[], " bad", Timestamp(2), appender(&mut log, 1)),
            Err(WalletError::InvalidName)
        ));
    }

    #[test]
    fn a_version_1_wallet_is_upgraded_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.db");
        let w = Wallet::create(&path).unwrap();
        w.conn
            .execute_batch(
                "DROP TABLE records; DROP TABLE requests;
                 UPDATE meta SET value = '1' WHERE key = 'schema_version';",
            )
            .unwrap();
        drop(w);
        let w = Wallet::open(&path).unwrap();
        assert!(w.record_openings().unwrap().is_empty());
        w.conn
            .execute(
                "UPDATE meta SET value = '7' WHERE key = 'schema_version'",
                [],
            )
            .unwrap();
        drop(w);
        assert!(matches!(
            Wallet::open(&path),
            Err(WalletError::SchemaVersion { .. })
        ));
    }
}
