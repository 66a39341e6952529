//! Multi-scalar multiplication for BN254 G1 and G2 (placeholder: ark-ec's).

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::VariableBaseMSM;
use ark_ff::PrimeField;

/// A scalar in canonical (non-Montgomery) form.
pub type ScalarBigInt = <Fr as PrimeField>::BigInt;

/// `sum scalars[i] * bases[i]` in G1. Extra bases or scalars beyond the shorter slice are ignored.
pub fn msm_g1(bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
    G1Projective::msm_bigint(bases, scalars)
}

/// `sum scalars[i] * bases[i]` in G2. Extra bases or scalars beyond the shorter slice are ignored.
pub fn msm_g2(bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
    G2Projective::msm_bigint(bases, scalars)
}
