//! The grant-authority statement (statement 0) over a home: the patient proves authority
//! over a grant leaf, and the registry appends or zeroes it only with that proof.

use crate::{
    home::{to_verifier_proof, Home, HomeError},
    registry::Role,
    vocab::RESEARCH,
};
use rand::{CryptoRng, RngCore};
use zkconsent_circuits::{
    authority::{AuthorityPrivate, AuthorityPublic, GrantAction},
    grant::Grant,
    statement::Authority,
    types::{GrantSalt, Purpose, Scope, SecretKey, Timestamp},
};
use zkconsent_prover::{prove_statement, Statement};
use zkconsent_verifier as verifier;
use zkconsent_wallet::PendingGrant;

/// What to grant.
#[derive(Clone, Debug)]
pub struct GrantRequest {
    /// Patient's name in the wallet.
    pub patient: String,
    /// Grantee's name in the wallet (or a public id registered in the registry).
    pub grantee: String,
    /// Scope granted.
    pub scope: Scope,
    /// Purpose granted.
    pub purpose: Purpose,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity (exclusive).
    pub not_after: Timestamp,
}

impl Home {
    /// The patient issues a grant: proves authority over the new leaf, the registry verifies
    /// and appends it, and the opening goes to the wallet. Returns the leaf index.
    ///
    /// # Errors
    ///
    /// Unknown parties, a false authority statement, registry refusal.
    pub fn issue_grant<R: RngCore + CryptoRng>(
        &mut self,
        request: &GrantRequest,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<(u64, Grant), HomeError> {
        crate::limits::check_grant_window(request.not_before, request.not_after)
            .map_err(HomeError::Invalid)?;
        self.expect_role(&request.patient, Role::Patient)?;
        // A verifier is granted only research: the researcher a Cohort proof is made for
        // (spec §10.10); any other purpose goes to a clinician.
        if self.role_of(&request.grantee)? == Role::Verifier && request.purpose != RESEARCH {
            return Err(HomeError::Invalid(format!(
                "{} is a verifier: it can be granted research only",
                request.grantee
            )));
        }
        let patient_secret = self.secret(&request.patient)?;
        let grant = Grant {
            patient: patient_secret.id(),
            grantee: self.identity_id(&request.grantee)?,
            scope: request.scope,
            purpose: request.purpose,
            not_before: request.not_before,
            not_after: request.not_after,
            salt: GrantSalt::random(rng),
        };
        let proof = self.authority_proof(GrantAction::Issue, &grant, patient_secret, rng)?;
        // The opening is written before the registry sees the commitment (see
        // `zkconsent_wallet::pending`); a crash after this line is settled on the next start.
        self.wallet_mut()?.add_pending_grant(&PendingGrant {
            grant: grant.clone(),
            patient_name: request.patient.clone(),
            grantee_name: request.grantee.clone(),
            proof: proof.to_bytes().to_vec(),
            created_at: now,
        })?;
        crate::crashpoint::hit(crate::crashpoint::GRANT_PENDING);
        let index = match self.submit_issue(grant.commit(), &proof, now) {
            Ok(index) => index,
            Err(e) => {
                if e.is_final_refusal() {
                    self.wallet_mut()?.drop_pending_grant(grant.commit())?;
                }
                return Err(e);
            }
        };
        crate::crashpoint::hit(crate::crashpoint::GRANT_SUBMITTED);
        self.wallet_mut()?
            .settle_pending_grant(grant.commit(), index)?;
        Ok((index, grant))
    }

    /// The patient revokes a grant: proves authority, the registry zeroes the leaf.
    ///
    /// # Errors
    ///
    /// Unknown grant, a false authority statement, registry refusal.
    pub fn revoke_grant<R: RngCore + CryptoRng>(
        &mut self,
        index: u64,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<(), HomeError> {
        let opening = self.wallet()?.grant(index)?;
        let patient_secret = self.secret(&opening.patient_name)?;
        let proof =
            self.authority_proof(GrantAction::Revoke, &opening.grant, patient_secret, rng)?;
        self.submit_revoke(index, &proof, now)?;
        crate::crashpoint::hit(crate::crashpoint::REVOKE_SUBMITTED);
        Ok(())
    }

    fn authority_proof<R: RngCore + CryptoRng>(
        &self,
        action: GrantAction,
        grant: &Grant,
        patient_secret: SecretKey,
        rng: &mut R,
    ) -> Result<verifier::Proof, HomeError> {
        let keys = self.params.load(Statement::Authority)?;
        let public = AuthorityPublic {
            action,
            commitment: grant.commit(),
        };
        let private = AuthorityPrivate {
            patient_secret,
            grant: grant.clone(),
        };
        let proof = prove_statement::<Authority>(&keys, &public, &private, rng)?;
        to_verifier_proof(&proof)
    }
}
