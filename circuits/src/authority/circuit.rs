//! The grant-authority statement's constraint system.

use super::{inputs, AuthorityPrivate, AuthorityPublic, GrantAction};
use crate::{
    domain,
    grant::{self, GRANT_FIELDS},
    poseidon::constraints::hash_with_domain,
    range::{constraints::enforce_below_two_pow, U64_BITS},
};
use ark_bn254::Fr;
use ark_r1cs_std::{
    alloc::AllocVar,
    fields::{fp::FpVar, FieldVar},
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// Every value the circuit assigns, at field level (see [`crate::access::AccessAssignment`]).
#[derive(Clone)]
pub struct AuthorityAssignment {
    /// Public inputs, in [`inputs`] order.
    pub public: [Fr; inputs::COUNT],
    /// The patient's secret key.
    pub patient_secret: Fr,
    /// The grant fields in commitment order; the patient id (index 0) is not used: the
    /// circuit recomputes it from the secret.
    pub grant: [Fr; GRANT_FIELDS],
}

impl core::fmt::Debug for AuthorityAssignment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthorityAssignment")
            .finish_non_exhaustive()
    }
}

/// The grant-authority circuit.
#[derive(Clone, Debug)]
pub struct AuthorityCircuit {
    /// The assignment (dummy values during setup).
    pub assignment: AuthorityAssignment,
}

/// Offsets of range-checked grant fields (scope, not_before, not_after).
const RANGE_CHECKED_FIELDS: [usize; 3] = [2, 4, 5];

impl AuthorityCircuit {
    /// The circuit for a statement.
    pub fn new(public: &AuthorityPublic, private: &AuthorityPrivate) -> Self {
        Self {
            assignment: AuthorityAssignment {
                public: public.to_field_elements(),
                patient_secret: private.patient_secret.0,
                grant: private.grant.to_field_elements(),
            },
        }
    }

    /// A circuit of the right shape with dummy values, for key generation.
    pub fn blank() -> Self {
        let zero = Fr::from(0u64);
        Self {
            assignment: AuthorityAssignment {
                public: [zero; inputs::COUNT],
                patient_secret: zero,
                grant: [zero; GRANT_FIELDS],
            },
        }
    }
}

impl ConstraintSynthesizer<Fr> for AuthorityCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let a = self.assignment;

        // Public inputs.
        let action = FpVar::new_input(cs.clone(), || Ok(a.public[inputs::ACTION]))?;
        let commitment = FpVar::new_input(cs.clone(), || Ok(a.public[inputs::COMMITMENT]))?;

        // Witnesses.
        let secret = FpVar::new_witness(cs.clone(), || Ok(a.patient_secret))?;
        // The patient id (field 0) is not a witness: it is recomputed from the secret below.
        let others = a.grant[1..]
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;

        // Action is one of the known codes: (action - issue) * (action - revoke) = 0.
        let issue = Fr::from(GrantAction::ISSUE_CODE);
        let revoke = Fr::from(GrantAction::REVOKE_CODE);
        (&action - issue).mul_equals(&(&action - revoke), &FpVar::constant(Fr::from(0u64)))?;

        // Patient key knowledge: the leaf's patient id is H(secret).
        let mut fields = vec![hash_with_domain(domain::IDENTITY, &[secret])?];
        fields.extend(others);

        // Well-formed grant: scope and window fields fit in 64 bits.
        for i in RANGE_CHECKED_FIELDS {
            enforce_below_two_pow(&fields[i], U64_BITS)?;
        }

        // The leaf opens to these fields.
        let fields: [FpVar<Fr>; GRANT_FIELDS] = fields
            .try_into()
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        grant::constraints::enforce_commit(&fields, &commitment)?;
        Ok(())
    }
}
