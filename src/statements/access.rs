//! Access (statement 1): the request terms a record custodian sets, and the Access statement
//! gathered from a clinician's home.

use super::{InputRole, TermValue};
use crate::home::AccessRequest;
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    access::inputs,
    types::{IdentityId, Nonce, PatientRef, Purpose, Scope, Timestamp, VerifierId},
};
use zkconsent_verifier::parse_fr_decimal;

/// The role of each Access public input, in circuit order.
pub const ROLES: [InputRole; inputs::COUNT] = {
    let mut r = [InputRole::Term; inputs::COUNT];
    r[inputs::GRANTS_ROOT] = InputRole::GrantsRoot;
    r[inputs::NOW] = InputRole::Time;
    r[inputs::REQUEST_HASH] = InputRole::RequestHash;
    r[inputs::ACCESS_TAG] = InputRole::AccessTag;
    r
};

/// What a custodian asks of a clinician: access to this patient's records in this scope,
/// for this purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessTerms {
    /// The patient's public id (decimal).
    pub patient: String,
    /// The records asked for: a scope bitmask (the proof's scope is exactly this).
    pub scope: u64,
    /// The purpose served (a PurposeOfUse code number).
    pub purpose: u64,
}

impl AccessTerms {
    /// Terms for patient `patient`.
    pub fn new(patient: IdentityId, scope: Scope, purpose: Purpose) -> Self {
        Self {
            patient: zkconsent_circuits::fr_to_decimal(&patient.0),
            scope: scope.0,
            purpose: purpose.0,
        }
    }

    /// The patient's public id.
    ///
    /// # Errors
    ///
    /// Not a canonical decimal field element.
    pub fn patient_id(&self) -> Result<IdentityId, String> {
        parse_fr_decimal(&self.patient)
            .map(IdentityId)
            .map_err(|e| format!("patient: {e}"))
    }

    pub(super) fn term_values(
        &self,
        verifier: VerifierId,
    ) -> Result<Vec<(usize, TermValue)>, String> {
        let patient_ref = PatientRef::derive(self.patient_id()?, verifier);
        Ok(vec![
            (inputs::SCOPE, TermValue::Equal(Scope(self.scope).to_fr())),
            (
                inputs::PURPOSE,
                TermValue::Equal(Purpose(self.purpose).to_fr()),
            ),
            (inputs::PATIENT_REF, TermValue::Equal(patient_ref.0)),
        ])
    }

    pub(super) fn describe(&self) -> String {
        format!(
            "access to {} for {}",
            crate::vocab::describe_scope(Scope(self.scope)),
            crate::vocab::describe_purpose(Purpose(self.purpose))
        )
    }

    /// What the clinician proves for this request under grant `grant_index`, at `now`.
    pub fn prove_request(
        &self,
        grant_index: u64,
        verifier: VerifierId,
        nonce: Nonce,
        now: Timestamp,
    ) -> AccessRequest {
        AccessRequest {
            grant_index,
            verifier,
            nonce,
            scope: Scope(self.scope),
            purpose: Some(Purpose(self.purpose)),
            now,
        }
    }
}
