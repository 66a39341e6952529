//! Record statement: shape pins, and soundness — the native `check` and the constraint
//! system agree on valid statements and on every tampered witness or public value.

use ark_bn254::Fr;
use ark_ff::{One, UniformRand};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use zkconsent_circuits::{
    merkle::{MerklePath, EMPTY_LEAF},
    record::{
        self, check, commit, fields, inputs, CodeSet, CodeSetPredicate, CodeSetRoot, DiscloseMask,
        InclusiveRange, RecordAssignment, RecordCircuit, RecordError, SetField, CODE_SET_DEPTH,
        DISCLOSABLE_FIELDS,
    },
    testing::{
        constraint_count, free_witnesses, record_circuit, record_fixture, satisfied, two_pow_64,
        RecordFixture,
    },
    types::*,
};

/// Depth used by most soundness tests: small keeps them fast; the gadgets do not depend on it.
const TEST_DEPTH: usize = 4;
/// Constraints at depth `d`: everything but the records path, plus 242 per level.
const RECORD_BASE_CONSTRAINTS: usize = 3_181;
const MERKLE_LEVEL_CONSTRAINTS: usize = 242;
/// Record at the default depth 20: pinned.
const RECORD_CONSTRAINTS_DEPTH_20: usize = RECORD_BASE_CONSTRAINTS + 20 * MERKLE_LEVEL_CONSTRAINTS;

fn fixture(seed: u64) -> RecordFixture {
    record_fixture(&mut StdRng::seed_from_u64(seed), TEST_DEPTH)
}

fn accepted(f: &RecordFixture) {
    assert_eq!(check(&f.public, &f.private), Ok(()));
    assert_eq!(satisfied(record_circuit(f)), Ok(()));
}

/// Both the spec and the circuit reject, and the spec names `expected`.
fn assert_rejected(f: &RecordFixture, expected: RecordError) {
    assert_eq!(check(&f.public, &f.private), Err(expected));
    assert!(
        satisfied(record_circuit(f)).is_err(),
        "circuit accepted a false statement ({expected:?})"
    );
}

/// The circuit rejects a field-level assignment no typed value can express.
fn assert_circuit_rejects(f: &RecordFixture, edit: impl FnOnce(&mut RecordAssignment)) {
    let mut c = record_circuit(f);
    edit(&mut c.assignment);
    assert!(satisfied(c).is_err());
}

#[test]
fn valid_statement_satisfies_spec_and_circuit() {
    for seed in 0..4 {
        accepted(&fixture(seed));
    }
}

#[test]
fn predicate_variants_are_accepted() {
    let base = fixture(20);
    // No code set, no ranges, nothing disclosed: membership and request binding alone.
    let mut f = base.clone().without_code_set();
    f.public.value_range = InclusiveRange::ANY;
    f.public.date_range = InclusiveRange::ANY;
    f.public.disclosed = [None; DISCLOSABLE_FIELDS];
    accepted(&f);
    assert_eq!(
        f.public.to_field_elements()[inputs::SET_FIELD],
        Fr::from(0u64)
    );
    assert_eq!(
        f.public.to_field_elements()[inputs::CODE_SET_ROOT],
        Fr::from(0u64)
    );
    // Everything disclosable disclosed.
    let mut f = base.clone();
    let all = f.private.public_for(
        f.public.records_root,
        DiscloseMask::ALL,
        f.public.value_range,
        f.public.date_range,
        f.public.code_set,
    );
    assert_eq!(all.disclose_mask(), DiscloseMask::ALL);
    f.public = all;
    accepted(&f);
    // The set on the related code.
    let mut f = base.clone();
    let related = f.private.record.fields.related_code;
    let set = CodeSet::new(&[related, CodeId(Fr::from(7u64))]).unwrap();
    f.public.code_set = Some(CodeSetPredicate {
        field: SetField::RelatedCode,
        root: set.root(),
    });
    f.private.code_path = set.path(related).unwrap();
    accepted(&f);
    // A single-point range on each side.
    let mut f = base;
    let (v, d) = (
        f.private.record.fields.value.0,
        f.private.record.fields.date.0,
    );
    f.public.value_range = InclusiveRange::new(v, v);
    f.public.date_range = InclusiveRange::new(d, d);
    accepted(&f);
}

