//! Prime-order subgroup membership, the one costly check of decoding a proof.
//!
//! G1 has cofactor 1 on BN254, so every point on the curve is in the subgroup. G2's twist has
//! a cofactor of about 2^254, so a point from outside must be tested. ark-bn254 tests
//! `ψ(Q) = [6x²]Q`, a 127-bit scalar multiplication. We use the test of Dai, Lin, Zhao and
//! Zhou ("Fast subgroup membership testing for G1, G2 and GT on pairing-friendly curves",
//! eprint 2022/348, §5.1; gnark-crypto uses it for BN254 too):
//!
//! `Q ∈ G2  ⇔  [x+1]Q + ψ([x]Q) + ψ²([x]Q) = ψ³([2x]Q)`
//!
//! with `x` the curve's 63-bit BN parameter and ψ the untwist-Frobenius-twist endomorphism,
//! so one 63-bit multiplication and a few additions: about half the cost. The tests check it
//! against `[r]Q = 0` on points in and out of the subgroup, and its constants against their
//! definitions.

use ark_bn254::{g2::Config as G2Config, Fq2, G2Affine, G2Projective};
use ark_ec::{
    short_weierstrass::{Affine, SWCurveConfig},
    AffineRepr,
};
use ark_ff::{AdditiveGroup, Field, MontFp};

/// The BN parameter `x` of BN254 (positive).
const BN_X: u64 = 4_965_661_367_192_848_881;

/// `ξ^((p-1)/3)` with `ξ = u + 9`: ψ's factor on the x coordinate.
const PSI_X: Fq2 = Fq2::new(
    MontFp!("21575463638280843010398324269430826099269044274347216827212613867836435027261"),
    MontFp!("10307601595873709700152284273816112264069230130616436755625194854815875713954"),
);

/// `ξ^((p-1)/2)`: ψ's factor on the y coordinate.
const PSI_Y: Fq2 = Fq2::new(
    MontFp!("2821565182194536844548159561693502659359617185244120367078079554186484126554"),
    MontFp!("3505843767911556378687030309984248845540243509899259641013678093033130930403"),
);

/// Curves whose points from outside need a subgroup test, and that test (for a point known
/// to be on the curve).
pub(crate) trait PrimeSubgroup: SWCurveConfig {
    /// Whether `point` (on the curve) is in the prime-order subgroup.
    fn in_prime_subgroup(point: &Affine<Self>) -> bool;
}

impl PrimeSubgroup for ark_bn254::g1::Config {
    fn in_prime_subgroup(point: &Affine<Self>) -> bool {
        // Cofactor 1: ark's check is `true` here; kept as the curve's own rule.
        point.is_in_correct_subgroup_assuming_on_curve()
    }
}

impl PrimeSubgroup for G2Config {
    fn in_prime_subgroup(point: &G2Affine) -> bool {
        g2_in_subgroup(point)
    }
}

/// ψ on Jacobian coordinates: `(X, Y, Z) ↦ (X̄·PSI_X, Ȳ·PSI_Y, Z̄)`, where the bar is the
/// Frobenius map of Fq2 (conjugation). Conjugation is a field automorphism, so it commutes
/// with the division by `Z²` and `Z³` that gives the affine point.
fn psi(p: &G2Projective) -> G2Projective {
    let conjugate = |mut a: Fq2| {
        a.frobenius_map_in_place(1);
        a
    };
    G2Projective::new_unchecked(
        conjugate(p.x) * PSI_X,
        conjugate(p.y) * PSI_Y,
        conjugate(p.z),
    )
}

