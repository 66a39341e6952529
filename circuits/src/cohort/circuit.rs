//! The Cohort statement's constraint system.
//!
//! Cost per part (total pinned in `circuits/tests/cohort.rs`): `8747 + 484·d` constraints,
//! 18427 at depth 20 (`d` is the depth of both trees).
//!
//! | part | constraints |
//! |---|---|
//! | patient id: `H_identity(sk)` (Poseidon, 1 input) | 213 |
//! | summary kind = 9, summary patient = id | 2 |
//! | summary leaf: `H_record.leaf` (Poseidon, 11 inputs) | 465 |
//! | summary membership: records path `242·d` (root equality folded in), non-empty leaf | `242·d + 1` |
//! | list hash: 4 × Poseidon 16 inputs (609) + Poseidon 4 inputs (297), equality with `code` folded in | 2733 |
//! | birth window: `birth_lo <= date <= birth_hi`, 64-bit checks | 256 |
//! | freshness: `summary_not_before`, `as_of - summary_not_before` below `2^64` | 128 |
//! | inclusion selector: 64 booleans, sum 1, 64 products | 129 |
//! | inclusion: selected code non-zero, set path (8 × 242, root equality folded in) | 1937 |
//! | exclusion hash: Poseidon 16 inputs, equality folded in | 609 |
//! | exclusion: `(slot_i - e_j)·inv_ij = 1` for 64 × 16 pairs | 1024 |
//! | grant patient = id | 1 |
//! | grant leaf: `H_grant.leaf` (Poseidon, 7 inputs) | 381 |
//! | grant membership: grants path `242·d` (root equality folded in), non-empty leaf | `242·d + 1` |
//! | grant window, scope, purpose | 256 + 130 + 1 |
//! | nullifier: Poseidon 2 inputs, equality folded in | 240 |
//! | request hash: Poseidon 2 inputs, equality folded in | 240 |

use super::{
    statement::{inputs, CohortPrivate, CohortPublic},
    summary::{LIST_CHUNK, MAX_SUMMARY_CODES},
    MAX_EXCLUSION_CODES,
};
use crate::{
    domain, grant,
    merkle::{constraints::MerklePathVar, MerklePath},
    poseidon::constraints::{hash_with_domain, hash_with_domain_equals},
    range::{
        constraints::{enforce_below_two_pow, enforce_in_range, enforce_in_window},
        U64_BITS,
    },
    record::{fields, RecordKind, CODE_SET_DEPTH, RECORD_FIELDS},
    scope::constraints::enforce_covers,
};
use ark_bn254::Fr;
use ark_ff::{Field, Zero};
use ark_r1cs_std::{
    alloc::AllocVar,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// `H_cohort.nullifier(patient_secret, study)` in-circuit: the twin of
/// [`super::CohortNullifier::derive`]. 240 constraints.
#[cfg(test)]
pub(super) fn cohort_nullifier(
    patient_secret: &FpVar<Fr>,
    study: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    hash_with_domain(
        domain::COHORT_NULLIFIER,
        &[patient_secret.clone(), study.clone()],
    )
}

/// Enforces that `expected` is the condition list hash of `slots`, the twin of
/// [`super::list_hash`]: 2733 constraints, its equality folded into the top hash.
fn enforce_list_hash(slots: &[FpVar<Fr>], expected: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let chunks = slots
        .chunks(LIST_CHUNK)
        .map(|chunk| hash_with_domain(domain::CONDITION_LIST, chunk))
        .collect::<Result<Vec<_>, _>>()?;
    hash_with_domain_equals(domain::CONDITION_LIST, &chunks, expected)
}

/// Enforces `not_before <= as_of` with 64-bit checks on `not_before` and `as_of -
/// not_before`: 128 constraints. Both terms below `2^64` make `as_of = not_before + diff` an
/// integer below `2^65` (no wrap), so `as_of >= not_before` as integers; a "negative"
/// difference wraps the field and fails its check.
fn enforce_not_before(not_before: &FpVar<Fr>, as_of: &FpVar<Fr>) -> Result<(), SynthesisError> {
    enforce_below_two_pow(not_before, U64_BITS)?;
    enforce_below_two_pow(&(as_of - not_before), U64_BITS)?;
    Ok(())
}

/// Every value the circuit assigns, at field level.
///
/// The typed API ([`CohortCircuit::new`]) fills it from [`CohortPublic`]/[`CohortPrivate`];
/// soundness tests edit it directly to reach values no typed API can express (a selector
/// with two ones or a 2, an exclusion entry of 0, a wrong inverse).
#[derive(Clone)]
pub struct CohortAssignment {
    /// Public inputs, in [`inputs`] order.
    pub public: [Fr; inputs::COUNT],
    /// The patient's secret key.
    pub patient_secret: Fr,
    /// The summary record's tuple, salt included, in [`fields`] order.
    pub tuple: [Fr; RECORD_FIELDS],
    /// Inclusion path of the summary in the records tree.
    pub summary_path: MerklePath,
    /// The condition list ([`MAX_SUMMARY_CODES`] slots; any other length fails synthesis).
    pub slots: Vec<Fr>,
    /// One-hot selector over the slots (booleanity and sum enforced).
    pub selector: Vec<Fr>,
    /// Inverse of the selected code (hint; `selected · inv = 1` enforced).
    pub selected_inverse: Fr,
    /// Inclusion path of the selected code in the inclusion set ([`CODE_SET_DEPTH`] levels).
    pub inclusion_path: MerklePath,
    /// The exclusion entries (codes, then the pad `p − 1`).
    pub exclusion: [Fr; MAX_EXCLUSION_CODES],
    /// `exclusion_inverses[i][j] = 1 / (slot_i − e_j)` (hints; each product enforced to 1).
    pub exclusion_inverses: Vec<[Fr; MAX_EXCLUSION_CODES]>,
    /// The grant's seven fields in commitment order (patient, grantee, scope, purpose,
    /// not_before, not_after, salt).
    pub grant: [Fr; grant::GRANT_FIELDS],
    /// Inclusion path of the grant in the grants tree.
    pub grant_path: MerklePath,
    /// Request nonce.
    pub nonce: Fr,
}

impl core::fmt::Debug for CohortAssignment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CohortAssignment")
            .field("depth", &self.summary_path.depth())
            .finish_non_exhaustive()
    }
}

