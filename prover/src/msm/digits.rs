//! Scalar preprocessing: sign normalisation, size classes and signed-window digits.
//!
//! Every scalar `s` is first replaced by `s' = min(s, r - s)` (with the base negated when the
//! second is taken), so `s' < 2^(bits(r) - 1)`: scalars close to `r` (`-1`, `-2`, small negative
//! values a witness may hold) become small, and a full-size scalar needs one bit less.
//!
//! Small scalars are then split off by size (see [`Class`]), and the rest are written in signed
//! windows of `c` bits: digits in `(-2^(c-1), 2^(c-1)]`, so one window needs `2^(c-1)` buckets
//! instead of the `2^c - 1` of unsigned windows.

use ark_ff::{BigInteger, PrimeField};
use rayon::prelude::*;

/// A signed window digit. `i16` holds every digit of a window of up to [`MAX_WINDOW_BITS`].
pub(crate) type Digit = i16;

/// The widest window: the largest digit, `2^(c-1)`, must fit in a [`Digit`]. Wider windows
/// would only pay above about 2^20 points (2^19 scalars with GLV), beyond the MSMs of our
/// circuits.
pub(crate) const MAX_WINDOW_BITS: usize = 15;

/// The narrowest window worth its bookkeeping.
pub(crate) const MIN_WINDOW_BITS: usize = 2;

/// Bits of a scalar in the [`Class::Small`] group: one machine word.
pub(crate) const SMALL_SCALAR_BITS: usize = 64;

/// Cost, in base-field multiplications, of adding one point into a bucket in batch-affine form:
/// 1 multiplication for the slope, 1 square and 1 multiplication for the result, 3 for the
/// batched inversion, and the equivalent of about 2 for sorting the point into its bucket.
pub(crate) const BUCKET_ADD_COST: usize = 8;

/// Cost, in base-field multiplications, of one bucket in a window's reduction to
/// `sum (b + 1) * bucket[b]`: two batch-affine additions (see `BucketSummer::split_weighted_sum`;
/// a plain running sum would cost 24).
pub(crate) const BUCKET_REDUCE_COST: usize = 14;

/// How a (normalised) scalar is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Zero scalar or base at infinity: contributes nothing.
    Zero,
    /// `+1`: the base is added once, no windows.
    PlusOne,
    /// `-1` (that is, `r - 1`): the base is subtracted once.
    MinusOne,
    /// `|s'| < 2^64`: a Pippenger pass over [`SMALL_SCALAR_BITS`] bits only.
    Small,
    /// Anything else: split by GLV into two halves of at most 127 bits (or, for a curve
    /// without a usable decomposition, a Pippenger pass over all `bits(r) - 1` bits).
    Big,
}

/// Bits of a normalised full-size scalar: `s' <= (r - 1) / 2 < 2^(bits(r) - 1)`.
pub(crate) fn big_scalar_bits<F: PrimeField>() -> usize {
    F::MODULUS_BIT_SIZE as usize - 1
}

/// `(min(s, r - s), negated)`, with `s` first reduced below `r` (callers pass canonical scalars;
/// a larger one is reduced rather than mis-handled, which is the same point for bases of order
/// `r`, i.e. every point of BN254 G1 and of the G2 subgroup).
pub(crate) fn normalize<F: PrimeField>(scalar: &F::BigInt) -> (F::BigInt, bool) {
    let mut s = *scalar;
    while s >= F::MODULUS {
        s.sub_with_borrow(&F::MODULUS);
    }
    if s > F::MODULUS_MINUS_ONE_DIV_TWO {
        let mut negated = F::MODULUS;
        negated.sub_with_borrow(&s);
        (negated, true)
    } else {
        (s, false)
    }
}

/// The size class of `scalar` (see [`Class`]).
pub(crate) fn classify<F: PrimeField>(scalar: &F::BigInt) -> Class {
    let (s, negated) = normalize::<F>(scalar);
    let limbs = s.as_ref();
    let high_is_zero = limbs.iter().skip(1).all(|&l| l == 0);
    match (high_is_zero, limbs.first().copied().unwrap_or(0), negated) {
        (true, 0, _) => Class::Zero,
        (true, 1, false) => Class::PlusOne,
        (true, 1, true) => Class::MinusOne,
        (true, _, _) => Class::Small,
        (false, _, _) => Class::Big,
    }
}

