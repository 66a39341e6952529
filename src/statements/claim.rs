//! Claim (statement 3): the terms an insurer sets (its covered diagnoses, its member's
//! policy, the record kinds it accepts) and the Claim statement from a custodian's home.

use super::TermValue;
use crate::{
    fhir::{
        codes::{code_id, COVERAGE_SYSTEM},
        ExtractedRecord, Extraction,
    },
    files::code_list::code_set_of,
    home::{Home, HomeError},
};
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    claim::{inputs, is_claim_kind, ClaimPrivate, ClaimPublic, PolicyCommitment},
    record::{CodeSet, RecordKind},
    types::{IdentityId, Nonce, VerifierId},
};
use zkconsent_verifier::parse_fr_decimal;

/// The claim kinds a request may accept, by their FHIR resource type.
const KINDS: [(&str, RecordKind); 2] = [
    ("Claim", RecordKind::Claim),
    ("ExplanationOfBenefit", RecordKind::ExplanationOfBenefit),
];

/// What an insurer asks of a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimTerms {
    /// The diagnoses the insurer covers: `system|code` entries.
    pub covered: Vec<String>,
    /// The member's public id (decimal): the claim must be under their policy.
    pub member: String,
    /// The member's coverage, as the claims name it (e.g. `Humana`).
    pub coverage: String,
    /// Accepted resource types: `Claim`, `ExplanationOfBenefit` or both.
    pub kinds: Vec<String>,
}

impl ClaimTerms {
    /// Both claim kinds.
    pub fn all_kinds() -> Vec<String> {
        KINDS.iter().map(|(name, _)| name.to_string()).collect()
    }

    /// The covered set.
    ///
    /// # Errors
    ///
    /// A bad code or too many codes.
    pub fn covered_set(&self) -> Result<CodeSet, String> {
        code_set_of(&self.covered).map_err(|e| format!("covered: {e}"))
    }

    /// `H_policy(member, coverage)`: the policy the claim must be under.
    ///
    /// # Errors
    ///
    /// A member id that is not a field element.
    pub fn policy(&self) -> Result<PolicyCommitment, String> {
        let member = parse_fr_decimal(&self.member).map_err(|e| format!("member: {e}"))?;
        Ok(PolicyCommitment::derive(
            IdentityId(member),
            code_id(COVERAGE_SYSTEM, &self.coverage),
        ))
    }

    fn kind_codes(&self) -> Result<Vec<Fr>, String> {
        if self.kinds.is_empty() {
            return Err("kinds: at least one of Claim, ExplanationOfBenefit".into());
        }
        self.kinds
            .iter()
            .map(|k| {
                KINDS
                    .iter()
                    .find(|(name, _)| name == k)
                    .map(|(_, kind)| Fr::from(kind.code()))
                    .ok_or_else(|| format!("kinds: {k:?} is not Claim or ExplanationOfBenefit"))
            })
            .collect()
    }

    pub(super) fn term_values(&self) -> Result<Vec<(usize, TermValue)>, String> {
        Ok(vec![
            (inputs::KIND, TermValue::OneOf(self.kind_codes()?)),
            (
                inputs::COVERED_SET_ROOT,
                TermValue::Equal(self.covered_set()?.root().0),
            ),
            (inputs::POLICY, TermValue::Equal(self.policy()?.0)),
        ])
    }

    pub(super) fn describe(&self) -> String {
        format!(
            "a {} under coverage {:?}, diagnosis in a set of {} codes",
            self.kinds.join(" or "),
            self.coverage,
            self.covered.len()
        )
    }

    /// What the custodian proves for this request about claim `claim_id`.
    pub fn prove_request<'a>(
        &self,
        claim_id: &'a str,
        insurer: VerifierId,
        nonce: Nonce,
        covered: &'a CodeSet,
    ) -> ClaimRequest<'a> {
        ClaimRequest {
            claim_id,
            insurer,
            nonce,
            covered,
        }
    }
}

/// What a Claim proof is for: one insurer's request about one claim.
#[derive(Clone, Debug)]
pub struct ClaimRequest<'a> {
    /// The claim's resource id (a Claim or an ExplanationOfBenefit in the bundle).
    pub claim_id: &'a str,
    /// The insurer's public id.
    pub insurer: VerifierId,
    /// The insurer's nonce for this request.
    pub nonce: Nonce,
    /// The diagnoses the insurer covers.
    pub covered: &'a CodeSet,
}

/// The Claim or ExplanationOfBenefit with resource id `claim_id` in a bundle.
///
/// # Errors
///
/// [`HomeError::Invalid`] if the bundle has none.
pub fn find_claim<'e>(
    extraction: &'e Extraction,
    claim_id: &str,
) -> Result<&'e ExtractedRecord, HomeError> {
    extraction
        .records
        .iter()
        .find(|r| r.id == claim_id && is_claim_kind(r.fields.kind))
        .ok_or_else(|| {
            HomeError::Invalid(format!(
                "the bundle has no Claim or ExplanationOfBenefit with id {claim_id:?}"
            ))
        })
}

impl Home {
    /// The Claim statement for a claim of `extraction` (the bundle as it is now). The wallet
    /// must hold an opening of exactly this version of the resource (same fields, same
    /// digest): a claim changed since it was anchored must be anchored again first. A
    /// diagnosis outside the covered set gets [`CodeSet::witness_path`], so the statement is
    /// false and proving refuses it.
    ///
    /// # Errors
    ///
    /// No such claim in the bundle, no matching opening, registry and wallet errors.
    pub fn claim_statement(
        &self,
        extraction: &Extraction,
        request: &ClaimRequest<'_>,
    ) -> Result<(ClaimPublic, ClaimPrivate), HomeError> {
        let claim = find_claim(extraction, request.claim_id)?;
        let resource = format!("{}/{}", claim.resource_type(), claim.id);
        let opening = self
            .wallet()?
            .record_openings()?
            .into_iter()
            .filter(|o| o.resource() == resource && o.record.fields == claim.fields)
            .max_by_key(|o| o.index)
            .ok_or_else(|| {
                HomeError::Invalid(format!(
                    "{resource} is not anchored as it is in this bundle (anchor the bundle first)"
                ))
            })?;
        // A version since replaced (or a leaf of an older leaf format) is not in the tree.
        opening.provable()?;
        let (root, path) = self.registry.records_root_and_path(opening.index)?;
        let covered_path = request
            .covered
            .witness_path(opening.record.fields.related_code);
        let private = ClaimPrivate {
            record: opening.record,
            path,
            covered_path,
            insurer: request.insurer,
            nonce: request.nonce,
        };
        let public = private.public_for(root, request.covered);
        Ok((public, private))
    }
}
