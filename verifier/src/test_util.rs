//! Test helpers: a verifying key with a known trapdoor, so valid proofs for any inputs can
//! be made without a prover (unit tests stay free of ark-groth16).

use alloc::vec::Vec;
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{Field, UniformRand};
use rand::Rng;

use crate::keys::{Proof, VerifyingKey};

/// The secret exponents behind a simulated key.
pub(crate) struct Trapdoor {
    alpha: Fr,
    beta: Fr,
    gamma: Fr,
    delta: Fr,
    gamma_abc: Vec<Fr>,
}

fn g1(s: Fr) -> G1Affine {
    (G1Projective::generator() * s).into_affine()
}

fn g2(s: Fr) -> G2Affine {
    (G2Projective::generator() * s).into_affine()
}

/// A key for `num_inputs` public inputs whose discrete logs are known.
pub(crate) fn simulated_key<R: Rng>(num_inputs: usize, rng: &mut R) -> (VerifyingKey, Trapdoor) {
    let t = Trapdoor {
        alpha: Fr::rand(rng),
        beta: Fr::rand(rng),
        gamma: Fr::rand(rng),
        delta: Fr::rand(rng),
        gamma_abc: (0..=num_inputs).map(|_| Fr::rand(rng)).collect(),
    };
    let vk = VerifyingKey {
        alpha_g1: g1(t.alpha),
        beta_g2: g2(t.beta),
        gamma_g2: g2(t.gamma),
        delta_g2: g2(t.delta),
        gamma_abc_g1: t.gamma_abc.iter().map(|k| g1(*k)).collect(),
    };
    (vk, t)
}

/// A proof that satisfies the pairing equation for `inputs`:
/// `a * b = alpha * beta + gamma * acc + delta * c` in the exponent.
#[allow(clippy::unwrap_used)]
pub(crate) fn simulated_proof<R: Rng>(t: &Trapdoor, inputs: &[Fr], rng: &mut R) -> Proof {
    let a = Fr::rand(rng);
    let b = Fr::rand(rng);
    let acc = t.gamma_abc[0]
        + inputs
            .iter()
            .zip(&t.gamma_abc[1..])
            .map(|(x, k)| *x * k)
            .sum::<Fr>();
    let c = (a * b - t.alpha * t.beta - t.gamma * acc) * t.delta.inverse().unwrap();
    Proof {
        a: g1(a),
        b: g2(b),
        c: g1(c),
    }
}

/// A G2 point on the twist but outside the prime-order subgroup (the cofactor is huge, so
/// the first point found by trying x values is almost surely outside; asserted).
pub(crate) fn g2_outside_subgroup() -> G2Affine {
    let mut i = 0u64;
    loop {
        i += 1;
        let x = ark_bn254::Fq2::new(ark_bn254::Fq::from(i), ark_bn254::Fq::from(1u64));
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            assert!(p.is_on_curve());
            assert!(!p.is_in_correct_subgroup_assuming_on_curve());
            return p;
        }
    }
}
