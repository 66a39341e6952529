//! Cohort (statement 4): a study's terms (its criteria and name) and the Cohort statement
//! from the home holding the patient's summary and research grant.

use super::{access::OutsideWindow, InputRole, TermValue};
use crate::{
    fhir::Extraction,
    files::criteria::{CriteriaText, StudyTerms},
    home::{Home, HomeError},
    records::summary::summarised_codes,
    registry::GrantStatus,
    vocab::{describe_purpose, describe_scope},
    wallet::{RecordOpening, WalletGrant},
};
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    cohort::{CohortNullifier, CohortPrivate, CohortPublic, ConditionSummary, StudyId},
    record::RecordKind,
    types::{GrantsRoot, IdentityId, Nonce, RecordsRoot, RequestHash, Timestamp, VerifierId},
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
        Ok(zkconsent_prover::Statement::Cohort
            .input_roles()
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

/// What a Cohort proof is for: one researcher's request about one study.
#[derive(Clone, Debug)]
pub struct CohortRequest<'a> {
    /// The study's terms (from its criteria file and name).
    pub terms: &'a StudyTerms,
    /// The researcher's public id (the grantee of the patient's research grant).
    pub researcher: VerifierId,
    /// The researcher's nonce for this request.
    pub nonce: Nonce,
    /// The time the proof speaks for (the grant must be valid then).
    pub now: Timestamp,
}

/// The summary's condition list, rebuilt from the Conditions anchored before it (the latest
/// version of each, as `record summary` took them) and checked against its list hash.
fn summary_codes(
    openings: &[RecordOpening],
    summary: &RecordOpening,
) -> Result<ConditionSummary, HomeError> {
    let codes = summarised_codes(openings, &summary.patient_name, summary.index);
    let f = &summary.record.fields;
    let rebuilt =
        ConditionSummary::new(summary.record.patient, f.date, f.end_date, &codes, f.digest)
            .map_err(|e| HomeError::Invalid(format!("condition summary: {e}")))?;
    if rebuilt.list_hash() != f.code {
        return Err(HomeError::Invalid(format!(
            "the condition summary at leaf {} does not match the wallet's Conditions",
            summary.index
        )));
    }
    Ok(rebuilt)
}

impl Home {
    /// The Cohort statement for the patient of `extraction` (their bundle). Uses their
    /// latest anchored condition summary and an active research grant to the researcher
    /// covering the study's scope at `now`. A patient without an included condition gets the
    /// first slot and an empty set path, and one with an excluded condition keeps it, so the
    /// statement is false and proving refuses it with the reason.
    ///
    /// # Errors
    ///
    /// No Patient in the bundle or not anchored, no summary, no usable grant; wallet and
    /// registry errors.
    pub fn cohort_statement(
        &self,
        extraction: &Extraction,
        request: &CohortRequest<'_>,
    ) -> Result<(CohortPublic, CohortPrivate), HomeError> {
        let patient = extraction
            .records
            .iter()
            .find(|r| r.fields.kind == RecordKind::Patient)
            .ok_or_else(|| HomeError::Invalid("the bundle has no Patient resource".into()))?;
        let openings = self.wallet()?.record_openings()?;
        let resource = format!("Patient/{}", patient.id);
        let patient_name = openings
            .iter()
            .find(|o| o.resource() == resource)
            .map(|o| o.patient_name.clone())
            .ok_or_else(|| {
                HomeError::Invalid(format!(
                    "{resource} is not anchored: anchor the bundle first"
                ))
            })?;
        let patient_secret = self.secret(&patient_name)?;
        let summary = openings
            .iter()
            .filter(|o| {
                o.patient_name == patient_name
                    && o.record.fields.kind == RecordKind::ConditionSummary
            })
            .max_by_key(|o| o.index)
            .ok_or_else(|| {
                HomeError::Invalid(format!(
                    "no condition summary is anchored for {patient_name}: run `record summary`"
                ))
            })?;
        summary.provable()?;
        let list = summary_codes(&openings, summary)?;
        let terms = request.terms;
        // The first listed code in the inclusion set; without one, the first slot (the
        // statement is then false and proving names why).
        let selected = list
            .codes()
            .iter()
            .position(|c| terms.inclusion.contains(*c))
            .unwrap_or(0);
        let inclusion_path = terms
            .inclusion
            .witness_path(list.codes().get(selected).copied().unwrap_or_default());
        let grant = self.research_grant(patient_secret.id(), request)?;
        let (grants_root, grant_path) = self.registry.root_and_path(grant.index)?;
        let (records_root, summary_path) = self.registry.records_root_and_path(summary.index)?;
        let private = CohortPrivate {
            patient_secret,
            summary: summary.record.clone(),
            summary_path,
            conditions: list.codes().to_vec(),
            selected,
            inclusion_path,
            exclusion: terms.exclusion.clone(),
            grant: grant.grant,
            grant_path,
            nonce: request.nonce,
        };
        let public = private.public_for(records_root, grants_root, request.now, &terms.criteria);
        Ok((public, private))
    }

