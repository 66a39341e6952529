//! Multi-scalar multiplication (`sum s_i * P_i`) for BN254 G1 and G2, the bulk of a Groth16
//! proof's time.
//!
//! # Algorithm
//!
//! Pippenger's bucket method, with the refinements of gnark-crypto and blst:
//!
//! 1. **Normalise and partition** (one parallel pass, `digits.rs`). Each scalar `s` becomes
//!    `min(s, r - s)`, negating the base for the second, so `-1` and small negative values are
//!    small too. Zero scalars and bases at infinity (proving keys contain some) are dropped;
//!    the bases of `+-1` scalars (most of a Groth16 witness is booleans) are simply summed;
//!    scalars below 2^64 get a Pippenger pass over 64 bits only; the rest one over full-size
//!    scalars. This is the partition ark-ec's `msm_bigint` makes, so witness-like scalars ride
//!    as cheaply here as there.
//! 2. **GLV** (`glv.rs`). A full-size `k` is split as `k1 + lambda * k2` with `|k1|, |k2| <
//!    2^127`, and `k * P = k1 * P + k2 * phi(P)`, `phi(x, y) = (beta * x, y)`: twice the points
//!    with half the windows, so the same number of bucket additions but half the bucket
//!    reductions, which lets the windows be wider.
//! 3. **Signed windows.** Scalars are cut into `c`-bit windows with digits in
//!    `(-2^(c-1), 2^(c-1)]`, a negative digit adding the negated base: `2^(c-1)` buckets per
//!    window instead of `2^c - 1`.
//! 4. **Batch-affine buckets** (`batch_affine.rs`). Each window's points are counting-sorted by
//!    bucket and each bucket summed as a tree of affine additions, hundreds of independent
//!    additions sharing one field inversion: about 6 multiplications per point instead of the
//!    10 of the extended-Jacobian mixed additions into which ark-ec accumulates. Windows with
//!    many points are processed a range of buckets at a time, so the points in flight stay in
//!    the L2 cache.
//! 5. **Reduction.** Each window's `sum k * bucket[k]` comes from a running sum (two
//!    extended-Jacobian additions per bucket), and the windows are combined by `c` doublings
//!    each (Horner).
//!
//! # Cost
//!
//! For `n` full-size scalars: `2n` points over `w = ceil(128 / c)` windows, about
//! `w * (2n * 8 + 2^(c-1) * 24)` base-field multiplications (the constants are measured
//! costs, see `digits.rs`), with `c` chosen to minimise it: 10 bits (13 windows) at 2^13
//! points, 13 bits (10 windows) at 2^16, so `26n` to `20n` bucket additions of about 6
//! multiplications. ark-ec does `(254 / c') * n` (`26n` to `20n` too) mixed additions of 10
//! multiplications, plus the reduction of `2^(c'-1)` used buckets per window, with `c'` near
//! `0.69 log2 n + 2`.
//!
//! # Parallelism
//!
//! The scalar passes are parallel iterators; the two Pippenger passes, the unit sum and every
//! window are independent rayon tasks, so work stealing keeps all cores busy to the end (a
//! window is a small fraction of the work). Each thread reuses one window's buffers from window
//! to window.

mod batch_affine;
mod digits;
mod fixed;
mod glv;
#[cfg(test)]
mod tests;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{
    scalar_mul::glv::GLVConfig,
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    AdditiveGroup, AffineRepr,
};
use ark_ff::{PrimeField, Zero};
use batch_affine::{BucketSummer, WeightedSum, NEGATE};
use digits::{Class, Digit};
use rayon::prelude::*;
use std::sync::Mutex;

pub use fixed::FixedBaseTable;

/// A scalar in canonical (non-Montgomery) form.
pub type ScalarBigInt = <Fr as PrimeField>::BigInt;

/// Points a window sorts and sums at a time (about 1 MiB of G1 points): the window's buckets
/// are processed in ranges of about this many points, so that the points in flight stay in the
/// L2 cache instead of streaming through memory, which at 2^16 points left the second core
/// waiting on the first.
const RANGE_POINTS: usize = 1 << 14;

/// A canonical scalar of curve `P`'s scalar field.
type BigIntOf<P> = <<P as ark_ec::CurveConfig>::ScalarField as PrimeField>::BigInt;

/// `sum scalars[i] * bases[i]` in G1. Extra bases or scalars beyond the shorter slice are ignored.
pub fn msm_g1(bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
    msm(bases, scalars)
}

/// `sum scalars[i] * bases[i]` in G2. Extra bases or scalars beyond the shorter slice are ignored.
pub fn msm_g2(bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
    msm(bases, scalars)
}

