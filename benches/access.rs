//! Criterion benchmarks of the Access statement: native Poseidon, witness building, and
//! verification (the no_std verifier, single and batched, against ark-groth16's). Proving
//! is in `benches/prover.rs`.
//!
//! Run: `cargo bench --bench access`.

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_snark::SNARK;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{rngs::StdRng, SeedableRng};
use std::hint::black_box;
use zkconsent::{
    circuits::{
        access::AccessCircuit,
        domain, merkle, poseidon,
        testing::{access_fixture, constraint_count},
    },
    verifier,
};

/// Batch sizes for batched verification.
const BATCH_SIZES: [usize; 4] = [1, 16, 64, 256];

/// Production grants-tree depth.
const DEPTH: usize = merkle::DEFAULT_TREE_DEPTH;

fn to_verifier<T: ark_serialize::CanonicalSerialize, U>(x: &T, decode: impl Fn(&[u8]) -> U) -> U {
    let mut bytes = Vec::new();
    x.serialize_compressed(&mut bytes).expect("serialize");
    decode(&bytes)
}

fn bench_poseidon(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("poseidon_native");
    for n in [2usize, 7, 16] {
        let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        poseidon::params_for(n);
        group.bench_with_input(BenchmarkId::new("inputs", n), &inputs, |b, inputs| {
            b.iter(|| poseidon::hash_with_domain(domain::MERKLE_NODE, black_box(inputs)))
        });
    }
    group.finish();
}

fn bench_witness(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    let fixture = access_fixture(&mut rng, DEPTH);
    println!(
        "access circuit, depth {DEPTH}: {} constraints",
        constraint_count(AccessCircuit::blank(DEPTH))
    );
    let mut group = c.benchmark_group("witness");
    // Native work the prover does before Groth16: the Merkle path from the tree and the check.
    group.bench_function("path_and_native_check", |b| {
        b.iter(|| {
            let path = fixture.tree.path(fixture.private.path.index).expect("path");
            black_box(path.root(fixture.private.grant.commit().0));
            zkconsent::circuits::access::check(&fixture.public, &fixture.private).expect("valid")
        })
    });
    // Constraint synthesis with assignment (what Groth16::prove runs first).
    group.bench_function("synthesize_depth_20", |b| {
        b.iter(|| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            cs.set_optimization_goal(OptimizationGoal::Constraints);
            cs.set_mode(SynthesisMode::Prove {
                construct_matrices: true,
                generate_lc_assignments: false,
            });
            AccessCircuit::new(&fixture.public, &fixture.private)
                .generate_constraints(cs.clone())
                .expect("synthesis");
            cs.finalize();
            black_box(cs.num_constraints())
        })
    });
    group.finish();
}