    /// The patient's latest active research grant to the researcher that covers the study's
    /// scope at the request's time.
    ///
    /// # Errors
    ///
    /// [`HomeError::Invalid`] with the [`ResearchGrantError`] that says why no grant
    /// answers; wallet and registry errors.
    fn research_grant(
        &self,
        patient: IdentityId,
        request: &CohortRequest<'_>,
    ) -> Result<WalletGrant, HomeError> {
        let criteria = &request.terms.criteria;
        // Narrow down step by step, so that the refusal names the first thing that fails for
        // the latest grant still in the running: to the researcher at all, wide enough,
        // unrevoked, valid now.
        let mut to_researcher: Vec<WalletGrant> = self
            .wallet()?
            .grants()?
            .into_iter()
            .filter(|g| g.grant.patient == patient && g.grant.grantee.0 == request.researcher.0)
            .collect();
        to_researcher.sort_by_key(|g| g.index);
        let Some(latest) = to_researcher.last() else {
            return Err(ResearchGrantError::None.into());
        };
        let wide_enough: Vec<&WalletGrant> = to_researcher
            .iter()
            .filter(|g| g.grant.purpose == criteria.purpose && g.grant.scope.covers(criteria.scope))
            .collect();
        let Some(latest_wide) = wide_enough.last() else {
            return Err(ResearchGrantError::TooNarrow {
                index: latest.index,
                scope: describe_scope(latest.grant.scope),
                purpose: describe_purpose(latest.grant.purpose),
                needed_scope: describe_scope(criteria.scope),
                needed_purpose: describe_purpose(criteria.purpose),
            }
            .into());
        };
        let mut active = Vec::new();
        // The latest inactive one, in index order.
        let mut inactive = ResearchGrantError::NotInRegistry {
            index: latest_wide.index,
        };
        for g in wide_enough.iter().copied() {
            match self.registry.grant(g.index)? {
                Some(r) if r.status == GrantStatus::Active => active.push(g),
                Some(r) => {
                    inactive = match r.revoked_at {
                        Some(at) => ResearchGrantError::Revoked { index: g.index, at },
                        None => ResearchGrantError::NotInRegistry { index: g.index },
                    }
                }
                None => inactive = ResearchGrantError::NotInRegistry { index: g.index },
            }
        }
        let Some(latest_active) = active.last() else {
            return Err(inactive.into());
        };
        let valid_now = |g: &WalletGrant| {
            OutsideWindow::check("research grant", g.index, &g.grant, request.now)
        };
        if let Some(g) = active.iter().rev().find(|g| valid_now(g).is_ok()) {
            return Ok((*g).clone());
        }
        // None is valid now: name the latest one's window.
        valid_now(latest_active)
            .map(|()| (*latest_active).clone())
            .map_err(|window| ResearchGrantError::OutsideWindow(window).into())
    }
}

/// Why no research grant answers a Cohort request: each consent failure has its own message,
/// saying what the patient would have to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResearchGrantError {
    /// The patient has granted the researcher nothing.
    #[error(
        "no research grant: the patient has granted this researcher nothing (the patient \
         grants it with `grant issue --grantee RESEARCHER --purpose research`)"
    )]
    None,
    /// The patient's grants to the researcher do not cover the study's scope for its
    /// purpose (the latest is named).
    #[error(
        "the research grant is too narrow: grant {index} covers {scope} for {purpose}, the \
         study needs {needed_scope} for {needed_purpose}"
    )]
    TooNarrow {
        /// The latest grant to the researcher.
        index: u64,
        /// What it covers.
        scope: String,
        /// What it is for.
        purpose: String,
        /// The scope the study needs.
        needed_scope: String,
        /// The purpose the study needs.
        needed_purpose: String,
    },
    /// Every grant wide enough has been revoked (the latest is named).
    #[error(
        "the research grant was revoked: grant {index} was revoked at {at} (the patient \
         grants a new one with `grant issue`)"
    )]
    Revoked {
        /// The grant's leaf index.
        index: u64,
        /// When the registry recorded the revocation.
        at: Timestamp,
    },
    /// The wallet holds a grant the registry does not list as active, without a revocation
    /// time (another registry's grant, or a damaged home).
    #[error("the research grant is not active: grant {index} is not active in the registry")]
    NotInRegistry {
        /// The grant's leaf index.
        index: u64,
    },
    /// Every active grant wide enough has expired or is not valid yet at the proof's time.
    #[error("the research grant is not valid at the proof's time: {0}")]
    OutsideWindow(OutsideWindow),
}

impl From<ResearchGrantError> for HomeError {
    fn from(e: ResearchGrantError) -> Self {
        // A consent that does not exist is input that cannot succeed, as for every other
        // gathering failure of this statement (exit 2).
        HomeError::Invalid(e.to_string())
    }
}