#[test]
fn shape_is_pinned() {
    let f = fixture(1);
    let cs = ConstraintSystem::<Fr>::new_ref();
    record_circuit(&f).generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    assert_eq!(
        cs.num_instance_variables(),
        1 + record::RecordPublic::NUM_INPUTS
    );
    assert_eq!(
        cs.instance_assignment().unwrap()[1..],
        f.public.to_field_elements()
    );
    assert_eq!(
        cs.num_constraints(),
        RECORD_BASE_CONSTRAINTS + TEST_DEPTH * MERKLE_LEVEL_CONSTRAINTS
    );
    // The shape does not depend on which predicates are on.
    assert_eq!(
        constraint_count(record_circuit(&f.clone().without_code_set())),
        cs.num_constraints()
    );
    // The production depth, synthesised blank (as for key generation), and a valid
    // statement at that depth.
    assert_eq!(
        constraint_count(RecordCircuit::blank(20)),
        RECORD_CONSTRAINTS_DEPTH_20
    );
    let f20 = record_fixture(&mut StdRng::seed_from_u64(2), 20);
    assert_eq!(check(&f20.public, &f20.private), Ok(()));
    assert_eq!(satisfied(record_circuit(&f20)), Ok(()));
}

#[test]
fn public_input_names_follow_offsets() {
    assert_eq!(inputs::NAMES.len(), inputs::COUNT);
    assert_eq!(inputs::COUNT, 18);
    assert_eq!(inputs::NAMES[inputs::RECORDS_ROOT], "records_root");
    assert_eq!(inputs::NAMES[inputs::DISCLOSE_MASK], "disclose_mask");
    for i in 0..DISCLOSABLE_FIELDS {
        assert_eq!(
            inputs::NAMES[inputs::DISCLOSED + i],
            format!("disclosed_{}", fields::NAMES[i])
        );
    }
    assert_eq!(inputs::NAMES[inputs::VALUE_LO], "value_lo");
    assert_eq!(inputs::NAMES[inputs::VALUE_HI], "value_hi");
    assert_eq!(inputs::NAMES[inputs::DATE_LO], "date_lo");
    assert_eq!(inputs::NAMES[inputs::DATE_HI], "date_hi");
    assert_eq!(inputs::NAMES[inputs::SET_FIELD], "set_field");
    assert_eq!(inputs::NAMES[inputs::CODE_SET_ROOT], "code_set_root");
    assert_eq!(inputs::NAMES[inputs::REQUEST_HASH], "request_hash");
    assert_eq!(record::STATEMENT, "record");
    // The salt can never be disclosed.
    assert_eq!(DiscloseMask::of(&[fields::SALT]), None);
    assert_eq!(DiscloseMask::ALL.bits(), 0x1ff);
}

#[test]
fn range_bounds_are_inclusive_and_off_by_one_is_rejected() {
    let base = fixture(3);
    type SetRange = fn(&mut RecordFixture, InclusiveRange);
    let sides: [(u64, SetRange, RecordError); 2] = [
        (
            base.private.record.fields.value.0,
            |f, r| f.public.value_range = r,
            RecordError::ValueOutOfRange,
        ),
        (
            base.private.record.fields.date.0,
            |f, r| f.public.date_range = r,
            RecordError::DateOutOfRange,
        ),
    ];
    for (x, set, error) in sides {
        // Exactly at either bound: accepted.
        for r in [InclusiveRange::new(x, x + 9), InclusiveRange::new(x - 9, x)] {
            let mut f = base.clone();
            set(&mut f, r);
            accepted(&f);
        }
        // x = hi + 1, x = lo - 1, an empty range, and [0, 0].
        for r in [
            InclusiveRange::new(x - 9, x - 1),
            InclusiveRange::new(x + 1, x + 9),
            InclusiveRange::new(x + 1, x - 1),
            InclusiveRange::new(0, 0),
        ] {
            let mut f = base.clone();
            set(&mut f, r);
            assert_rejected(&f, error);
        }
    }
}

