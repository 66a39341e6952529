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
use ark_ff::{AdditiveGroup, MontFp, Zero};
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

/// `zero[0..=depth]`: the root of an empty subtree of each height (`depth` at most
/// [`MAX_TREE_DEPTH`]; deeper heights are hashed on).
pub fn zero_hashes(depth: usize) -> Vec<Fr> {
    let mut zeros = ZERO_HASHES[..=depth.min(MAX_TREE_DEPTH)].to_vec();
    for k in MAX_TREE_DEPTH..depth {
        zeros.push(node_hash(zeros[k], zeros[k]));
    }
    zeros
}

/// `zero[k] = node(zero[k - 1], zero[k - 1])` from `zero[0] =` [`EMPTY_LEAF`], for every
/// height a tree can have: compiled in, since every registry open would otherwise hash them
/// (20 Poseidon permutations, about 0.4 ms, at the default depth). A test recomputes them.
pub const ZERO_HASHES: [Fr; MAX_TREE_DEPTH + 1] = [
    MontFp!("0"),
    MontFp!("21745109150659345931321440105968271394760927866842772693223918285954634292674"),
    MontFp!("7590317790018141938247272070746386123924679488336395388516594139118386474056"),
    MontFp!("14644403223684611723074851483652039794381068766973280378334479409778986846046"),
    MontFp!("3637284820392187894184627545708736156189631042022170378962624498805406301158"),
    MontFp!("21455187518754624128923290114277947763583104993815281785625218830448499427828"),
    MontFp!("95316279351269727134309059893182084999185810442952073137455643149106770439"),
    MontFp!("15900435833054060401122264944477985190630554664733248375010530972386297820417"),
    MontFp!("4184459510351723781373487684632604787967765826157434852463936445699871448168"),
    MontFp!("14322937937097897593907984199575986742911247272049062455307029475063664949827"),
    MontFp!("13633526486619845211545073673066667081570299694154422095775966587968750753725"),
    MontFp!("5847471923717312957244914946159027484550302788426483741564347750728508318167"),
    MontFp!("14604230978061922944508629327501146201747411586086308565281977721903595848074"),
    MontFp!("19055991125939646771343162611314328193735210140592579730127885566038086934464"),
    MontFp!("10641856333706009120412366987814078914785646139252685572935178422646144114932"),
    MontFp!("14010337543661856987468813740245949676700660402282834824556513503038958231494"),
    MontFp!("3998878852304733337527548008407830526144168781169919246401351583529654082072"),
    MontFp!("16185008536352321765246355461386900837498899387339399721451749423050286898791"),
    MontFp!("13497209620122059593634972519529855413223126332814423795315626331725211192071"),
    MontFp!("16985208579034916046456277340431250660250761468092270499999670965109917022419"),
    MontFp!("12724701115957117751489464928901596402789358809293892736581768840680867592574"),
    MontFp!("1496834361922105230080924892662067439724978473091907136407684817789825847317"),
    MontFp!("640494110989741706851776924000494811744816275252424516520837811394791320058"),
    MontFp!("18693086185746910803376163760033120656052328231170348547724877031042012032564"),
    MontFp!("400706837445324782538299742575841077235629781536062431556359925460390786693"),
    MontFp!("16147785691245536791850184191400606647572722349686711153140748267102018692286"),
    MontFp!("14253780785878619211038338978387365170322126902056542691341208426500354213237"),
    MontFp!("3311530401555809443898090927016710953629034977158030145223569336989915549063"),
    MontFp!("18328905191689980498411233500174080128527428313404636637579936200096135419766"),
    MontFp!("20662826108317595148244321670144165232221478201139586456304463999664332359588"),
    MontFp!("2772413991888225738367623697589944714863262758806092257828417967605306280160"),
    MontFp!("6350462068217568551335301508629816048863748920764173338268589640664639113153"),
    MontFp!("13956877048792517731828460803150429103025384542760929187036663390564448647253"),
];

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

    /// The compiled-in empty-subtree roots are the hash chain they stand for.
    #[test]
    fn compiled_in_zero_hashes_are_the_hash_chain() {
        let mut expected = vec![EMPTY_LEAF];
        for k in 0..MAX_TREE_DEPTH + 2 {
            expected.push(node_hash(expected[k], expected[k]));
        }
        assert_eq!(ZERO_HASHES[..], expected[..=MAX_TREE_DEPTH]);
        assert_eq!(zero_hashes(MAX_TREE_DEPTH + 2), expected);
        assert_eq!(zero_hashes(4), expected[..=4]);
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
