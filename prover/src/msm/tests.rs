//! Differential tests against ark-ec's `msm_bigint` on fixed-seed random and adversarial inputs,
//! for both [`super::msm`] and [`FixedBaseTable::msm`].

use super::{msm_g1, msm_g2, FixedBaseTable, ScalarBigInt};
use crate::testing::distinct_points;
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, PrimeGroup, VariableBaseMSM};
use ark_ff::{BigInt, PrimeField, UniformRand, Zero};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

const LENGTHS: [usize; 8] = [0, 1, 2, 3, 17, 255, 1000, 5000];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn uniform(n: usize, rng: &mut ChaCha20Rng) -> Vec<ScalarBigInt> {
    (0..n).map(|_| Fr::rand(rng).into_bigint()).collect()
}

/// About a quarter zeros, a quarter ones, a quarter u64-sized, a quarter uniform, plus some
/// small negative values.
fn witness_like(n: usize, rng: &mut ChaCha20Rng) -> Vec<ScalarBigInt> {
    (0..n)
        .map(|_| match rng.gen_range(0..10) {
            0..=2 => Fr::from(0u64),
            3..=4 => Fr::from(1u64),
            5 => Fr::from(rng.gen::<u8>()),
            6 => Fr::from(rng.gen::<u64>()),
            7 => -Fr::from(rng.gen::<u32>()),
            _ => Fr::rand(rng),
        })
        .map(|s| s.into_bigint())
        .collect()
}

fn check_g1(bases: &[G1Affine], scalars: &[ScalarBigInt]) {
    let expected = G1Projective::msm_bigint(bases, scalars);
    let what = format!("G1, {} bases, {} scalars", bases.len(), scalars.len());
    assert_eq!(msm_g1(bases, scalars), expected, "{what}");
    let table = FixedBaseTable::new(bases);
    assert_eq!(table.msm(scalars), expected, "{what}, window table");
}

fn check_g2(bases: &[G2Affine], scalars: &[ScalarBigInt]) {
    let expected = G2Projective::msm_bigint(bases, scalars);
    let what = format!("G2, {} bases, {} scalars", bases.len(), scalars.len());
    assert_eq!(msm_g2(bases, scalars), expected, "{what}");
    let table = FixedBaseTable::new(bases);
    assert_eq!(table.msm(scalars), expected, "{what}, window table");
}

/// Scalars that stress the decomposition: 0, 1, 2, r-1, r-2, (r-1)/2, (r+1)/2, 2^64 +- 1,
/// all-ones patterns that carry through every window into an extra top window, and powers of
/// two at window edges.
fn edge_scalars() -> Vec<ScalarBigInt> {
    let one = Fr::from(1u64);
    let half = Fr::from(Fr::MODULUS_MINUS_ONE_DIV_TWO);
    let two_64 = Fr::from(u64::MAX) + one;
    let mut s = vec![
        Fr::from(0u64),
        one,
        Fr::from(2u64),
        -one,
        -Fr::from(2u64),
        half,
        half + one,
        half - one,
        Fr::from(u64::MAX),
        two_64,
        two_64 + one,
        -Fr::from(u64::MAX),
        -two_64,
        Fr::from(BigInt::<4>([u64::MAX, u64::MAX, u64::MAX, (1 << 60) - 1])),
        Fr::from(BigInt::<4>([u64::MAX, u64::MAX, u64::MAX, (1 << 59) - 1])),
    ];
    for k in [
        9usize, 10, 11, 12, 13, 14, 15, 63, 64, 65, 126, 127, 128, 250, 251, 252,
    ] {
        let mut p = Fr::from(1u64);
        for _ in 0..k {
            p += p;
        }
        s.extend([p, p - one, -p, -(p - one)]);
    }
    s.into_iter().map(|x| x.into_bigint()).collect()
}

#[test]
fn g1_uniform_all_lengths() {
    let mut rng = rng(1);
    for n in LENGTHS {
        let bases = distinct_points(n, &mut rng);
        check_g1(&bases, &uniform(n, &mut rng));
    }
}

#[test]
fn g2_uniform_all_lengths() {
    let mut rng = rng(2);
    for n in LENGTHS {
        let bases = distinct_points(n, &mut rng);
        check_g2(&bases, &uniform(n, &mut rng));
    }
}

