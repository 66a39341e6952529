//! Single-proof Groth16 verification, written directly on the BN254 pairing.

use ark_bn254::{Bn254, Fr, G1Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Zero;

use crate::error::VerifyError;
use crate::keys::{PreparedVerifyingKey, Proof, VerifyingKey};

/// Prepares a verifying key: computes `e(alpha, beta)` and the line coefficients of `-gamma`
/// and `-delta` once, so each verification needs one multi-Miller loop, one final
/// exponentiation and the inputs' multi-scalar multiplication (a verifier of many proofs
/// adds fixed-base tables for that: [`PreparedVerifyingKey::with_input_tables`]).
///
/// # Errors
///
/// [`VerifyError::MalformedVerifyingKey`] if `gamma_abc_g1` is empty, any of `alpha`,
/// `beta`, `gamma`, `delta` is the identity, or `gamma == delta`.
pub fn prepare_verifying_key(vk: &VerifyingKey) -> Result<PreparedVerifyingKey, VerifyError> {
    check_key(vk)?;
    Ok(PreparedVerifyingKey {
        input_tables: None,
        vk: vk.clone(),
        alpha_g1_beta_g2: Bn254::pairing(vk.alpha_g1, vk.beta_g2),
        beta_g2_neg_pc: (-vk.beta_g2).into(),
        gamma_g2_neg_pc: (-vk.gamma_g2).into(),
        delta_g2_neg_pc: (-vk.delta_g2).into(),
    })
}

/// Refuses keys that cannot verify anything.
fn check_key(vk: &VerifyingKey) -> Result<(), VerifyError> {
    // An identity gamma or delta would drop a whole term from the pairing equation; gamma
    // equal to ±delta would merge the inputs' term with C's, so C could carry any inputs.
    if vk.gamma_abc_g1.is_empty()
        || vk.alpha_g1.is_zero()
        || vk.beta_g2.is_zero()
        || vk.gamma_g2.is_zero()
        || vk.delta_g2.is_zero()
        || vk.gamma_g2 == vk.delta_g2
        || vk.gamma_g2 == -vk.delta_g2
    {
        return Err(VerifyError::MalformedVerifyingKey);
    }
    Ok(())
}

/// Verifies one proof with a key that is not prepared: for a verifier that checks one proof
/// and exits (a CLI process, a contract-like host). Same checks and verdicts as
/// [`prepare_verifying_key`] then [`verify`], at about half the cost: `e(alpha, beta)` is not
/// computed on its own (a full pairing) but joins the proof's pairings as a fourth pair of
/// one multi-Miller loop, and only the points this check uses are prepared.
///
/// # Errors
///
/// As [`prepare_verifying_key`] and [`verify`].
pub fn verify_once(
    vk: &VerifyingKey,
    public_inputs: &[Fr],
    proof: &Proof,
) -> Result<(), VerifyError> {
    check_key(vk)?;
    let (constant, bases) = input_bases(vk, public_inputs.len())?;
    if proof.a.is_zero() || proof.b.is_zero() || proof.c.is_zero() {
        return Err(VerifyError::InvalidProof);
    }
    let acc = crate::small_msm::msm(bases, public_inputs) + constant;
    // e(A, B) * e(acc, -gamma) * e(C, -delta) * e(alpha, -beta) = 1.
    let mlo = Bn254::multi_miller_loop(
        [
            <Bn254 as Pairing>::G1Prepared::from(proof.a),
            acc.into_affine().into(),
            proof.c.into(),
            vk.alpha_g1.into(),
        ],
        [
            <Bn254 as Pairing>::G2Prepared::from(proof.b),
            (-vk.gamma_g2).into(),
            (-vk.delta_g2).into(),
            (-vk.beta_g2).into(),
        ],
    );
    match Bn254::final_exponentiation(mlo) {
        Some(out) if out.is_zero() => Ok(()),
        _ => Err(VerifyError::InvalidProof),
    }
}

/// Verifies a Groth16 proof for `public_inputs` (in the circuit's public-input order).
///
/// Unlike ark-groth16 0.6, the number of inputs must match the key exactly: ark-groth16
/// zips inputs with the key, so a proof whose inputs are all zero also passes with `[]`,
/// `[0]` or extra zeros.
///
/// # Errors
///
/// - [`VerifyError::PublicInputCount`] if `public_inputs.len()` differs from
///   [`PreparedVerifyingKey::num_public_inputs`];
/// - [`VerifyError::InvalidProof`] if the pairing equation does not hold.
pub fn verify(
    pvk: &PreparedVerifyingKey,
    public_inputs: &[Fr],
    proof: &Proof,
) -> Result<(), VerifyError> {
    let acc = prepare_inputs(pvk, public_inputs)?;
    // Identity points are never produced by an honest prover; rejecting them costs nothing.
    if proof.a.is_zero() || proof.b.is_zero() || proof.c.is_zero() {
        return Err(VerifyError::InvalidProof);
    }
    // Groth16: e(A, B) = e(alpha, beta) * e(acc, gamma) * e(C, delta), rearranged as
    //   e(A, B) * e(acc, -gamma) * e(C, -delta) = e(alpha, beta)
    // so the left side is one multi-Miller loop and one final exponentiation.
    let mlo = Bn254::multi_miller_loop(
        [
            <Bn254 as Pairing>::G1Prepared::from(proof.a),
            acc.into_affine().into(),
            proof.c.into(),
        ],
        [
            proof.b.into(),
            pvk.gamma_g2_neg_pc.clone(),
            pvk.delta_g2_neg_pc.clone(),
        ],
    );
    match Bn254::final_exponentiation(mlo) {
        Some(lhs) if lhs == pvk.alpha_g1_beta_g2 => Ok(()),
        _ => Err(VerifyError::InvalidProof),
    }
}

/// `acc = gamma_abc_g1[0] + sum_i public_inputs[i] * gamma_abc_g1[i + 1]`, after checking the
/// input count, with the key's fixed-base tables.
pub(crate) fn prepare_inputs(
    pvk: &PreparedVerifyingKey,
    public_inputs: &[Fr],
) -> Result<G1Projective, VerifyError> {
    let (constant, _) = input_bases(&pvk.vk, public_inputs.len())?;
    Ok(input_combination(pvk, public_inputs) + constant)
}

/// The key's constant input point and its per-input bases, after checking that a proof gives
/// exactly one value per base.
fn input_bases(
    vk: &VerifyingKey,
    inputs: usize,
) -> Result<(&ark_bn254::G1Affine, &[ark_bn254::G1Affine]), VerifyError> {
    let (constant, bases) = vk
        .gamma_abc_g1
        .split_first()
        .ok_or(VerifyError::MalformedVerifyingKey)?;
    if inputs != bases.len() {
        return Err(VerifyError::PublicInputCount {
            expected: bases.len(),
            got: inputs,
        });
    }
    Ok((constant, bases))
}

/// `sum_i scalars[i] * gamma_abc_g1[i + 1]`: from the fixed-base tables if the key has
/// them, else one interleaved-wNAF multi-scalar multiplication.
pub(crate) fn input_combination(pvk: &PreparedVerifyingKey, scalars: &[Fr]) -> G1Projective {
    match &pvk.input_tables {
        Some(tables) => tables
            .iter()
            .zip(scalars)
            .map(|(table, x)| table.mul(x))
            .sum(),
        None => {
            let bases = pvk.vk.gamma_abc_g1.get(1..).unwrap_or_default();
            crate::small_msm::msm(bases, scalars)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_util::{simulated_key, simulated_proof};
    use alloc::vec;
    use ark_bn254::G1Affine;
    use ark_std::{One, Zero};
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn accepts_valid_and_rejects_wrong_input() {
        let mut rng = StdRng::seed_from_u64(1);
        let (vk, trapdoor) = simulated_key(2, &mut rng);
        let pvk = prepare_verifying_key(&vk).unwrap();
        let inputs = [Fr::from(6u64), Fr::from(5u64)];
        let proof = simulated_proof(&trapdoor, &inputs, &mut rng);
        let wrong = [Fr::from(7u64), Fr::from(5u64)];
        // One MSM (one-shot) or fixed-base tables (long-lived): the same verdicts.
        let with_tables = pvk.clone().with_input_tables();
        assert!(!pvk.has_input_tables() && with_tables.has_input_tables());
        for key in [&pvk, &with_tables] {
            assert_eq!(verify(key, &inputs, &proof), Ok(()));
            assert_eq!(verify(key, &wrong, &proof), Err(VerifyError::InvalidProof));
        }
    }

    /// The one-shot path gives every verdict the prepared path gives.
    #[test]
    fn verify_once_agrees_with_prepared_verification() {
        let mut rng = StdRng::seed_from_u64(5);
        let (vk, trapdoor) = simulated_key(3, &mut rng);
        let pvk = prepare_verifying_key(&vk).unwrap();
        let inputs = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)];
        let proof = simulated_proof(&trapdoor, &inputs, &mut rng);
        let (other_vk, _) = simulated_key(3, &mut rng);
        let mut cases: vec::Vec<(vec::Vec<Fr>, Proof)> = vec![(inputs.to_vec(), proof.clone())];
        // Every input changed, too few and too many inputs, each proof point changed or zero.
        for i in 0..inputs.len() {
            let mut wrong = inputs.to_vec();
            wrong[i] += Fr::one();
            cases.push((wrong, proof.clone()));
        }
        cases.push((inputs[..2].to_vec(), proof.clone()));
        cases.push(([&inputs[..], &[Fr::zero()]].concat(), proof.clone()));
        let mut swapped = proof.clone();
        core::mem::swap(&mut swapped.a, &mut swapped.c);
        cases.push((inputs.to_vec(), swapped));
        let mut zero_b = proof.clone();
        zero_b.b = ark_bn254::G2Affine::zero();
        cases.push((inputs.to_vec(), zero_b));
        let mut other_b = proof.clone();
        other_b.b = (other_b.b + other_vk.delta_g2).into_affine();
        cases.push((inputs.to_vec(), other_b));
        for (case_inputs, case_proof) in &cases {
            assert_eq!(
                verify_once(&vk, case_inputs, case_proof),
                verify(&pvk, case_inputs, case_proof),
            );
        }
        assert_eq!(verify_once(&vk, &inputs, &proof), Ok(()));
        assert_eq!(
            verify_once(&other_vk, &inputs, &proof),
            Err(VerifyError::InvalidProof)
        );
        let mut malformed = vk.clone();
        malformed.gamma_g2 = malformed.delta_g2;
        assert_eq!(
            verify_once(&malformed, &inputs, &proof),
            Err(VerifyError::MalformedVerifyingKey)
        );
    }

    #[test]
    fn tables_and_msm_give_the_same_input_term() {
        let mut rng = StdRng::seed_from_u64(2);
        let (vk, _) = simulated_key(5, &mut rng);
        let pvk = prepare_verifying_key(&vk).unwrap();
        let with_tables = pvk.clone().with_input_tables();
        for _ in 0..20 {
            let scalars: vec::Vec<Fr> = (0..5)
                .map(|_| ark_std::UniformRand::rand(&mut rng))
                .collect();
            assert_eq!(
                input_combination(&pvk, &scalars),
                input_combination(&with_tables, &scalars)
            );
        }
    }

    #[test]
    fn input_count_must_match_even_for_zero_inputs() {
        let mut rng = StdRng::seed_from_u64(2);
        let (vk, trapdoor) = simulated_key(2, &mut rng);
        let pvk = prepare_verifying_key(&vk).unwrap();
        let zeros = [Fr::zero(), Fr::zero()];
        let proof = simulated_proof(&trapdoor, &zeros, &mut rng);
        assert_eq!(verify(&pvk, &zeros, &proof), Ok(()));
        for bad in [&[][..], &[Fr::zero()][..], &[Fr::zero(); 3][..]] {
            assert_eq!(
                verify(&pvk, bad, &proof),
                Err(VerifyError::PublicInputCount {
                    expected: 2,
                    got: bad.len()
                })
            );
        }
    }

    #[test]
    fn identity_proof_points_are_rejected() {
        let mut rng = StdRng::seed_from_u64(3);
        let (vk, trapdoor) = simulated_key(1, &mut rng);
        let pvk = prepare_verifying_key(&vk).unwrap();
        let proof = simulated_proof(&trapdoor, &[Fr::one()], &mut rng);
        let mut bad = proof.clone();
        bad.a = G1Affine::zero();
        assert_eq!(
            verify(&pvk, &[Fr::one()], &bad),
            Err(VerifyError::InvalidProof)
        );
        let mut bad = proof;
        bad.c = G1Affine::zero();
        assert_eq!(
            verify(&pvk, &[Fr::one()], &bad),
            Err(VerifyError::InvalidProof)
        );
    }

    #[test]
    fn malformed_keys_are_rejected() {
        let mut rng = StdRng::seed_from_u64(4);
        let (vk, _) = simulated_key(1, &mut rng);
        let mut empty = vk.clone();
        empty.gamma_abc_g1 = vec![];
        assert_eq!(empty.num_public_inputs(), 0);
        assert_eq!(
            prepare_verifying_key(&empty).err(),
            Some(VerifyError::MalformedVerifyingKey)
        );
        let mut no_delta = vk;
        no_delta.delta_g2 = ark_bn254::G2Affine::zero();
        assert_eq!(
            prepare_verifying_key(&no_delta).err(),
            Some(VerifyError::MalformedVerifyingKey)
        );
    }
}
