//! Batch verification: many proofs for one key in one multi-pairing, by a random linear
//! combination (as in bellman's `groth16::batch`).

use alloc::vec::Vec;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, BigInteger, PrimeField, Zero};

use crate::error::BatchError;
use crate::keys::{PreparedVerifyingKey, Proof};
use crate::verify::{input_combination, verify};

/// Verifies `items` (public inputs, proof) against one key, checking all proofs with a
/// single multi-Miller loop and final exponentiation.
///
/// `scalars` holds one random weight per item. They must be non-zero, independent and
/// unpredictable to whoever made the proofs (sample them, e.g. 128 uniform bits each,
/// after the proofs are fixed): a prover who knows them can make invalid proofs cancel
/// out. With 128-bit weights a batch containing an invalid proof passes with probability
/// at most about 2^-128.
///
/// If the batch check fails, every item is verified on its own to name the culprits.
/// An empty batch is accepted.
///
/// # Errors
///
/// - [`BatchError::ScalarCount`] if `scalars.len() != items.len()`;
/// - [`BatchError::PublicInputCount`] for the first item with the wrong input count;
/// - [`BatchError::ZeroScalar`] for the first zero weight;
/// - [`BatchError::Invalid`] with the ascending indices of the proofs that fail.
pub fn verify_batch(
    pvk: &PreparedVerifyingKey,
    items: &[(&[Fr], &Proof)],
    scalars: &[Fr],
) -> Result<(), BatchError> {
    check_scalar_count(items.len(), scalars.len())?;
    let expected = pvk.num_public_inputs();
    if let Some((index, (inputs, _))) = items
        .iter()
        .enumerate()
        .find(|(_, (inputs, _))| inputs.len() != expected)
    {
        return Err(BatchError::PublicInputCount {
            index,
            expected,
            got: inputs.len(),
        });
    }
    if let Some(index) = scalars.iter().position(Zero::is_zero) {
        return Err(BatchError::ZeroScalar { index });
    }
    if items.is_empty() || batch_equation_holds(pvk, items, scalars) {
        return Ok(());
    }
    let failing: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, (inputs, proof))| verify(pvk, inputs, proof).is_err())
        .map(|(i, _)| i)
        .collect();
    // Only a negligible-probability false alarm leaves this empty; each proof then stands.
    if failing.is_empty() {
        Ok(())
    } else {
        Err(BatchError::Invalid { failing })
    }
}

/// One random weight per item.
fn check_scalar_count(items: usize, scalars: usize) -> Result<(), BatchError> {
    if scalars == items {
        Ok(())
    } else {
        Err(BatchError::ScalarCount {
            expected: items,
            got: scalars,
        })
    }
}

/// Verifies proofs for several keys (e.g. several statements): items are grouped by key
/// and each group is checked with [`verify_batch`], one multi-pairing per key.
///
/// `items[i] = (key index into keys, public inputs, proof)`; `scalars` as for
/// [`verify_batch`]. Indices in errors are positions in `items`.
///
/// # Errors
///
/// As [`verify_batch`], plus [`BatchError::UnknownKey`] for a key index out of range.
pub fn verify_batch_by_key(
    keys: &[&PreparedVerifyingKey],
    items: &[(usize, &[Fr], &Proof)],
    scalars: &[Fr],
) -> Result<(), BatchError> {
    check_scalar_count(items.len(), scalars.len())?;
    if let Some(index) = items.iter().position(|(k, _, _)| *k >= keys.len()) {
        return Err(BatchError::UnknownKey { index });
    }
    let mut failing = Vec::new();
    for (key_index, pvk) in keys.iter().enumerate() {
        let positions: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].0 == key_index)
            .collect();
        let group: Vec<(&[Fr], &Proof)> = positions
            .iter()
            .map(|&i| (items[i].1, items[i].2))
            .collect();
        let group_scalars: Vec<Fr> = positions.iter().map(|&i| scalars[i]).collect();
        let global = |local: usize| positions.get(local).copied().unwrap_or(local);
        match verify_batch(pvk, &group, &group_scalars) {
            Ok(()) => {}
            Err(BatchError::Invalid { failing: local }) => {
                failing.extend(local.into_iter().map(global))
            }
            Err(BatchError::PublicInputCount {
                index,
                expected,
                got,
            }) => {
                return Err(BatchError::PublicInputCount {
                    index: global(index),
                    expected,
                    got,
                })
            }
            Err(BatchError::ZeroScalar { index }) => {
                return Err(BatchError::ZeroScalar {
                    index: global(index),
                })
            }
            Err(other) => return Err(other),
        }
    }
    if failing.is_empty() {
        Ok(())
    } else {
        failing.sort_unstable();
        Err(BatchError::Invalid { failing })
    }
}

