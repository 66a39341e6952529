//! Poseidon: circomlib known-answer vectors natively and in-circuit, constraint counts, and
//! differential tests against light-poseidon and poseidon-rs on random inputs.

use ark_bn254::Fr;
use ark_ff::{PrimeField, UniformRand};
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    fields::fp::FpVar,
    GR1CSVar,
};
use ark_relations::gr1cs::ConstraintSystem;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::str::FromStr;
use zkconsent_circuits::{
    domain::{self, DomainTag},
    fr_to_decimal, fr_to_hex,
    poseidon::{self, constraints, params::PARTIAL_ROUNDS, MAX_INPUTS},
};

/// Parses a decimal vector entry; vectors are trusted test data.
fn fr(s: &str) -> Fr {
    let n = num_from_decimal(s);
    Fr::from_bigint(n).expect("vector value below the modulus")
}

fn num_from_decimal(s: &str) -> ark_ff::BigInt<4> {
    ark_ff::BigInt::from_str(s).expect("decimal vector value")
}

fn vectors() -> Vec<(Vec<Fr>, Fr)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/poseidon_circomlib.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors file")).expect("json");
    json["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .map(|v| {
            let inputs = v["inputs"].as_array().expect("inputs");
            (
                inputs
                    .iter()
                    .map(|x| fr(x.as_str().expect("str")))
                    .collect(),
                fr(v["output"].as_str().expect("output")),
            )
        })
        .collect()
}

/// circomlib-equivalent gadget cost: 3 constraints per non-constant S-box.
fn expected_constraints(inputs: usize) -> usize {
    3 * (8 * (inputs + 1) + PARTIAL_ROUNDS[inputs - 1]) - 3
}

#[test]
fn every_circomlib_vector_natively() {
    let vs = vectors();
    assert_eq!(vs.len(), 2 * MAX_INPUTS, "two vectors per arity 1..=16");
    for (inputs, output) in vs {
        assert_eq!(
            poseidon::hash(&inputs).unwrap(),
            output,
            "arity {}",
            inputs.len()
        );
    }
}

#[test]
fn every_circomlib_vector_in_circuit_with_pinned_cost() {
    for (inputs, output) in vectors() {
        for mode in [AllocationMode::Witness, AllocationMode::Input] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars: Vec<_> = inputs
                .iter()
                .map(|x| FpVar::new_variable(cs.clone(), || Ok(*x), mode).unwrap())
                .collect();
            let out = constraints::hash(&vars).unwrap();
            assert_eq!(out.value().unwrap(), output);
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(cs.num_constraints(), expected_constraints(inputs.len()));
        }
    }
}

#[test]
fn two_input_poseidon_costs_240_constraints() {
    assert_eq!(expected_constraints(2), 240);
}

#[test]
fn constant_inputs_cost_nothing_and_match_native() {
    let mut rng = StdRng::seed_from_u64(11);
    let inputs: Vec<Fr> = (0..3).map(|_| Fr::rand(&mut rng)).collect();
    let cs = ConstraintSystem::<Fr>::new_ref();
    let vars: Vec<_> = inputs
        .iter()
        .map(|x| FpVar::new_constant(cs.clone(), *x).unwrap())
        .collect();
    let out = constraints::hash_with_domain(domain::GRANT_LEAF, &vars).unwrap();
    assert_eq!(
        out.value().unwrap(),
        poseidon::hash_with_domain(domain::GRANT_LEAF, &inputs)
    );
    assert_eq!(cs.num_constraints(), 0);
}

