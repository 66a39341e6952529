//! Claim (statement 3): the terms an insurer sets (its covered diagnoses, its member's
//! policy, the record kinds it accepts) and the Claim statement from a custodian's home.

use super::{InputRole, TermValue};
use crate::{
    claim_proof::ClaimRequest,
    code_list::parse_code,
    fhir::codes::{code_id, COVERAGE_SYSTEM},
};
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    claim::{inputs, PolicyCommitment},
    record::{CodeSet, RecordKind},
    types::{CodeId, IdentityId, Nonce, VerifierId},
};
use zkconsent_verifier::parse_fr_decimal;

/// The role of each Claim public input, in circuit order.
pub const ROLES: [InputRole; inputs::COUNT] = {
    let mut r = [InputRole::Term; inputs::COUNT];
    r[inputs::RECORDS_ROOT] = InputRole::RecordsRoot;
    r[inputs::SERVICE_CODE] = InputRole::Disclosed;
    r[inputs::SERVICE_DATE] = InputRole::Disclosed;
    r[inputs::AMOUNT] = InputRole::Disclosed;
    r[inputs::NULLIFIER] = InputRole::Nullifier;
    r[inputs::REQUEST_HASH] = InputRole::RequestHash;
    r
};

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
        let codes = self
            .covered
            .iter()
            .map(|c| parse_code(c))
            .collect::<Result<Vec<CodeId>, String>>()
            .map_err(|e| format!("covered: {e}"))?;
        CodeSet::new(&codes).map_err(|e| format!("covered: {e}"))
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
