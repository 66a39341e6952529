//! Params directories (hash-checked, drift-checked) and Groth16 proofs end to end at a small
//! depth: valid proofs verify in the no_std verifier; false statements give no proof, and a
//! proof forced from an unsatisfied witness does not verify.

use ark_ff::One;
use rand::{rngs::StdRng, SeedableRng};
use std::sync::OnceLock;
use zkconsent_circuits::{
    access::{AccessCircuit, AccessError},
    authority::{AuthorityError, AuthorityPublic, GrantAction},
    claim::ClaimError,
    merkle::EMPTY_LEAF,
    record::{InclusiveRange, RecordError},
    statement::{self, Access, Authority, Claim, Cohort, Record, StatementKind},
    testing::{
        access_fixture, authority_for, claim::claim_fixture, cohort::cohort_fixture, record_fixture,
    },
};
use zkconsent_prover::{
    params::{sha256_hex, MANIFEST_FILE},
    prove, prove_batch, prove_batch_statement, prove_statement, prove_statement_profiled,
    BatchSplit, LoadedKeys, ParamsDir, ProverError, Statement,
};
use zkconsent_verifier as verifier;

const DEPTH: usize = 4;
/// Fixed time for manifests made in tests.
const SETUP_TIME: u64 = 1_795_478_400;

struct Fixture {
    _dir: tempfile::TempDir,
    params: ParamsDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let params =
            ParamsDir::setup(dir.path(), DEPTH, SETUP_TIME, &mut StdRng::seed_from_u64(0)).unwrap();
        Fixture { _dir: dir, params }
    })
}

fn pvk(statement: Statement) -> verifier::PreparedVerifyingKey {
    let (bytes, _) = fixture().params.verifying_key_bytes(statement).unwrap();
    verifier::prepare_verifying_key(&verifier::VerifyingKey::from_bytes(&bytes).unwrap()).unwrap()
}

fn to_verifier_proof(p: &zkconsent_prover::Proof) -> verifier::Proof {
    let mut bytes = Vec::new();
    ark_serialize::CanonicalSerialize::serialize_compressed(p, &mut bytes).unwrap();
    verifier::Proof::from_bytes(&bytes).unwrap()
}

fn access_keys() -> &'static LoadedKeys {
    static K: OnceLock<LoadedKeys> = OnceLock::new();
    K.get_or_init(|| fixture().params.load(Statement::Access).unwrap())
}

#[test]
fn access_proof_verifies_and_binds_every_public_input() {
    let mut rng = StdRng::seed_from_u64(1);
    let f = access_fixture(&mut rng, DEPTH);
    let proof = prove_statement::<Access>(access_keys(), &f.public, &f.private, &mut rng).unwrap();
    let pvk = pvk(Statement::Access);
    let inputs = f.public.to_field_elements();
    let proof = to_verifier_proof(&proof);
    verifier::verify(&pvk, &inputs, &proof).unwrap();
    for i in 0..inputs.len() {
        let mut bad = inputs;
        bad[i] += ark_bn254::Fr::one();
        assert_eq!(
            verifier::verify(&pvk, &bad, &proof),
            Err(verifier::VerifyError::InvalidProof)
        );
    }
}

/// The proof verifies with its inputs and with no input changed by one.
fn assert_verifies_and_binds_every_input(
    statement: Statement,
    inputs: &[ark_bn254::Fr],
    proof: &zkconsent_prover::Proof,
) {
    let pvk = pvk(statement);
    let proof = to_verifier_proof(proof);
    verifier::verify(&pvk, inputs, &proof).unwrap();
    for i in 0..inputs.len() {
        let mut bad = inputs.to_vec();
        bad[i] += ark_bn254::Fr::one();
        assert_eq!(
            verifier::verify(&pvk, &bad, &proof),
            Err(verifier::VerifyError::InvalidProof),
            "{} input {i}",
            statement.name()
        );
    }
}