/// Number of `c`-bit windows for scalars of at most `bits` bits. The top window must keep a
/// spare bit so that the carry out of the window below never makes its digit negative (which
/// would need one more window): `windows * c >= bits + 1`.
pub(crate) fn window_count(bits: usize, c: usize) -> usize {
    (bits + 1).div_ceil(c)
}

/// The window width minimising `windows * (points * add + 2^(c-1) * reduce)` for `points`
/// scalars of at most `bits` bits.
pub(crate) fn best_window_bits(points: usize, bits: usize) -> usize {
    let cost = |c: usize| {
        let buckets = 1usize << (c - 1);
        window_count(bits, c)
            * (points.saturating_mul(BUCKET_ADD_COST) + buckets * BUCKET_REDUCE_COST)
    };
    (MIN_WINDOW_BITS..=MAX_WINDOW_BITS)
        .min_by_key(|&c| cost(c))
        .unwrap_or(MIN_WINDOW_BITS)
}

/// Points per rayon task when building a digit table.
const DIGIT_CHUNK: usize = 1 << 10;

/// The window-major table of `len` points' digits: row `w` (`table[w * len .. (w + 1) * len]`)
/// holds window `w` of every point, so a window's pass reads its digits contiguously. `fill(k,
/// out)` writes point `k`'s `windows` digits; points are processed in parallel chunks.
pub(crate) fn digit_table(
    len: usize,
    windows: usize,
    fill: impl Fn(usize, &mut [Digit]) + Sync,
) -> Vec<Digit> {
    let mut table: Vec<Digit> = vec![0; len * windows];
    if len == 0 || windows == 0 {
        return table;
    }
    // pieces[j][w]: chunk j of row w.
    let mut pieces: Vec<Vec<&mut [Digit]>> = (0..len.div_ceil(DIGIT_CHUNK))
        .map(|_| Vec::with_capacity(windows))
        .collect();
    for row in table.chunks_mut(len) {
        for (piece, rows) in row.chunks_mut(DIGIT_CHUNK).zip(pieces.iter_mut()) {
            rows.push(piece);
        }
    }
    pieces
        .into_par_iter()
        .enumerate()
        .for_each(|(j, mut rows)| {
            let mut point = vec![0; windows];
            let chunk_len = rows.first().map_or(0, |r| r.len());
            for k in 0..chunk_len {
                fill(j * DIGIT_CHUNK + k, &mut point);
                for (row, &d) in rows.iter_mut().zip(&point) {
                    row[k] = d;
                }
            }
        });
    table
}

/// Bits `offset .. offset + c` of the little-endian `limbs` (zero beyond the end).
fn window_value(limbs: &[u64], offset: usize, c: usize) -> u64 {
    let limb = offset / u64::BITS as usize;
    let shift = offset % u64::BITS as usize;
    let Some(&low) = limbs.get(limb) else {
        return 0;
    };
    let mut value = low >> shift;
    if shift + c > u64::BITS as usize {
        if let Some(&high) = limbs.get(limb + 1) {
            value |= high << (u64::BITS as usize - shift);
        }
    }
    value & ((1u64 << c) - 1)
}

