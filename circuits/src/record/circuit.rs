//! The Record statement's constraint system.
//!
//! Cost per part (total pinned in `circuits/tests/record.rs`): `3181 + 242·d` constraints,
//! 8021 at depth 20.
//!
//! | part | constraints |
//! |---|---|
//! | leaf: `H_record.leaf` over 11 fields (Poseidon, 11 inputs) | 465 |
//! | membership: records path `242·d` (root equality folded in), non-empty leaf | `242·d + 1` |
//! | disclosure mask: 9 booleanity + 1 recomposition | 10 |
//! | disclosure: `disclosed_i = bit_i · field_i` | 9 |
//! | value range and date range ([`enforce_in_range`], 256 each) | 512 |
//! | code-set selector: 2 booleanity (`b_related` derived from `set_field`), exclusivity | 3 |
//! | code-set selection `b_code·code + b_related·related_code` | 2 |
//! | code-set path ([`CODE_SET_DEPTH`] = 8 levels of 242) | 1936 |
//! | code-set root (conditional), root 0 when off, non-zero code | 3 |
//! | request hash: Poseidon 2 inputs, equality folded in | 240 |

use super::{
    code_set::CODE_SET_DEPTH,
    fields,
    statement::{inputs, RecordPrivate, RecordPublic, DISCLOSABLE_FIELDS},
    RECORD_FIELDS,
};
use crate::{
    domain,
    merkle::{constraints::MerklePathVar, MerklePath},
    poseidon::constraints::{hash_with_domain, hash_with_domain_equals},
    range::constraints::{enforce_in_range, enforce_lc_equal},
};
use ark_bn254::Fr;
use ark_ff::{Field, One, Zero};
use ark_r1cs_std::{
    alloc::AllocVar,
    fields::{fp::FpVar, FieldVar},
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// Every value the circuit assigns, at field level.
///
/// The typed API ([`RecordCircuit::new`]) fills it from [`RecordPublic`]/[`RecordPrivate`];
/// soundness tests edit it directly to reach values no typed API can express (`2^64`,
/// `p - 1`, a mask bit equal to 2, a kind outside the enumeration).
#[derive(Clone)]
pub struct RecordAssignment {
    /// Public inputs, in [`inputs`] order.
    pub public: [Fr; inputs::COUNT],
    /// The record's tuple, salt included, in [`fields`] order.
    pub tuple: [Fr; RECORD_FIELDS],
    /// Bits of the disclosure mask, least significant first (hint; booleanity enforced).
    pub mask_bits: [Fr; DISCLOSABLE_FIELDS],
    /// The selector bit `b_code` of `set_field` (hint; booleanity enforced). The circuit
    /// derives `b_related = (set_field - b_code) / 2` and enforces its booleanity.
    pub set_code_bit: Fr,
    /// Verifier id.
    pub verifier: Fr,
    /// Request nonce.
    pub nonce: Fr,
    /// Inclusion path in the records tree.
    pub path: MerklePath,
    /// Inclusion path in the code set ([`CODE_SET_DEPTH`] levels).
    pub code_path: MerklePath,
}

impl core::fmt::Debug for RecordAssignment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordAssignment")
            .field("depth", &self.path.depth())
            .finish_non_exhaustive()
    }
}

impl RecordAssignment {
    /// Recomputes the hints (mask and selector bits) from the public inputs, as an honest
    /// prover does; tests call it after editing a public input.
    pub fn derive_hints(&mut self) {
        let mask = self.public[inputs::DISCLOSE_MASK];
        let bits = ark_ff::BigInteger::to_bits_le(&ark_ff::PrimeField::into_bigint(mask));
        self.mask_bits =
            core::array::from_fn(|i| Fr::from(u64::from(bits.get(i).copied().unwrap_or(false))));
        let s = self.public[inputs::SET_FIELD];
        self.set_code_bit = Fr::from(u64::from(s == Fr::from(1u64)));
    }
}

/// The Record circuit for a records tree of fixed depth.
#[derive(Clone)]
pub struct RecordCircuit {
    /// The assignment (dummy values during setup).
    pub assignment: RecordAssignment,
}

impl core::fmt::Debug for RecordCircuit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordCircuit")
            .field("depth", &self.depth())
            .finish_non_exhaustive()
    }
}

impl RecordCircuit {
    /// The circuit for a statement.
    pub fn new(public: &RecordPublic, private: &RecordPrivate) -> Self {
        let mut assignment = RecordAssignment {
            public: public.to_field_elements(),
            tuple: private.record.to_field_elements(),
            mask_bits: [Fr::zero(); DISCLOSABLE_FIELDS],
            set_code_bit: Fr::zero(),
            verifier: private.verifier.0,
            nonce: private.nonce.0,
            path: private.path.clone(),
            code_path: private.code_path.clone(),
        };
        assignment.derive_hints();
        Self { assignment }
    }