impl CohortAssignment {
    /// Recomputes the hints (the selected code's inverse and the exclusion inverses, 0 for 0)
    /// from the slots, selector and entries, as an honest prover does; tests call it after
    /// editing those.
    pub fn derive_hints(&mut self) {
        let inverse = |x: Fr| x.inverse().unwrap_or_default();
        let selected: Fr = self
            .selector
            .iter()
            .zip(&self.slots)
            .map(|(s, x)| *s * x)
            .sum();
        self.selected_inverse = inverse(selected);
        self.exclusion_inverses = self
            .slots
            .iter()
            .map(|x| self.exclusion.map(|e| inverse(*x - e)))
            .collect();
    }
}

/// The Cohort circuit for records and grants trees of one fixed depth.
#[derive(Clone)]
pub struct CohortCircuit {
    /// The assignment (dummy values during setup).
    pub assignment: CohortAssignment,
}

impl core::fmt::Debug for CohortCircuit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CohortCircuit")
            .field("depth", &self.depth())
            .finish_non_exhaustive()
    }
}

impl CohortCircuit {
    /// The circuit for a statement.
    pub fn new(public: &CohortPublic, private: &CohortPrivate) -> Self {
        let slots = private.slots();
        let selector = (0..slots.len())
            .map(|i| Fr::from(u64::from(i == private.selected)))
            .collect();
        let mut assignment = CohortAssignment {
            public: public.to_field_elements(),
            patient_secret: private.patient_secret.0,
            tuple: private.summary.to_field_elements(),
            summary_path: private.summary_path.clone(),
            slots,
            selector,
            selected_inverse: Fr::zero(),
            inclusion_path: private.inclusion_path.clone(),
            exclusion: private.exclusion.entries(),
            exclusion_inverses: Vec::new(),
            grant: private.grant.to_field_elements(),
            grant_path: private.grant_path.clone(),
            nonce: private.nonce.0,
        };
        assignment.derive_hints();
        Self { assignment }
    }

