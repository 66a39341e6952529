//! The Access statement's constraint system.

use super::{inputs, AccessPrivate, AccessPublic};
use crate::{
    domain, grant,
    merkle::{constraints::MerklePathVar, MerklePath},
    poseidon::constraints::hash_with_domain_equals,
    range::constraints::enforce_in_window,
    scope::constraints::enforce_covers,
};
use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// Every value the circuit assigns, at field level.
///
/// The typed API ([`AccessCircuit::new`]) fills it from [`AccessPublic`]/[`AccessPrivate`];
/// soundness tests edit it directly to reach values no typed API can express (`2^64`,
/// `p - 1`, a flipped path bit).
#[derive(Clone)]
pub struct AccessAssignment {
    /// Public inputs, in [`inputs`] order.
    pub public: [Fr; inputs::COUNT],
    /// Grant: patient id.
    pub patient_id: Fr,
    /// Grant: grantee id (must equal `H_identity(grantee_secret)`).
    pub grantee_id: Fr,
    /// Grant: granted scope.
    pub granted_scope: Fr,
    /// Grant: purpose (must equal the public purpose).
    pub purpose: Fr,
    /// Grant: not_before.
    pub not_before: Fr,
    /// Grant: not_after.
    pub not_after: Fr,
    /// Grant: salt.
    pub salt: Fr,
    /// Grantee secret key.
    pub grantee_secret: Fr,
    /// Verifier id.
    pub verifier: Fr,
    /// Request nonce.
    pub nonce: Fr,
    /// Inclusion path.
    pub path: MerklePath,
}

impl core::fmt::Debug for AccessAssignment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccessAssignment")
            .field("depth", &self.path.depth())
            .finish_non_exhaustive()
    }
}

/// The Access circuit for a grants tree of fixed depth.
#[derive(Clone)]
pub struct AccessCircuit {
    /// The assignment (dummy values during setup).
    pub assignment: AccessAssignment,
}

impl core::fmt::Debug for AccessCircuit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccessCircuit")
            .field("depth", &self.depth())
            .finish_non_exhaustive()
    }
}

impl AccessCircuit {
    /// The circuit for a statement.
    pub fn new(public: &AccessPublic, private: &AccessPrivate) -> Self {
        let g = &private.grant;
        Self {
            assignment: AccessAssignment {
                public: public.to_field_elements(),
                patient_id: g.patient.0,
                grantee_id: g.grantee.0,
                purpose: g.purpose.to_fr(),
                granted_scope: g.scope.to_fr(),
                not_before: g.not_before.to_fr(),
                not_after: g.not_after.to_fr(),
                salt: g.salt.0,
                grantee_secret: private.grantee_secret.0,
                verifier: private.verifier.0,
                nonce: private.nonce.0,
                path: private.path.clone(),
            },
        }
    }

    /// A circuit of the right shape with dummy values, for key generation.
    pub fn blank(depth: usize) -> Self {
        let zero = Fr::from(0u64);
        Self {
            assignment: AccessAssignment {
                public: [zero; inputs::COUNT],
                patient_id: zero,
                grantee_id: zero,
                purpose: zero,
                granted_scope: zero,
                not_before: zero,
                not_after: zero,
                salt: zero,
                grantee_secret: zero,
                verifier: zero,
                nonce: zero,
                path: MerklePath::blank(depth),
            },
        }
    }

    /// Tree depth this circuit is built for.
    pub fn depth(&self) -> usize {
        self.assignment.path.depth()
    }
}

impl ConstraintSynthesizer<Fr> for AccessCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let a = self.assignment;

        // Public inputs, in `inputs` order.
        let public = a
            .public
            .iter()
            .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let root = &public[inputs::GRANTS_ROOT];
        let now = &public[inputs::NOW];
        let requested_scope = &public[inputs::SCOPE];
        let purpose = &public[inputs::PURPOSE];
        let patient_ref = &public[inputs::PATIENT_REF];
        let request_hash = &public[inputs::REQUEST_HASH];
        let access_tag = &public[inputs::ACCESS_TAG];

        // Witnesses.
        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        let patient_id = witness(a.patient_id)?;
        let grantee_id = witness(a.grantee_id)?;
        let granted_purpose = witness(a.purpose)?;
        let granted_scope = witness(a.granted_scope)?;
        let not_before = witness(a.not_before)?;
        let not_after = witness(a.not_after)?;
        let salt = witness(a.salt)?;
        let grantee_secret = witness(a.grantee_secret)?;
        let verifier = witness(a.verifier)?;
        let nonce = witness(a.nonce)?;
        let path = MerklePathVar::new_witness(cs.clone(), || Ok(&a.path))?;

        // Grantee key knowledge: the grantee id in the leaf is H(secret).
        hash_with_domain_equals(domain::IDENTITY, &[grantee_secret], &grantee_id)?;

        // Purpose: the grant's purpose is the requested one.
        granted_purpose.enforce_equal(purpose)?;

        // Grant integrity: the leaf opens to the grant's fields.
        let leaf = grant::constraints::commit(&[
            patient_id.clone(),
            grantee_id,
            granted_scope.clone(),
            granted_purpose,
            not_before.clone(),
            not_after.clone(),
            salt.clone(),
        ])?;

        // Membership under the public root; revoked slots are zero and never match.
        path.enforce_membership(root, &leaf)?;

        // Validity window with 64-bit range checks.
        enforce_in_window(&not_before, now, &not_after)?;

        // Scope coverage.
        enforce_covers(&granted_scope, requested_scope)?;

        // Request binding: the same verifier id scopes the patient reference.
        hash_with_domain_equals(domain::REQUEST, &[verifier.clone(), nonce], request_hash)?;

        // Patient reference for this verifier.
        hash_with_domain_equals(domain::PATIENT_REF, &[patient_id, verifier], patient_ref)?;

        // Access tag: auditable by the patient (who knows the salt), unlinkable to others.
        hash_with_domain_equals(
            domain::ACCESS_TAG,
            &[salt, request_hash.clone()],
            access_tag,
        )?;
        Ok(())
    }
}
