//! Binary Poseidon Merkle tree with updatable leaves, natively.
//!
//! Specification (reproducible in Solidity or JavaScript):
//! - A tree of depth `d` has `2^d` leaf slots, indexed `0..2^d` from the left.
//! - An empty or revoked slot holds [`EMPTY_LEAF`] (0). `zero[0] = 0`,
//!   `zero[i+1] = node(zero[i], zero[i])`; an empty tree's root is `zero[d]`.
//! - `node(l, r) = PoseidonEx([l, r], initialState = tag("zkconsent.merkle.node"))`.
//! - The node at level `k+1`, position `j` is `node(n[k][2j], n[k][2j+1])`; level 0 is leaves.
//! - A path lists siblings bottom-up; bit `k` of the leaf index (least significant first) is
//!   1 when the running node is the right child at level `k`.
//!
//! The gadget twin is in [`constraints`].

pub mod constraints;

use crate::{domain, poseidon, types::GrantsRoot};
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Zero};
use std::collections::HashMap;

/// Value of an empty (never used or revoked) leaf slot.
pub const EMPTY_LEAF: Fr = Fr::ZERO;
/// Deepest supported tree (2^32 leaf slots).
pub const MAX_TREE_DEPTH: usize = 32;
/// Default depth: about a million grants per registry.
pub const DEFAULT_TREE_DEPTH: usize = 20;

/// Errors from native tree operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MerkleError {
    /// Depth must be in `1..=MAX_TREE_DEPTH`.
    Depth(usize),
    /// Leaf index beyond `2^depth`.
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree's depth.
        depth: usize,
    },
    /// Every leaf slot is used.
    Full,
}

impl std::fmt::Display for MerkleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Depth(d) => write!(f, "tree depth {d} outside 1..={MAX_TREE_DEPTH}"),
            Self::IndexOutOfRange { index, depth } => {
                write!(f, "leaf index {index} out of range for depth {depth}")
            }
            Self::Full => f.write_str("tree is full"),
        }
    }
}

impl std::error::Error for MerkleError {}

/// Checks a depth is supported.
///
/// # Errors
///
/// [`MerkleError::Depth`] outside `1..=MAX_TREE_DEPTH`.
pub fn check_depth(depth: usize) -> Result<(), MerkleError> {
    if (1..=MAX_TREE_DEPTH).contains(&depth) {
        Ok(())
    } else {
        Err(MerkleError::Depth(depth))
    }
}

/// `node(left, right)`, the inner-node hash.
pub fn node_hash(left: Fr, right: Fr) -> Fr {
    poseidon::hash_with_domain(domain::MERKLE_NODE, &[left, right])
}

/// `zero[0..=depth]`: the root of an empty subtree of each height.
pub fn zero_hashes(depth: usize) -> Vec<Fr> {
    let mut zeros = Vec::with_capacity(depth + 1);
    zeros.push(EMPTY_LEAF);
    for k in 0..depth {
        zeros.push(node_hash(zeros[k], zeros[k]));
    }
    zeros
}

/// An inclusion path: siblings bottom-up and the leaf's index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// `siblings[k]` is the sibling of the running node at level `k`.
    pub siblings: Vec<Fr>,
    /// The leaf's index; bit `k` says whether the running node is a right child at level `k`.
    pub index: u64,
}

impl MerklePath {
    /// The tree depth this path is for.
    pub fn depth(&self) -> usize {
        self.siblings.len()
    }

    /// Bit `k` of the index: true when the running node is the right child at level `k`.
    pub fn index_bits(&self) -> Vec<bool> {
        (0..self.depth())
            .map(|k| (self.index >> k) & 1 == 1)
            .collect()
    }

    /// The root reached by hashing `leaf` up this path.
    pub fn root(&self, leaf: Fr) -> Fr {
        self.siblings
            .iter()
            .zip(self.index_bits())
            .fold(leaf, |node, (sibling, is_right)| {
                if is_right {
                    node_hash(*sibling, node)
                } else {
                    node_hash(node, *sibling)
                }
            })
    }

    /// Whether `leaf` sits at this path's index under `root`.
    pub fn verify_membership(&self, root: GrantsRoot, leaf: Fr) -> bool {
        self.root(leaf) == root.0
    }

    /// An all-zero path of `depth` (for circuit setup, where values do not matter).
    pub fn blank(depth: usize) -> Self {
        Self {
            siblings: vec![Fr::zero(); depth],
            index: 0,
        }
    }
}

/// Storage of a tree's non-empty nodes: the in-memory map here, SQLite in the registry.
pub trait NodeStore {
    /// The stored node at `(level, index)`, or `None` for an empty subtree.
    fn get(&self, level: usize, index: u64) -> Option<Fr>;
    /// Stores a node (an empty-subtree value may be stored or removed).
    fn put(&mut self, level: usize, index: u64, value: Fr);
}

/// Sparse Merkle tree over any [`NodeStore`]: set a leaf in `O(depth)` hashes.
#[derive(Clone, Debug)]
pub struct SparseMerkleTree<S = HashMap<(usize, u64), Fr>> {
    depth: usize,
    zeros: Vec<Fr>,
    store: S,
}

impl NodeStore for HashMap<(usize, u64), Fr> {
    fn get(&self, level: usize, index: u64) -> Option<Fr> {
        HashMap::get(self, &(level, index)).copied()
    }
    fn put(&mut self, level: usize, index: u64, value: Fr) {
        self.insert((level, index), value);
    }
}

