//! Interop and differential tests against ark-groth16 0.6: keys and proofs it writes decode
//! with ours (and back), our verifier agrees with its verifier, and tampering never panics.
#![allow(clippy::unwrap_used)]

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError, Variable};
use ark_relations::lc;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use ark_std::{One, UniformRand, Zero};
use rand::{rngs::StdRng, Rng, SeedableRng};
use zkconsent_verifier::{
    prepare_verifying_key, verify, verify_batch, BatchError, DecodeError, PreparedVerifyingKey,
    Proof, VerifyError, VerifyingKey, PROOF_BYTES,
};

/// Knowledge of `a, b` with `a * b = c` and `a + b = d`; public inputs `[c, d]`.
#[derive(Clone)]
struct ProductSum {
    a: Option<Fr>,
    b: Option<Fr>,
}

impl ProductSum {
    fn public_inputs(a: Fr, b: Fr) -> [Fr; 2] {
        [a * b, a + b]
    }
}

impl ConstraintSynthesizer<Fr> for ProductSum {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let a_val = self.a.ok_or(SynthesisError::AssignmentMissing);
        let b_val = self.b.ok_or(SynthesisError::AssignmentMissing);
        let c = cs.new_input_variable(|| Ok(a_val? * b_val?))?;
        let d = cs.new_input_variable(|| Ok(a_val? + b_val?))?;
        let a = cs.new_witness_variable(|| a_val)?;
        let b = cs.new_witness_variable(|| b_val)?;
        cs.enforce_r1cs_constraint(|| lc!() + a, || lc!() + b, || lc!() + c)?;
        cs.enforce_r1cs_constraint(|| lc!() + a + b, || lc!() + Variable::One, || lc!() + d)?;
        Ok(())
    }
}

struct Setup {
    pk: ark_groth16::ProvingKey<Bn254>,
    ark_vk: ark_groth16::VerifyingKey<Bn254>,
    ark_pvk: ark_groth16::PreparedVerifyingKey<Bn254>,
    vk: VerifyingKey,
    pvk: PreparedVerifyingKey,
    rng: StdRng,
}

fn setup(seed: u64) -> Setup {
    let mut rng = StdRng::seed_from_u64(seed);
    let (pk, ark_vk) =
        Groth16::<Bn254>::circuit_specific_setup(ProductSum { a: None, b: None }, &mut rng)
            .unwrap();
    let ark_pvk = ark_groth16::prepare_verifying_key(&ark_vk);
    let mut bytes = Vec::new();
    ark_vk.serialize_compressed(&mut bytes).unwrap();
    let vk = VerifyingKey::from_bytes(&bytes).unwrap();
    let pvk = prepare_verifying_key(&vk).unwrap();
    Setup {
        pk,
        ark_vk,
        ark_pvk,
        vk,
        pvk,
        rng,
    }
}

impl Setup {
    /// An ark proof, its compressed bytes, and its public inputs.
    fn prove(&mut self, a: Fr, b: Fr) -> (ark_groth16::Proof<Bn254>, Vec<u8>, [Fr; 2]) {
        let proof = Groth16::<Bn254>::prove(
            &self.pk,
            ProductSum {
                a: Some(a),
                b: Some(b),
            },
            &mut self.rng,
        )
        .unwrap();
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        (proof, bytes, ProductSum::public_inputs(a, b))
    }

    fn prove_random(&mut self) -> (ark_groth16::Proof<Bn254>, Vec<u8>, [Fr; 2]) {
        let a = Fr::rand(&mut self.rng);
        let b = Fr::rand(&mut self.rng);
        self.prove(a, b)
    }

    /// ark-groth16's verdict on decoded bytes (its own validated decoding) and inputs.
    fn ark_accepts(&self, proof_bytes: &[u8], inputs: &[Fr]) -> bool {
        ark_groth16::Proof::<Bn254>::deserialize_compressed(proof_bytes)
            .ok()
            .and_then(|p| {
                Groth16::<Bn254>::verify_with_processed_vk(&self.ark_pvk, inputs, &p).ok()
            })
            .unwrap_or(false)
    }

    fn ours_accepts(&self, proof_bytes: &[u8], inputs: &[Fr]) -> bool {
        Proof::from_bytes(proof_bytes)
            .ok()
            .is_some_and(|p| verify(&self.pvk, inputs, &p).is_ok())
    }
}