#[test]
fn values_past_2_64_in_range_checked_fields_are_rejected() {
    // A leaf whose value or date is 2^64 or more is in the tree (as if a custodian anchored
    // it): the range checks reject it even under the widest bounds.
    let base = fixture(4);
    let t = two_pow_64();
    for (field, bad) in [
        (fields::VALUE, t),
        (
            fields::VALUE,
            t + Fr::from(base.private.record.fields.value.0),
        ),
        (fields::VALUE, -Fr::one()),
        (
            fields::DATE,
            t + Fr::from(base.private.record.fields.date.0),
        ),
        (fields::DATE, -Fr::one()),
    ] {
        let mut f = base.clone();
        f.public.value_range = InclusiveRange::ANY;
        f.public.date_range = InclusiveRange::ANY;
        let mut tuple = f.private.record.to_field_elements();
        tuple[field] = bad;
        f.reanchor(commit(&tuple));
        let root = f.public.records_root.0;
        assert_circuit_rejects(&f, |a| {
            a.tuple = tuple;
            a.public[inputs::RECORDS_ROOT] = root;
        });
    }
    // Bounds past 2^64 or wrapped, which no typed value expresses.
    let v = Fr::from(base.private.record.fields.value.0);
    let d = Fr::from(base.private.record.fields.date.0);
    for (at, bad) in [
        (inputs::VALUE_LO, -Fr::one()),
        (inputs::VALUE_LO, v - t),
        (inputs::VALUE_HI, t),
        (inputs::VALUE_HI, v + t),
        (inputs::DATE_LO, -Fr::one()),
        (inputs::DATE_HI, d + t),
    ] {
        assert_circuit_rejects(&base, |a| a.public[at] = bad);
    }
}

#[test]
fn code_outside_the_set_is_rejected() {
    let base = fixture(5);
    let mut rng = StdRng::seed_from_u64(105);
    // Another set, without the record's code, with a member's path.
    let other = CodeSet::new(&[CodeId(Fr::rand(&mut rng)), CodeId(Fr::rand(&mut rng))]).unwrap();
    let mut f = base.clone();
    f.public.code_set = Some(CodeSetPredicate {
        field: SetField::Code,
        root: other.root(),
    });
    assert_rejected(&f, RecordError::CodeNotInSet);
    // The same set tested on the related code, which is not in it.
    let mut f = base.clone();
    f.public.code_set = Some(CodeSetPredicate {
        field: SetField::RelatedCode,
        root: base.code_set.root(),
    });
    assert_rejected(&f, RecordError::CodeNotInSet);
    // An absent related code (0) opened at an empty slot reaches the root: rejected.
    let mut f = base.clone();
    f.private.record.fields.related_code = CodeId(Fr::from(0u64));
    let leaf = f.private.record.commit().0;
    f.reanchor(leaf);
    f.public.code_set = Some(CodeSetPredicate {
        field: SetField::RelatedCode,
        root: base.code_set.root(),
    });
    f.private.code_path = base.code_set.empty_slot_path().unwrap();
    assert_eq!(
        f.private.code_path.root(Fr::from(0u64)),
        base.code_set.root().0
    );
    assert_rejected(&f, RecordError::CodeNotInSet);
    // Wrong path bit or sibling.
    for level in 0..CODE_SET_DEPTH {
        let mut f = base.clone();
        f.private.code_path.index ^= 1 << level;
        assert_rejected(&f, RecordError::CodeNotInSet);
        let mut f = base.clone();
        f.private.code_path.siblings[level] += Fr::one();
        assert_rejected(&f, RecordError::CodeNotInSet);
    }
    // A wrong code-set root.
    let mut f = base;
    f.public.code_set = Some(CodeSetPredicate {
        field: SetField::Code,
        root: CodeSetRoot(Fr::rand(&mut rng)),
    });
    assert_rejected(&f, RecordError::CodeNotInSet);
}

