//! Fixed-base scalar multiplication for the verifying key's public-input bases.
//!
//! `acc = gamma_abc[0] + sum x_i * gamma_abc[i]` runs on every verification with the same
//! bases. A generic MSM over a handful of points is a poor fit (Pippenger's buckets do not
//! amortise over 7 points: about 440 µs of a 1.4 ms verification here), so each base gets a
//! table of its multiples once, when the key is prepared:
//! `table[w][d - 1] = d * 2^(WINDOW_BITS * w) * base` for every window `w` and digit
//! `d in 1..2^WINDOW_BITS`. A scalar then costs one mixed addition per non-zero digit
//! (at most [`WINDOWS`] = 64) and no doublings; small inputs (timestamps, scopes) cost less.
//! Memory: [`WINDOWS`] × [`DIGITS`] affine points = 960 × 64 bytes = 60 KiB per input.

use alloc::vec::Vec;
use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, Zero};

/// Bits per window.
pub(crate) const WINDOW_BITS: usize = 4;
/// Windows covering a scalar field element.
pub(crate) const WINDOWS: usize = (Fr::MODULUS_BIT_SIZE as usize).div_ceil(WINDOW_BITS);
/// Non-zero digits per window.
pub(crate) const DIGITS: usize = (1 << WINDOW_BITS) - 1;
/// Mask of one window's bits.
const WINDOW_MASK: u64 = (1 << WINDOW_BITS) - 1;
/// Bits per limb of the scalar's canonical integer.
const LIMB_BITS: usize = 64;

/// One base's table of multiples (see the module docs).
#[derive(Clone)]
pub(crate) struct FixedBaseTable {
    points: Vec<G1Affine>,
}

impl core::fmt::Debug for FixedBaseTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FixedBaseTable")
            .field("points", &self.points.len())
            .finish()
    }
}

impl FixedBaseTable {
    /// Builds the table: [`WINDOWS`] × 2^[`WINDOW_BITS`] projective additions and one batch
    /// normalisation.
    pub(crate) fn new(base: G1Affine) -> Self {
        let mut multiples = Vec::with_capacity(WINDOWS * DIGITS);
        let mut window_base = base.into_group();
        for _ in 0..WINDOWS {
            let mut multiple = window_base;
            for _ in 0..DIGITS {
                multiples.push(multiple);
                multiple += window_base;
            }
            // After DIGITS additions `multiple` is 2^WINDOW_BITS * window_base: the next base.
            window_base = multiple;
        }
        Self {
            points: G1Projective::normalize_batch(&multiples),
        }
    }

    /// `scalar * base`.
    pub(crate) fn mul(&self, scalar: &Fr) -> G1Projective {
        let bits = scalar.into_bigint();
        let limbs = bits.as_ref();
        let mut acc = G1Projective::zero();
        for w in 0..WINDOWS {
            let bit = w * WINDOW_BITS;
            // WINDOW_BITS divides LIMB_BITS, so a window never straddles two limbs.
            let digit = (limbs[bit / LIMB_BITS] >> (bit % LIMB_BITS)) & WINDOW_MASK;
            if digit != 0 {
                acc += self.points[w * DIGITS + digit as usize - 1];
            }
        }
        acc
    }
}

const _: () = assert!(LIMB_BITS.is_multiple_of(WINDOW_BITS));
const _: () = assert!(WINDOWS * WINDOW_BITS <= 4 * LIMB_BITS);

/// Tables for every public-input base (`gamma_abc_g1[1..]`).
pub(crate) fn input_tables(gamma_abc_g1: &[G1Affine]) -> Vec<FixedBaseTable> {
    gamma_abc_g1
        .iter()
        .skip(1)
        .map(|base| FixedBaseTable::new(*base))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use ark_ec::PrimeGroup;
    use ark_ff::{BigInteger256, UniformRand};
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn agrees_with_scalar_multiplication() {
        let mut rng = StdRng::seed_from_u64(11);
        let base = (G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
        let table = FixedBaseTable::new(base);
        let minus_one = -Fr::from(1u64);
        let edge = [
            Fr::zero(),
            Fr::from(1u64),
            Fr::from(15u64),
            Fr::from(16u64),
            Fr::from(u64::MAX),
            minus_one,
            Fr::from_bigint(BigInteger256::from(1u64) << 250).unwrap(),
        ];
        let random = (0..50).map(|_| Fr::rand(&mut rng));
        for x in edge.into_iter().chain(random) {
            assert_eq!(table.mul(&x), base * x, "x = {x}");
        }
    }

    #[test]
    fn identity_base_gives_identity() {
        let table = FixedBaseTable::new(G1Affine::zero());
        assert!(table.mul(&Fr::from(12345u64)).is_zero());
    }
}