#[test]
fn encodings_are_byte_compatible_both_ways() {
    let mut s = setup(1);
    let (ark_proof, proof_bytes, _) = s.prove_random();
    assert_eq!(proof_bytes.len(), PROOF_BYTES);

    // ark -> ours (compressed, strict), ours -> same bytes.
    let proof = Proof::from_bytes(&proof_bytes).unwrap();
    assert_eq!(
        (proof.a, proof.b, proof.c),
        (ark_proof.a, ark_proof.b, ark_proof.c)
    );
    assert_eq!(&proof.to_bytes()[..], &proof_bytes[..]);
    let mut vk_bytes = Vec::new();
    s.ark_vk.serialize_compressed(&mut vk_bytes).unwrap();
    assert_eq!(s.vk.to_bytes(), vk_bytes);
    assert_eq!(s.vk.num_public_inputs(), 2);
    assert_eq!(s.vk.alpha_g1, s.ark_vk.alpha_g1);
    assert_eq!(s.vk.gamma_abc_g1, s.ark_vk.gamma_abc_g1);

    // ours -> ark.
    let back = ark_groth16::VerifyingKey::<Bn254>::deserialize_compressed(&s.vk.to_bytes()[..]);
    assert_eq!(back.unwrap(), s.ark_vk);
    let back = ark_groth16::Proof::<Bn254>::deserialize_compressed(&proof.to_bytes()[..]);
    assert_eq!(back.unwrap(), ark_proof);

    // Uncompressed, through the derived impls, both ways.
    let mut ark_unc = Vec::new();
    s.ark_vk.serialize_uncompressed(&mut ark_unc).unwrap();
    assert_eq!(
        VerifyingKey::deserialize_uncompressed(&ark_unc[..]).unwrap(),
        s.vk
    );
    let mut ours_unc = Vec::new();
    s.vk.serialize_uncompressed(&mut ours_unc).unwrap();
    assert_eq!(ours_unc, ark_unc);
    let mut ark_unc = Vec::new();
    ark_proof.serialize_uncompressed(&mut ark_unc).unwrap();
    assert_eq!(
        Proof::deserialize_uncompressed(&ark_unc[..]).unwrap(),
        proof
    );
}

#[test]
fn valid_proof_accepted_wrong_input_rejected() {
    let mut s = setup(2);
    let (_, bytes, inputs) = s.prove(Fr::from(3u64), Fr::from(5u64));
    assert_eq!(inputs, [Fr::from(15u64), Fr::from(8u64)]);
    let proof = Proof::from_bytes(&bytes).unwrap();
    assert_eq!(verify(&s.pvk, &inputs, &proof), Ok(()));
    for wrong in [
        [Fr::from(16u64), Fr::from(8u64)],
        [Fr::from(15u64), Fr::from(9u64)],
        [Fr::from(8u64), Fr::from(15u64)],
    ] {
        assert_eq!(
            verify(&s.pvk, &wrong, &proof),
            Err(VerifyError::InvalidProof)
        );
    }
}

#[test]
fn input_count_is_enforced_where_ark_groth16_is_lax() {
    let mut s = setup(3);
    // a = b = 0 makes both public inputs zero.
    let (ark_proof, bytes, inputs) = s.prove(Fr::zero(), Fr::zero());
    assert_eq!(inputs, [Fr::zero(); 2]);
    let proof = Proof::from_bytes(&bytes).unwrap();
    assert_eq!(verify(&s.pvk, &inputs, &proof), Ok(()));
    for bad in [&[][..], &[Fr::zero()][..], &[Fr::zero(); 3][..]] {
        // ark-groth16 0.6 zips inputs with the key, so it accepts every one of these.
        assert!(Groth16::<Bn254>::verify_with_processed_vk(&s.ark_pvk, bad, &ark_proof).unwrap());
        assert_eq!(
            verify(&s.pvk, bad, &proof),
            Err(VerifyError::PublicInputCount {
                expected: 2,
                got: bad.len()
            })
        );
    }
    // Non-zero inputs too: extra inputs are never ignored.
    let (_, bytes, inputs) = s.prove_random();
    let proof = Proof::from_bytes(&bytes).unwrap();
    let extra = [inputs[0], inputs[1], Fr::one()];
    assert_eq!(
        verify(&s.pvk, &extra, &proof),
        Err(VerifyError::PublicInputCount {
            expected: 2,
            got: 3
        })
    );
}

