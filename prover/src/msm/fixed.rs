//! Multi-scalar multiplication over fixed bases with precomputed window multiples: a memory
//! for time trade for a prover that keeps its key in memory across many proofs.
//!
//! # Why it is faster
//!
//! Pippenger's method over `w` windows of `c` bits sums `n` points into the buckets of every
//! window, then reduces each window's buckets and combines the windows by doublings. With the
//! multiples `2^(c j) * P` of every base stored, a scalar `sum_j d_j 2^(c j)` times `P` is
//! `sum_j d_j * (2^(c j) P)`: all windows share one set of buckets, so the `w` bucket
//! reductions and the doublings become one reduction per group of windows, and the window can
//! be wider (13 or 14 bits instead of 11 at our sizes), hence fewer windows and fewer bucket
//! additions: about `n * ceil(254 / c)` additions instead of `2n * ceil(128 / c')` with GLV.
//! At 6,500 full-size scalars the cost model ([`best_table_window_bits`]) predicts about 19%
//! fewer field multiplications with two groups; measured (CPU time, 2-core Xeon, 2026-12-06,
//! 6,567 bases, mostly full-size scalars): G1 31.1 -> 28.7 ms (-8%), G2 82.7 -> 76.9 ms (-7%).
//! The rest is lost to memory traffic: a group's multiples (4 MiB in G1) outgrow the L2
//! cache, where the plain method's points stay in it.
//!
//! # Cost
//!
//! Memory: `n * windows` affine points, `windows = ceil(254 / c)` (19 or 20): about 1.25 KiB
//! per G1 base and 2.5 KiB per G2 base, 35 MiB for the depth-20 Access key's four G1 queries
//! and 17 MiB for its G2 query. Building: `253` doublings per base, in parallel: measured 190 ms
//! per 6,567 G1 bases and 470 ms per 6,567 G2 bases on two cores (about 1.2 s for that key),
//! so it pays only for a prover that keeps its key for hundreds of proofs. Not yet wired into
//! the prover: an option for long-lived provers once the memory traffic above is reduced.
//!
//! GLV is not used here: with the multiples stored, GLV's halving of the windows would need
//! the endomorphism's image of every multiple too (the same memory as the full-length
//! windows) or one field multiplication per point and window on the fly.

use super::{
    digits::{self, Digit},
    window_sum, BigIntOf, WindowScratch,
};
use ark_ec::{
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    AdditiveGroup, AffineRepr, CurveGroup,
};
use ark_ff::Zero;
use rayon::prelude::*;

/// Bases per parallel task while building a table: their multiples (`windows` projective
/// points each) are normalised to affine with one batch inversion per task.
const BUILD_CHUNK: usize = 256;

/// Groups of windows summed as independent tasks, each with its own buckets: more groups
/// spread one MSM over more cores, each costs one more bucket reduction.
fn window_groups() -> usize {
    rayon::current_num_threads().max(1)
}

/// The window width minimising `ceil(bits / c) * points * add + groups * 2^(c-1) * reduce`
/// (the costs of [`digits`]): the points of all windows go through one set of buckets per
/// group.
pub(crate) fn best_table_window_bits(points: usize, bits: usize, groups: usize) -> usize {
    let cost = |c: usize| {
        let buckets = 1usize << (c - 1);
        (digits::window_count(bits, c) * points).saturating_mul(digits::BUCKET_ADD_COST)
            + groups * buckets * digits::BUCKET_REDUCE_COST
    };
    (digits::MIN_WINDOW_BITS..=digits::MAX_WINDOW_BITS)
        .min_by_key(|&c| cost(c))
        .unwrap_or(digits::MIN_WINDOW_BITS)
}

