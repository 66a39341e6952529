//! Record openings handed over by the custodian and stored in the patient's wallet, so the
//! patient can prove statements (Cohort) about leaves someone else anchored.
//!
//! The caller has checked each opening against the registry (its commitment is the leaf at
//! its index). This module checks what only the wallet knows: the patient is an identity of
//! this wallet, the openings commit to that patient's id, and they agree with what the
//! wallet holds already. Importing the same openings again changes nothing; an opening at a
//! leaf that already holds a different one is refused. A live opening of a resource replaces
//! (marks superseded) an older live opening of the same resource, as anchoring does: the
//! registry emptied that older leaf when the newer version was anchored.

use super::{
    anchor, resource_ref, RecordOpening, Wallet, WalletError, RECORD_COLUMNS, RECORD_LEAF_VERSION,
};
use rusqlite::{Connection, OptionalExtension};
use zkconsent_store::{
    codec::{u64_col, u64_to_sql},
    identity::is_valid_name,
    Role,
};

/// Why record openings were not imported.
#[derive(Debug, thiserror::Error)]
pub enum RecordImportError {
    /// A wallet failure (database, corrupt value, unknown identity).
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The named identity is in the wallet but is not a patient.
    #[error("{name:?} is a {role}, not a patient: record openings are imported for patients")]
    NotAPatient {
        /// The identity's name.
        name: String,
        /// Its role.
        role: Role,
    },
    /// An opening commits to another patient's id than the wallet's patient.
    #[error("the record opening at leaf {index} is about another patient than {name:?}")]
    AnotherPatient {
        /// Leaf index.
        index: u64,
        /// The wallet's patient.
        name: String,
    },
    /// An opening of a leaf layout this build cannot prove.
    #[error("the record opening at leaf {index} is of leaf version {leaf_version}, not {RECORD_LEAF_VERSION}")]
    OldLeafVersion {
        /// Leaf index.
        index: u64,
        /// Its leaf version.
        leaf_version: u32,
    },
    /// The wallet holds a different opening at this leaf.
    #[error("this wallet already holds a different record opening at leaf {index}")]
    Conflicting {
        /// Leaf index.
        index: u64,
    },
    /// The wallet holds a later live version of the same resource: the offered one is stale.
    #[error(
        "{resource} at leaf {index} is older than the version this wallet holds at leaf {held}"
    )]
    Stale {
        /// `Type/id`.
        resource: String,
        /// The offered leaf.
        index: u64,
        /// The later leaf the wallet holds.
        held: u64,
    },
}

/// What the wallet holds at a leaf, compared with an offered opening.
enum Held {
    /// Nothing at that leaf.
    Nothing,
    /// The same opening (its superseded mark may lag the offered one's).
    Same { superseded: bool },
}

impl Wallet {
    /// Stores record openings of the wallet's patient `patient_name` (they were anchored by
    /// a custodian and checked against the registry by the caller), in one transaction: all
    /// or nothing. Each is stored under `patient_name`, whatever name the custodian used.
    /// Returns how many were stored or newly marked superseded (0 for a repeat import).
    ///
    /// # Errors
    ///
    /// [`WalletError::UnknownIdentity`], [`RecordImportError::NotAPatient`],
    /// [`RecordImportError::AnotherPatient`], [`RecordImportError::OldLeafVersion`],
    /// [`RecordImportError::Conflicting`], [`RecordImportError::Stale`], database errors.
    pub fn import_record_openings(
        &mut self,
        patient_name: &str,
        openings: &[RecordOpening],
    ) -> Result<usize, RecordImportError> {
        if !is_valid_name(patient_name) {
            return Err(WalletError::InvalidName.into());
        }
        let identity = self
            .identities()?
            .into_iter()
            .find(|i| i.name == patient_name)
            .ok_or_else(|| WalletError::UnknownIdentity(patient_name.to_owned()))?;
        if identity.role != Role::Patient {
            return Err(RecordImportError::NotAPatient {
                name: identity.name,
                role: identity.role,
            });
        }
        for o in openings {
            if o.record.patient != identity.id {
                return Err(RecordImportError::AnotherPatient {
                    index: o.index,
                    name: identity.name,
                });
            }
            if o.leaf_version != RECORD_LEAF_VERSION {
                return Err(RecordImportError::OldLeafVersion {
                    index: o.index,
                    leaf_version: o.leaf_version,
                });
            }
        }
        // Oldest first, so a later version in the same batch supersedes an earlier one.
        let mut sorted: Vec<&RecordOpening> = openings.iter().collect();
        sorted.sort_by_key(|o| o.index);
        let tx = self.begin()?;
        let mut changed = 0;
        for o in sorted {
            changed += import_one(&tx, patient_name, o)?;
        }
        tx.commit()?;
        Ok(changed)
    }
}

