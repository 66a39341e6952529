//! The Claim statement's constraint system.
//!
//! Cost per part (total pinned in `circuits/tests/claim.rs`): `3125 + 242·d` constraints,
//! 7965 at depth 20.
//!
//! | part | constraints |
//! |---|---|
//! | leaf: `H_record.leaf` over 11 fields (Poseidon, 11 inputs) | 465 |
//! | membership: records path `242·d` (root equality folded in), non-empty leaf | `242·d + 1` |
//! | kind: `(kind - 6)·(kind - 7) = 0` | 1 |
//! | disclosure: `kind`, `service_code`, `service_date`, `amount` are the leaf's fields | 0 |
//! | covered set: diagnosis path ([`CODE_SET_DEPTH`] = 8 levels of 242, root equality folded in) | 1936 |
//! | diagnosis non-zero: `related_code · inv = 1` | 1 |
//! | coverage non-zero: `coverage · inv = 1` | 1 |
//! | policy: Poseidon 2 inputs, equality folded in | 240 |
//! | nullifier: Poseidon 2 inputs, equality folded in | 240 |
//! | request hash: Poseidon 2 inputs, equality folded in | 240 |

use super::statement::{inputs, ClaimPrivate, ClaimPublic};
use crate::{
    domain,
    merkle::{constraints::MerklePathVar, MerklePath},
    poseidon::constraints::{hash_with_domain, hash_with_domain_equals},
    record::{fields, RecordKind, CODE_SET_DEPTH, RECORD_FIELDS},
};
use ark_bn254::Fr;
use ark_ff::{Field, Zero};
use ark_r1cs_std::{
    alloc::AllocVar,
    fields::{fp::FpVar, FieldVar},
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// Constraints of a 2-input domain-separated Poseidon (`docs/spec.md` §5, "Cost").
#[cfg(test)]
pub(super) const POSEIDON_2_CONSTRAINTS: usize = 240;

/// `H_policy(patient_id, coverage)` in-circuit: the twin of
/// [`super::PolicyCommitment::derive`]. 240 constraints.
/// The public input a tuple field is disclosed as, if it is.
fn disclosed_input(field: usize) -> Option<usize> {
    match field {
        fields::KIND => Some(inputs::KIND),
        fields::CODE => Some(inputs::SERVICE_CODE),
        fields::DATE => Some(inputs::SERVICE_DATE),
        fields::VALUE => Some(inputs::AMOUNT),
        _ => None,
    }
}

#[cfg(test)]
pub(super) fn policy_commitment(
    patient: &FpVar<Fr>,
    coverage: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    hash_with_domain(domain::POLICY, &[patient.clone(), coverage.clone()])
}

/// `H_claim.nullifier(identity, insurer_id)` in-circuit: the twin of
/// [`super::ClaimNullifier::derive`]. 240 constraints.
#[cfg(test)]
pub(super) fn claim_nullifier(
    identity: &FpVar<Fr>,
    insurer: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    hash_with_domain(
        domain::CLAIM_NULLIFIER,
        &[identity.clone(), insurer.clone()],
    )
}

/// Enforces `x ≠ 0` given the hint `inv` (`x · inv = 1`): one constraint. A hint instead of
/// `enforce_not_equal`'s internal inverse, so tests can set it to any value.
fn enforce_non_zero(x: &FpVar<Fr>, inv: &FpVar<Fr>) -> Result<(), SynthesisError> {
    x.mul_equals(inv, &FpVar::one())
}

/// Every value the circuit assigns, at field level.
///
/// The typed API ([`ClaimCircuit::new`]) fills it from [`ClaimPublic`]/[`ClaimPrivate`];
/// soundness tests edit it directly to reach values no typed API can express (a kind outside
/// the enumeration, a zero diagnosis with any inverse).
#[derive(Clone)]
pub struct ClaimAssignment {
    /// Public inputs, in [`inputs`] order.
    pub public: [Fr; inputs::COUNT],
    /// The record's tuple, salt included, in [`fields`] order. Its kind, code, date and
    /// value are not read: the circuit uses the public inputs they are disclosed as.
    pub tuple: [Fr; RECORD_FIELDS],
    /// Inclusion path in the records tree.
    pub path: MerklePath,
    /// Inclusion path of the diagnosis in the covered set ([`CODE_SET_DEPTH`] levels).
    pub covered_path: MerklePath,
    /// Insurer (verifier) id.
    pub insurer: Fr,
    /// Request nonce.
    pub nonce: Fr,
    /// Inverse of the diagnosis (hint; `related_code · inv = 1` enforced).
    pub diagnosis_inverse: Fr,
    /// Inverse of the coverage (hint; `coverage · inv = 1` enforced).
    pub coverage_inverse: Fr,
}

impl core::fmt::Debug for ClaimAssignment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClaimAssignment")
            .field("depth", &self.path.depth())
            .finish_non_exhaustive()
    }
}

