//! Grants and their leaf commitment, natively.
//!
//! `commitment = PoseidonEx([patient_id, grantee_id, scope, purpose, not_before, not_after,
//! salt], initialState = tag("zkconsent.grant.leaf"))`, seven inputs in this order. The salt
//! hides the other fields from anyone who sees only the tree.

pub mod constraints;

use crate::{
    domain, poseidon,
    types::{GrantCommitment, GrantSalt, IdentityId, Purpose, Scope, Timestamp},
};
use ark_bn254::Fr;

/// Number of fields committed in a grant leaf.
pub const GRANT_FIELDS: usize = 7;

/// Offsets of the grant's fields in [`Grant::to_field_elements`] (the commitment order).
pub mod fields {
    /// The patient's identity id.
    pub const PATIENT: usize = 0;
    /// The grantee's id (a clinician, or the researcher of a Cohort proof).
    pub const GRANTEE: usize = 1;
    /// Granted scope.
    pub const SCOPE: usize = 2;
    /// Granted purpose.
    pub const PURPOSE: usize = 3;
    /// First second of validity.
    pub const NOT_BEFORE: usize = 4;
    /// First second after validity.
    pub const NOT_AFTER: usize = 5;
    /// Grant salt.
    pub const SALT: usize = 6;
}

/// A grant: the patient lets the grantee use the records in `scope` for `purpose` during
/// `[not_before, not_after)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Grant {
    /// The patient's public id, `H_identity(patient_secret)`.
    pub patient: IdentityId,
    /// The grantee's (clinician's) public id, `H_identity(grantee_secret)`.
    pub grantee: IdentityId,
    /// Granted scope bitmask.
    pub scope: Scope,
    /// Purpose of use.
    pub purpose: Purpose,
    /// First second of validity.
    pub not_before: Timestamp,
    /// First second after validity.
    pub not_after: Timestamp,
    /// Hiding salt, shared by patient and grantee; keys the access tags.
    pub salt: GrantSalt,
}

impl core::fmt::Debug for Grant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Grant")
            .field("scope", &self.scope)
            .field("purpose", &self.purpose)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl Grant {
    /// The committed fields as field elements, in commitment order.
    pub fn to_field_elements(&self) -> [Fr; GRANT_FIELDS] {
        let Self {
            patient,
            grantee,
            scope,
            purpose,
            not_before,
            not_after,
            salt,
        } = self;
        let mut out = [Fr::from(0u64); GRANT_FIELDS];
        out[fields::PATIENT] = patient.0;
        out[fields::GRANTEE] = grantee.0;
        out[fields::SCOPE] = scope.to_fr();
        out[fields::PURPOSE] = purpose.to_fr();
        out[fields::NOT_BEFORE] = not_before.to_fr();
        out[fields::NOT_AFTER] = not_after.to_fr();
        out[fields::SALT] = salt.0;
        out
    }

    /// The leaf commitment.
    pub fn commit(&self) -> GrantCommitment {
        GrantCommitment(commit(&self.to_field_elements()))
    }
}

/// The leaf commitment over field-level grant fields (in commitment order).
pub fn commit(fields: &[Fr; GRANT_FIELDS]) -> Fr {
    poseidon::hash_with_domain(domain::GRANT_LEAF, fields)
}