#[test]
fn unanchored_or_altered_record_is_rejected() {
    let base = fixture(6);
    // The leaf's slot emptied: not in the tree.
    let mut f = base.clone();
    f.reanchor(EMPTY_LEAF);
    assert_rejected(&f, RecordError::NotInTree);
    // A record never anchored (the tree is unchanged).
    let mut f = base.clone();
    f.private.record.salt = RecordSalt(f.private.record.salt.0 + Fr::one());
    assert_rejected(&f, RecordError::NotInTree);
    // An altered value within the range, or another root.
    let mut f = base.clone();
    f.private.record.fields.value.0 += 1;
    assert_rejected(&f, RecordError::NotInTree);
    let mut f = base.clone();
    f.public.records_root = RecordsRoot(Fr::rand(&mut StdRng::seed_from_u64(106)));
    assert_rejected(&f, RecordError::NotInTree);
    for level in 0..TEST_DEPTH {
        let mut f = base.clone();
        f.private.path.index ^= 1 << level;
        assert_rejected(&f, RecordError::NotInTree);
        let mut f = base.clone();
        f.private.path.siblings[level] += Fr::one();
        assert_rejected(&f, RecordError::NotInTree);
    }
}

#[test]
fn disclosed_value_differing_from_the_record_is_rejected() {
    let base = fixture(7);
    let tuple = base.private.record.to_field_elements();
    for (i, field) in tuple.iter().take(DISCLOSABLE_FIELDS).enumerate() {
        let mut f = base.clone();
        f.public.disclosed[i] = Some(*field + Fr::one());
        assert_rejected(&f, RecordError::DisclosureMismatch);
    }
    // A hidden field's input must be 0, a disclosed one the field (even when that is 0).
    let mut f = base.clone();
    f.public.disclosed[fields::END_DATE] = Some(Fr::from(0u64));
    accepted(&f);
    assert_circuit_rejects(&base, |a| {
        a.public[inputs::DISCLOSED + fields::CODE] = tuple[fields::CODE];
    });
}

#[test]
fn mask_bits_must_be_boolean_and_the_mask_9_bits() {
    let f = fixture(8);
    let tuple = f.private.record.to_field_elements();
    // mask = 2 (disclose `code`) decomposed as [2, 0, …]: the recomposition holds, and the
    // "disclosed" kind input is 2·kind; booleanity rejects it.
    let mut f0 = f.clone();
    f0.public.disclosed = [None; DISCLOSABLE_FIELDS];
    assert_circuit_rejects(&f0, |a| {
        a.public[inputs::DISCLOSE_MASK] = Fr::from(2u64);
        a.mask_bits = [Fr::from(0u64); DISCLOSABLE_FIELDS];
        a.mask_bits[0] = Fr::from(2u64);
        a.public[inputs::DISCLOSED + fields::KIND] = Fr::from(2u64) * tuple[fields::KIND];
    });
    // mask = 1 decomposed as [p - 1, 1, 0, …] (-1 + 2 = 1): fails booleanity.
    assert_circuit_rejects(&f0, |a| {
        a.mask_bits = [Fr::from(0u64); DISCLOSABLE_FIELDS];
        a.mask_bits[0] = -Fr::one();
        a.mask_bits[1] = Fr::one();
        a.public[inputs::DISCLOSE_MASK] = Fr::from(1u64);
        a.public[inputs::DISCLOSED + fields::KIND] = -tuple[fields::KIND];
        a.public[inputs::DISCLOSED + fields::CODE] = tuple[fields::CODE];
    });
    // Masks past 9 bits (the salt's bit and beyond), with honest hints.
    for bad in [
        Fr::from(1u64 << DISCLOSABLE_FIELDS),
        Fr::from(f.public.disclose_mask().bits() as u64 | (1 << DISCLOSABLE_FIELDS)),
        -Fr::one(),
    ] {
        assert_circuit_rejects(&f, |a| {
            a.public[inputs::DISCLOSE_MASK] = bad;
            a.derive_hints();
        });
    }
}