/// Stores one opening; returns 1 if anything changed.
fn import_one(
    conn: &Connection,
    patient_name: &str,
    o: &RecordOpening,
) -> Result<usize, RecordImportError> {
    match held(conn, patient_name, o)? {
        Held::Same { superseded } => match o.superseded_by {
            // The registry emptied the leaf since the last import.
            Some(by) if !superseded => {
                anchor::supersede(conn, &[o.index], by)?;
                Ok(1)
            }
            _ => Ok(0),
        },
        Held::Nothing => {
            let kind = o.record.fields.kind;
            if o.superseded_by.is_none() {
                // The older live versions of this resource: the registry emptied them when
                // this version was anchored.
                let mut older = Vec::new();
                for index in live_leaves(conn, o)? {
                    if index > o.index {
                        return Err(RecordImportError::Stale {
                            resource: resource_ref(kind, &o.resource_id),
                            index: o.index,
                            held: index,
                        });
                    }
                    older.push(index);
                }
                anchor::supersede(conn, &older, o.index)?;
            }
            anchor::insert(
                conn,
                o.index,
                &o.resource_id,
                &o.record,
                patient_name,
                o.anchored_at,
            )?;
            if let Some(by) = o.superseded_by {
                anchor::supersede(conn, &[o.index], by)?;
            }
            Ok(1)
        }
    }
}

/// What the wallet holds at `o`'s leaf: nothing, or the same opening; a different one is
/// [`RecordImportError::Conflicting`].
fn held(
    conn: &Connection,
    patient_name: &str,
    o: &RecordOpening,
) -> Result<Held, RecordImportError> {
    let mut stmt = conn
        .prepare_cached(&format!("{RECORD_COLUMNS} WHERE leaf_index = ?1"))
        .map_err(WalletError::from)?;
    let existing = stmt
        .query_row([u64_to_sql(o.index)], |row| {
            Ok(RecordOpening::from_row(row))
        })
        .optional()
        .map_err(WalletError::from)?
        .transpose()?;
    let Some(existing) = existing else {
        return Ok(Held::Nothing);
    };
    // The anchoring time and the superseded mark are not committed: the leaf is the same if
    // everything committed is, under the same resource and patient.
    let same = existing.record == o.record
        && existing.resource_id == o.resource_id
        && existing.leaf_version == o.leaf_version
        && existing.patient_name == patient_name;
    if !same {
        return Err(RecordImportError::Conflicting { index: o.index });
    }
    Ok(Held::Same {
        superseded: existing.superseded_by.is_some(),
    })
}