    /// A circuit of the right shape with dummy values, for key generation.
    pub fn blank(depth: usize) -> Self {
        let zero = Fr::zero();
        Self {
            assignment: CohortAssignment {
                public: [zero; inputs::COUNT],
                patient_secret: zero,
                tuple: [zero; RECORD_FIELDS],
                summary_path: MerklePath::blank(depth),
                slots: vec![zero; MAX_SUMMARY_CODES],
                selector: vec![zero; MAX_SUMMARY_CODES],
                selected_inverse: zero,
                inclusion_path: MerklePath::blank(CODE_SET_DEPTH),
                exclusion: [zero; MAX_EXCLUSION_CODES],
                exclusion_inverses: vec![[zero; MAX_EXCLUSION_CODES]; MAX_SUMMARY_CODES],
                grant: [zero; grant::GRANT_FIELDS],
                grant_path: MerklePath::blank(depth),
                nonce: zero,
            },
        }
    }

    /// Depth of the records and grants trees this circuit is built for.
    pub fn depth(&self) -> usize {
        self.assignment.summary_path.depth()
    }
}

impl ConstraintSynthesizer<Fr> for CohortCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let a = self.assignment;
        // The shape: fixed list lengths, a code-set path, both trees of one depth.
        if a.slots.len() != MAX_SUMMARY_CODES
            || a.selector.len() != MAX_SUMMARY_CODES
            || a.exclusion_inverses.len() != MAX_SUMMARY_CODES
            || a.inclusion_path.depth() != CODE_SET_DEPTH
            || a.grant_path.depth() != a.summary_path.depth()
        {
            return Err(SynthesisError::Unsatisfiable);
        }

        // Public inputs, in `inputs` order.
        let public = a
            .public
            .iter()
            .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;

        // Witnesses.
        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        let witnesses = |xs: &[Fr]| {
            xs.iter()
                .map(|x| witness(*x))
                .collect::<Result<Vec<_>, _>>()
        };
        let patient_secret = witness(a.patient_secret)?;
        let tuple = witnesses(&a.tuple)?;
        let slots = witnesses(&a.slots)?;
        let selector = witnesses(&a.selector)?;
        let selected_inverse = witness(a.selected_inverse)?;
        let exclusion = witnesses(&a.exclusion)?;
        let exclusion_inverses = a
            .exclusion_inverses
            .iter()
            .map(|row| witnesses(row))
            .collect::<Result<Vec<_>, _>>()?;
        let grant = witnesses(&a.grant)?;
        let nonce = witness(a.nonce)?;
        let summary_path = MerklePathVar::new_witness(cs.clone(), || Ok(&a.summary_path))?;
        let inclusion_path = MerklePathVar::new_witness(cs.clone(), || Ok(&a.inclusion_path))?;
        let grant_path = MerklePathVar::new_witness(cs.clone(), || Ok(&a.grant_path))?;

        // Patient: the id the summary and the grant name is H_identity(sk).
        let patient = hash_with_domain(domain::IDENTITY, core::slice::from_ref(&patient_secret))?;

        // Summary: a condition summary of this patient, anchored under the records root.
        let summary_kind = FpVar::constant(Fr::from(RecordKind::CONDITION_SUMMARY_CODE));
        tuple[fields::KIND].enforce_equal(&summary_kind)?;
        tuple[fields::PATIENT].enforce_equal(&patient)?;
        let leaf = hash_with_domain(domain::RECORD_LEAF, &tuple)?;
        summary_path.enforce_membership(&public[inputs::RECORDS_ROOT], &leaf)?;

        // List: the slots are the summary's condition list.
        enforce_list_hash(&slots, &tuple[fields::CODE])?;

        // Age as a birth-date window; freshness of the summary.
        enforce_in_range(
            &public[inputs::BIRTH_LO],
            &tuple[fields::DATE],
            &public[inputs::BIRTH_HI],
        )?;
        enforce_not_before(
            &public[inputs::SUMMARY_NOT_BEFORE],
            &tuple[fields::END_DATE],
        )?;

        // Inclusion: exactly one selector bit is set (booleans summing to 1, no wrap: the
        // sum of 64 bits is at most 64); the selected slot is non-zero (pads are 0) and in
        // the inclusion set.
        let mut selected = FpVar::zero();
        let mut count = FpVar::zero();
        for (s, slot) in selector.iter().zip(&slots) {
            s.mul_equals(&(FpVar::one() - s), &FpVar::zero())?;
            count += s;
            selected += s * slot;
        }
        count.enforce_equal(&FpVar::one())?;
        selected.mul_equals(&selected_inverse, &FpVar::one())?;
        inclusion_path.enforce_root(&selected, &public[inputs::INCLUSION_ROOT])?;

        // Exclusion: the entries are the study's list, and no slot equals any entry.
        hash_with_domain_equals(
            domain::EXCLUSION_SET,
            &exclusion,
            &public[inputs::EXCLUSION_HASH],
        )?;
        for (slot, row) in slots.iter().zip(&exclusion_inverses) {
            for (entry, inverse) in exclusion.iter().zip(row) {
                (slot - entry).mul_equals(inverse, &FpVar::one())?;
            }
        }

        // Consent: this patient's grant to the researcher, under the grants root, valid now,
        // covering the scope, for the purpose.
        use grant::fields as g;
        grant[g::PATIENT].enforce_equal(&patient)?;
        let grant_array: [FpVar<Fr>; grant::GRANT_FIELDS] =
            core::array::from_fn(|i| grant[i].clone());
        let grant_leaf = grant::constraints::commit(&grant_array)?;
        grant_path.enforce_membership(&public[inputs::GRANTS_ROOT], &grant_leaf)?;
        enforce_in_window(
            &grant[g::NOT_BEFORE],
            &public[inputs::NOW],
            &grant[g::NOT_AFTER],
        )?;
        enforce_covers(&grant[g::SCOPE], &public[inputs::SCOPE])?;
        grant[g::PURPOSE].enforce_equal(&public[inputs::PURPOSE])?;

        // Once per patient per study; bound to the researcher's request.
        hash_with_domain_equals(
            domain::COHORT_NULLIFIER,
            &[patient_secret, public[inputs::STUDY].clone()],
            &public[inputs::NULLIFIER],
        )?;
        hash_with_domain_equals(
            domain::REQUEST,
            &[grant[g::GRANTEE].clone(), nonce],
            &public[inputs::REQUEST_HASH],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{One, UniformRand};
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn list_hash_gadget_equals_native_at_its_cost() {
        let mut rng = StdRng::seed_from_u64(93);
        let slots: [Fr; MAX_SUMMARY_CODES] = core::array::from_fn(|_| Fr::rand(&mut rng));
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars = slots
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect::<Vec<_>>();
        let native = super::super::list_hash(&slots);
        let expected = FpVar::new_input(cs.clone(), || Ok(native)).unwrap();
        enforce_list_hash(&vars, &expected).unwrap();
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(cs.num_constraints(), 4 * 609 + 297);
        // Any other value fails.
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars = slots
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect::<Vec<_>>();
        let other = FpVar::new_input(cs.clone(), || Ok(native + Fr::from(1u64))).unwrap();
        enforce_list_hash(&vars, &other).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn not_before_gadget_is_an_integer_comparison() {
        let two64 = Fr::from(2u64).pow([64u64]);
        let case = |nb: Fr, as_of: Fr| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let [nb, as_of] =
                [nb, as_of].map(|x| FpVar::new_witness(cs.clone(), || Ok(x)).unwrap());
            enforce_not_before(&nb, &as_of).unwrap();
            assert_eq!(cs.num_constraints(), 128);
            cs.is_satisfied().unwrap()
        };
        assert!(case(Fr::from(5u64), Fr::from(5u64)));
        assert!(case(Fr::from(5u64), Fr::from(6u64)));
        assert!(!case(Fr::from(5u64), Fr::from(4u64)));
        assert!(case(Fr::from(0u64), Fr::from(u64::MAX)));
        // A bound past 2^64 or a wrapped difference fails.
        assert!(!case(two64, two64));
        assert!(!case(-Fr::one(), Fr::from(3u64)));
        assert!(!case(Fr::from(3u64), -Fr::one()));
    }
}