/// `hash_with_domain_equals(tag, x, e)` holds exactly when `e` is the hash, for every arity,
/// with `e` a public input, a witness or a constant, at the cost of the hash alone (one row
/// fewer than hashing and then comparing); all-constant inputs are checked natively.
#[test]
fn folded_equality_holds_exactly_for_the_hash_at_the_hash_cost() {
    let mut rng = StdRng::seed_from_u64(14);
    for arity in 1..=MAX_INPUTS {
        let inputs: Vec<Fr> = (0..arity).map(|_| Fr::rand(&mut rng)).collect();
        let hash = poseidon::hash_with_domain(domain::REQUEST, &inputs);
        for mode in [
            AllocationMode::Input,
            AllocationMode::Witness,
            AllocationMode::Constant,
        ] {
            for (expected, holds) in [(hash, true), (hash + Fr::from(1u64), false)] {
                let cs = ConstraintSystem::<Fr>::new_ref();
                let vars: Vec<_> = inputs
                    .iter()
                    .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                    .collect();
                let e = FpVar::new_variable(cs.clone(), || Ok(expected), mode).unwrap();
                constraints::hash_with_domain_equals(domain::REQUEST, &vars, &e).unwrap();
                assert_eq!(cs.is_satisfied().unwrap(), holds, "arity {arity} {mode:?}");
                assert_eq!(cs.num_constraints(), expected_constraints(arity));
            }
        }
    }
    // All constant: nothing to constrain; a wrong value is refused at synthesis.
    let inputs = [Fr::from(1u64), Fr::from(2u64)];
    let hash = poseidon::hash_with_domain(domain::REQUEST, &inputs);
    let constant = |x: Fr| FpVar::Constant(x);
    let vars = inputs.map(constant);
    assert!(constraints::hash_with_domain_equals(domain::REQUEST, &vars, &constant(hash)).is_ok());
    assert!(constraints::hash_with_domain_equals(
        domain::REQUEST,
        &vars,
        &constant(hash + Fr::from(1u64))
    )
    .is_err());
}

#[test]
fn domain_tags_match_light_poseidon_and_gadget_on_random_inputs() {
    use light_poseidon::{Poseidon, PoseidonHasher};
    let mut rng = StdRng::seed_from_u64(12);
    let tags: Vec<DomainTag> = domain::ALL.to_vec();
    // light-poseidon stops at 12 inputs.
    for n in 1..=12usize {
        let tag = tags[n % tags.len()];
        let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let mut light = Poseidon::<Fr>::with_domain_tag_circom(n, tag.value()).unwrap();
        let expected = light.hash(&inputs).unwrap();
        assert_eq!(
            poseidon::hash_with_domain(tag, &inputs),
            expected,
            "arity {n}"
        );
        let mut plain = Poseidon::<Fr>::new_circom(n).unwrap();
        assert_eq!(
            poseidon::hash(&inputs).unwrap(),
            plain.hash(&inputs).unwrap()
        );

        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<_> = inputs
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        let out = constraints::hash_with_domain(tag, &vars).unwrap();
        assert_eq!(out.value().unwrap(), expected);
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(cs.num_constraints(), expected_constraints(n));
    }
}

#[test]
fn matches_poseidon_rs_on_random_inputs_for_all_arities() {
    use ff_ce::PrimeField as _;
    let reference = poseidon_rs::Poseidon::new();
    let mut rng = StdRng::seed_from_u64(13);
    for n in 1..=MAX_INPUTS {
        for _ in 0..3 {
            let inputs: Vec<Fr> = (0..n)
                .map(|_| {
                    if rng.gen_bool(0.2) {
                        Fr::from(rng.gen::<u64>())
                    } else {
                        Fr::rand(&mut rng)
                    }
                })
                .collect();
            let theirs_in = inputs
                .iter()
                .map(|x| poseidon_rs::Fr::from_str(&fr_to_decimal(x)).expect("canonical decimal"))
                .collect();
            let theirs = reference.hash(theirs_in).unwrap();
            // ff_ce prints `Fr(0x<64 hex digits>)`.
            let theirs_hex = format!("{theirs}");
            let theirs_hex = theirs_hex.trim_start_matches("Fr(0x").trim_end_matches(')');
            assert_eq!(
                fr_to_hex(&poseidon::hash(&inputs).unwrap()),
                theirs_hex,
                "arity {n}"
            );
        }
    }
}

