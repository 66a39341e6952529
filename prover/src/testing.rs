//! Inputs for the prover's tests and benches (feature `test-dependencies`).

use ark_ec::{
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    CurveGroup,
};
use ark_std::UniformRand;
use rand::RngCore;

/// `n` distinct pseudo-random points: a random start plus multiples of a random stride (much
/// cheaper than `n` scalar multiplications, and as good for an MSM).
pub fn distinct_points<P: SWCurveConfig>(n: usize, rng: &mut impl RngCore) -> Vec<Affine<P>> {
    let stride = Projective::<P>::rand(rng);
    let mut p = Projective::<P>::rand(rng);
    let projective: Vec<_> = (0..n)
        .map(|_| {
            p += stride;
            p
        })
        .collect();
    Projective::normalize_batch(&projective)
}