#[test]
fn set_selector_must_be_0_1_or_2() {
    let f = fixture(9);
    // set_field = 3 would select code + related_code.
    assert_circuit_rejects(&f, |a| {
        a.public[inputs::SET_FIELD] = Fr::from(3u64);
        a.set_code_bit = Fr::one();
    });
    // set_field = 2 decomposed as [2, 0]: tests 2·code, which booleanity forbids.
    assert_circuit_rejects(&f, |a| {
        a.public[inputs::SET_FIELD] = Fr::from(2u64);
        a.set_code_bit = Fr::from(2u64);
    });
    // Off, with a non-zero code-set root: rejected (the root input is canonical).
    let mut off = f.clone().without_code_set();
    // A code path of another shape is refused by both, even with the predicate off.
    off.private.code_path = MerklePath::blank(CODE_SET_DEPTH - 1);
    assert_rejected(&off, RecordError::CodeNotInSet);
    off.private.code_path = MerklePath::blank(CODE_SET_DEPTH);
    assert_circuit_rejects(&off, |a| a.public[inputs::CODE_SET_ROOT] = Fr::one());
    // Off, claiming set_field 0 while the bits say "code": the recomposition rejects it.
    assert_circuit_rejects(&f, |a| a.public[inputs::SET_FIELD] = Fr::from(0u64));
}

#[test]
fn request_binding_values_are_rejected_when_tampered() {
    let base = fixture(10);
    let mut rng = StdRng::seed_from_u64(110);
    let mut f = base.clone();
    f.private.verifier = VerifierId(Fr::rand(&mut rng));
    assert_rejected(&f, RecordError::RequestHashMismatch);
    let mut f = base.clone();
    f.private.nonce = Nonce(Fr::rand(&mut rng));
    assert_rejected(&f, RecordError::RequestHashMismatch);
    let mut f = base.clone();
    f.public.request_hash = RequestHash(Fr::rand(&mut rng));
    assert_rejected(&f, RecordError::RequestHashMismatch);
    // A proof for one verifier does not fit another's request.
    let mut other = base.private.clone();
    other.verifier = VerifierId(base.private.verifier.0 + Fr::one());
    let mut f = base.clone();
    f.public.request_hash = RequestHash::derive(other.verifier, other.nonce);
    assert_rejected(&f, RecordError::RequestHashMismatch);
}

#[test]
fn every_witness_value_is_constrained() {
    // Field-level: change each private value in turn; the circuit must notice.
    let f = fixture(11);
    type Edit = Box<dyn Fn(&mut RecordAssignment)>;
    let mut edits: Vec<(String, Edit)> = vec![
        ("verifier".into(), Box::new(|a| a.verifier += Fr::one())),
        ("nonce".into(), Box::new(|a| a.nonce += Fr::one())),
        (
            "set_code_bit".into(),
            Box::new(|a| a.set_code_bit += Fr::one()),
        ),
    ];
    for i in 0..record::RECORD_FIELDS {
        let name = format!("tuple field {}", fields::NAMES[i]);
        edits.push((name, Box::new(move |a| a.tuple[i] += Fr::one())));
    }
    for i in 0..DISCLOSABLE_FIELDS {
        let name = format!("mask bit {i}");
        edits.push((name, Box::new(move |a| a.mask_bits[i] += Fr::one())));
    }
    for level in 0..TEST_DEPTH {
        let (sibling, bit) = (format!("path sibling {level}"), format!("path bit {level}"));
        edits.push((
            sibling,
            Box::new(move |a| a.path.siblings[level] += Fr::one()),
        ));
        edits.push((bit, Box::new(move |a| a.path.index ^= 1 << level)));
    }
    for level in 0..CODE_SET_DEPTH {
        let (sibling, bit) = (format!("code sibling {level}"), format!("code bit {level}"));
        edits.push((
            sibling,
            Box::new(move |a| a.code_path.siblings[level] += Fr::one()),
        ));
        edits.push((bit, Box::new(move |a| a.code_path.index ^= 1 << level)));
    }
    for (name, edit) in edits {
        let mut c = record_circuit(&f);
        edit(&mut c.assignment);
        assert!(satisfied(c).is_err(), "tampering {name} went unnoticed");
    }
}

