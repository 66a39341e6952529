//! Grant-authority statement: shape, and soundness at constraint level (the native `check`
//! and the circuit agree on valid and tampered statements).

use ark_bn254::Fr;
use ark_ff::{Field, One};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use rand::{rngs::StdRng, SeedableRng};
use zkconsent_circuits::{
    access::AccessCircuit,
    authority::{check, inputs, AuthorityCircuit, AuthorityError, AuthorityPublic, GrantAction},
    grant,
    testing::{access_fixture, authority_for, constraint_count, satisfied},
    types::{GrantCommitment, SecretKey},
};

/// Pinned: Poseidon 1 input (213), leaf (381), three 64-bit range checks (195), action (1),
/// leaf equality (1).
const AUTHORITY_CONSTRAINTS: usize = 787;

fn statement(
    seed: u64,
    action: GrantAction,
) -> (
    AuthorityPublic,
    zkconsent_circuits::authority::AuthorityPrivate,
) {
    let f = access_fixture(&mut StdRng::seed_from_u64(seed), 3);
    authority_for(&f, action)
}

#[test]
fn valid_statements_satisfy_spec_and_circuit_with_pinned_shape() {
    for action in [GrantAction::Issue, GrantAction::Revoke] {
        let (public, private) = statement(1, action);
        assert_eq!(check(&public, &private), Ok(()));
        assert_eq!(satisfied(AuthorityCircuit::new(&public, &private)), Ok(()));
        let cs = ConstraintSystem::<Fr>::new_ref();
        AuthorityCircuit::new(&public, &private)
            .generate_constraints(cs.clone())
            .unwrap();
        assert_eq!(cs.num_constraints(), AUTHORITY_CONSTRAINTS);
        assert_eq!(
            cs.instance_assignment().unwrap()[1..],
            public.to_field_elements()
        );
    }
}

#[test]
fn unknown_action_codes_are_rejected() {
    let (public, private) = statement(2, GrantAction::Issue);
    for code in [0u64, 3, 42] {
        let mut c = AuthorityCircuit::new(&public, &private);
        c.assignment.public[inputs::ACTION] = Fr::from(code);
        assert!(satisfied(c).is_err(), "action {code}");
    }
    let mut c = AuthorityCircuit::new(&public, &private);
    c.assignment.public[inputs::ACTION] = -Fr::one();
    assert!(satisfied(c).is_err());
}

#[test]
fn someone_elses_secret_is_rejected() {
    let (public, mut private) = statement(3, GrantAction::Issue);
    private.patient_secret = SecretKey::random(&mut StdRng::seed_from_u64(33));
    assert_eq!(check(&public, &private), Err(AuthorityError::NotThePatient));
    assert!(satisfied(AuthorityCircuit::new(&public, &private)).is_err());
}

#[test]
fn another_leaf_or_field_is_rejected() {
    let (public, private) = statement(4, GrantAction::Revoke);
    let other = AuthorityPublic {
        commitment: GrantCommitment(public.commitment.0 + Fr::one()),
        ..public
    };
    assert_eq!(
        check(&other, &private),
        Err(AuthorityError::CommitmentMismatch)
    );
    assert!(satisfied(AuthorityCircuit::new(&other, &private)).is_err());
    for i in 1..grant::GRANT_FIELDS {
        let mut c = AuthorityCircuit::new(&public, &private);
        c.assignment.grant[i] += Fr::one();
        assert!(satisfied(c).is_err(), "grant field {i}");
    }
}

#[test]
fn out_of_range_fields_are_rejected_even_when_committed() {
    let (public, private) = statement(5, GrantAction::Issue);
    let two64 = Fr::from(2u64).pow([64u64]);
    for (i, bad) in [(2usize, two64), (4, -Fr::one()), (5, two64 + Fr::one())] {
        let mut c = AuthorityCircuit::new(&public, &private);
        c.assignment.grant[i] = bad;
        // Commit to the bad fields honestly (patient id from the real secret).
        let mut fields = c.assignment.grant;
        fields[0] = private.patient_secret.id().0;
        c.assignment.public[inputs::COMMITMENT] = grant::commit(&fields);
        assert!(satisfied(c).is_err(), "field {i}");
    }
}

fn setup_mode_count<C: ConstraintSynthesizer<Fr>>(circuit: C) -> usize {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    circuit.generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    cs.num_constraints()
}

#[test]
fn setup_and_prove_modes_build_the_same_shape() {
    let f = access_fixture(&mut StdRng::seed_from_u64(6), 5);
    assert_eq!(
        setup_mode_count(AccessCircuit::blank(5)),
        constraint_count(AccessCircuit::new(&f.public, &f.private))
    );
    let (public, private) = authority_for(&f, GrantAction::Issue);
    assert_eq!(
        setup_mode_count(AuthorityCircuit::blank()),
        constraint_count(AuthorityCircuit::new(&public, &private))
    );
}
