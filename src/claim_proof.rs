//! The Claim statement over a home: the claim resource found in a bundle, the custodian's
//! opening of its anchored version from the wallet, its path under the registry's current
//! records root, and the insurer's covered set and request.

use crate::{
    fhir::{ExtractedRecord, Extraction},
    home::{Home, HomeError},
};
use zkconsent_circuits::{
    claim::{is_claim_kind, ClaimPrivate, ClaimPublic},
    record::CodeSet,
    types::{Nonce, VerifierId},
};

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
            .wallet
            .record_openings()?
            .into_iter()
            .filter(|o| o.resource() == resource && o.record.fields == claim.fields)
            .max_by_key(|o| o.index)
            .ok_or_else(|| {
                HomeError::Invalid(format!(
                    "{resource} is not anchored as it is in this bundle (anchor the bundle first)"
                ))
            })?;
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
