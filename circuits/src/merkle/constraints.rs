//! Merkle inclusion as an R1CS gadget: the twin of [`super::MerklePath`].
//!
//! Cost per level: 1 (index bit booleanity) + 1 (conditional swap) + 240 (node hash) = 242.

use super::{MerklePath, EMPTY_LEAF};
use crate::{domain, poseidon::constraints as poseidon, range::constraints::enforce_lc_equal};
use ark_bn254::Fr;
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    boolean::Boolean,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
    select::CondSelectGadget,
};
use ark_relations::gr1cs::{Namespace, SynthesisError};
use std::borrow::Borrow;

/// `node(left, right)` in-circuit. 240 constraints.
///
/// # Errors
///
/// Only errors from the constraint system.
pub fn node_hash(left: &FpVar<Fr>, right: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    poseidon::hash_with_domain(domain::MERKLE_NODE, &[left.clone(), right.clone()])
}

/// An allocated inclusion path.
#[derive(Clone, Debug)]
pub struct MerklePathVar {
    /// Siblings bottom-up.
    pub siblings: Vec<FpVar<Fr>>,
    /// Index bits, least significant first (true: running node is the right child).
    pub index_bits: Vec<Boolean<Fr>>,
}

impl AllocVar<MerklePath, Fr> for MerklePathVar {
    fn new_variable<T: Borrow<MerklePath>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let path = f()?;
        let path = path.borrow();
        let siblings = path
            .siblings
            .iter()
            .map(|s| FpVar::new_variable(cs.clone(), || Ok(*s), mode))
            .collect::<Result<_, _>>()?;
        let index_bits = path
            .index_bits()
            .into_iter()
            .map(|b| Boolean::new_variable(cs.clone(), || Ok(b), mode))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            siblings,
            index_bits,
        })
    }
}

impl MerklePathVar {
    /// The root reached by hashing `leaf` up this path. 241 constraints per level (plus 1
    /// per level spent allocating the index bit).
    ///
    /// # Errors
    ///
    /// Only errors from the constraint system.
    #[tracing::instrument(target = "r1cs", skip_all)]
    pub fn root(&self, leaf: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        let mut node = leaf.clone();
        for (sibling, is_right) in self.siblings.iter().zip(&self.index_bits) {
            // left = is_right ? sibling : node; right = node + sibling - left (linear).
            let left = FpVar::conditionally_select(is_right, sibling, &node)?;
            let right = &node + sibling - &left;
            node = node_hash(&left, &right)?;
        }
        Ok(node)
    }

    /// Enforces that hashing `leaf` up this path reaches `root`, at the cost of [`Self::root`]
    /// alone: the top node's hash is checked against `root` inside its last S-box
    /// ([`poseidon::hash_with_domain_equals`]).
    ///
    /// # Errors
    ///
    /// Only errors from the constraint system.
    pub fn enforce_root(&self, leaf: &FpVar<Fr>, root: &FpVar<Fr>) -> Result<(), SynthesisError> {
        let mut node = leaf.clone();
        let levels = self.siblings.len().min(self.index_bits.len());
        for (level, (sibling, is_right)) in self.siblings.iter().zip(&self.index_bits).enumerate() {
            let left = FpVar::conditionally_select(is_right, sibling, &node)?;
            let right = &node + sibling - &left;
            if level + 1 == levels {
                return poseidon::hash_with_domain_equals(
                    domain::MERKLE_NODE,
                    &[left, right],
                    root,
                );
            }
            node = node_hash(&left, &right)?;
        }
        // No levels: the leaf is the root.
        enforce_lc_equal(&node, root)
    }

    /// Enforces that `leaf` is a non-empty leaf under `root` at this path: 1 constraint on
    /// top of [`Self::root`] (`leaf != 0`, so an empty or revoked slot never counts as
    /// membership; the root check is folded into the top hash, see [`Self::enforce_root`]).
    ///
    /// # Errors
    ///
    /// Only errors from the constraint system.
    pub fn enforce_membership(
        &self,
        root: &FpVar<Fr>,
        leaf: &FpVar<Fr>,
    ) -> Result<(), SynthesisError> {
        self.enforce_root(leaf, root)?;
        leaf.enforce_not_equal(&FpVar::constant(EMPTY_LEAF))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::SparseMerkleTree;
    use ark_ff::UniformRand;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn gadget_root_matches_native_on_random_trees() {
        let mut rng = StdRng::seed_from_u64(7);
        for depth in [1usize, 3, 5] {
            let mut tree = SparseMerkleTree::new(depth).unwrap();
            for i in 0..(1u64 << depth) {
                if rand::Rng::gen_bool(&mut rng, 0.6) {
                    tree.set(i, Fr::rand(&mut rng)).unwrap();
                }
            }
            for mode in [
                AllocationMode::Witness,
                AllocationMode::Input,
                AllocationMode::Constant,
            ] {
                let index = rand::Rng::gen_range(&mut rng, 0..(1u64 << depth));
                let leaf = tree.leaf(index).unwrap();
                let path = tree.path(index).unwrap();
                let cs = ConstraintSystem::<Fr>::new_ref();
                let path_var = MerklePathVar::new_variable(cs.clone(), || Ok(&path), mode).unwrap();
                let leaf_var = FpVar::new_variable(cs.clone(), || Ok(leaf), mode).unwrap();
                let root = path_var.root(&leaf_var).unwrap();
                assert_eq!(root.value().unwrap(), tree.root().0);
                assert_eq!(root.value().unwrap(), path.root(leaf));
                assert!(cs.is_satisfied().unwrap());
            }
        }
    }

    #[test]
    fn empty_leaf_is_never_a_member() {
        // An empty tree: leaf 0 hashes up to the empty root, but membership must fail.
        let tree = SparseMerkleTree::new(3).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let path = MerklePathVar::new_witness(cs.clone(), || Ok(tree.path(2).unwrap())).unwrap();
        let leaf = FpVar::new_witness(cs.clone(), || Ok(EMPTY_LEAF)).unwrap();
        let root = FpVar::new_input(cs.clone(), || Ok(tree.root().0)).unwrap();
        assert_eq!(path.root(&leaf).unwrap().value().unwrap(), tree.root().0);
        path.enforce_membership(&root, &leaf).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn cost_per_level_is_pinned() {
        let depth = 4;
        let tree = SparseMerkleTree::new(depth).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let path = MerklePathVar::new_witness(cs.clone(), || Ok(tree.path(3).unwrap())).unwrap();
        let leaf = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let _root = path.root(&leaf).unwrap();
        assert_eq!(cs.num_constraints(), depth * MERKLE_LEVEL_CONSTRAINTS);
    }

    /// Booleanity of the index bit, the swap, and the node hash.
    const MERKLE_LEVEL_CONSTRAINTS: usize = 1 + 1 + 240;
}