/// The combined equation. Proof `i` is valid iff
///   e(A_i, B_i) = e(alpha, beta) * e(acc_i, gamma) * e(C_i, delta);
/// raising each to `r_i` and multiplying gives
///   prod_i e(r_i A_i, B_i) * e(sum_i r_i acc_i, -gamma) * e(sum_i r_i C_i, -delta)
///     = e(alpha, beta)^(sum_i r_i),
/// where `sum_i r_i acc_i = (sum_i r_i) gamma_abc[0] + sum_j (sum_i r_i x_ij) gamma_abc[j+1]`
/// is one MSM over the key's points. Input counts are already checked.
fn batch_equation_holds(
    pvk: &PreparedVerifyingKey,
    items: &[(&[Fr], &Proof)],
    scalars: &[Fr],
) -> bool {
    // Identity points fail individual verification; leave them to the fallback.
    if items
        .iter()
        .any(|(_, p)| p.a.is_zero() || p.b.is_zero() || p.c.is_zero())
    {
        return false;
    }
    let Some(constant) = pvk.vk.gamma_abc_g1.first() else {
        return false;
    };
    let mut input_scalars = alloc::vec![Fr::zero(); pvk.num_public_inputs()];
    for ((inputs, _), r) in items.iter().zip(scalars) {
        for (s, x) in input_scalars.iter_mut().zip(inputs.iter()) {
            *s += *r * x;
        }
    }
    let scalar_sum = scalars.iter().sum::<Fr>();
    let acc = *constant * scalar_sum + input_combination(pvk, &input_scalars);
    let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.c).collect();
    let c_sum = small_msm(&cs, scalars);

    let weighted_a: Vec<G1Projective> = items
        .iter()
        .zip(scalars)
        .map(|((_, p), r)| p.a * r)
        .collect();
    let mut g1 = G1Projective::normalize_batch(&weighted_a);
    g1.push(acc.into_affine());
    g1.push(c_sum.into_affine());
    g1.push((pvk.vk.alpha_g1 * scalar_sum).into_affine());
    let g2 = items
        .iter()
        .map(|(_, p)| <Bn254 as Pairing>::G2Prepared::from(p.b))
        .chain([
            pvk.gamma_g2_neg_pc.clone(),
            pvk.delta_g2_neg_pc.clone(),
            pvk.beta_g2_neg_pc.clone(),
        ]);

    // Σ e(r_i·A_i, B_i) · e(acc, -γ) · e(Σ r_i·C_i, -δ) · e((Σ r_i)·α, -β) = 1.
    Bn254::final_exponentiation(Bn254::multi_miller_loop(g1, g2)).is_some_and(|out| out.is_zero())
}

/// Most points, and longest weights, for which [`small_msm`] beats Pippenger's MSM
/// (measured: with full 254-bit weights Pippenger wins from about 32 points).
const SMALL_MSM_MAX_POINTS: usize = 64;
const SMALL_MSM_MAX_BITS: u32 = 128;