impl ClaimAssignment {
    /// Recomputes the hints (the inverses of diagnosis and coverage, 0 for 0) from the tuple,
    /// as an honest prover does; tests call it after editing the tuple.
    pub fn derive_hints(&mut self) {
        let inverse = |x: Fr| x.inverse().unwrap_or_default();
        self.diagnosis_inverse = inverse(self.tuple[fields::RELATED_CODE]);
        self.coverage_inverse = inverse(self.tuple[fields::COVERAGE]);
    }
}

/// The Claim circuit for a records tree of fixed depth.
#[derive(Clone)]
pub struct ClaimCircuit {
    /// The assignment (dummy values during setup).
    pub assignment: ClaimAssignment,
}

impl core::fmt::Debug for ClaimCircuit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClaimCircuit")
            .field("depth", &self.depth())
            .finish_non_exhaustive()
    }
}

impl ClaimCircuit {
    /// The circuit for a statement.
    pub fn new(public: &ClaimPublic, private: &ClaimPrivate) -> Self {
        let zero = Fr::zero();
        let mut assignment = ClaimAssignment {
            public: public.to_field_elements(),
            tuple: private.record.to_field_elements(),
            path: private.path.clone(),
            covered_path: private.covered_path.clone(),
            insurer: private.insurer.0,
            nonce: private.nonce.0,
            diagnosis_inverse: zero,
            coverage_inverse: zero,
        };
        assignment.derive_hints();
        Self { assignment }
    }

    /// A circuit of the right shape with dummy values, for key generation.
    pub fn blank(depth: usize) -> Self {
        let zero = Fr::zero();
        Self {
            assignment: ClaimAssignment {
                public: [zero; inputs::COUNT],
                tuple: [zero; RECORD_FIELDS],
                path: MerklePath::blank(depth),
                covered_path: MerklePath::blank(CODE_SET_DEPTH),
                insurer: zero,
                nonce: zero,
                diagnosis_inverse: zero,
                coverage_inverse: zero,
            },
        }
    }

    /// Records-tree depth this circuit is built for.
    pub fn depth(&self) -> usize {
        self.assignment.path.depth()
    }
}

impl ConstraintSynthesizer<Fr> for ClaimCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let a = self.assignment;
        if a.covered_path.depth() != CODE_SET_DEPTH {
            return Err(SynthesisError::Unsatisfiable);
        }

        // Public inputs, in `inputs` order.
        let public = a
            .public
            .iter()
            .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let kind = &public[inputs::KIND];

        // Witnesses.
        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        // The disclosed fields are the public inputs themselves: no witness, no equality.
        let tuple = a
            .tuple
            .iter()
            .enumerate()
            .map(|(field, x)| match disclosed_input(field) {
                Some(input) => Ok(public[input].clone()),
                None => witness(*x),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let insurer = witness(a.insurer)?;
        let nonce = witness(a.nonce)?;
        let diagnosis_inverse = witness(a.diagnosis_inverse)?;
        let coverage_inverse = witness(a.coverage_inverse)?;
        let path = MerklePathVar::new_witness(cs.clone(), || Ok(&a.path))?;
        let covered_path = MerklePathVar::new_witness(cs.clone(), || Ok(&a.covered_path))?;

        // Membership: the leaf opens to the tuple and sits under the public root.
        let leaf = hash_with_domain(domain::RECORD_LEAF, &tuple)?;
        path.enforce_membership(&public[inputs::RECORDS_ROOT], &leaf)?;

        // Kind: a Claim or an ExplanationOfBenefit, nothing else.
        let claim = Fr::from(RecordKind::CLAIM_CODE);
        let eob = Fr::from(RecordKind::EXPLANATION_OF_BENEFIT_CODE);
        (kind - claim).mul_equals(&(kind - eob), &FpVar::zero())?;

        // Diagnosis: non-zero (an empty slot holds 0 and opens to the root) and in the
        // covered set.
        let diagnosis = &tuple[fields::RELATED_CODE];
        enforce_non_zero(diagnosis, &diagnosis_inverse)?;
        covered_path.enforce_root(diagnosis, &public[inputs::COVERED_SET_ROOT])?;

        // Policy: the record is insured (coverage non-zero) under this policy.
        let coverage = &tuple[fields::COVERAGE];
        enforce_non_zero(coverage, &coverage_inverse)?;
        hash_with_domain_equals(
            domain::POLICY,
            &[tuple[fields::PATIENT].clone(), coverage.clone()],
            &public[inputs::POLICY],
        )?;

        // Nullifier and request binding with the same insurer id: the nullifier is the
        // requesting insurer's own, and per service (the identity), not per version.
        hash_with_domain_equals(
            domain::CLAIM_NULLIFIER,
            &[tuple[fields::IDENTITY].clone(), insurer.clone()],
            &public[inputs::NULLIFIER],
        )?;
        hash_with_domain_equals(
            domain::REQUEST,
            &[insurer, nonce],
            &public[inputs::REQUEST_HASH],
        )?;
        Ok(())
    }
}