/// Leaf indices of the live (not superseded) openings of `o`'s resource.
fn live_leaves(conn: &Connection, o: &RecordOpening) -> Result<Vec<u64>, WalletError> {
    let mut stmt = conn.prepare_cached(
        "SELECT leaf_index FROM records
         WHERE kind = ?1 AND resource_id = ?2 AND superseded_by IS NULL ORDER BY leaf_index",
    )?;
    let mut rows = stmt.query((u64_to_sql(o.record.fields.kind.code()), &o.resource_id))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(u64_col(row, 0, "records.leaf_index")?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::candidate;
    use rand::{rngs::StdRng, SeedableRng};
    use zkconsent_circuits::{
        record::RecordKind,
        types::{SecretKey, Timestamp},
    };

    fn opening(
        rng: &mut StdRng,
        patient: zkconsent_circuits::types::IdentityId,
        kind: RecordKind,
        id: &str,
        index: u64,
    ) -> RecordOpening {
        let c = candidate(rng, patient, kind, id, index, None);
        RecordOpening {
            index,
            resource_id: c.resource_id,
            record: c.record,
            patient_name: "custodian's name".into(),
            anchored_at: Timestamp(7),
            leaf_version: RECORD_LEAF_VERSION,
            superseded_by: None,
        }
    }

    fn wallet_with_patient(rng: &mut StdRng) -> (tempfile::TempDir, Wallet, SecretKey) {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Wallet::create(dir.path().join("wallet.db"), None).unwrap();
        let secret = SecretKey::random(rng);
        w.add_identity("denisha", Role::Patient, &secret).unwrap();
        (dir, w, secret)
    }

    #[test]
    fn records_import_is_idempotent_and_refuses_conflicts() {
        let mut rng = StdRng::seed_from_u64(5);
        let (_dir, mut w, secret) = wallet_with_patient(&mut rng);
        let id = secret.id();
        let set = vec![
            opening(&mut rng, id, RecordKind::Patient, "p", 3),
            opening(&mut rng, id, RecordKind::Condition, "c1", 4),
            opening(&mut rng, id, RecordKind::ConditionSummary, "p", 9),
        ];
        assert_eq!(w.import_record_openings("denisha", &set).unwrap(), 3);
        assert_eq!(w.import_record_openings("denisha", &set).unwrap(), 0);
        let held = w.record_openings().unwrap();
        assert_eq!(held.len(), 3);
        assert!(held.iter().all(|o| o.patient_name == "denisha"));
        assert!(held
            .iter()
            .zip(&set)
            .all(|(h, s)| h.record == s.record && h.index == s.index));
        // Another opening at a held leaf.
        let other = opening(&mut rng, id, RecordKind::Condition, "c1", 4);
        assert!(matches!(
            w.import_record_openings("denisha", &[other]),
            Err(RecordImportError::Conflicting { index: 4 })
        ));
        // A later version supersedes the held one; the earlier one is then stale.
        let newer = opening(&mut rng, id, RecordKind::Condition, "c1", 12);
        assert_eq!(w.import_record_openings("denisha", &[newer]).unwrap(), 1);
        assert!(matches!(
            w.record_opening(4),
            Err(WalletError::SupersededRecord { by: 12, .. })
        ));
        let stale = opening(&mut rng, id, RecordKind::Condition, "c1", 10);
        assert!(matches!(
            w.import_record_openings("denisha", &[stale]),
            Err(RecordImportError::Stale { held: 12, .. })
        ));
    }

    #[test]
    fn records_import_refuses_other_patients_and_roles() {
        let mut rng = StdRng::seed_from_u64(6);
        let (_dir, mut w, _secret) = wallet_with_patient(&mut rng);
        let someone = SecretKey::random(&mut rng).id();
        let theirs = opening(&mut rng, someone, RecordKind::Condition, "c1", 1);
        assert!(matches!(
            w.import_record_openings("denisha", std::slice::from_ref(&theirs)),
            Err(RecordImportError::AnotherPatient { index: 1, .. })
        ));
        w.add_identity("uni", Role::Verifier, &SecretKey::random(&mut rng))
            .unwrap();
        assert!(matches!(
            w.import_record_openings("uni", std::slice::from_ref(&theirs)),
            Err(RecordImportError::NotAPatient { .. })
        ));
        assert!(matches!(
            w.import_record_openings("nobody", &[theirs]),
            Err(RecordImportError::Wallet(WalletError::UnknownIdentity(_)))
        ));
        assert!(w.record_openings().unwrap().is_empty());
    }
}
