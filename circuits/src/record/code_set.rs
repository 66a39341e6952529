//! Committed code sets, natively: the set a Record proof shows a hidden code belongs to.
//!
//! A code set is a Merkle tree of fixed depth [`CODE_SET_DEPTH`] (the grants tree's node
//! hash, zero hashes and paths, `docs/spec.md` §4) whose leaves are the code ids themselves,
//! in ascending order of their canonical integers, from index 0; the remaining slots are
//! empty (0). Its root is a public input of the Record statement.
//!
//! Leaves are not hashed again: a code id is already a digest (`docs/spec.md` §10.3), and the
//! circuit's path has exactly [`CODE_SET_DEPTH`] levels, so an inner node can never be
//! presented as a leaf. The code id 0 ("absent") is never a member: the set refuses it and
//! the circuit requires the tested code to be non-zero, as an empty slot holds 0.

use crate::{
    merkle::{MerklePath, SparseMerkleTree},
    types::CodeId,
};
use ark_bn254::Fr;

/// Depth of a code-set tree: at most 256 codes.
pub const CODE_SET_DEPTH: usize = 8;
/// Largest code set, `2^CODE_SET_DEPTH`.
pub const MAX_CODE_SET_SIZE: usize = 1 << CODE_SET_DEPTH;

/// Root of a code-set tree, as a verifier publishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CodeSetRoot(pub Fr);

impl CodeSetRoot {
    /// The underlying field element.
    pub fn to_fr(self) -> Fr {
        self.0
    }
}

/// Why a list of codes is not a code set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeSetError {
    /// More than [`MAX_CODE_SET_SIZE`] distinct codes.
    TooMany(usize),
    /// The code id 0 means "absent" and cannot be a member.
    ZeroCode,
}

impl core::fmt::Display for CodeSetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooMany(n) => write!(f, "{n} codes, at most {MAX_CODE_SET_SIZE} fit a code set"),
            Self::ZeroCode => f.write_str("code id 0 (absent) cannot be in a code set"),
        }
    }
}

impl std::error::Error for CodeSetError {}

/// A code set and its tree.
#[derive(Clone, Debug)]
pub struct CodeSet {
    codes: Vec<Fr>,
    tree: SparseMerkleTree,
}

impl CodeSet {
    /// The set of `codes` (order and repetitions do not matter).
    ///
    /// # Errors
    ///
    /// [`CodeSetError::ZeroCode`] for a zero code, [`CodeSetError::TooMany`] past
    /// [`MAX_CODE_SET_SIZE`] distinct codes.
    pub fn new(codes: &[CodeId]) -> Result<Self, CodeSetError> {
        let mut sorted: Vec<Fr> = codes.iter().map(|c| c.0).collect();
        if sorted.iter().any(|c| *c == Fr::from(0u64)) {
            return Err(CodeSetError::ZeroCode);
        }
        // `Fr`'s order is that of canonical integers.
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() > MAX_CODE_SET_SIZE {
            return Err(CodeSetError::TooMany(sorted.len()));
        }
        let mut tree = SparseMerkleTree::new(CODE_SET_DEPTH).expect("fixed depth is valid");
        for (i, code) in (0u64..).zip(&sorted) {
            tree.set(i, *code).expect("at most 2^depth codes");
        }
        Ok(Self {
            codes: sorted,
            tree,
        })
    }

    /// The root a verifier publishes.
    pub fn root(&self) -> CodeSetRoot {
        CodeSetRoot(self.tree.root().0)
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Whether `code` is a member.
    pub fn contains(&self, code: CodeId) -> bool {
        self.codes.binary_search(&code.0).is_ok()
    }

    /// The inclusion path of `code`, `None` when it is not a member.
    pub fn path(&self, code: CodeId) -> Option<MerklePath> {
        let index = self.codes.binary_search(&code.0).ok()?;
        self.tree.path(u64::try_from(index).ok()?).ok()
    }

    /// The path of an empty slot (for soundness tests: it opens 0 to the root).
    pub fn empty_slot_path(&self) -> Option<MerklePath> {
        let index = u64::try_from(self.codes.len()).ok()?;
        self.tree.path(index).ok()
    }

    /// What a prover puts in a witness for `code`: its inclusion path when it is a member,
    /// otherwise a path of the set's shape that proves nothing (an empty slot's, or a blank
    /// one for a full set), so the statement is false and the native check names why.
    pub fn witness_path(&self, code: CodeId) -> MerklePath {
        self.path(code)
            .or_else(|| self.empty_slot_path())
            .unwrap_or_else(|| MerklePath::blank(CODE_SET_DEPTH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn order_and_repetition_do_not_change_the_root() {
        let mut rng = StdRng::seed_from_u64(61);
        let codes: Vec<CodeId> = (0..5).map(|_| CodeId(Fr::rand(&mut rng))).collect();
        let a = CodeSet::new(&codes).unwrap();
        let mut shuffled = codes.clone();
        shuffled.reverse();
        shuffled.push(codes[2]);
        let b = CodeSet::new(&shuffled).unwrap();
        assert_eq!(a.root(), b.root());
        assert_eq!(b.len(), 5);
        for c in &codes {
            assert!(a.contains(*c));
            let path = a.path(*c).unwrap();
            assert_eq!(path.depth(), CODE_SET_DEPTH);
            assert_eq!(path.root(c.0), a.root().0);
        }
        let outsider = CodeId(Fr::rand(&mut rng));
        assert!(!a.contains(outsider));
        assert!(a.path(outsider).is_none());
        // An empty slot opens 0 to the root: why the circuit demands a non-zero code.
        let empty = a.empty_slot_path().unwrap();
        assert_eq!(empty.root(Fr::from(0u64)), a.root().0);
        // A prover's witness path: the member's own, or one of the set's shape that opens
        // nothing but 0.
        assert_eq!(a.witness_path(codes[1]), a.path(codes[1]).unwrap());
        let none = a.witness_path(outsider);
        assert_eq!(none.depth(), CODE_SET_DEPTH);
        assert_ne!(none.root(outsider.0), a.root().0);
    }

    #[test]
    fn zero_and_oversized_sets_are_refused() {
        assert_eq!(
            CodeSet::new(&[CodeId(Fr::from(3u64)), CodeId(Fr::from(0u64))]).unwrap_err(),
            CodeSetError::ZeroCode
        );
        let full: Vec<CodeId> = (1..=MAX_CODE_SET_SIZE as u64)
            .map(|i| CodeId(Fr::from(i)))
            .collect();
        assert_eq!(CodeSet::new(&full).unwrap().len(), MAX_CODE_SET_SIZE);
        let mut over = full;
        over.push(CodeId(Fr::from(10_000u64)));
        assert_eq!(
            CodeSet::new(&over).unwrap_err(),
            CodeSetError::TooMany(MAX_CODE_SET_SIZE + 1)
        );
        assert!(CodeSet::new(&[]).unwrap().is_empty());
    }
}
