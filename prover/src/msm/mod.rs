//! Multi-scalar multiplication (`sum s_i * P_i`) for BN254 G1 and G2, the bulk of a Groth16
//! proof's time.
//!
//! # Algorithm
//!
//! Pippenger's bucket method, with the refinements of gnark-crypto and blst:
//!
//! 1. **Normalise and partition** (one parallel pass, see [`digits`]). Each scalar `s` becomes
//!    `min(s, r - s)`, negating the base for the second, so `-1` and small negative values are
//!    small too. Zero scalars and bases at infinity (proving keys contain some) are dropped;
//!    `+-1` scalars (most of a Groth16 witness is booleans) are summed directly; scalars below
//!    2^64 get a Pippenger pass over 64 bits only; the rest one over 253 bits. This is the
//!    partition ark-ec's `msm_bigint` makes, so witness-like scalars ride as cheaply here.
//! 2. **Signed windows.** Each Pippenger pass cuts the scalars into `c`-bit windows with digits
//!    in `(-2^(c-1), 2^(c-1)]`, a negative digit adding the negated base: `2^(c-1)` buckets per
//!    window instead of `2^c - 1`.
//! 3. **Batch-affine buckets** ([`batch_affine`]). Points are added to affine buckets, many
//!    independent additions sharing one field inversion: about 6 multiplications per point
//!    instead of 11 for the mixed additions into projective buckets that ark-ec uses.
//! 4. **Reduction.** Each window's `sum k * bucket[k]` comes from a running sum (2 projective
//!    additions per bucket), and the windows are combined by `c` doublings each (Horner).
//!
//! The window width `c` minimises `windows * (n * 6 + 2^(c-1) * 27)` multiplications: about
//! 10 bits at 2^13 points, 12 at 2^16. The two Pippenger passes, the unit sum and every window
//! are independent rayon tasks, so work stealing keeps all cores busy to the end (a window is
//! a small fraction of the work).
//!
//! Cost for `n` full-size scalars, in base-field multiplications, about
//! `(253 / c) * (6 n + 27 * 2^(c-1))`, against ark-ec's `(254 / c') * (11 n + 32 * 2^c')`
//! (its unsigned-bucket count and projective buckets). The GLV endomorphism was not used: it
//! halves the windows but doubles the points, so with batch-affine additions it saves only the
//! reduction's share, about what its scalar decomposition and base endomorphisms cost.

mod batch_affine;
mod digits;
#[cfg(test)]
mod tests;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    AdditiveGroup, AffineRepr,
};
use ark_ff::{PrimeField, Zero};
use batch_affine::Buckets;
use digits::{Class, Digit};
use rayon::prelude::*;

/// A scalar in canonical (non-Montgomery) form.
pub type ScalarBigInt = <Fr as PrimeField>::BigInt;

/// A canonical scalar of curve `P`'s scalar field.
type BigIntOf<P> = <<P as ark_ec::CurveConfig>::ScalarField as PrimeField>::BigInt;

/// Points per rayon task when summing the `+-1` scalars' bases.
const UNIT_CHUNK: usize = 1 << 12;

/// `sum scalars[i] * bases[i]` in G1. Extra bases or scalars beyond the shorter slice are ignored.
pub fn msm_g1(bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
    msm(bases, scalars)
}

/// `sum scalars[i] * bases[i]` in G2. Extra bases or scalars beyond the shorter slice are ignored.
pub fn msm_g2(bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
    msm(bases, scalars)
}

/// `sum scalars[i] * bases[i]` on any short-Weierstrass curve, over the shorter slice; the
/// same result as ark-ec's `VariableBaseMSM::msm_bigint`. Scalars should be canonical (below
/// the group order `r`); larger ones are reduced mod `r`.
pub fn msm<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigIntOf<P>]) -> Projective<P> {
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

    let (mut plus, mut minus, mut small, mut big) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, class) in classes.iter().enumerate() {
        match class {
            Class::Zero => {}
            Class::PlusOne => plus.push(i),
            Class::MinusOne => minus.push(i),
            Class::Small => small.push(i),
            Class::Big => big.push(i),
        }
    }
    let big_bits = digits::big_scalar_bits::<P::ScalarField>();

    let (big_sum, (small_sum, unit_sum)) = rayon::join(
        || pippenger(bases, scalars, &big, big_bits),
        || {
            rayon::join(
                || pippenger(bases, scalars, &small, digits::SMALL_SCALAR_BITS),
                || {
                    let (p, m) = rayon::join(|| sum_bases(bases, &plus), || sum_bases(bases, &minus));
                    p - m
                },
            )
        },
    );
    big_sum + small_sum + unit_sum
}

/// `sum bases[i]` over `indices`, by mixed additions in parallel chunks.
fn sum_bases<P: SWCurveConfig>(bases: &[Affine<P>], indices: &[usize]) -> Projective<P> {
    indices
        .par_chunks(UNIT_CHUNK)
        .map(|chunk| {
            let mut sum = Projective::<P>::zero();
            for &i in chunk {
                sum += &bases[i];
            }
            sum
        })
        .sum()
}

/// Pippenger's method over the points `indices`, whose normalised scalars have at most `bits`
/// bits.
fn pippenger<P: SWCurveConfig>(
    bases: &[Affine<P>],
    scalars: &[BigIntOf<P>],
    indices: &[usize],
    bits: usize,
) -> Projective<P> {
    if indices.is_empty() {
        return Projective::zero();
    }
    let c = digits::best_window_bits(indices.len(), bits);
    let windows = digits::window_count(bits, c);

    // Point-major: the digits of point k are digits[k * windows .. (k + 1) * windows].
    let mut digits: Vec<Digit> = vec![0; indices.len() * windows];
    digits
        .par_chunks_mut(windows)
        .zip(indices)
        .for_each(|(out, &i)| {
            let (s, negate) = digits::normalize::<P::ScalarField>(&scalars[i]);
            digits::signed_digits(s.as_ref(), c, negate, out);
        });

    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| window_sum(bases, indices, &digits, windows, w, c))
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

/// `sum digit_w(k) * bases[indices[k]]` for window `w`.
fn window_sum<P: SWCurveConfig>(
    bases: &[Affine<P>],
    indices: &[usize],
    digits: &[Digit],
    windows: usize,
    w: usize,
    c: usize,
) -> Projective<P> {
    let mut buckets = Buckets::<P>::new(1 << (c - 1));
    for (&i, point_digits) in indices.iter().zip(digits.chunks_exact(windows)) {
        let digit = point_digits[w];
        if digit > 0 {
            buckets.add(usize::from(digit.unsigned_abs()) - 1, bases[i]);
        } else if digit < 0 {
            buckets.add(usize::from(digit.unsigned_abs()) - 1, -bases[i]);
        }
    }
    buckets.finish()
}
