//! Access statement: shape pins, and soundness — the native `check` and the constraint
//! system agree on valid statements and on every tampered witness or public value.

use ark_bn254::Fr;
use ark_ff::{One, UniformRand};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use zkconsent_circuits::{
    access::{self, check, inputs, AccessCircuit, AccessError},
    grant,
    merkle::EMPTY_LEAF,
    testing::{
        access_circuit, access_fixture, constraint_count, free_witnesses, satisfied, two_pow_64,
        AccessFixture,
    },
    types::*,
};

/// Depth used by most soundness tests: small keeps them fast; the gadgets do not depend on it.
const TEST_DEPTH: usize = 4;
/// Constraints at depth `d`: everything but the Merkle path, plus 242 per level.
const ACCESS_BASE_CONSTRAINTS: usize = 1_702;
const MERKLE_LEVEL_CONSTRAINTS: usize = 242;

fn fixture(seed: u64) -> AccessFixture {
    access_fixture(&mut StdRng::seed_from_u64(seed), TEST_DEPTH)
}

/// Both the spec and the circuit reject, and the spec names `expected`.
fn assert_rejected(f: &AccessFixture, expected: AccessError) {
    assert_eq!(check(&f.public, &f.private), Err(expected));
    assert!(
        satisfied(access_circuit(f)).is_err(),
        "circuit accepted a false statement ({expected:?})"
    );
}

/// The circuit rejects a field-level assignment no typed value can express.
fn assert_circuit_rejects(f: &AccessFixture, edit: impl FnOnce(&mut access::AccessAssignment)) {
    let mut c = access_circuit(f);
    edit(&mut c.assignment);
    assert!(satisfied(c).is_err());
}

#[test]
fn valid_statement_satisfies_spec_and_circuit() {
    for seed in 0..4 {
        let f = fixture(seed);
        assert_eq!(check(&f.public, &f.private), Ok(()));
        assert_eq!(satisfied(access_circuit(&f)), Ok(()));
    }
}

#[test]
fn shape_is_pinned() {
    let f = fixture(1);
    let cs = ConstraintSystem::<Fr>::new_ref();
    access_circuit(&f).generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    assert_eq!(
        cs.num_instance_variables(),
        1 + access::AccessPublic::NUM_INPUTS
    );
    assert_eq!(
        cs.instance_assignment().unwrap()[1..],
        f.public.to_field_elements()
    );
    assert_eq!(
        cs.num_constraints(),
        ACCESS_BASE_CONSTRAINTS + TEST_DEPTH * MERKLE_LEVEL_CONSTRAINTS
    );
    // The production depth, synthesised blank (as for key generation).
    assert_eq!(
        constraint_count(AccessCircuit::blank(20)),
        ACCESS_CONSTRAINTS_DEPTH_20
    );
}

/// Access at the default depth 20: pinned.
const ACCESS_CONSTRAINTS_DEPTH_20: usize = ACCESS_BASE_CONSTRAINTS + 20 * MERKLE_LEVEL_CONSTRAINTS;

#[test]
fn public_input_names_follow_offsets() {
    assert_eq!(inputs::NAMES[inputs::GRANTS_ROOT], "grants_root");
    assert_eq!(inputs::NAMES[inputs::NOW], "now");
    assert_eq!(inputs::NAMES[inputs::ACCESS_TAG], "access_tag");
    assert_eq!(inputs::NAMES.len(), inputs::COUNT);
}

#[test]
fn other_clinician_key_is_rejected() {
    let mut f = fixture(2);
    f.private.grantee_secret = SecretKey::random(&mut StdRng::seed_from_u64(99));
    assert_rejected(&f, AccessError::GranteeKeyMismatch);
}

#[test]
fn revoked_grant_is_rejected() {
    let mut f = fixture(3);
    let index = f.private.path.index;
    f.public.grants_root = f.tree.set(index, EMPTY_LEAF).unwrap();
    f.private.path = f.tree.path(index).unwrap();
    assert_rejected(&f, AccessError::NotInTree);
}

#[test]
fn expired_and_not_yet_valid_windows_are_rejected() {
    let base = fixture(4);
    let g = &base.private.grant;
    for now in [
        g.not_after.0,
        g.not_after.0 + 1,
        g.not_before.0 - 1,
        0,
        u64::MAX,
    ] {
        let mut f = base.clone();
        f.public.now = Timestamp(now);
        assert_rejected(&f, AccessError::OutsideWindow);
    }
    // Both edges of the half-open window.
    for now in [g.not_before.0, g.not_after.0 - 1] {
        let mut f = base.clone();
        f.public.now = Timestamp(now);
        assert_eq!(check(&f.public, &f.private), Ok(()));
        assert_eq!(satisfied(access_circuit(&f)), Ok(()));
    }
}