impl SparseMerkleTree {
    /// An empty in-memory tree.
    ///
    /// # Errors
    ///
    /// [`MerkleError::Depth`] outside `1..=MAX_TREE_DEPTH`.
    pub fn new(depth: usize) -> Result<Self, MerkleError> {
        Self::with_store(depth, HashMap::new())
    }
}

impl<S: NodeStore> SparseMerkleTree<S> {
    /// A tree over existing storage (which must hold a tree of the same depth).
    ///
    /// # Errors
    ///
    /// [`MerkleError::Depth`] outside `1..=MAX_TREE_DEPTH`.
    pub fn with_store(depth: usize, store: S) -> Result<Self, MerkleError> {
        check_depth(depth)?;
        Ok(Self {
            depth,
            zeros: zero_hashes(depth),
            store,
        })
    }

    /// The tree's depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaf slots, `2^depth`.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    /// The storage, e.g. to commit a database transaction.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Mutable access to the storage.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    fn node(&self, level: usize, index: u64) -> Fr {
        self.store.get(level, index).unwrap_or(self.zeros[level])
    }

    /// The current root.
    pub fn root(&self) -> GrantsRoot {
        GrantsRoot(self.node(self.depth, 0))
    }

    /// The leaf at `index` ([`EMPTY_LEAF`] if never set or revoked).
    ///
    /// # Errors
    ///
    /// [`MerkleError::IndexOutOfRange`] past the last slot.
    pub fn leaf(&self, index: u64) -> Result<Fr, MerkleError> {
        self.check_index(index)?;
        Ok(self.node(0, index))
    }

    /// Sets the leaf at `index` and rehashes its path to the root.
    ///
    /// # Errors
    ///
    /// [`MerkleError::IndexOutOfRange`] past the last slot.
    pub fn set(&mut self, index: u64, leaf: Fr) -> Result<GrantsRoot, MerkleError> {
        self.check_index(index)?;
        self.store.put(0, index, leaf);
        let mut node = leaf;
        let mut position = index;
        for level in 0..self.depth {
            let sibling = self.node(level, position ^ 1);
            node = if position & 1 == 1 {
                node_hash(sibling, node)
            } else {
                node_hash(node, sibling)
            };
            position >>= 1;
            self.store.put(level + 1, position, node);
        }
        Ok(GrantsRoot(node))
    }

    /// The inclusion path of slot `index`.
    ///
    /// # Errors
    ///
    /// [`MerkleError::IndexOutOfRange`] past the last slot.
    pub fn path(&self, index: u64) -> Result<MerklePath, MerkleError> {
        self.check_index(index)?;
        let siblings = (0..self.depth)
            .map(|level| self.node(level, (index >> level) ^ 1))
            .collect();
        Ok(MerklePath { siblings, index })
    }

    fn check_index(&self, index: u64) -> Result<(), MerkleError> {
        if index < self.capacity() {
            Ok(())
        } else {
            Err(MerkleError::IndexOutOfRange {
                index,
                depth: self.depth,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    /// Root of a full tree computed level by level, the definition in the module docs.
    fn dense_root(leaves: &[Fr]) -> Fr {
        let mut level = leaves.to_vec();
        while level.len() > 1 {
            level = level.chunks(2).map(|p| node_hash(p[0], p[1])).collect();
        }
        level[0]
    }

    #[test]
    fn sparse_tree_matches_dense_definition_and_paths_verify() {
        let mut rng = StdRng::seed_from_u64(1);
        for depth in 1..=4usize {
            let mut tree = SparseMerkleTree::new(depth).unwrap();
            let mut leaves = vec![EMPTY_LEAF; 1 << depth];
            assert_eq!(tree.root().0, dense_root(&leaves));
            assert_eq!(tree.root().0, zero_hashes(depth)[depth]);
            for _ in 0..(3 << depth) {
                let i = rand::Rng::gen_range(&mut rng, 0..leaves.len());
                let leaf = if rand::Rng::gen_bool(&mut rng, 0.3) {
                    EMPTY_LEAF
                } else {
                    Fr::rand(&mut rng)
                };
                leaves[i] = leaf;
                let root = tree.set(i as u64, leaf).unwrap();
                assert_eq!(root.0, dense_root(&leaves));
                for (j, l) in leaves.iter().enumerate() {
                    assert!(tree.path(j as u64).unwrap().verify_membership(root, *l));
                }
            }
        }
    }

    #[test]
    fn index_and_depth_bounds() {
        assert_eq!(SparseMerkleTree::new(0).unwrap_err(), MerkleError::Depth(0));
        assert_eq!(
            SparseMerkleTree::new(33).unwrap_err(),
            MerkleError::Depth(33)
        );
        let mut t = SparseMerkleTree::new(2).unwrap();
        assert!(t.set(4, Fr::from(1u64)).is_err());
        assert!(t.path(4).is_err());
        let t32 = SparseMerkleTree::new(MAX_TREE_DEPTH).unwrap();
        assert!(t32.path(u32::MAX as u64).is_ok());
    }

    #[test]
    fn revoking_restores_the_empty_root() {
        let mut t = SparseMerkleTree::new(3).unwrap();
        let empty = t.root();
        t.set(5, Fr::from(42u64)).unwrap();
        assert_ne!(t.root(), empty);
        t.set(5, EMPTY_LEAF).unwrap();
        assert_eq!(t.root(), empty);
    }
}
