//! One FHIR patient per zkconsent patient: the first anchoring of a document for a
//! zkconsent patient binds the document's FHIR patient (its `Patient/id` and identifiers) to
//! them, and every later document anchored for them must be that patient's, and no other
//! zkconsent patient's. This stops a custodian from anchoring one person's records as
//! another's by passing the wrong name.
//!
//! A document's FHIR patient is its Patient resource or, without one, the patient its
//! resources name (their common `subject`). A document is refused whole when:
//! - it holds two Patient resources;
//! - a resource names another patient (a resource that names none is allowed);
//! - it has no Patient resource and no resource names a patient, or the one they name is
//!   not a `Patient/id` reference: nothing says whose records these are, so they are
//!   refused even for a zkconsent patient already bound (the custodian can always anchor
//!   them with their Patient resource);
//! - its FHIR patient, or one of its identifiers, is bound to another zkconsent patient
//!   (checked first: the refusal then names whose records these are);
//! - the zkconsent patient is bound to another FHIR patient.
//!
//! Identifiers a later document adds to the bound patient are bound too. Wallets upgraded
//! from schema version 3 start with no bindings: the first anchoring after the upgrade
//! binds.

use super::{records::resource_ref, RecordCandidate, Wallet, WalletError};
use rusqlite::{Connection, OptionalExtension};
use zkconsent_circuits::types::Timestamp;
use zkconsent_store::codec::{text_col, u64_to_sql};

/// Prefix of a FHIR patient reference (`Patient/id`).
pub const FHIR_PATIENT_PREFIX: &str = "Patient/";

/// The patient bindings tables (since wallet schema version 4).
pub(super) const TABLES: &str = "
-- The FHIR patient each zkconsent patient's records come from, bound at its first anchoring.
CREATE TABLE fhir_patients (
    patient_name TEXT PRIMARY KEY,
    reference    TEXT NOT NULL UNIQUE,
    bound_at     INTEGER NOT NULL
) WITHOUT ROWID;
-- Identifiers (system|value) of the bound FHIR patients; each is one zkconsent patient's.
CREATE TABLE fhir_patient_identifiers (
    identifier   TEXT PRIMARY KEY,
    patient_name TEXT NOT NULL REFERENCES fhir_patients (patient_name),
    bound_at     INTEGER NOT NULL
) WITHOUT ROWID;
";

/// A FHIR patient: what a document's Patient resource says about who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FhirPatient {
    /// `Patient/id`.
    pub reference: String,
    /// `identifier[*]` as `system|value` (medical record numbers, national ids).
    pub identifiers: Vec<String>,
}

/// The FHIR patient of a document, from its Patient resources (`patients`) and the
/// patients its resources name; checks that every resource is about it.
fn document_patient(
    patients: &[FhirPatient],
    candidates: &[RecordCandidate],
) -> Result<FhirPatient, WalletError> {
    // The same Patient listed twice is one patient.
    let mut distinct: Vec<FhirPatient> = Vec::new();
    for p in patients {
        match distinct.iter_mut().find(|d| d.reference == p.reference) {
            Some(d) => d.identifiers.extend(p.identifiers.iter().cloned()),
            None => distinct.push(p.clone()),
        }
    }
    let patient = match &distinct[..] {
        [first, second, ..] => {
            return Err(WalletError::BundleHoldsTwoPatients {
                first: first.reference.clone(),
                second: second.reference.clone(),
            })
        }
        [one] => one.clone(),
        [] => {
            let named = candidates
                .iter()
                .find_map(|c| c.subject.as_deref().map(|s| (c, s)));
            let Some((c, subject)) = named else {
                return Err(WalletError::UnknownBundlePatient(
                    "no Patient resource, and no resource names its patient".into(),
                ));
            };
            if subject
                .strip_prefix(FHIR_PATIENT_PREFIX)
                .unwrap_or("")
                .is_empty()
            {
                return Err(WalletError::UnknownBundlePatient(format!(
                    "no Patient resource, and {} is about {subject:?}, which is not a \
                     Patient/id reference",
                    resource_ref(c.record.fields.kind, &c.resource_id)
                )));
            }
            FhirPatient {
                reference: subject.to_owned(),
                identifiers: Vec::new(),
            }
        }
    };
    for c in candidates {
        if let Some(subject) = c.subject.as_deref().filter(|s| *s != patient.reference) {
            return Err(WalletError::RecordAboutAnotherFhirPatient {
                resource: resource_ref(c.record.fields.kind, &c.resource_id),
                subject: subject.to_owned(),
                patient: patient.reference,
            });
        }
    }
    let mut patient = patient;
    patient.identifiers.sort();
    patient.identifiers.dedup();
    Ok(patient)
}