/// Whether a G2 point on the twist is in the prime-order subgroup, by the test above.
/// The identity is (it is the subgroup's identity).
pub(crate) fn g2_in_subgroup(point: &G2Affine) -> bool {
    if point.is_zero() {
        return true;
    }
    let q = point.into_group();
    let xq = point.mul_bigint([BN_X]);
    let lhs = xq + q + psi(&xq) + psi(&psi(&xq));
    let rhs = psi(&psi(&psi(&xq.double())));
    lhs == rhs
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use ark_bn254::Fq;
    use ark_ec::{bn::BnConfig, CurveGroup, PrimeGroup};
    use ark_ff::{BigInteger, PrimeField, UniformRand, Zero};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    /// Membership by definition: `[r]Q = 0`.
    fn by_order(point: &G2Affine) -> bool {
        point
            .mul_bigint(<ark_bn254::Fr as PrimeField>::MODULUS)
            .is_zero()
    }

    fn random_twist_point(rng: &mut StdRng) -> G2Affine {
        loop {
            let x = Fq2::new(Fq::rand(rng), Fq::rand(rng));
            if let Some(p) = G2Affine::get_point_from_x_unchecked(x, rng.gen()) {
                assert!(p.is_on_curve());
                return p;
            }
        }
    }

    #[test]
    fn constants_are_their_definitions() {
        assert_eq!(<ark_bn254::Config as BnConfig>::X, &[BN_X]);
        const { assert!(!<ark_bn254::Config as BnConfig>::X_IS_NEGATIVE) };
        let xi = Fq2::new(Fq::from(9u64), Fq::from(1u64));
        let mut p_minus_1 = Fq::MODULUS;
        p_minus_1.sub_with_borrow(&1u64.into());
        let third = div_small(p_minus_1, 3);
        let half = div_small(p_minus_1, 2);
        assert_eq!(xi.pow(third), PSI_X);
        assert_eq!(xi.pow(half), PSI_Y);
    }

    /// `n / d` for a small `d` that divides `n`.
    fn div_small(n: ark_ff::BigInt<4>, d: u64) -> ark_ff::BigInt<4> {
        let mut out = [0u64; 4];
        let mut rem: u128 = 0;
        for i in (0..4).rev() {
            let cur = (rem << 64) | u128::from(n.0[i]);
            out[i] = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        assert_eq!(rem, 0);
        ark_ff::BigInt(out)
    }

    #[test]
    fn psi_is_arks_endomorphism() {
        // ark-bn254's check is ψ(Q) = [6x²]Q on the subgroup: ours must agree there.
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..8 {
            let q = (G2Projective::generator() * ark_bn254::Fr::rand(&mut rng)).into_affine();
            let six_x_squared = 6u128 * u128::from(BN_X) * u128::from(BN_X);
            let expected = q.mul_bigint([six_x_squared as u64, (six_x_squared >> 64) as u64]);
            assert_eq!(psi(&q.into_group()), expected);
        }
    }

    #[test]
    fn agrees_with_the_order_on_random_points() {
        let mut rng = StdRng::seed_from_u64(4);
        let (mut inside, mut outside) = (0, 0);
        for _ in 0..64 {
            let p = random_twist_point(&mut rng);
            let expected = by_order(&p);
            assert_eq!(g2_in_subgroup(&p), expected);
            outside += usize::from(!expected);
            // Clearing the cofactor lands in the subgroup.
            let cleared = p.clear_cofactor();
            assert!(by_order(&cleared));
            assert!(g2_in_subgroup(&cleared));
            inside += 1;
            // A subgroup point plus an outside one is outside, and so is the outside
            // point's part in the cofactor's torsion alone.
            if !expected {
                let torsion = p
                    .mul_bigint(<ark_bn254::Fr as PrimeField>::MODULUS)
                    .into_affine();
                assert!(!torsion.is_zero() && !g2_in_subgroup(&torsion));
                let mixed = (cleared.into_group() + p).into_affine();
                assert!(!by_order(&mixed));
                assert!(!g2_in_subgroup(&mixed));
            }
        }
        assert!(inside == 64 && outside > 60);
        assert!(g2_in_subgroup(&G2Affine::zero()));
        assert!(g2_in_subgroup(&G2Affine::generator()));
    }

    #[test]
    fn agrees_with_ark_on_random_points() {
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..64 {
            let p = random_twist_point(&mut rng);
            assert_eq!(
                g2_in_subgroup(&p),
                p.is_in_correct_subgroup_assuming_on_curve()
            );
        }
    }
}