#[test]
fn every_witness_variable_is_pinned() {
    // Variable-level: values the circuit computes itself (range-check bits, the inverse of
    // the tested code, the selection products, hash rounds) moved one at a time.
    assert_eq!(
        free_witnesses(record_circuit(&fixture(11))),
        Vec::<usize>::new()
    );
    // With the predicate off the code-set path may be any path of its shape, and the
    // inverse multiplies the selected code, 0: exactly two single edits go unnoticed (the
    // blank path's bit 0, which swaps two zeros, and the inverse). Neither enters anything
    // else, as the field-level edits below show.
    let off = fixture(11).without_code_set();
    assert_eq!(free_witnesses(record_circuit(&off)).len(), 2);
    let mut rng = StdRng::seed_from_u64(111);
    let mut any_path = off.clone();
    any_path.private.code_path.index = rng.gen_range(0..1 << CODE_SET_DEPTH);
    for s in &mut any_path.private.code_path.siblings {
        *s = Fr::rand(&mut rng);
    }
    accepted(&any_path);
}

#[test]
fn every_public_input_is_constrained() {
    for f in [fixture(12), fixture(12).without_code_set()] {
        let v = f.private.record.fields.value.0;
        let d = f.private.record.fields.date.0;
        for i in 0..inputs::COUNT {
            let mut c = record_circuit(&f);
            // A bound moved by one may still hold: move it just past the hidden value.
            c.assignment.public[i] = match i {
                inputs::VALUE_LO => Fr::from(v + 1),
                inputs::VALUE_HI => Fr::from(v - 1),
                inputs::DATE_LO => Fr::from(d + 1),
                inputs::DATE_HI => Fr::from(d - 1),
                _ => c.assignment.public[i] + Fr::one(),
            };
            // An honest prover's hints for the edited input: the constraints must still
            // reject.
            c.assignment.derive_hints();
            assert!(
                satisfied(c).is_err(),
                "tampering public input {} went unnoticed",
                inputs::NAMES[i]
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Spec and circuit agree on valid statements and on random single-value tampering.
    #[test]
    fn spec_and_circuit_agree(seed in any::<u64>(), which in 0usize..8, delta in 1u64..1000) {
        let mut f = fixture(seed);
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        let (v, d) = (f.private.record.fields.value.0, f.private.record.fields.date.0);
        match which {
            0 => {}
            1 => f.public.value_range = InclusiveRange::new(v.saturating_sub(delta), v + delta / 2),
            2 => f.public.date_range = InclusiveRange::new(d + delta / 2, d + delta),
            3 => {
                let i = (delta as usize) % DISCLOSABLE_FIELDS;
                let t = f.private.record.to_field_elements();
                f.public.disclosed[i] = Some(t[i] + Fr::from(delta % 2));
            }
            4 => f.private.path.index ^= delta % (1 << TEST_DEPTH),
            5 => f.private.code_path.index ^= delta % (1 << CODE_SET_DEPTH),
            6 => f.private.record.fields.value.0 += delta % 2,
            _ => f.private.nonce = Nonce(f.private.nonce.0 + Fr::from(delta % 2)),
        }
        if rng.gen_bool(0.3) {
            f = f.without_code_set();
        }
        let spec = check(&f.public, &f.private).is_ok();
        let circuit = satisfied(record_circuit(&f)).is_ok();
        prop_assert_eq!(spec, circuit);
    }
}