/// `sum scalars[i] * bases[i]` on any short-Weierstrass curve with an endomorphism, over the
/// shorter slice; the same result as ark-ec's `VariableBaseMSM::msm_bigint`. Scalars should
/// be canonical (below the group order `r`); larger ones are reduced mod `r`.
pub fn msm<P: GLVConfig>(bases: &[Affine<P>], scalars: &[BigIntOf<P>]) -> Projective<P> {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);

    let classes: Vec<Class> = bases
        .par_iter()
        .zip(scalars)
        .map(|(base, scalar)| {
            if base.is_zero() {
                Class::Zero
            } else {
                digits::classify::<P::ScalarField>(scalar)
            }
        })
        .collect();

    let (mut plus, mut minus, mut small, mut big) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, class) in classes.iter().enumerate() {
        match class {
            Class::Zero => {}
            Class::PlusOne => plus.push(i),
            Class::MinusOne => minus.push(i),
            Class::Small => small.push(i),
            Class::Big => big.push(i),
        }
    }
    let units: Vec<usize> = plus
        .into_iter()
        .chain(minus.into_iter().map(|i| i | NEGATE))
        .collect();

    let (big_sum, (small_sum, unit_sum)) = rayon::join(
        || big_scalars(bases, scalars, &big),
        || {
            rayon::join(
                || {
                    let group = gather(bases, &small);
                    pippenger(
                        &group,
                        |k, c, out| normalized_digits::<P>(&scalars[small[k]], c, out),
                        digits::SMALL_SCALAR_BITS,
                    )
                },
                || batch_affine::sum_points(bases, &units),
            )
        },
    );
    big_sum + small_sum + unit_sum
}

/// Writes the signed digits of `min(s, r - s)` (negated in the second case).
fn normalized_digits<P: SWCurveConfig>(scalar: &BigIntOf<P>, c: usize, out: &mut [Digit]) {
    let (s, negate) = digits::normalize::<P::ScalarField>(scalar);
    digits::signed_digits(s.as_ref(), c, negate, out);
}

/// `sum scalars[i] * bases[i]` over the full-size scalars `indices`: with the GLV
/// endomorphism, `k * P = k1 * P + k2 * phi(P)`, a Pippenger pass over twice the points with
/// half-length scalars (half the windows, so half the bucket reductions, for the same number
/// of bucket additions).
fn big_scalars<P: GLVConfig>(
    bases: &[Affine<P>],
    scalars: &[BigIntOf<P>],
    indices: &[usize],
) -> Projective<P> {
    let Some(decomposer) = glv::Decomposer::new::<P>() else {
        return pippenger(
            &gather(bases, indices),
            |k, c, out| normalized_digits::<P>(&scalars[indices[k]], c, out),
            digits::big_scalar_bits::<P::ScalarField>(),
        );
    };
    let halves: Vec<(glv::Half, glv::Half)> = indices
        .par_iter()
        .map(|&i| {
            // Decompose min(s, r - s) < r: canonical even if s was not.
            let (s, negate) = digits::normalize::<P::ScalarField>(&scalars[i]);
            let (mut k1, mut k2) = decomposer.decompose(s.as_ref());
            k1.negative ^= negate;
            k2.negative ^= negate;
            (k1, k2)
        })
        .collect();
    // The points: the bases, then their images under the endomorphism.
    let m = indices.len();
    let mut group = gather(bases, indices);
    group.par_extend(
        indices
            .par_iter()
            .map(|&i| P::endomorphism_affine(&bases[i])),
    );
    pippenger(
        &group,
        |k, c, out| {
            let half = if k < m { halves[k].0 } else { halves[k - m].1 };
            digits::signed_digits(&half.limbs(), c, half.negative, out);
        },
        glv::HALF_SCALAR_BITS,
    )
}

/// `bases[i]` for `i` in `indices`, contiguous: every window then reads its points
/// sequentially, instead of every window gathering them from all over `bases`.
fn gather<P: SWCurveConfig>(bases: &[Affine<P>], indices: &[usize]) -> Vec<Affine<P>> {
    indices.par_iter().map(|&i| bases[i]).collect()
}

/// Pippenger's method over `points` (never the identity) with scalar digits `fill(k, c, out)`
/// (signed `c`-bit windows, at most `bits` bits) for point `k`.
fn pippenger<P: SWCurveConfig>(
    points: &[Affine<P>],
    fill: impl Fn(usize, usize, &mut [Digit]) + Sync,
    bits: usize,
) -> Projective<P> {
    let len = points.len();
    if len == 0 {
        return Projective::zero();
    }
    let c = digits::best_window_bits(len, bits);
    let windows = digits::window_count(bits, c);
    let table = digits::digit_table(len, windows, |k, out| fill(k, c, out));

    // One set of window buffers per rayon thread, reused from window to window (a window
    // never waits on another task, so a thread's set is never locked twice; should it be,
    // the window takes fresh buffers).
    let scratch: Vec<Mutex<WindowScratch<P>>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::new(WindowScratch::new()))
        .collect();
    let sums: Vec<Projective<P>> = table
        .par_chunks(len)
        .map(|row| {
            let own = rayon::current_thread_index()
                .and_then(|i| scratch.get(i))
                .and_then(|m| m.try_lock().ok());
            match own {
                Some(mut buffers) => window_sum(&mut buffers, points, row, c),
                None => window_sum(&mut WindowScratch::new(), points, row, c),
            }
        })
        .collect();

    let mut total = Projective::<P>::zero();
    for sum in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += sum;
    }
    total
}

