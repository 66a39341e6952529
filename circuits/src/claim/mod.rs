//! Statement 3, Claim (insurers): "this claim's disclosed service code, service date and
//! amount come from an anchored Claim or ExplanationOfBenefit record; its diagnosis is in the
//! insurer's covered set; the patient's policy commitment is this one; this is the claim's
//! nullifier for this insurer; and this proof answers one request".
//!
//! An insurer checks a claim against the anchored record without seeing the chart: it learns
//! the service, the date and the amount, that the diagnosis is one it covers (not which one),
//! that the claim is its member's (it recomputes the [`PolicyCommitment`]), and a
//! [`ClaimNullifier`] that is the same every time the same service is claimed from it (by
//! its Claim, its ExplanationOfBenefit or any later version of either), so a service is paid
//! once.
//!
//! [`statement`] holds the public inputs, the witness and [`check`], the executable spec;
//! [`ClaimCircuit`] is the constraint system (`docs/spec.md` §10.9; tests in
//! `circuits/tests/claim.rs`).

mod circuit;
pub(crate) mod kind;
pub mod statement;

pub use circuit::{ClaimAssignment, ClaimCircuit};
pub use statement::{
    check, inputs, is_claim_kind, ClaimError, ClaimPrivate, ClaimPublic, CIRCUIT_VERSION, STATEMENT,
};

use crate::{
    domain, poseidon,
    record::ResourceIdentity,
    types::{CodeId, IdentityId, VerifierId},
};
use ark_bn254::Fr;

/// `H_policy(patient_id, coverage)`: an insured patient's policy, as the insurer computes it
/// for its member from the member's zkconsent identity id and the coverage code id
/// (`code_id("zkconsent:coverage", display)`, `docs/spec.md` §10.2).
///
/// Not hiding: anyone who knows both the patient's id and the coverage can recompute it,
/// which is the point (the insurer does) and why proofs go to the insurer only.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct PolicyCommitment(pub Fr);

impl PolicyCommitment {
    /// `H_policy(patient_id, coverage)`.
    pub fn derive(patient: IdentityId, coverage: CodeId) -> Self {
        Self(poseidon::hash_with_domain(
            domain::POLICY,
            &[patient.0, coverage.0],
        ))
    }

    /// The underlying field element.
    pub fn to_fr(self) -> Fr {
        self.0
    }
}

/// `H_claim.nullifier(identity, insurer_id)`: one claimed service as one insurer sees it.
///
/// It hashes the record's [`ResourceIdentity`], not its digest or the leaf's salt: a Claim
/// and the ExplanationOfBenefit that adjudicates it share the claim's identity, and so does
/// every later version of either or the same resource anchored again (another custodian,
/// another salt), so each gives the same nullifier and a service is paid once. Two insurers
/// get unlinkable nullifiers; the resource's holders (custodian, patient), who know the
/// claim's id, can recognise it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ClaimNullifier(pub Fr);

impl ClaimNullifier {
    /// `H_claim.nullifier(identity, insurer_id)`.
    pub fn derive(identity: ResourceIdentity, insurer: VerifierId) -> Self {
        Self(poseidon::hash_with_domain(
            domain::CLAIM_NULLIFIER,
            &[identity.0, insurer.0],
        ))
    }

    /// The underlying field element.
    pub fn to_fr(self) -> Fr {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{rngs::StdRng, SeedableRng};

    /// The native derivations equal the circuit's hashes, at the circuit's cost.
    #[test]
    fn native_policy_and_nullifier_equal_the_in_circuit_hashes() {
        let mut rng = StdRng::seed_from_u64(71);
        for _ in 0..4 {
            let [a, b] = [Fr::rand(&mut rng), Fr::rand(&mut rng)];
            let cs = ConstraintSystem::<Fr>::new_ref();
            let [x, y] = [a, b].map(|v| FpVar::new_witness(cs.clone(), || Ok(v)).unwrap());
            let policy = circuit::policy_commitment(&x, &y).unwrap();
            assert_eq!(
                policy.value().unwrap(),
                PolicyCommitment::derive(IdentityId(a), CodeId(b)).to_fr()
            );
            let after_policy = cs.num_constraints();
            let nullifier = circuit::claim_nullifier(&x, &y).unwrap();
            assert_eq!(
                nullifier.value().unwrap(),
                ClaimNullifier::derive(ResourceIdentity(a), VerifierId(b)).to_fr()
            );
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(after_policy, circuit::POSEIDON_2_CONSTRAINTS);
            assert_eq!(
                cs.num_constraints() - after_policy,
                circuit::POSEIDON_2_CONSTRAINTS
            );
        }
        // Domain separation: the same inputs under the two tags (and the request tag) differ.
        let (a, b) = (Fr::from(1u64), Fr::from(2u64));
        let policy = PolicyCommitment::derive(IdentityId(a), CodeId(b)).to_fr();
        let nullifier = ClaimNullifier::derive(ResourceIdentity(a), VerifierId(b)).to_fr();
        let request = crate::types::RequestHash::derive(VerifierId(a), crate::types::Nonce(b));
        assert_ne!(policy, nullifier);
        assert_ne!(policy, request.0);
        assert_ne!(nullifier, request.0);
    }
}