#[test]
fn tampered_proof_bytes_are_rejected_and_ark_agrees() {
    let mut s = setup(4);
    let (_, bytes, inputs) = s.prove_random();
    assert!(s.ours_accepts(&bytes, &inputs) && s.ark_accepts(&bytes, &inputs));
    let mut decode_errors = 0;
    for i in 0..PROOF_BYTES {
        for xor in [0x01, 0x40, 0x80, 0xff] {
            let mut t = bytes.clone();
            t[i] ^= xor;
            match Proof::from_bytes(&t) {
                Err(_) => decode_errors += 1,
                Ok(p) => assert_eq!(verify(&s.pvk, &inputs, &p), Err(VerifyError::InvalidProof)),
            }
            assert!(!s.ark_accepts(&t, &inputs));
        }
    }
    assert!(decode_errors > 0);
    assert_eq!(
        Proof::from_bytes(&bytes[..100]).unwrap_err(),
        DecodeError::WrongLength {
            expected: PROOF_BYTES,
            got: 100
        }
    );
}

#[test]
fn differential_against_ark_groth16() {
    let mut s = setup(5);
    let mut rng = StdRng::seed_from_u64(55);
    for _ in 0..6 {
        let (ark_proof, bytes, inputs) = s.prove_random();
        let proof = Proof::from_bytes(&bytes).unwrap();
        let mut cases = vec![inputs.to_vec()];
        cases.push(vec![inputs[0] + Fr::one(), inputs[1]]);
        cases.push(vec![Fr::rand(&mut rng), Fr::rand(&mut rng)]);
        for x in &cases {
            let ark =
                Groth16::<Bn254>::verify_with_processed_vk(&s.ark_pvk, x, &ark_proof).unwrap();
            assert_eq!(verify(&s.pvk, x, &proof).is_ok(), ark);
        }
        // A proof re-randomised by ark is still valid for us.
        let re = Groth16::<Bn254>::rerandomize_proof(&s.ark_vk, &ark_proof, &mut rng);
        let mut re_bytes = Vec::new();
        re.serialize_compressed(&mut re_bytes).unwrap();
        assert!(s.ours_accepts(&re_bytes, &inputs));
        // Random byte noise: both reject.
        let mut noisy = bytes.clone();
        let i = rng.gen_range(0..PROOF_BYTES);
        noisy[i] = noisy[i].wrapping_add(rng.gen_range(1..=255));
        assert_eq!(
            s.ours_accepts(&noisy, &inputs),
            s.ark_accepts(&noisy, &inputs)
        );
    }
}

#[test]
fn batch_of_real_proofs_names_the_tampered_one() {
    let mut s = setup(6);
    let mut proofs = Vec::new();
    let mut inputs = Vec::new();
    for _ in 0..8 {
        let (_, bytes, x) = s.prove_random();
        proofs.push(Proof::from_bytes(&bytes).unwrap());
        inputs.push(x);
    }
    let mut rng = StdRng::seed_from_u64(66);
    let scalars: Vec<Fr> = (0..8).map(|_| Fr::from(rng.gen::<u128>() | 1)).collect();
    let items = |inputs: &[[Fr; 2]], proofs: &[Proof]| -> Vec<(Vec<Fr>, Proof)> {
        inputs
            .iter()
            .map(|x| x.to_vec())
            .zip(proofs.iter().cloned())
            .collect()
    };
    let run = |owned: &[(Vec<Fr>, Proof)]| {
        let refs: Vec<(&[Fr], &Proof)> = owned.iter().map(|(x, p)| (&x[..], p)).collect();
        verify_batch(&s.pvk, &refs, &scalars)
    };
    assert_eq!(run(&items(&inputs, &proofs)), Ok(()));
    inputs[3][1] += Fr::one();
    assert_eq!(
        run(&items(&inputs, &proofs)),
        Err(BatchError::Invalid { failing: vec![3] })
    );
    // Swapping two proofs makes both invalid for their inputs.
    inputs[3][1] -= Fr::one();
    proofs.swap(0, 6);
    assert_eq!(
        run(&items(&inputs, &proofs)),
        Err(BatchError::Invalid {
            failing: vec![0, 6]
        })
    );
}
