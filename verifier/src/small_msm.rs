//! Multi-scalar multiplication for a handful of bases: interleaved wNAF (Straus).
//!
//! A verification's input term `Σ x_i · gamma_abc_g1[i + 1]` has one base per public input
//! (nine for Access). Pippenger's buckets pay off only for hundreds of bases; for a few, one
//! shared chain of doublings with each scalar's signed digits added from a small table of odd
//! multiples costs about a third as much. Many inputs are also short (times, scopes, purposes):
//! their digits run out early and add nothing to the rest of the chain.
//!
//! Cost for `n` bases and scalars of at most `b` bits: `b` doublings, about `b / (WINDOW + 1)`
//! mixed additions per full-length scalar, plus `n · (TABLE_LEN + 1)` group operations and one
//! field inversion to build the tables.

use alloc::vec::Vec;
use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AdditiveGroup, CurveGroup};
use ark_ff::{BigInteger, PrimeField, Zero};

/// wNAF window: signed odd digits in `(-2^(WINDOW-1), 2^(WINDOW-1))`.
const WINDOW: usize = 5;

/// Odd multiples `P, 3P, …, (2^(WINDOW-1) - 1)P` kept per base.
const TABLE_LEN: usize = 1 << (WINDOW - 2);

/// `Σ scalars[i] · bases[i]` over the shorter of the two slices.
pub(crate) fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    let digits: Vec<Vec<i64>> = scalars[..n]
        .iter()
        .map(|x| {
            x.into_bigint().find_wnaf(WINDOW).unwrap_or_default() // WINDOW is in find_wnaf's range 2..64.
        })
        .collect();
    let tables = odd_multiples(&bases[..n]);
    let longest = digits.iter().map(Vec::len).max().unwrap_or(0);
    let mut acc = G1Projective::zero();
    for position in (0..longest).rev() {
        acc.double_in_place();
        for (digits, table) in digits.iter().zip(tables.chunks_exact(TABLE_LEN)) {
            let digit = digits.get(position).copied().unwrap_or(0);
            // Digits are odd with |digit| < 2^(WINDOW-1): index (|digit| - 1) / 2 < TABLE_LEN.
            let Some(point) = usize::try_from(digit.unsigned_abs() / 2)
                .ok()
                .and_then(|i| table.get(i))
            else {
                continue;
            };
            if digit > 0 {
                acc += point;
            } else if digit < 0 {
                acc -= point;
            }
        }
    }
    acc
}

/// For each base its [`TABLE_LEN`] odd multiples, affine (one inversion for all), base by base.
fn odd_multiples(bases: &[G1Affine]) -> Vec<G1Affine> {
    let mut projective = Vec::with_capacity(bases.len() * TABLE_LEN);
    for base in bases {
        let double = G1Projective::from(*base).double();
        let mut multiple = G1Projective::from(*base);
        for _ in 0..TABLE_LEN {
            projective.push(multiple);
            multiple += double;
        }
    }
    G1Projective::normalize_batch(&projective)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{AffineRepr, VariableBaseMSM};
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    #[test]
    fn equals_pippenger_for_full_short_zero_and_extreme_scalars() {
        let mut rng = StdRng::seed_from_u64(11);
        for n in [0usize, 1, 2, 5, 9, 17] {
            let bases: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
            let scalars: Vec<Fr> = (0..n)
                .map(|i| match i % 5 {
                    0 => Fr::rand(&mut rng),
                    1 => Fr::from(rng.gen::<u32>()),
                    2 => Fr::zero(),
                    3 => -Fr::from(1u64),
                    _ => Fr::from(1u64),
                })
                .collect();
            let expected = G1Projective::msm_unchecked(&bases, &scalars);
            assert_eq!(msm(&bases, &scalars), expected, "{n} bases");
        }
    }

    #[test]
    fn the_identity_base_and_uneven_slices_are_handled() {
        let mut rng = StdRng::seed_from_u64(12);
        let bases = [G1Affine::zero(), G1Affine::rand(&mut rng)];
        let scalars = [Fr::rand(&mut rng), Fr::rand(&mut rng), Fr::rand(&mut rng)];
        assert_eq!(
            msm(&bases, &scalars),
            G1Projective::msm_unchecked(&bases, &scalars[..2])
        );
    }
}