#[test]
fn out_of_range_arity_is_an_error_in_circuit_too() {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let vars: Vec<_> = (0..17)
        .map(|i| FpVar::new_witness(cs.clone(), || Ok(Fr::from(i as u64))).unwrap())
        .collect();
    assert!(constraints::hash(&vars).is_err());
    assert!(constraints::hash(&[]).is_err());
}

/// The naive alternative, ark-crypto-primitives' sponge gadget with the same parameters
/// (rate 2) and the domain tag absorbed as an element: it squeezes `state[1]` (not
/// circomlib's output), and a tagged node or a 7-field leaf needs several permutations.
#[test]
fn naive_sponge_costs_more_than_our_gadget() {
    use ark_crypto_primitives::sponge::{
        constraints::CryptographicSpongeVar,
        poseidon::{constraints::PoseidonSpongeVar, PoseidonConfig},
    };
    let p = poseidon::params_for(2);
    let config = PoseidonConfig::new(
        8,
        p.partial_rounds,
        5,
        p.mds.clone(),
        p.round_constants.clone(),
        2,
        1,
    );
    let naive_cost = |elements: usize| {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<_> = (0..elements)
            .map(|i| FpVar::new_witness(cs.clone(), || Ok(Fr::from(i as u64 + 1))).unwrap())
            .collect();
        let mut sponge = PoseidonSpongeVar::new(cs.clone(), &config);
        sponge.absorb(&vars).unwrap();
        sponge.squeeze_field_elements(1).unwrap();
        cs.num_constraints()
    };
    // Tagged Merkle node: tag + 2 children; grant leaf: tag + 7 fields.
    let (naive_node, naive_leaf) = (naive_cost(3), naive_cost(8));
    assert!(
        naive_node > expected_constraints(2),
        "naive node {naive_node}"
    );
    assert!(
        naive_leaf > expected_constraints(7),
        "naive leaf {naive_leaf}"
    );
    println!(
        "naive sponge: node {naive_node}, leaf {naive_leaf}; ours: node {}, leaf {}",
        expected_constraints(2),
        expected_constraints(7)
    );
}

/// The compiled-in constants are the Grain LFSR's output for every arity, byte for byte.
/// `ZKCONSENT_WRITE_POSEIDON_CONSTANTS=1` rewrites `src/poseidon/constants.bin` from the LFSR.
#[test]
fn compiled_in_constants_are_the_grain_lfsr_output() {
    use ark_crypto_primitives::sponge::poseidon::find_poseidon_ark_and_mds;
    use zkconsent_circuits::poseidon::params::{encode, lfsr_inputs, CONSTANTS, FULL_ROUNDS};
    let generated: Vec<poseidon::PoseidonParams> = (1..=poseidon::MAX_INPUTS)
        .map(|inputs| {
            let (bits, rate, full, partial) = lfsr_inputs(inputs);
            let (round_constants, mds) =
                find_poseidon_ark_and_mds::<Fr>(bits, rate, full, partial, 0);
            assert_eq!(round_constants.len(), FULL_ROUNDS + partial as usize);
            poseidon::PoseidonParams {
                width: inputs + 1,
                partial_rounds: partial as usize,
                round_constants,
                mds,
            }
        })
        .collect();
    let bytes = encode(&generated);
    if std::env::var_os("ZKCONSENT_WRITE_POSEIDON_CONSTANTS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/poseidon/constants.bin");
        std::fs::write(path, &bytes).unwrap();
        return;
    }
    assert!(
        bytes == CONSTANTS,
        "constants.bin differs from the Grain LFSR's output"
    );
    for (inputs, lfsr) in (1..=poseidon::MAX_INPUTS).zip(&generated) {
        let decoded = poseidon::params_for(inputs);
        assert_eq!(
            decoded.round_constants, lfsr.round_constants,
            "arity {inputs}"
        );
        assert_eq!(decoded.mds, lfsr.mds, "arity {inputs}");
        assert_eq!(decoded.width, lfsr.width);
    }
}