    /// A circuit of the right shape with dummy values, for key generation.
    pub fn blank(depth: usize) -> Self {
        let zero = Fr::zero();
        Self {
            assignment: RecordAssignment {
                public: [zero; inputs::COUNT],
                tuple: [zero; RECORD_FIELDS],
                mask_bits: [zero; DISCLOSABLE_FIELDS],
                set_code_bit: zero,
                verifier: zero,
                nonce: zero,
                path: MerklePath::blank(depth),
                code_path: MerklePath::blank(CODE_SET_DEPTH),
            },
        }
    }

    /// Records-tree depth this circuit is built for.
    pub fn depth(&self) -> usize {
        self.assignment.path.depth()
    }
}

/// Enforces `b ∈ {0, 1}`: one constraint.
fn enforce_boolean(b: &FpVar<Fr>) -> Result<(), SynthesisError> {
    b.mul_equals(&(b - Fr::one()), &FpVar::zero())
}

impl ConstraintSynthesizer<Fr> for RecordCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let a = self.assignment;
        if a.code_path.depth() != CODE_SET_DEPTH {
            return Err(SynthesisError::Unsatisfiable);
        }

        // Public inputs, in `inputs` order.
        let public = a
            .public
            .iter()
            .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let records_root = &public[inputs::RECORDS_ROOT];
        let mask = &public[inputs::DISCLOSE_MASK];
        let disclosed = &public[inputs::DISCLOSED..inputs::DISCLOSED + DISCLOSABLE_FIELDS];
        let set_field = &public[inputs::SET_FIELD];
        let code_set_root = &public[inputs::CODE_SET_ROOT];
        let request_hash = &public[inputs::REQUEST_HASH];

        // Witnesses.
        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        let tuple = a
            .tuple
            .iter()
            .map(|x| witness(*x))
            .collect::<Result<Vec<_>, _>>()?;
        let mask_bits = a
            .mask_bits
            .iter()
            .map(|x| witness(*x))
            .collect::<Result<Vec<_>, _>>()?;
        let b_code = witness(a.set_code_bit)?;
        // b_related = (set_field - b_code) / 2: set_field = b_code + 2·b_related holds by
        // construction, so it needs neither a witness nor a recomposition constraint.
        let half = Fr::from(2u64)
            .inverse()
            .ok_or(SynthesisError::Unsatisfiable)?;
        let b_related = (set_field - &b_code) * half;
        let verifier = witness(a.verifier)?;
        let nonce = witness(a.nonce)?;
        let path = MerklePathVar::new_witness(cs.clone(), || Ok(&a.path))?;
        let code_path = MerklePathVar::new_witness(cs.clone(), || Ok(&a.code_path))?;

        // Membership: the leaf opens to the tuple and sits under the public root.
        let leaf = hash_with_domain(domain::RECORD_LEAF, &tuple)?;
        path.enforce_membership(records_root, &leaf)?;

        // Disclosure: the mask is 9 bits; disclosed_i = bit_i · field_i, so a hidden field's
        // input is 0 and a disclosed one is the field itself.
        let mut recomposed = FpVar::zero();
        let mut weight = Fr::one();
        for (bit, (field, shown)) in mask_bits.iter().zip(tuple.iter().zip(disclosed)) {
            enforce_boolean(bit)?;
            recomposed += bit * weight;
            weight += weight;
            bit.mul_equals(field, shown)?;
        }
        enforce_lc_equal(&recomposed, mask)?;

        // Ranges on the hidden value and date, inclusive both sides.
        enforce_in_range(
            &public[inputs::VALUE_LO],
            &tuple[fields::VALUE],
            &public[inputs::VALUE_HI],
        )?;
        enforce_in_range(
            &public[inputs::DATE_LO],
            &tuple[fields::DATE],
            &public[inputs::DATE_HI],
        )?;

        // Code set: set_field = b_code + 2·b_related with at most one bit set.
        enforce_boolean(&b_code)?;
        enforce_boolean(&b_related)?;
        b_code.mul_equals(&b_related, &FpVar::zero())?;
        let enabled = &b_code + &b_related;
        let selected = &b_code * &tuple[fields::CODE] + &b_related * &tuple[fields::RELATED_CODE];
        let set_root = code_path.root(&selected)?;
        // On: the path reaches the public root. Off: the root input is 0 (canonical).
        (set_root - code_set_root).mul_equals(&enabled, &FpVar::zero())?;
        (FpVar::one() - &enabled).mul_equals(code_set_root, &FpVar::zero())?;
        // On: the tested code is non-zero (empty slots hold 0): selected · inv = enabled.
        let inverse = FpVar::new_witness(cs.clone(), || {
            Ok(selected.value()?.inverse().unwrap_or_default())
        })?;
        selected.mul_equals(&inverse, &enabled)?;

        // Request binding.
        hash_with_domain_equals(domain::REQUEST, &[verifier, nonce], request_hash)?;
        Ok(())
    }
}