#[test]
fn now_beyond_2_64_and_field_wraparound_are_rejected() {
    let f = fixture(5);
    let now = f.public.now.to_fr();
    let t = two_pow_64();
    for bad in [t, now + t, now - Fr::one() - t, -Fr::one(), -now] {
        assert_circuit_rejects(&f, |a| a.public[inputs::NOW] = bad);
    }
}

#[test]
fn wrapped_window_fields_in_the_tree_are_rejected() {
    // A leaf whose window fields wrap the field is in the tree (as if an operator inserted
    // it): the range checks still reject it, although `now - not_before` is small.
    let base = fixture(6);
    let now = base.public.now.to_fr();
    for (nb, na) in [
        (-Fr::one(), now + Fr::one()),
        (now, now + two_pow_64()),
        (now, -Fr::one()),
    ] {
        let mut f = base.clone();
        let mut fields = f.private.grant.to_field_elements();
        fields[4] = nb;
        fields[5] = na;
        let index = f.private.path.index;
        let root = f.tree.set(index, grant::commit(&fields)).unwrap();
        f.public.grants_root = root;
        f.private.path = f.tree.path(index).unwrap();
        assert_circuit_rejects(&f, |a| {
            a.not_before = nb;
            a.not_after = na;
            a.public[inputs::GRANTS_ROOT] = root.0;
        });
    }
}

#[test]
fn scope_wider_than_granted_is_rejected() {
    let base = fixture(7);
    let granted = base.private.grant.scope.0;
    let missing = !granted & granted.wrapping_add(1); // lowest bit not granted
    let mut f = base.clone();
    f.public.scope = Scope(base.public.scope.0 | missing);
    assert_rejected(&f, AccessError::ScopeNotCovered);
    // Requested mask past 64 bits or wrapped.
    for bad in [two_pow_64() + Fr::one(), -Fr::one()] {
        assert_circuit_rejects(&base, |a| a.public[inputs::SCOPE] = bad);
    }
}

#[test]
fn other_purpose_is_rejected() {
    let mut f = fixture(8);
    f.public.purpose = Purpose(f.public.purpose.0 + 1);
    assert_rejected(&f, AccessError::PurposeMismatch);
}

#[test]
fn wrong_path_bit_or_sibling_is_rejected() {
    let base = fixture(9);
    for level in 0..TEST_DEPTH {
        let mut f = base.clone();
        f.private.path.index ^= 1 << level;
        assert_rejected(&f, AccessError::NotInTree);
        let mut f = base.clone();
        f.private.path.siblings[level] += Fr::one();
        assert_rejected(&f, AccessError::NotInTree);
    }
}

#[test]
fn every_grant_field_is_bound_by_the_leaf() {
    let base = fixture(10);
    let mut rng = StdRng::seed_from_u64(100);
    type GrantEdit = Box<dyn Fn(&mut grant::Grant)>;
    let edits: Vec<GrantEdit> = vec![
        Box::new(|g| g.patient = IdentityId(g.patient.0 + Fr::one())),
        Box::new(|g| g.scope = Scope(g.scope.0 | (1 << 63))),
        Box::new(|g| g.not_before = Timestamp(g.not_before.0 - 1)),
        Box::new(|g| g.not_after = Timestamp(g.not_after.0 + 1)),
        Box::new(|g| g.salt = GrantSalt(g.salt.0 + Fr::one())),
    ];
    for edit in edits {
        let mut f = base.clone();
        edit(&mut f.private.grant);
        let expected = if f.private.grant.scope == base.private.grant.scope
            || f.private.grant.scope.covers(f.public.scope)
        {
            AccessError::NotInTree
        } else {
            unreachable!()
        };
        // The access tag and patient ref depend on salt/patient: those checks come later
        // in `check`, so the first failure is membership.
        assert_rejected(&f, expected);
    }
    // The private grantee id must equal H(secret), and the grant's purpose the request's.
    let mut f = base.clone();
    f.private.grant.grantee = IdentityId(Fr::rand(&mut rng));
    assert_rejected(&f, AccessError::GranteeKeyMismatch);
    let mut f = base.clone();
    f.private.grant.purpose = Purpose(f.private.grant.purpose.0 + 1);
    assert_rejected(&f, AccessError::PurposeMismatch);
}

