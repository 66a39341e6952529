//! Cohort (statement 4): a study's terms (its criteria and name) and the Cohort statement
//! from the home holding the patient's summary and research grant.

use super::{InputRole, TermValue};
use crate::{
    cohort_proof::CohortRequest,
    criteria::{CriteriaText, StudyTerms},
};
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    cohort::{inputs, CohortNullifier, CohortPublic, StudyId},
    types::{GrantsRoot, Nonce, RecordsRoot, RequestHash, Timestamp, VerifierId},
};

/// The role of each Cohort public input, in circuit order.
pub const ROLES: [InputRole; inputs::COUNT] = {
    let mut r = [InputRole::Term; inputs::COUNT];
    r[inputs::RECORDS_ROOT] = InputRole::RecordsRoot;
    r[inputs::GRANTS_ROOT] = InputRole::GrantsRoot;
    r[inputs::NOW] = InputRole::Time;
    r[inputs::NULLIFIER] = InputRole::Nullifier;
    r[inputs::REQUEST_HASH] = InputRole::RequestHash;
    r
};

/// What a researcher asks: eligibility for this study under these criteria.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortTerms {
    /// The study's name (e.g. its registry id): the nullifier is per study.
    pub study: String,
    /// The study's criteria, as in its criteria file.
    pub criteria: CriteriaText,
}

impl CohortTerms {
    /// The study's terms in the statement's types.
    ///
    /// # Errors
    ///
    /// A bad study name or criteria.
    pub fn study_terms(&self) -> Result<StudyTerms, String> {
        let study = StudyId::from_name(&self.study).map_err(|e| format!("study: {e}"))?;
        self.criteria.resolve()?.terms(study)
    }

    pub(super) fn term_values(&self) -> Result<Vec<(usize, TermValue)>, String> {
        let study = self.study_terms()?.criteria;
        let zero = Fr::from(0u64);
        // The statement's own encoder places the terms; roots, time, nullifier and request
        // are the proof's and are not terms.
        let all = CohortPublic {
            records_root: RecordsRoot(zero),
            grants_root: GrantsRoot(zero),
            now: Timestamp(0),
            scope: study.scope,
            purpose: study.purpose,
            birth_window: study.birth_window,
            summary_not_before: study.summary_not_before,
            inclusion_root: study.inclusion_root,
            exclusion_hash: study.exclusion_hash,
            study: study.study,
            nullifier: CohortNullifier(zero),
            request_hash: RequestHash(zero),
        }
        .to_field_elements();
        Ok(ROLES
            .iter()
            .enumerate()
            .filter(|(_, role)| **role == InputRole::Term)
            .map(|(i, _)| (i, TermValue::Equal(all[i])))
            .collect())
    }

    pub(super) fn describe(&self) -> String {
        format!(
            "eligibility for study {} (ages {}..={} on {})",
            self.study, self.criteria.age.min, self.criteria.age.max, self.criteria.reference_date
        )
    }

    /// What the prover proves for this request, at `now`.
    pub fn prove_request<'a>(
        &self,
        terms: &'a StudyTerms,
        researcher: VerifierId,
        nonce: Nonce,
        now: Timestamp,
    ) -> CohortRequest<'a> {
        CohortRequest {
            terms,
            researcher,
            nonce,
            now,
        }
    }
}
