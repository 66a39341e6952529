//! Anchoring FHIR records: the custodian turns an [`Extraction`] into salted record leaves in
//! the registry's records tree, and keeps the openings in its wallet.

use crate::{
    fhir::Extraction,
    home::{Home, HomeError},
    wallet::{AnchoredRecord, RecordCandidate},
};
use rand::{CryptoRng, RngCore};
use std::collections::BTreeMap;
use zkconsent_circuits::{
    record::{Record, RecordKind},
    types::{RecordSalt, RecordsRoot, Timestamp},
};

/// The result of anchoring one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchorReport {
    /// One outcome per supported resource, in document order.
    pub records: Vec<AnchoredRecord>,
    /// Resources of unsupported types (not anchored), by `resourceType`.
    pub unsupported: BTreeMap<String, u64>,
    /// The records root after anchoring.
    pub records_root: RecordsRoot,
}

impl AnchorReport {
    /// Outcomes with this status (by name, [`AnchorStatus::as_str`]), counted by kind.
    ///
    /// [`AnchorStatus::as_str`]: crate::wallet::AnchorStatus::as_str
    pub fn count_by_kind(&self, status: &str) -> BTreeMap<RecordKind, u64> {
        let mut out = BTreeMap::new();
        for r in self.records.iter().filter(|r| r.status.as_str() == status) {
            *out.entry(r.kind).or_default() += 1;
        }
        out
    }

    /// Number of outcomes with this status (by name, as for [`AnchorReport::count_by_kind`]).
    pub fn count(&self, status: &str) -> usize {
        self.records
            .iter()
            .filter(|r| r.status.as_str() == status)
            .count()
    }
}

impl Home {
    /// Anchors every supported resource of `extraction` for the patient named `patient` (a
    /// registered identity with the patient role): a fresh salt per resource, the new leaves
    /// appended to the records tree in document order, the openings stored in the wallet.
    /// Resources already anchored are reported, not duplicated.
    ///
    /// # Errors
    ///
    /// [`HomeError::UnknownIdentity`] or [`HomeError::WrongRole`]; wallet and registry
    /// refusals (a resource of another patient, a full tree, time running backwards).
    pub fn anchor_records<R: RngCore + CryptoRng>(
        &mut self,
        patient: &str,
        extraction: &Extraction,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<AnchorReport, HomeError> {
        let patient_id = self.patient_id(patient)?;
        let candidates: Vec<RecordCandidate> = extraction
            .records
            .iter()
            .map(|r| RecordCandidate {
                resource_id: r.id.clone(),
                record: Record {
                    fields: r.fields.clone(),
                    patient: patient_id,
                    salt: RecordSalt::random(rng),
                },
            })
            .collect();
        let registry = &mut self.registry;
        let records = self
            .wallet
            .anchor_records(&candidates, patient, now, |leaves| {
                Ok::<_, HomeError>(registry.anchor_records(leaves, now)?.first_index)
            })?;
        Ok(AnchorReport {
            records,
            unsupported: extraction.unsupported.clone(),
            records_root: self.registry.records_root()?,
        })
    }
}