#[test]
fn g1_witness_like_all_lengths() {
    let mut rng = rng(3);
    for n in LENGTHS {
        let bases = distinct_points(n, &mut rng);
        check_g1(&bases, &witness_like(n, &mut rng));
    }
}

#[test]
fn g2_witness_like_all_lengths() {
    let mut rng = rng(4);
    for n in LENGTHS {
        let bases = distinct_points(n, &mut rng);
        check_g2(&bases, &witness_like(n, &mut rng));
    }
}

#[test]
fn boolean_and_u64_scalars() {
    let mut rng = rng(5);
    let n = 3000;
    let bases: Vec<G1Affine> = distinct_points(n, &mut rng);
    let bits: Vec<_> = (0..n)
        .map(|_| Fr::from(rng.gen::<bool>()).into_bigint())
        .collect();
    check_g1(&bases, &bits);
    let words: Vec<_> = (0..n)
        .map(|_| Fr::from(rng.gen::<u64>()).into_bigint())
        .collect();
    check_g1(&bases, &words);
    let bytes: Vec<_> = (0..n)
        .map(|_| Fr::from(rng.gen::<u8>()).into_bigint())
        .collect();
    check_g1(&bases, &bytes);
}

#[test]
fn zero_scalars_and_infinity_bases() {
    let mut rng = rng(6);
    let n = 1000;
    let mut bases: Vec<G1Affine> = distinct_points(n, &mut rng);
    let zeros = vec![ScalarBigInt::from(0u64); n];
    check_g1(&bases, &zeros);
    assert!(msm_g1(&bases, &zeros).is_zero());
    // A proving key's a_query/b_query hold points at infinity.
    for b in bases.iter_mut().step_by(3) {
        *b = G1Affine::identity();
    }
    check_g1(&bases, &uniform(n, &mut rng));
    check_g1(&bases, &witness_like(n, &mut rng));
    let all_infinity = vec![G1Affine::identity(); n];
    check_g1(&all_infinity, &uniform(n, &mut rng));
    let g2: Vec<G2Affine> = (0..200)
        .map(|i| {
            if i % 2 == 0 {
                G2Affine::identity()
            } else {
                G2Affine::generator()
            }
        })
        .collect();
    check_g2(&g2, &uniform(200, &mut rng));
}

#[test]
fn repeated_and_negated_bases() {
    let mut rng = rng(7);
    let g = G1Affine::generator();
    let h: G1Affine = distinct_points(1, &mut rng)[0];
    // The same base with the same scalar puts every point in one bucket of every window:
    // doublings, then a long conflict queue and the projective overflow.
    for scalar in [
        Fr::from(1u64),
        Fr::from(5u64),
        Fr::from(u64::MAX),
        Fr::rand(&mut rng),
    ] {
        let bases = vec![g; 2000];
        check_g1(&bases, &vec![scalar.into_bigint(); 2000]);
    }
    // A base and its negation with equal scalars: P + (-P) in the same bucket.
    let bases: Vec<G1Affine> = (0..2000).map(|i| if i % 2 == 0 { h } else { -h }).collect();
    let scalar = Fr::rand(&mut rng).into_bigint();
    check_g1(&bases, &vec![scalar; 2000]);
    // ... with small scalars too, and unit scalars that cancel.
    check_g1(&bases, &vec![ScalarBigInt::from(3u64); 2000]);
    check_g1(&bases, &vec![ScalarBigInt::from(1u64); 2000]);
    // Few distinct bases, random scalars.
    let few: Vec<G1Affine> = distinct_points(3, &mut rng);
    let bases: Vec<G1Affine> = (0..3000).map(|i| few[i % 3]).collect();
    check_g1(&bases, &uniform(3000, &mut rng));
    check_g1(&bases, &witness_like(3000, &mut rng));
    // The same in G2.
    let bases: Vec<G2Affine> = (0..500)
        .map(|i| {
            if i % 2 == 0 {
                G2Affine::generator()
            } else {
                -G2Affine::generator()
            }
        })
        .collect();
    check_g2(&bases, &vec![scalar; 500]);
    check_g2(&bases, &uniform(500, &mut rng));
}