/// One thread's buffers for [`window_sum`], reused from window to window.
struct WindowScratch<P: SWCurveConfig> {
    counts: Vec<usize>,
    range_of: Vec<usize>,
    coarse: Vec<Affine<P>>,
    coarse_buckets: Vec<usize>,
    summer: BucketSummer<P>,
}

impl<P: SWCurveConfig> WindowScratch<P> {
    fn new() -> Self {
        Self {
            counts: Vec::new(),
            range_of: Vec::new(),
            coarse: Vec::new(),
            coarse_buckets: Vec::new(),
            summer: BucketSummer::new(),
        }
    }
}

/// `sum digits[k] * points[k]` for one window: the points, negated for negative digits, are
/// counting-sorted by bucket `|digit| - 1` and summed per bucket in batch-affine form.
///
/// A large window is cut into ranges of buckets holding about [`RANGE_POINTS`] points each:
/// one sequential pass over the bases copies the points into their ranges, then each range
/// is sorted by bucket and summed while it sits in the L2 cache.
fn window_sum<P: SWCurveConfig>(
    scratch: &mut WindowScratch<P>,
    points: &[Affine<P>],
    digits: &[Digit],
    c: usize,
) -> Projective<P> {
    let count = 1usize << (c - 1);
    let counts = &mut scratch.counts;
    counts.clear();
    counts.resize(count, 0);
    for &digit in digits {
        if let Some(b) = bucket_of(digit) {
            counts[b] += 1;
        }
    }

    // Ranges [lo, hi) from the top bucket down.
    let mut ranges = Vec::new();
    let mut hi = count;
    while hi > 0 {
        let mut lo = hi;
        let mut in_range = 0;
        while lo > 0 && in_range < RANGE_POINTS {
            lo -= 1;
            in_range += counts[lo];
        }
        ranges.push((lo, hi));
        hi = lo;
    }

    let mut sum = WeightedSum::new();
    let summer = &mut scratch.summer;
    if let [(lo, hi)] = ranges[..] {
        let signed = digits.iter().zip(points).filter_map(|(&digit, &p)| {
            let b = bucket_of(digit)?;
            Some((signed_point(p, digit), b))
        });
        sort_by_bucket(signed, &counts[lo..hi], lo, summer);
        summer.sum_range(hi - lo, lo, &mut sum);
        return sum.finish();
    }

    // The range of each bucket, and where each range starts in the coarse order.
    let range_of = &mut scratch.range_of;
    range_of.clear();
    range_of.resize(count, 0);
    let mut range_next = Vec::with_capacity(ranges.len());
    let mut next = 0;
    for (r, &(lo, hi)) in ranges.iter().enumerate() {
        range_of[lo..hi].fill(r);
        range_next.push(next);
        next += counts[lo..hi].iter().sum::<usize>();
    }
    // Stale contents are fine: every entry is overwritten.
    scratch.coarse.resize(next, Affine::identity());
    scratch.coarse_buckets.resize(next, 0);
    for (&digit, &p) in digits.iter().zip(points) {
        let Some(b) = bucket_of(digit) else {
            continue;
        };
        let slot = &mut range_next[range_of[b]];
        scratch.coarse[*slot] = signed_point(p, digit);
        scratch.coarse_buckets[*slot] = b;
        *slot += 1;
    }
    let mut start = 0;
    for (lo, hi) in ranges {
        let len: usize = counts[lo..hi].iter().sum();
        let range = start..start + len;
        start += len;
        let signed = scratch.coarse[range.clone()]
            .iter()
            .zip(&scratch.coarse_buckets[range])
            .map(|(&p, &b)| (p, b));
        sort_by_bucket(signed, &counts[lo..hi], lo, summer);
        summer.sum_range(hi - lo, lo, &mut sum);
    }
    sum.finish()
}

/// The bucket of a non-zero digit: `|digit| - 1`.
#[inline]
fn bucket_of(digit: Digit) -> Option<usize> {
    usize::from(digit.unsigned_abs()).checked_sub(1)
}

/// `p` for a positive digit, `-p` for a negative one.
#[inline]
fn signed_point<P: SWCurveConfig>(p: Affine<P>, digit: Digit) -> Affine<P> {
    if digit > 0 {
        p
    } else {
        -p
    }
}

/// Counting sort of `(point, bucket)` pairs with buckets in `lo .. lo + counts.len()` (bucket
/// `b` holding `counts[b - lo]` points) into `summer`'s input: the points in bucket order, and
/// their buckets relative to `lo`.
fn sort_by_bucket<P: SWCurveConfig>(
    points: impl Iterator<Item = (Affine<P>, usize)>,
    counts: &[usize],
    lo: usize,
    summer: &mut BucketSummer<P>,
) {
    let mut next = Vec::with_capacity(counts.len());
    let mut total = 0;
    for &n in counts {
        next.push(total);
        total += n;
    }
    let (sorted, buckets) = summer.input(total);
    for (p, b) in points {
        let slot = &mut next[b - lo];
        sorted[*slot] = p;
        // b - lo < 2^14: fits.
        buckets[*slot] = (b - lo) as u32;
        *slot += 1;
    }
}