/// Writes the signed `c`-bit digits of `limbs` (times `-1` when `negate`) into `out`, lowest
/// window first: `value = sum out[w] * 2^(w*c)`, each digit in `(-2^(c-1), 2^(c-1)]`.
///
/// A window whose value (plus the carry from below) exceeds `2^(c-1)` becomes `value - 2^c`
/// and carries one into the next window. `out.len()` must be at least
/// [`window_count`]`(bits(value), c)`; then the top window never carries out.
pub(crate) fn signed_digits(limbs: &[u64], c: usize, negate: bool, out: &mut [Digit]) {
    debug_assert!((MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&c));
    let half = 1i64 << (c - 1);
    let full = 1i64 << c;
    let mut carry = 0i64;
    for (w, digit) in out.iter_mut().enumerate() {
        // A window value is below 2^15, so it fits i64 with room for the carry.
        let mut value = window_value(limbs, w * c, c) as i64 + carry;
        carry = 0;
        if value > half {
            value -= full;
            carry = 1;
        }
        if negate {
            value = -value;
        }
        // |value| <= 2^(c-1) <= 2^14: always fits.
        *digit = value as Digit;
    }
    debug_assert_eq!(carry, 0, "too few windows for the scalar");
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ff::{BigInt, UniformRand};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// Recombines digits into a (possibly negative) value mod r, as an `Fr`.
    fn recombine(digits: &[Digit], c: usize) -> Fr {
        let base = Fr::from(1u64 << c);
        digits
            .iter()
            .rev()
            .fold(Fr::from(0u64), |acc, &d| acc * base + Fr::from(d as i64))
    }

    #[test]
    fn digits_recombine_and_stay_in_range() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut scalars: Vec<Fr> = (0..200).map(|_| Fr::rand(&mut rng)).collect();
        scalars.extend([0u64, 1, 2, u64::MAX].map(Fr::from));
        scalars.push(-Fr::from(1u64));
        // (r - 1) / 2 and (r + 1) / 2: the largest scalar kept and the smallest one negated.
        let half = Fr::from(Fr::MODULUS_MINUS_ONE_DIV_TWO);
        scalars.push(half);
        scalars.push(half + Fr::from(1u64));
        // All ones in the low 252 bits: every window carries.
        scalars.push(Fr::from(BigInt::<4>([
            u64::MAX,
            u64::MAX,
            u64::MAX,
            (1 << 60) - 1,
        ])));
        for c in MIN_WINDOW_BITS..=MAX_WINDOW_BITS {
            for s in &scalars {
                let (n, neg) = normalize::<Fr>(&s.into_bigint());
                assert!(n.num_bits() as usize <= big_scalar_bits::<Fr>());
                let mut out = vec![0; window_count(big_scalar_bits::<Fr>(), c)];
                signed_digits(n.as_ref(), c, neg, &mut out);
                let bound = 1i64 << (c - 1);
                assert!(out.iter().all(|&d| (d as i64).abs() <= bound));
                assert_eq!(recombine(&out, c), *s, "c = {c}");
            }
        }
    }

    #[test]
    fn small_scalar_digits_fit_the_small_windows() {
        for c in MIN_WINDOW_BITS..=MAX_WINDOW_BITS {
            for v in [u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) - 1, 3] {
                let s = Fr::from(v);
                let mut out = vec![0; window_count(SMALL_SCALAR_BITS, c)];
                signed_digits(s.into_bigint().as_ref(), c, false, &mut out);
                assert_eq!(recombine(&out, c), s);
                let mut out = vec![0; window_count(SMALL_SCALAR_BITS, c)];
                let (n, neg) = normalize::<Fr>(&(-s).into_bigint());
                assert!(neg);
                signed_digits(n.as_ref(), c, neg, &mut out);
                assert_eq!(recombine(&out, c), -s);
            }
        }
    }

    #[test]
    fn classes() {
        let class = |s: Fr| classify::<Fr>(&s.into_bigint());
        assert_eq!(class(Fr::from(0u64)), Class::Zero);
        assert_eq!(class(Fr::from(1u64)), Class::PlusOne);
        assert_eq!(class(-Fr::from(1u64)), Class::MinusOne);
        assert_eq!(class(Fr::from(2u64)), Class::Small);
        assert_eq!(class(-Fr::from(u64::MAX)), Class::Small);
        assert_eq!(class(Fr::from(u64::MAX) + Fr::from(1u64)), Class::Big);
        // Non-canonical input is reduced: r itself is zero, r + 1 is one.
        assert_eq!(classify::<Fr>(&Fr::MODULUS), Class::Zero);
        let mut r_plus_one = Fr::MODULUS;
        r_plus_one.add_with_carry(&BigInt::from(1u64));
        assert_eq!(classify::<Fr>(&r_plus_one), Class::PlusOne);
    }

    #[test]
    fn window_width_grows_with_size() {
        let bits = big_scalar_bits::<Fr>();
        let widths: Vec<usize> = (0..=20).map(|k| best_window_bits(1 << k, bits)).collect();
        assert!(widths.windows(2).all(|w| w[0] <= w[1]), "{widths:?}");
        assert!(widths
            .iter()
            .all(|c| (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(c)));
    }
}