fn bench_verify(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(3);
    let fixture = access_fixture(&mut rng, DEPTH);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(AccessCircuit::blank(DEPTH), &mut rng)
        .expect("setup");

    let proof = Groth16::<Bn254>::prove(
        &pk,
        AccessCircuit::new(&fixture.public, &fixture.private),
        &mut rng,
    )
    .expect("prove");
    let inputs = fixture.public.to_field_elements();
    let our_vk = to_verifier(&vk, |b| verifier::VerifyingKey::from_bytes(b).expect("vk"));
    // A long-lived verifier's key: fixed-base tables of the input bases.
    let our_pvk = verifier::prepare_verifying_key(&our_vk)
        .expect("pvk")
        .with_input_tables();
    let our_proof = to_verifier(&proof, |b| verifier::Proof::from_bytes(b).expect("proof"));
    let ark_pvk = ark_groth16::prepare_verifying_key(&vk);

    let mut group = c.benchmark_group("verify");
    group.bench_function("zkconsent_verifier", |b| {
        b.iter(|| {
            verifier::verify(&our_pvk, black_box(&inputs), black_box(&our_proof)).expect("valid")
        })
    });
    // A one-shot verifier (a CLI process): prepare the key (no tables) and verify once.
    group.bench_function("zkconsent_verifier_one_shot", |b| {
        b.iter(|| {
            let pvk = verifier::prepare_verifying_key(black_box(&our_vk)).expect("pvk");
            verifier::verify(&pvk, black_box(&inputs), black_box(&our_proof)).expect("valid")
        })
    });
    // The same one-shot check without preparing the key: e(alpha, beta) joins the Miller loop.
    group.bench_function("zkconsent_verify_once", |b| {
        b.iter(|| {
            verifier::verify_once(
                black_box(&our_vk),
                black_box(&inputs),
                black_box(&our_proof),
            )
            .expect("valid")
        })
    });
    // `verify-snarkjs` in process: decode the three JSON files strictly (every point on the
    // curve and in its subgroup), then verify once.
    {
        use zkconsent::export::snarkjs::{SnarkjsProof, SnarkjsPublic, SnarkjsVerifyingKey};
        let vk_json = SnarkjsVerifyingKey::from_vk(&our_vk).to_json();
        let proof_json = SnarkjsProof::from_proof(&our_proof).to_json();
        let public_json = SnarkjsPublic::from_inputs(&inputs).to_json();
        group.bench_function("snarkjs_json_once", |b| {
            b.iter(|| {
                zkconsent::export::verify_snarkjs(
                    black_box(vk_json.as_bytes()),
                    black_box(public_json.as_bytes()),
                    black_box(proof_json.as_bytes()),
                )
                .expect("valid")
            })
        });
    }
    group.bench_function("zkconsent_verifier_one_shot_with_tables", |b| {
        b.iter(|| {
            let pvk = verifier::prepare_verifying_key(black_box(&our_vk))
                .expect("pvk")
                .with_input_tables();
            verifier::verify(&pvk, black_box(&inputs), black_box(&our_proof)).expect("valid")
        })
    });
    group.bench_function("ark_groth16", |b| {
        b.iter(|| {
            Groth16::<Bn254>::verify_with_processed_vk(
                &ark_pvk,
                black_box(&inputs),
                black_box(&proof),
            )
            .expect("ok")
        })
    });
    group.bench_function("decode_proof_json_coordinates", |b| {
        let d = our_proof.to_decimal();
        b.iter(|| {
            verifier::Proof::from_decimal(
                [&d.a[0], &d.a[1]],
                [[&d.b[0][0], &d.b[0][1]], [&d.b[1][0], &d.b[1][1]]],
                [&d.c[0], &d.c[1]],
            )
            .expect("decode")
        })
    });
    // Where one verification's time goes.
    {
        use ark_ec::{pairing::Pairing, CurveGroup, VariableBaseMSM};
        let vk = our_pvk.vk();
        let mlo = Bn254::multi_miller_loop(
            [our_proof.a, vk.gamma_abc_g1[0], our_proof.c],
            [our_proof.b, vk.gamma_g2, vk.delta_g2],
        );
        group.bench_function("part_input_msm_generic", |b| {
            b.iter(|| {
                ark_bn254::G1Projective::msm_unchecked(&vk.gamma_abc_g1[1..], black_box(&inputs))
                    .into_affine()
            })
        });
        group.bench_function("part_prepare_g2", |b| {
            b.iter(|| <Bn254 as Pairing>::G2Prepared::from(black_box(our_proof.b)))
        });
        group.bench_function("part_miller_loop_3", |b| {
            b.iter(|| {
                Bn254::multi_miller_loop(
                    [our_proof.a, vk.gamma_abc_g1[0], our_proof.c],
                    [black_box(our_proof.b), vk.gamma_g2, vk.delta_g2],
                )
            })
        });
        group.bench_function("part_final_exponentiation", |b| {
            b.iter(|| Bn254::final_exponentiation(black_box(mlo)))
        });
    }
    for n in BATCH_SIZES {
        let proofs: Vec<_> = (0..n).map(|_| our_proof.clone()).collect();
        let items: Vec<(&[Fr], &verifier::Proof)> =
            proofs.iter().map(|p| (&inputs[..], p)).collect();
        // 128-bit weights, as `verify_batch` asks and `zkconsent::verify` samples them.
        let scalars: Vec<Fr> = (0..n)
            .map(|_| Fr::from(rand::Rng::gen::<u128>(&mut rng) | 1))
            .collect();
        group.bench_with_input(BenchmarkId::new("batch", n), &n, |b, _| {
            b.iter(|| verifier::verify_batch(&our_pvk, black_box(&items), &scalars).expect("valid"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_poseidon, bench_witness, bench_verify);
criterion_main!(benches);