/// The zkconsent patient (`column`, as `sql` selects it) a reference or identifier is bound
/// to.
fn owner(
    conn: &Connection,
    sql: &str,
    column: &'static str,
    key: &str,
) -> Result<Option<String>, WalletError> {
    conn.prepare_cached(sql)?
        .query_row([key], |row| Ok(text_col(row, 0, column)))
        .optional()?
        .transpose()
        .map_err(WalletError::from)
}

/// The FHIR patient reference `patient_name` is bound to, if any.
fn bound_reference(conn: &Connection, patient_name: &str) -> Result<Option<String>, WalletError> {
    conn.prepare_cached("SELECT reference FROM fhir_patients WHERE patient_name = ?1")?
        .query_row([patient_name], |row| {
            Ok(text_col(row, 0, "fhir_patients.reference"))
        })
        .optional()?
        .transpose()
        .map_err(WalletError::from)
}

/// Decides a document's FHIR patient and checks it against the bindings (module docs),
/// writing nothing: the FHIR patient to [`bind`] once the records are anchored. Whether the
/// patient or an identifier is someone else's is checked first, so the refusal names whose
/// records these are.
pub(super) fn check_document(
    conn: &Connection,
    patient_name: &str,
    patients: &[FhirPatient],
    candidates: &[RecordCandidate],
) -> Result<FhirPatient, WalletError> {
    let patient = document_patient(patients, candidates)?;
    let another = |fhir: String, owner: String| WalletError::FhirPatientOfAnother {
        fhir,
        owner,
        patient_name: patient_name.to_owned(),
    };
    if let Some(o) = owner(
        conn,
        "SELECT patient_name FROM fhir_patients WHERE reference = ?1",
        "fhir_patients.patient_name",
        &patient.reference,
    )?
    .filter(|o| o != patient_name)
    {
        return Err(another(patient.reference.clone(), o));
    }
    for identifier in &patient.identifiers {
        if let Some(o) = owner(
            conn,
            "SELECT patient_name FROM fhir_patient_identifiers WHERE identifier = ?1",
            "fhir_patient_identifiers.patient_name",
            identifier,
        )?
        .filter(|o| o != patient_name)
        {
            return Err(another(
                format!("{}'s identifier {identifier}", patient.reference),
                o,
            ));
        }
    }
    if let Some(bound) =
        bound_reference(conn, patient_name)?.filter(|bound| *bound != patient.reference)
    {
        return Err(WalletError::BoundToAnotherFhirPatient {
            patient_name: patient_name.to_owned(),
            bound,
            document: patient.reference.clone(),
        });
    }
    Ok(patient)
}

/// Binds `patient` (checked by [`check_document`] in the same transaction) and any
/// identifiers it adds to `patient_name`.
pub(super) fn bind(
    conn: &Connection,
    patient_name: &str,
    patient: &FhirPatient,
    now: Timestamp,
) -> Result<(), WalletError> {
    conn.prepare_cached(
        "INSERT INTO fhir_patients (patient_name, reference, bound_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (patient_name) DO NOTHING",
    )?
    .execute((patient_name, &patient.reference, u64_to_sql(now.0)))?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO fhir_patient_identifiers (identifier, patient_name, bound_at)
         VALUES (?1, ?2, ?3) ON CONFLICT (identifier) DO NOTHING",
    )?;
    for identifier in &patient.identifiers {
        insert.execute((identifier, patient_name, u64_to_sql(now.0)))?;
    }
    Ok(())
}

impl Wallet {
    /// The FHIR patient bound to the zkconsent patient `patient_name`, with every identifier
    /// bound to them, if they have anchored a document.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt value.
    pub fn fhir_patient(&self, patient_name: &str) -> Result<Option<FhirPatient>, WalletError> {
        let Some(reference) = bound_reference(&self.conn, patient_name)? else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT identifier FROM fhir_patient_identifiers WHERE patient_name = ?1
             ORDER BY identifier",
        )?;
        let mut rows = stmt.query([patient_name])?;
        let mut identifiers = Vec::new();
        while let Some(row) = rows.next()? {
            identifiers.push(text_col(row, 0, "fhir_patient_identifiers.identifier")?);
        }
        Ok(Some(FhirPatient {
            reference,
            identifiers,
        }))
    }
}

#[cfg(test)]
mod tests;