#[test]
fn edge_case_scalars() {
    let mut rng = rng(8);
    let scalars = edge_scalars();
    let g1: Vec<G1Affine> = distinct_points(scalars.len(), &mut rng);
    check_g1(&g1, &scalars);
    let g2: Vec<G2Affine> = distinct_points(scalars.len(), &mut rng);
    check_g2(&g2, &scalars);
    // Each edge scalar alone (single-point MSM = scalar multiplication), and many copies
    // mixed into a larger MSM so every window width is exercised.
    let g = G1Affine::generator();
    let table = FixedBaseTable::new(&[g]);
    for s in &scalars {
        let expected = g.into_group() * Fr::from_bigint(*s).unwrap_or_default();
        assert_eq!(msm_g1(&[g], &[*s]), expected);
        assert_eq!(table.msm(&[*s]), expected);
    }
    for n in [300, 4000] {
        let bases: Vec<G1Affine> = distinct_points(n, &mut rng);
        let many: Vec<_> = (0..n).map(|i| scalars[i % scalars.len()]).collect();
        check_g1(&bases, &many);
    }
}

#[test]
fn unequal_lengths_use_the_shorter() {
    let mut rng = rng(9);
    let bases: Vec<G1Affine> = distinct_points(100, &mut rng);
    let scalars = uniform(150, &mut rng);
    check_g1(&bases, &scalars);
    check_g1(&bases[..40], &scalars);
    check_g1(&bases, &scalars[..0]);
    let g2: Vec<G2Affine> = distinct_points(30, &mut rng);
    check_g2(&g2, &scalars[..20]);
    check_g2(&g2, &scalars);
}

#[test]
fn non_canonical_scalars_are_reduced() {
    let g = G1Affine::generator();
    let mut r_plus_five = Fr::MODULUS;
    ark_ff::BigInteger::add_with_carry(&mut r_plus_five, &BigInt::from(5u64));
    assert_eq!(msm_g1(&[g], &[r_plus_five]), g * Fr::from(5u64));
    let table = FixedBaseTable::new(&[g]);
    assert_eq!(table.msm(&[r_plus_five]), g * Fr::from(5u64));
    assert!(table.msm(&[Fr::MODULUS]).is_zero());
    assert_eq!(
        msm_g1(&[g], &[Fr::MODULUS]),
        G1Projective::generator() * Fr::from(0u64)
    );
}

/// Windows with more points than one bucket range holds (see `RANGE_POINTS`), including one
/// bucket holding them all, and G2.
#[test]
fn windows_split_into_bucket_ranges() {
    let mut rng = rng(10);
    let n = 3 * super::RANGE_POINTS;
    let bases: Vec<G1Affine> = distinct_points(n, &mut rng);
    check_g1(&bases, &uniform(n, &mut rng));
    check_g1(&bases, &witness_like(n, &mut rng));
    let same = Fr::rand(&mut rng).into_bigint();
    check_g1(&bases, &vec![same; n]);
    let small: Vec<_> = (0..n)
        .map(|i| ScalarBigInt::from(2 + (i % 5) as u64))
        .collect();
    check_g1(&bases, &small);
    let g2: Vec<G2Affine> = distinct_points(super::RANGE_POINTS, &mut rng);
    check_g2(&g2, &uniform(g2.len(), &mut rng));
}

/// A table's multiples are `2^(c j)` times each base, its size is what it says, and one
/// table serves many scalar vectors (a prover's key across proofs).
#[test]
fn window_table_layout_and_reuse() {
    let mut rng = rng(11);
    let bases: Vec<G1Affine> = distinct_points(700, &mut rng);
    let table = FixedBaseTable::new(&bases);
    assert_eq!(table.len(), 700);
    assert!(!table.is_empty());
    let c = table.window_bits();
    assert!((super::digits::MIN_WINDOW_BITS..=super::digits::MAX_WINDOW_BITS).contains(&c));
    let windows = super::digits::window_count(super::digits::big_scalar_bits::<Fr>(), c);
    assert_eq!(
        table.memory_bytes(),
        700 * windows * std::mem::size_of::<G1Affine>()
    );
    for _ in 0..3 {
        let scalars = witness_like(700, &mut rng);
        assert_eq!(
            table.msm(&scalars),
            G1Projective::msm_bigint(&bases, &scalars)
        );
    }
    assert!(FixedBaseTable::<ark_bn254::g1::Config>::new(&[])
        .msm(&[])
        .is_zero());
}