/// Window multiples `2^(c j) * P` of a list of fixed bases, for [`FixedBaseTable::msm`].
pub struct FixedBaseTable<P: SWCurveConfig> {
    /// Window width in bits.
    c: usize,
    /// Windows per scalar: enough for any normalised scalar.
    windows: usize,
    /// Number of bases.
    len: usize,
    /// Window-major: `multiples[j * len + i] = 2^(c j) * bases[i]`, so that a group of
    /// windows is one contiguous run of points, read in order.
    multiples: Vec<Affine<P>>,
}

impl<P: SWCurveConfig> FixedBaseTable<P> {
    /// Builds the table of `bases` (bases at infinity are allowed and contribute nothing).
    #[must_use]
    pub fn new(bases: &[Affine<P>]) -> Self {
        let len = bases.len();
        let bits = digits::big_scalar_bits::<P::ScalarField>();
        let nonzero = bases.iter().filter(|b| !b.is_zero()).count();
        let c = best_table_window_bits(nonzero, bits, window_groups());
        let windows = digits::window_count(bits, c);

        // Base-major per chunk: chunk k holds its bases' multiples, `windows` per base.
        let chunks: Vec<Vec<Affine<P>>> = bases
            .par_chunks(BUILD_CHUNK)
            .map(|chunk| {
                let mut column = Vec::with_capacity(chunk.len() * windows);
                for base in chunk {
                    let mut multiple = base.into_group();
                    for j in 0..windows {
                        column.push(multiple);
                        if j + 1 < windows {
                            for _ in 0..c {
                                multiple.double_in_place();
                            }
                        }
                    }
                }
                Projective::normalize_batch(&column)
            })
            .collect();

        let mut multiples = vec![Affine::<P>::identity(); len * windows];
        if len > 0 {
            multiples
                .par_chunks_mut(len)
                .enumerate()
                .for_each(|(j, row)| {
                    for (k, chunk) in chunks.iter().enumerate() {
                        let start = k * BUILD_CHUNK;
                        for (i, point) in chunk.iter().skip(j).step_by(windows).enumerate() {
                            row[start + i] = *point;
                        }
                    }
                });
        }
        Self {
            c,
            windows,
            len,
            multiples,
        }
    }

    /// Number of bases.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table has no bases.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The window width in bits.
    #[must_use]
    pub fn window_bits(&self) -> usize {
        self.c
    }

    /// Bytes held by the multiples.
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.multiples.len() * std::mem::size_of::<Affine<P>>()
    }

    /// `sum scalars[i] * bases[i]` over the shorter of the bases and `scalars`; the same
    /// result as [`super::msm`] on the bases. Scalars should be canonical; larger ones are
    /// reduced mod `r`.
    pub fn msm(&self, scalars: &[BigIntOf<P>]) -> Projective<P> {
        let n = self.len.min(scalars.len());
        if n == 0 {
            return Projective::zero();
        }
        let (c, windows, len) = (self.c, self.windows, self.len);
        let bases = &self.multiples[..len];
        // Window-major digits of every base (zero for bases at infinity and zero scalars),
        // rows of `len` so that row j lines up with the multiples of window j.
        let table = digits::digit_table(len, windows, |k, out: &mut [Digit]| {
            match (scalars.get(k), bases.get(k)) {
                (Some(scalar), Some(base)) if k < n && !base.is_zero() => {
                    let (s, negate) = digits::normalize::<P::ScalarField>(scalar);
                    digits::signed_digits(s.as_ref(), c, negate, out);
                }
                _ => out.fill(0),
            }
        });

        let groups = window_groups().min(windows);
        let bounds: Vec<(usize, usize)> = (0..groups)
            .map(|g| (g * windows / groups, (g + 1) * windows / groups))
            .collect();
        bounds
            .into_par_iter()
            .map(|(lo, hi)| {
                if lo == hi {
                    return Projective::zero();
                }
                let range = lo * len..hi * len;
                window_sum(
                    &mut WindowScratch::new(),
                    &self.multiples[range.clone()],
                    &table[range],
                    c,
                )
            })
            .reduce(Projective::zero, |a, b| a + b)
    }
}
