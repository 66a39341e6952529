//! Access (statement 1): the request terms a record custodian sets, and the Access statement
//! gathered from a clinician's home.

use super::TermValue;
use crate::{
    files::proof::ProofFile,
    home::{proof_file, Home, HomeError},
};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    access::{inputs, AccessPrivate, AccessPublic},
    grant::Grant,
    range,
    statement::{Access, Statement as _},
    types::{IdentityId, Nonce, PatientRef, Purpose, Scope, Timestamp, VerifierId},
};
use zkconsent_prover::{prove_statement, LoadedKeys, ProverError};
use zkconsent_verifier::parse_fr_decimal;

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

/// A grant asked to answer at a time outside its validity window `[not_before, not_after)`:
/// expired, or not valid yet. Its message names the window and the time in ISO 8601, which
/// the circuit's own reason cannot (it knows no calendar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutsideWindow {
    /// What the grant is to the reader: `grant` or `research grant`.
    pub what: &'static str,
    /// The grant's leaf index.
    pub index: u64,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity (exclusive).
    pub not_after: Timestamp,
    /// The time the proof was asked for.
    pub now: Timestamp,
}

impl OutsideWindow {
    /// `Err` if `now` is outside `grant`'s window (the circuit's test, [`range::in_window`]).
    ///
    /// # Errors
    ///
    /// [`OutsideWindow`] naming the grant, its window and `now`.
    pub fn check(
        what: &'static str,
        index: u64,
        grant: &Grant,
        now: Timestamp,
    ) -> Result<(), Self> {
        if range::in_window(grant.not_before.0, now.0, grant.not_after.0) {
            return Ok(());
        }
        Err(Self {
            what,
            index,
            not_before: grant.not_before,
            not_after: grant.not_after,
            now,
        })
    }

    /// Whether the window is over (rather than still to come).
    pub fn expired(&self) -> bool {
        self.now >= self.not_after
    }
}

impl std::fmt::Display for OutsideWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            what,
            index,
            not_before,
            not_after,
            now,
        } = self;
        if self.expired() {
            write!(f, "{what} {index} expired at {not_after}")?;
        } else {
            write!(f, "{what} {index} is not valid before {not_before}")?;
        }
        write!(
            f,
            " (valid from {not_before} to {not_after}); the proof's time is {now}"
        )
    }
}

impl std::error::Error for OutsideWindow {}

/// The reason an Access statement is false when the grant's window misses the proof's time:
/// the circuit's wording, then the window in ISO 8601.
#[derive(Debug, thiserror::Error)]
#[error("time is outside the grant's validity window: {0}")]
pub struct AccessOutsideWindow(pub OutsideWindow);

/// What an access proof is for.
#[derive(Clone, Debug)]
pub struct AccessRequest {
    /// Leaf index of the grant (its opening must be in the wallet).
    pub grant_index: u64,
    /// The verifier's public id.
    pub verifier: VerifierId,
    /// The verifier's nonce for this request.
    pub nonce: Nonce,
    /// Scope requested.
    pub scope: Scope,
    /// Purpose requested (defaults to the grant's).
    pub purpose: Option<Purpose>,
    /// Time of access.
    pub now: Timestamp,
}

impl Home {
    /// The grantee proves access under a grant in the wallet, against the current root.
    ///
    /// # Errors
    ///
    /// Unknown grant, a false statement (revoked, expired, wider scope…), proving errors.
    pub fn prove_access<R: RngCore + CryptoRng>(
        &self,
        keys: &LoadedKeys,
        request: &AccessRequest,
        rng: &mut R,
    ) -> Result<(ProofFile, AccessPublic), HomeError> {
        let (public, private) = self.access_statement(request)?;
        let proof = prove_statement::<Access>(keys, &public, &private, rng)?;
        let inputs = public.to_field_elements();
        Ok((proof_file(keys, &inputs, &proof)?, public))
    }

    /// The Access statement a request asks for: the grant's opening and secret from the
    /// wallet, its path under the registry's current root. Reads only, so a batch can gather
    /// its statements here and prove them in parallel away from the databases.
    ///
    /// # Errors
    ///
    /// Unknown grant or identity, registry errors; a time outside the grant's validity
    /// window is a false statement ([`HomeError::Prover`]) named by [`AccessOutsideWindow`].
    pub fn access_statement(
        &self,
        request: &AccessRequest,
    ) -> Result<(AccessPublic, AccessPrivate), HomeError> {
        let opening = self.wallet()?.grant(request.grant_index)?;
        OutsideWindow::check("grant", request.grant_index, &opening.grant, request.now).map_err(
            |e| ProverError::False {
                statement: Access::KIND,
                reason: Box::new(AccessOutsideWindow(e)),
            },
        )?;
        let grantee_secret = self.secret(&opening.grantee_name)?;
        let (root, path) = self.registry.root_and_path(request.grant_index)?;
        let private = AccessPrivate {
            grant: opening.grant,
            grantee_secret,
            path,
            verifier: request.verifier,
            nonce: request.nonce,
        };
        let mut public = private.public_for(root, request.now, request.scope);
        if let Some(purpose) = request.purpose {
            public.purpose = purpose;
        }
        Ok((public, private))
    }
}