/// `Σ scalars[i]·points[i]` for a batch's few points and short (128-bit) weights: one shared
/// doubling per bit of the longest scalar and one mixed addition per set bit (Straus without
/// windows). For 16 points and 128-bit weights that is about 128 doublings and 1,024
/// additions, against Pippenger's ~2,700 over 254 bits (arkworks' MSM does not shorten its
/// windows to the scalars, and pays a thread-pool round trip). Larger inputs go to the MSM.
fn small_msm(points: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let integers: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
    let bits = integers.iter().map(BigInteger::num_bits).max().unwrap_or(0);
    if points.len() > SMALL_MSM_MAX_POINTS || bits > SMALL_MSM_MAX_BITS {
        return G1Projective::msm_unchecked(points, scalars);
    }
    let mut sum = G1Projective::zero();
    for bit in (0..bits as usize).rev() {
        sum.double_in_place();
        for (point, integer) in points.iter().zip(&integers) {
            if integer.get_bit(bit) {
                sum += point;
            }
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::error::VerifyError;
    use crate::test_util::{simulated_key, simulated_proof};
    use crate::verify::prepare_verifying_key;
    use alloc::vec;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    struct Fixture {
        pvk: PreparedVerifyingKey,
        inputs: Vec<[Fr; 2]>,
        proofs: Vec<Proof>,
        scalars: Vec<Fr>,
    }

    impl Fixture {
        fn new(n: usize, rng: &mut StdRng) -> Self {
            let (vk, t) = simulated_key(2, rng);
            let inputs: Vec<[Fr; 2]> = (0..n).map(|_| [Fr::rand(rng), Fr::rand(rng)]).collect();
            let proofs = inputs.iter().map(|x| simulated_proof(&t, x, rng)).collect();
            let scalars = (0..n).map(|_| Fr::from(rng.gen::<u128>() | 1)).collect();
            Self {
                pvk: prepare_verifying_key(&vk).unwrap(),
                inputs,
                proofs,
                scalars,
            }
        }

        fn items(&self) -> Vec<(&[Fr], &Proof)> {
            self.inputs
                .iter()
                .map(|x| &x[..])
                .zip(&self.proofs)
                .collect()
        }

        fn run(&self) -> Result<(), BatchError> {
            verify_batch(&self.pvk, &self.items(), &self.scalars)
        }
    }

    #[test]
    fn small_msm_is_the_msm() {
        let mut rng = StdRng::seed_from_u64(9);
        for (n, bits) in [(0, 128), (1, 128), (8, 128), (16, 64), (5, 254), (70, 128)] {
            let points: Vec<G1Affine> = (0..n)
                .map(|_| (G1Affine::generator() * Fr::rand(&mut rng)).into_affine())
                .collect();
            let scalars: Vec<Fr> = (0..n)
                .map(|_| {
                    let x = Fr::rand(&mut rng);
                    if bits >= 254 {
                        x
                    } else {
                        let mut b = x.into_bigint();
                        for i in bits..256 {
                            b.0[i / 64] &= !(1u64 << (i % 64));
                        }
                        Fr::from_bigint(b).unwrap()
                    }
                })
                .collect();
            assert_eq!(
                small_msm(&points, &scalars),
                G1Projective::msm_unchecked(&points, &scalars),
                "{n} points of {bits} bits"
            );
        }
    }

    #[test]
    fn valid_batch_is_accepted() {
        let mut rng = StdRng::seed_from_u64(10);
        for n in [0, 1, 8] {
            assert_eq!(Fixture::new(n, &mut rng).run(), Ok(()));
        }
    }

    #[test]
    fn tampered_proofs_are_named() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut f = Fixture::new(8, &mut rng);
        f.proofs[5].c = (f.proofs[5].c + G1Affine::generator()).into_affine();
        assert_eq!(f.run(), Err(BatchError::Invalid { failing: vec![5] }));
        f.inputs[2][1] += Fr::from(1u64);
        f.proofs[7].a = G1Affine::zero();
        assert_eq!(
            f.run(),
            Err(BatchError::Invalid {
                failing: vec![2, 5, 7]
            })
        );
    }

    #[test]
    fn agrees_with_single_verification() {
        let mut rng = StdRng::seed_from_u64(12);
        for _ in 0..4 {
            let mut f = Fixture::new(6, &mut rng);
            for i in 0..6 {
                if rng.gen_bool(0.3) {
                    f.inputs[i][0] += Fr::from(1u64);
                }
            }
            let expected: Vec<usize> = (0..6)
                .filter(|&i| verify(&f.pvk, &f.inputs[i], &f.proofs[i]).is_err())
                .collect();
            let got = match f.run() {
                Ok(()) => vec![],
                Err(BatchError::Invalid { failing }) => failing,
                Err(e) => panic!("{e}"),
            };
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn structural_errors_come_first() {
        let mut rng = StdRng::seed_from_u64(13);
        let mut f = Fixture::new(3, &mut rng);
        let mut items = f.items();
        items[1].0 = &items[1].0[..1];
        assert_eq!(
            verify_batch(&f.pvk, &items, &f.scalars),
            Err(BatchError::PublicInputCount {
                index: 1,
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            verify_batch(&f.pvk, &f.items(), &f.scalars[..2]),
            Err(BatchError::ScalarCount {
                expected: 3,
                got: 2
            })
        );
        f.scalars[2] = Fr::zero();
        assert_eq!(f.run(), Err(BatchError::ZeroScalar { index: 2 }));
        // A single invalid proof is still invalid alone.
        assert_eq!(
            verify(&f.pvk, &f.inputs[0][..1], &f.proofs[0]),
            Err(VerifyError::PublicInputCount {
                expected: 2,
                got: 1
            })
        );
    }

    #[test]
    fn mixed_keys_are_grouped_and_failures_named_globally() {
        let mut rng = StdRng::seed_from_u64(77);
        let (vk1, t1) = simulated_key(2, &mut rng);
        let (vk2, t2) = simulated_key(3, &mut rng);
        let (pvk1, pvk2) = (
            prepare_verifying_key(&vk1).unwrap(),
            prepare_verifying_key(&vk2).unwrap(),
        );
        let in1: Vec<Vec<Fr>> = (0..3)
            .map(|_| vec![Fr::rand(&mut rng), Fr::rand(&mut rng)])
            .collect();
        let in2: Vec<Vec<Fr>> = (0..3)
            .map(|_| vec![Fr::rand(&mut rng), Fr::rand(&mut rng), Fr::rand(&mut rng)])
            .collect();
        let p1: Vec<Proof> = in1
            .iter()
            .map(|x| simulated_proof(&t1, x, &mut rng))
            .collect();
        let mut p2: Vec<Proof> = in2
            .iter()
            .map(|x| simulated_proof(&t2, x, &mut rng))
            .collect();
        // Interleave: key 0, key 1, key 0, key 1, …
        let build = |p2: &[Proof]| -> Vec<(usize, Vec<Fr>, Proof)> {
            (0..3)
                .flat_map(|i| {
                    [
                        (0, in1[i].clone(), p1[i].clone()),
                        (1, in2[i].clone(), p2[i].clone()),
                    ]
                })
                .collect()
        };
        let scalars: Vec<Fr> = (0..6).map(|_| Fr::from(rng.gen::<u64>() | 1)).collect();
        let keys = [&pvk1, &pvk2];
        let owned = build(&p2);
        let items: Vec<(usize, &[Fr], &Proof)> = owned
            .iter()
            .map(|(k, x, p)| (*k, x.as_slice(), p))
            .collect();
        assert_eq!(verify_batch_by_key(&keys, &items, &scalars), Ok(()));
        // Break key 1's second proof: global position 3.
        p2[1] = p2[0].clone();
        let owned = build(&p2);
        let items: Vec<(usize, &[Fr], &Proof)> = owned
            .iter()
            .map(|(k, x, p)| (*k, x.as_slice(), p))
            .collect();
        assert_eq!(
            verify_batch_by_key(&keys, &items, &scalars),
            Err(BatchError::Invalid { failing: vec![3] })
        );
        let bad: Vec<(usize, &[Fr], &Proof)> = vec![(2, items[0].1, items[0].2)];
        assert_eq!(
            verify_batch_by_key(&keys, &bad, &scalars[..1]),
            Err(BatchError::UnknownKey { index: 0 })
        );
    }
}
