//! Condition summaries (spec §10.10): the custodian commits, in one record leaf, the complete
//! list of a patient's distinct condition codes, so that a Cohort proof can show that none of
//! them is excluded (a prover could leave out a single disqualifying record, but not a line of
//! a committed list).

use crate::{
    fhir::codes::resource_digest,
    home::{Home, HomeError},
    wallet::{AnchoredRecord, RecordCandidate, RecordOpening, RecordSource},
};
use rand::{CryptoRng, RngCore};
use std::collections::BTreeMap;
use zkconsent_circuits::{
    cohort::ConditionSummary,
    fr_to_decimal,
    record::RecordKind,
    types::{CodeId, EpochDay, RecordSalt, ResourceDigest, Timestamp},
};

/// The latest version (highest leaf) of each of `patient`'s resources of `kind` anchored
/// below leaf `before`.
fn latest_of_kind<'a>(
    openings: &'a [RecordOpening],
    patient: &str,
    kind: RecordKind,
    before: u64,
) -> Vec<&'a RecordOpening> {
    let mut latest: BTreeMap<&str, &RecordOpening> = BTreeMap::new();
    for o in openings
        .iter()
        .filter(|o| o.index < before && o.patient_name == patient && o.record.fields.kind == kind)
    {
        let slot = latest.entry(o.resource_id.as_str()).or_insert(o);
        if o.index > slot.index {
            *slot = o;
        }
    }
    latest.into_values().collect()
}

/// The condition codes a summary anchored at leaf `before` lists for `patient`: the code of
/// the latest version of each of their Conditions anchored before it. `record summary` takes
/// them (with `before` past every leaf) and a Cohort prover rebuilds them the same way.
pub fn summarised_codes(openings: &[RecordOpening], patient: &str, before: u64) -> Vec<CodeId> {
    latest_of_kind(openings, patient, RecordKind::Condition, before)
        .iter()
        .map(|o| o.record.fields.code)
        .collect()
}

/// The digest of a summary's content: SHA-256 (low 248 bits, §10.3) of
/// `zkconsent:ConditionSummary|<patient digest>|<list hash>|<birth day>|<as-of day>` with the
/// field elements in decimal. The same content gives the same digest, so summarising twice on
/// a day with nothing new is reported as already anchored, and any change (a new condition,
/// a later day) anchors a new version.
pub fn summary_digest(
    summary: &ConditionSummary,
    patient_digest: ResourceDigest,
) -> ResourceDigest {
    let text = format!(
        "{}|{}|{}|{}|{}",
        RecordKind::ConditionSummary.resource_type(),
        fr_to_decimal(&patient_digest.0),
        fr_to_decimal(&summary.list_hash().0),
        summary.birth_date().0,
        summary.as_of().0
    );
    resource_digest(text.as_bytes())
}

/// What anchoring a summary did.
#[derive(Clone, Debug)]
pub struct SummaryReport {
    /// The anchored (or already anchored) summary leaf.
    pub anchored: AnchoredRecord,
    /// Number of distinct condition codes in it.
    pub codes: usize,
    /// The day it describes.
    pub as_of: EpochDay,
}

impl Home {
    /// Summarises the anchored Conditions (latest versions) of the patient named `patient` as
    /// of `as_of` and anchors the summary as a record leaf (kind 9) under the patient's
    /// Patient resource id.
    ///
    /// # Errors
    ///
    /// [`HomeError::Invalid`] if the wallet holds no Patient record for them or more
    /// distinct conditions than a summary holds; wallet and registry errors.
    pub fn anchor_condition_summary<R: RngCore + CryptoRng>(
        &mut self,
        patient: &str,
        as_of: EpochDay,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<SummaryReport, HomeError> {
        let openings = self.wallet()?.record_openings()?;
        let patient_record = latest_of_kind(&openings, patient, RecordKind::Patient, u64::MAX)
            .into_iter()
            .max_by_key(|o| o.index)
            .ok_or_else(|| {
                HomeError::Invalid(format!(
                    "no Patient record is anchored for {patient}: anchor their bundle first"
                ))
            })?;
        let codes = summarised_codes(&openings, patient, u64::MAX);
        let fields = &patient_record.record.fields;
        let summarise = |digest| {
            ConditionSummary::new(
                patient_record.record.patient,
                fields.date,
                as_of,
                &codes,
                digest,
            )
            .map_err(|e| HomeError::Invalid(format!("condition summary for {patient}: {e}")))
        };
        // The digest covers the list, which does not depend on it: summarise, then seal.
        let digest = summary_digest(&summarise(fields.digest)?, fields.digest);
        let summary = summarise(digest)?;
        let candidate = RecordCandidate {
            resource_id: patient_record.resource_id.clone(),
            record: summary.to_record(RecordSalt::random(rng)),
            // Derived from the wallet's openings, not read from a document: no FHIR subject.
            subject: None,
        };
        let mut anchored =
            self.anchor_candidates(&[candidate], patient, RecordSource::Derived, now)?;
        let anchored = anchored
            .pop()
            .ok_or(HomeError::Inconsistent("the wallet anchored nothing"))?;
        Ok(SummaryReport {
            anchored,
            codes: summary.codes().len(),
            as_of,
        })
    }
}