#[test]
fn record_claim_and_cohort_proofs_verify_and_bind_every_public_input() {
    let mut rng = StdRng::seed_from_u64(11);
    let keys = fixture().params.load(Statement::Record).unwrap();
    let mut f = record_fixture(&mut rng, DEPTH);
    let proof = prove_statement::<Record>(&keys, &f.public, &f.private, &mut rng).unwrap();
    assert_verifies_and_binds_every_input(Statement::Record, &f.public.to_field_elements(), &proof);
    // A false record statement names the statement and its reason (the CLI prints this).
    let value = f.private.record.fields.value.0;
    f.public.value_range = InclusiveRange::new(value + 1, u64::MAX);
    let err = prove_statement::<Record>(&keys, &f.public, &f.private, &mut rng).unwrap_err();
    assert_eq!(
        err.to_string(),
        "record statement is false: record value is outside the requested range"
    );
    assert_eq!(
        err.reason::<RecordError>(),
        Some(&RecordError::ValueOutOfRange)
    );
    let keys = fixture().params.load(Statement::Claim).unwrap();
    let mut f = claim_fixture(&mut rng, DEPTH);
    let proof = prove_statement::<Claim>(&keys, &f.public, &f.private, &mut rng).unwrap();
    assert_verifies_and_binds_every_input(Statement::Claim, &f.public.to_field_elements(), &proof);
    // A false claim (the diagnosis path of another set) gives no proof.
    f.public.covered_set_root.0 += ark_bn254::Fr::one();
    let err = prove_statement::<Claim>(&keys, &f.public, &f.private, &mut rng).unwrap_err();
    assert!(
        matches!(
            err,
            ProverError::False {
                statement: StatementKind::Claim,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.reason::<ClaimError>(),
        Some(&ClaimError::DiagnosisNotCovered)
    );
    assert!(
        err.to_string().starts_with("claim statement is false: "),
        "{err}"
    );
    // Every statement can be profiled.
    let keys_cohort = fixture().params.load(Statement::Cohort).unwrap();
    let c = cohort_fixture(&mut rng, DEPTH);
    let (proof, profile) =
        prove_statement_profiled::<Cohort>(&keys_cohort, &c.public, &c.private, &mut rng).unwrap();
    assert!(profile.total >= profile.check + profile.witness + profile.msm_total());
    assert!(profile.msm_total() > std::time::Duration::ZERO);
    assert_verifies_and_binds_every_input(Statement::Cohort, &c.public.to_field_elements(), &proof);
    // Keys of one statement do not prove another.
    let err = prove_statement::<Claim>(access_keys(), &f.public, &f.private, &mut rng).unwrap_err();
    assert!(matches!(err, ProverError::Manifest(_)), "{err}");
    // A path of another depth is refused before any check.
    let mut short = c.clone();
    short.private.grant_path.siblings.pop();
    assert!(matches!(
        prove_statement::<Cohort>(&keys_cohort, &short.public, &short.private, &mut rng),
        Err(ProverError::Depth { .. })
    ));
}

/// The generic matrices agree with the circuits' generic count (the kind-level twins are
/// checked against each other in `prover::statement`'s unit tests).
#[test]
fn generic_matrices_match_the_generic_count() {
    let generic = zkconsent_prover::statement::matrices::<Record>(DEPTH).unwrap();
    assert_eq!(
        generic.num_constraints,
        statement::constraint_count::<Record>(DEPTH).unwrap()
    );
}

#[test]
fn false_statement_gives_no_proof_and_a_forced_proof_does_not_verify() {
    let mut rng = StdRng::seed_from_u64(2);
    let mut f = access_fixture(&mut rng, DEPTH);
    let index = f.private.path.index;
    f.public.grants_root = f.tree.set(index, EMPTY_LEAF).unwrap(); // revoked
    f.private.path = f.tree.path(index).unwrap();
    let err =
        prove_statement::<Access>(access_keys(), &f.public, &f.private, &mut rng).unwrap_err();
    assert_eq!(
        err.reason::<AccessError>(),
        Some(&AccessError::NotInTree),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("access statement is false: "),
        "{err}"
    );
    // Bypass the check: arkworks still produces points, but they do not verify.
    let forced = prove(
        &access_keys().pk,
        AccessCircuit::new(&f.public, &f.private),
        &mut rng,
    )
    .unwrap();
    assert!(verifier::verify(
        &pvk(Statement::Access),
        &f.public.to_field_elements(),
        &to_verifier_proof(&forced)
    )
    .is_err());
}

#[test]
fn authority_proof_is_bound_to_action_and_leaf() {
    let mut rng = StdRng::seed_from_u64(3);
    let f = access_fixture(&mut rng, DEPTH);
    let keys = fixture().params.load(Statement::Authority).unwrap();
    let (public, private) = authority_for(&f, GrantAction::Issue);
    let proof = to_verifier_proof(
        &prove_statement::<Authority>(&keys, &public, &private, &mut rng).unwrap(),
    );
    let pvk = pvk(Statement::Authority);
    verifier::verify(&pvk, &public.to_field_elements(), &proof).unwrap();
    let revoke = AuthorityPublic {
        action: GrantAction::Revoke,
        ..public
    };
    assert!(verifier::verify(&pvk, &revoke.to_field_elements(), &proof).is_err());
    // A clinician cannot prove authority over the patient's grant.
    let mut forged = private.clone();
    forged.patient_secret = f.private.grantee_secret.clone();
    assert!(matches!(
        prove_statement::<Authority>(&keys, &public, &forged, &mut rng),
        Err(ProverError::False {
            statement: StatementKind::Authority,
            ..
        })
    ));
    let err = prove_statement::<Authority>(&keys, &public, &forged, &mut rng).unwrap_err();
    assert_eq!(
        err.reason::<AuthorityError>(),
        Some(&AuthorityError::NotThePatient)
    );
}

#[test]
fn batch_proving_matches_single_proving() {
    let mut rng = StdRng::seed_from_u64(4);
    let statements: Vec<_> = (0..3)
        .map(|_| {
            let f = access_fixture(&mut rng, DEPTH);
            (f.public, f.private)
        })
        .collect();
    let pvk = pvk(Statement::Access);
    for ((public, _), proof) in statements.iter().zip(prove_batch_statement::<Access>(
        access_keys(),
        &statements,
        zkconsent_prover::DEFAULT_BATCH_SPLIT,
        &|_| {},
    )) {
        verifier::verify(
            &pvk,
            &public.to_field_elements(),
            &to_verifier_proof(&proof.unwrap()),
        )
        .unwrap();
    }
}

#[test]
fn batches_of_any_statement_fail_one_by_one() {
    let mut rng = StdRng::seed_from_u64(7);
    let keys = fixture().params.load(Statement::Claim).unwrap();
    let mut statements: Vec<_> = (0..3)
        .map(|_| {
            let f = claim_fixture(&mut rng, DEPTH);
            (f.public, f.private)
        })
        .collect();
    // The middle claim asks for another amount than its record's: it alone has no proof.
    statements[1].0.amount.0 += 1;
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let proofs =
        prove_batch_statement::<Claim>(&keys, &statements, BatchSplit::AcrossProofs, &|_| {
            finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
    assert_eq!(finished.into_inner(), statements.len());
    assert!(
        matches!(
            proofs[1],
            Err(ProverError::False {
                statement: StatementKind::Claim,
                ..
            })
        ),
        "{:?}",
        proofs[1]
    );
    // The closure form still takes any prover.
    let one = prove_batch(
        &keys,
        &statements[..1],
        BatchSplit::WithinProofs,
        &|_| {},
        |keys, (public, private), rng| prove_statement::<Claim>(keys, public, private, rng),
    );
    assert!(one[0].is_ok());
    let pvk = pvk(Statement::Claim);
    for i in [0, 2] {
        let proof = proofs[i].as_ref().unwrap();
        verifier::verify(
            &pvk,
            &statements[i].0.to_field_elements(),
            &to_verifier_proof(proof),
        )
        .unwrap();
    }
}

#[test]
fn manifest_names_single_party_setup_and_pins_shapes() {
    let m = fixture().params.manifest();
    assert!(m.setup.starts_with("single-party"));
    assert_eq!(m.tree_depth, DEPTH);
    let access = m.keys.iter().find(|k| k.statement == "access").unwrap();
    assert_eq!(
        access.constraints,
        Statement::Access.constraint_count(DEPTH).unwrap()
    );
    assert_eq!(access.public_inputs.len(), 7);
}

/// Digest of the verifying keys from `StdRng::seed_from_u64(0)` at depth 4: changes only when
/// the circuit (or arkworks' key generation) changes. Regenerate deliberately.
const PINNED_VK_SHA256: [(&str, &str); 5] = [
    (
        "authority",
        "0cccfdcde012af93dbad13444a40e659a9e35ffff267d39e431ab4f2e0bfe3eb",
    ),
    (
        "access",
        "075c4bc38d90ec0b59ae07d8f004f511cdfc72414ec2f0e2a8d855a96e44f5bf",
    ),
    (
        "record",
        "43ea665614c6360f96dfcaeb3bed88b6144e76eabfa6ded7ae2d0a3efa321b94",
    ),
    (
        "claim",
        "7bc3d7bf8840598c0fabe76322062fb9dd58dfefb251778257fea42df4c12ccb",
    ),
    (
        "cohort",
        "a6c87477985be85f84e88b59b1b086aedab33d187a38f29010857b1011dd40ca",
    ),
];

#[test]
fn verifying_key_digests_are_pinned() {
    for (statement, expected) in PINNED_VK_SHA256 {
        let entry = fixture()
            .params
            .manifest()
            .keys
            .iter()
            .find(|k| k.statement == statement)
            .unwrap();
        assert_eq!(
            entry.verifying_key_sha256, expected,
            "{statement} verifying key changed"
        );
    }
}

#[test]
fn tampered_key_file_or_stale_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    ParamsDir::setup(dir.path(), 2, SETUP_TIME, &mut StdRng::seed_from_u64(5)).unwrap();
    // Flip one byte of the proving key.
    let pk_path = dir.path().join("access.pk");
    let mut bytes = std::fs::read(&pk_path).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&pk_path, &bytes).unwrap();
    let params = ParamsDir::open(dir.path()).unwrap();
    assert!(matches!(
        params.load(Statement::Access),
        Err(ProverError::KeyHashMismatch { .. })
    ));
    assert!(params.load(Statement::Authority).is_ok());
    // A manifest claiming another constraint count (keys for another circuit).
    let manifest_path = dir.path().join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    let count = Statement::Authority.constraint_count(2).unwrap();
    std::fs::write(
        &manifest_path,
        text.replace(&format!("\"constraints\": {count}"), "\"constraints\": 1"),
    )
    .unwrap();
    let params = ParamsDir::open(dir.path()).unwrap();
    assert!(matches!(
        params.load(Statement::Authority),
        Err(ProverError::CircuitMismatch { .. })
    ));
    // Garbage manifest.
    std::fs::write(&manifest_path, b"{not json").unwrap();
    assert!(matches!(
        ParamsDir::open(dir.path()),
        Err(ProverError::Manifest(_))
    ));
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn proof_for_wrong_depth_is_refused() {
    let mut rng = StdRng::seed_from_u64(6);
    let f = access_fixture(&mut rng, DEPTH + 1);
    assert!(matches!(
        prove_statement::<Access>(access_keys(), &f.public, &f.private, &mut rng),
        Err(ProverError::Depth { .. })
    ));
}

#[test]
fn cached_matrices_equal_a_fresh_synthesis_with_witness() {
    use ark_relations::gr1cs::{
        ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
        R1CS_PREDICATE_LABEL,
    };
    let mut rng = StdRng::seed_from_u64(7);
    let f = access_fixture(&mut rng, DEPTH);
    let cs = ConstraintSystem::<ark_bn254::Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    AccessCircuit::new(&f.public, &f.private)
        .generate_constraints(cs.clone())
        .unwrap();
    cs.finalize();
    let fresh = cs
        .to_matrices()
        .unwrap()
        .remove(R1CS_PREDICATE_LABEL)
        .unwrap();
    let cached = &access_keys().matrices;
    assert_eq!(cached.matrices, fresh);
    assert_eq!(cached.num_constraints, cs.num_constraints());
    // The values-only assignment equals the full synthesis's.
    let mut full = cs.instance_assignment().unwrap();
    full.extend(cs.witness_assignment().unwrap());
    assert_eq!(
        cached
            .assignment(AccessCircuit::new(&f.public, &f.private))
            .unwrap(),
        full
    );
}

/// Our proof assembly (our MSMs, overlapped phases) gives exactly ark-groth16's proof for
/// the same key, assignment and randomness, in both the fast and the profiled path.
#[test]
fn our_groth16_equals_ark_groth16_bit_for_bit() {
    use ark_bn254::{Bn254, Fr};
    use ark_ff::UniformRand;
    use ark_groth16::Groth16;
    use zkconsent_prover::{groth16::create_proof, ProofProfile};

    let keys = access_keys();
    let m = &keys.matrices;
    for seed in 0..3u64 {
        let mut rng = StdRng::seed_from_u64(100 + seed);
        let f = access_fixture(&mut rng, DEPTH);
        let full = m
            .assignment(AccessCircuit::new(&f.public, &f.private))
            .unwrap();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let stock = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &keys.pk,
            r,
            s,
            &m.matrices,
            m.num_inputs,
            m.num_constraints,
            &full,
        )
        .unwrap();
        let stock_h = <ark_groth16::r1cs_to_qap::LibsnarkReduction as ark_groth16::r1cs_to_qap::R1CSToQAP>::witness_map_from_matrices::<Fr, ark_poly::GeneralEvaluationDomain<Fr>>(
            &m.matrices,
            m.num_inputs,
            m.num_constraints,
            &full,
        )
        .unwrap();
        assert_eq!(zkconsent_prover::qap::quotient(m, &full).unwrap(), stock_h);
        let fast = create_proof(&keys.pk, m, &full, r, s, None).unwrap();
        let mut profile = ProofProfile::default();
        let profiled = create_proof(&keys.pk, m, &full, r, s, Some(&mut profile)).unwrap();
        assert_eq!(fast, stock, "seed {seed}");
        assert_eq!(profiled, stock, "seed {seed}");
        assert!(profile.msm_total() > std::time::Duration::ZERO);
    }
    // r = 0 (no zero knowledge) skips B in G1 and must still match.
    let mut rng = StdRng::seed_from_u64(200);
    let f = access_fixture(&mut rng, DEPTH);
    let full = m
        .assignment(AccessCircuit::new(&f.public, &f.private))
        .unwrap();
    let zero = Fr::from(0u64);
    let stock = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
        &keys.pk,
        zero,
        zero,
        &m.matrices,
        m.num_inputs,
        m.num_constraints,
        &full,
    )
    .unwrap();
    assert_eq!(
        create_proof(&keys.pk, m, &full, zero, zero, None).unwrap(),
        stock
    );
}

#[test]
fn profiled_proof_verifies_and_accounts_for_its_time() {
    let mut rng = StdRng::seed_from_u64(7);
    let f = access_fixture(&mut rng, DEPTH);
    let (proof, profile) = zkconsent_prover::prove_statement_profiled::<Access>(
        access_keys(),
        &f.public,
        &f.private,
        &mut rng,
    )
    .unwrap();
    let inputs = f.public.to_field_elements();
    verifier::verify(&pvk(Statement::Access), &inputs, &to_verifier_proof(&proof)).unwrap();
    let named = profile.check + profile.witness + profile.qap + profile.msm_total();
    assert!(named <= profile.total);
    assert!(profile.witness > std::time::Duration::ZERO);
}

#[test]
fn key_whose_queries_do_not_fit_the_circuit_is_refused() {
    let keys = access_keys();
    let mut pk = keys.pk.clone();
    pk.l_query.pop();
    let err = zkconsent_prover::groth16::check_key_shape(&pk, &keys.matrices).unwrap_err();
    assert!(err.contains("l_query"), "{err}");
    let mut rng = StdRng::seed_from_u64(8);
    let f = access_fixture(&mut rng, DEPTH);
    let full = keys
        .matrices
        .assignment(AccessCircuit::new(&f.public, &f.private))
        .unwrap();
    let one = ark_bn254::Fr::one();
    assert!(
        zkconsent_prover::groth16::create_proof(&pk, &keys.matrices, &full, one, one, None)
            .is_err()
    );
}

/// Copies the fixture's params directory (to edit it).
fn params_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture().params.dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// Setup writes each statement's constraint matrices beside its keys; a load reads them
/// (hash-checked) instead of synthesising, and gets exactly the synthesised matrices. A
/// directory from before these files still loads (by synthesis); an altered file does not.
#[test]
fn constraint_matrices_load_from_the_params_directory_hash_checked() {
    for statement in Statement::ALL {
        let entry = fixture().params.entry(statement).unwrap();
        let name = entry
            .matrices
            .as_deref()
            .expect("setup names a matrices file");
        assert!(entry.files().iter().any(|(file, _)| *file == name));
        let loaded = fixture().params.load(statement).unwrap();
        let synthesised = zkconsent_prover::statement::matrices_of(statement, DEPTH).unwrap();
        assert_eq!(
            loaded.matrices.matrices, synthesised.matrices,
            "{statement}"
        );
        assert_eq!(loaded.matrices.num_witnesses, synthesised.num_witnesses);
    }

    // A manifest from before the matrices files: loads by synthesis, same matrices.
    let legacy = params_copy();
    let path = legacy.path().join(MANIFEST_FILE);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for key in manifest["keys"].as_array_mut().unwrap() {
        let key = key.as_object_mut().unwrap();
        key.remove("matrices");
        key.remove("matrices_sha256");
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    for file in std::fs::read_dir(legacy.path()).unwrap() {
        let file = file.unwrap().path();
        if file.to_string_lossy().ends_with(".r1cs.bin") {
            std::fs::remove_file(file).unwrap();
        }
    }
    let old = ParamsDir::open(legacy.path()).unwrap();
    assert_eq!(old.entry(Statement::Access).unwrap().files().len(), 2);
    let keys = old.load(Statement::Access).unwrap();
    assert_eq!(keys.matrices.matrices, access_keys().matrices.matrices);

    // One changed byte in a matrices file: refused by its hash before decoding.
    let altered = params_copy();
    let file = altered.path().join("access.r1cs.bin");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let err = ParamsDir::open(altered.path())
        .unwrap()
        .load(Statement::Access)
        .unwrap_err();
    assert!(matches!(err, ProverError::KeyHashMismatch { .. }), "{err}");
}