#[test]
fn request_binding_values_are_rejected_when_tampered() {
    let base = fixture(11);
    let mut rng = StdRng::seed_from_u64(101);

    let mut f = base.clone();
    f.private.verifier = VerifierId(Fr::rand(&mut rng));
    assert_rejected(&f, AccessError::RequestHashMismatch);

    let mut f = base.clone();
    f.private.nonce = Nonce(Fr::rand(&mut rng));
    assert_rejected(&f, AccessError::RequestHashMismatch);

    let mut f = base.clone();
    f.public.request_hash = RequestHash(Fr::rand(&mut rng));
    assert_rejected(&f, AccessError::RequestHashMismatch);

    let mut f = base.clone();
    f.public.patient_ref = PatientRef(Fr::rand(&mut rng));
    assert_rejected(&f, AccessError::PatientRefMismatch);

    let mut f = base.clone();
    f.public.access_tag = AccessTag(Fr::rand(&mut rng));
    assert_rejected(&f, AccessError::AccessTagMismatch);

    let mut f = base.clone();
    f.public.grants_root = GrantsRoot(Fr::rand(&mut rng));
    assert_rejected(&f, AccessError::NotInTree);
}

#[test]
fn a_proof_for_one_verifier_does_not_fit_another() {
    // Same grant, two verifiers: different patient refs (unlinkable) and access tags.
    let f = fixture(12);
    let mut other = f.private.clone();
    other.verifier = VerifierId(f.private.verifier.0 + Fr::one());
    let p2 = other.public_for(f.public.grants_root, f.public.now, f.public.scope);
    assert_ne!(p2.patient_ref, f.public.patient_ref);
    assert_ne!(p2.access_tag, f.public.access_tag);
    let mut mixed = f.clone();
    mixed.public.patient_ref = p2.patient_ref;
    assert_rejected(&mixed, AccessError::PatientRefMismatch);
}

#[test]
fn every_witness_value_is_constrained() {
    // Field-level: change each private value in turn; the circuit must notice.
    let f = fixture(13);
    type Edit = fn(&mut access::AccessAssignment);
    let edits: [(&str, Edit); 11] = [
        ("patient_id", |a| a.patient_id += Fr::one()),
        ("grantee_id", |a| a.grantee_id += Fr::one()),
        ("purpose", |a| a.purpose += Fr::one()),
        ("granted_scope", |a| a.granted_scope += Fr::one()),
        ("not_before", |a| a.not_before += Fr::one()),
        ("not_after", |a| a.not_after += Fr::one()),
        ("salt", |a| a.salt += Fr::one()),
        ("grantee_secret", |a| a.grantee_secret += Fr::one()),
        ("verifier", |a| a.verifier += Fr::one()),
        ("nonce", |a| a.nonce += Fr::one()),
        ("path.index", |a| a.path.index ^= 1),
    ];
    for (name, edit) in edits {
        let mut c = access_circuit(&f);
        edit(&mut c.assignment);
        assert!(satisfied(c).is_err(), "tampering {name} went unnoticed");
    }
    for i in 0..inputs::COUNT {
        let mut c = access_circuit(&f);
        // `now + 1` may still be inside the window: move it to the first expired second.
        // Likewise a wider scope: ask for every category.
        if i == inputs::NOW {
            c.assignment.public[i] = c.assignment.not_after;
        } else if i == inputs::SCOPE {
            c.assignment.public[i] = Fr::from(u64::MAX);
        } else {
            c.assignment.public[i] += Fr::one();
        }
        assert!(
            satisfied(c).is_err(),
            "tampering public input {} went unnoticed",
            inputs::NAMES[i]
        );
    }
}

#[test]
fn every_witness_variable_is_pinned() {
    // Variable-level: values the circuit computes itself (range-check and scope bits, hash
    // rounds) moved one at a time.
    assert_eq!(
        free_witnesses(access_circuit(&fixture(13))),
        Vec::<usize>::new()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Spec and circuit agree on valid statements and on random single-value tampering.
    #[test]
    fn spec_and_circuit_agree(seed in any::<u64>(), which in 0usize..6, delta in 1u64..1000) {
        let mut f = fixture(seed);
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        match which {
            0 => {}
            1 => f.public.now = Timestamp(f.public.now.0.wrapping_add(delta * 1000)),
            2 => f.public.scope = Scope(rng.gen()),
            3 => f.public.purpose = Purpose(delta % 3),
            4 => f.private.path.index ^= delta % (1 << TEST_DEPTH),
            _ => f.private.nonce = Nonce(f.private.nonce.0 + Fr::from(delta % 2)),
        }
        let spec = check(&f.public, &f.private).is_ok();
        let circuit = satisfied(access_circuit(&f)).is_ok();
        prop_assert_eq!(spec, circuit);
    }
}
