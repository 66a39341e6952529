//! Anchoring FHIR records: the custodian turns an [`Extraction`] into salted record leaves in
//! the registry's records tree, and keeps the openings in its wallet. The wallet decides what
//! is new and which live leaves a new version supersedes, and refuses a document that is not
//! the FHIR patient bound to the zkconsent patient (`zkconsent_wallet::binding`); the
//! registry appends the new leaves and empties the superseded ones in one transition.

use crate::{
    fhir::Extraction,
    home::{Home, HomeError},
    wallet::{AnchoredRecord, FhirPatient, RecordCandidate, RecordSource},
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
    /// appended to the records tree in document order, the leaves of the versions they
    /// replace emptied, the openings stored in the wallet. Resources already anchored are
    /// reported, not duplicated. The document must be one FHIR patient's, the one bound to
    /// `patient` (bound now if this is their first document).
    ///
    /// # Errors
    ///
    /// [`HomeError::UnknownIdentity`] or [`HomeError::WrongRole`]; wallet refusals (a
    /// resource of another patient, two patients in the document, a resource about another
    /// patient, a document that names no patient, a FHIR patient bound to someone else) and
    /// registry refusals (a full tree, time running backwards). Nothing changes on error.
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
                subject: r.subject.clone(),
            })
            .collect();
        let patients: Vec<FhirPatient> = extraction
            .patients
            .iter()
            .map(|p| FhirPatient {
                reference: p.reference.clone(),
                identifiers: p.identifiers.clone(),
            })
            .collect();
        let records =
            self.anchor_candidates(&candidates, patient, RecordSource::Document(&patients), now)?;
        Ok(AnchorReport {
            records,
            unsupported: extraction.unsupported.clone(),
            records_root: self.registry.records_root()?,
        })
    }

    /// Anchors `candidates` for the patient named `patient` through the wallet, which stores
    /// the openings as pending, has the registry (or the service) append the leaves, then
    /// settles them (`zkconsent_wallet::records::anchor`): the one path from candidates to
    /// leaves, for documents and derived records (a condition summary,
    /// [`RecordSource::Derived`]) alike.
    ///
    /// # Errors
    ///
    /// Wallet and registry refusals, as for [`Home::anchor_records`].
    pub fn anchor_candidates(
        &mut self,
        candidates: &[RecordCandidate],
        patient: &str,
        source: RecordSource<'_>,
        now: Timestamp,
    ) -> Result<Vec<AnchoredRecord>, HomeError> {
        let (wallet, registry, remote) = self.parts_mut()?;
        let anchored =
            wallet.anchor_records(candidates, patient, source, now, |leaves, superseded| {
                let first = Home::submit_anchoring(registry, remote, leaves, superseded, now)?;
                crate::crashpoint::hit(crate::crashpoint::RECORDS_SUBMITTED);
                Ok::<_, HomeError>(first)
            });
        let anchored = match anchored {
            Ok(anchored) => anchored,
            Err(e) => {
                if e.is_final_refusal() {
                    // The anchoring stays pending in the wallet until reconciled; a refusal
                    // for good is dropped now, so its resources are free again.
                    self.reconcile_anchorings()?;
                }
                return Err(e);
            }
        };
        // A replica learns of the new leaves (and checks them) from the service's log.
        self.sync()?;
        Ok(anchored)
    }
}
