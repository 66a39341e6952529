//! The circom reference circuit for Access (`benches/reference/`): its constraint count is
//! pinned and is no smaller than ours, and it proves the same statement (its witness for one
//! of our fixtures has our public inputs, satisfies its R1CS, and false statements have no
//! witness).
//!
//! Needs the pinned circom2 and snarkjs: `(cd interop && npm ci)`. Without them the tests
//! print why and pass (CI installs them, so they run there).

#[path = "../benches/compare/circom_input.rs"]
mod circom_input;

mod circom;

use circom::{
    assert_fails_at, check_pins, checked_public_signals, compiled_o2, decimal, tools, witness, Pins,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkconsent_circuits::{
    access::AccessCircuit,
    fr_to_decimal,
    testing::{access_fixture, constraint_count},
};

/// Constraints of `access.circom` (depth 20) compiled with `--O2`, circom's full linear
/// simplification (what a deployment would use; circomlib's Poseidon reaches 240 per 2-input
/// hash only with it). Per part: grantee key 213, leaf 381, path 20 × 242, non-empty leaf 1,
/// window 256, scope 192, request/patient-ref/access-tag 3 × 240.
const CIRCOM_ACCESS_DEPTH_20_CONSTRAINTS: u32 = 6603;
/// The same circuit with circom's default `--O1` (only signal = signal and signal = constant
/// are simplified, so every Poseidon round's linear mixing stays): 6680 non-linear plus 7249
/// linear constraints.
const CIRCOM_ACCESS_DEPTH_20_CONSTRAINTS_O1: u32 = 13_929;

/// Our Access circuit's depth-20 count (`1702 + 242 · 20`, pinned in `circuits/tests/access.rs`).
const OURS_DEPTH_20: usize = 6542;
const DEPTH: usize = 20;
/// The reference's source, where its assertions are.
const SOURCE: &str = "zkconsent_access.circom";

#[test]
fn circom_reference_has_the_pinned_count_and_no_fewer_constraints_than_ours() {
    let Some(tools) = tools() else { return };
    let ours = constraint_count(AccessCircuit::blank(DEPTH));
    assert_eq!(ours, OURS_DEPTH_20);
    check_pins(
        &tools,
        &Pins {
            name: "access",
            public_inputs: 7,
            // 20 siblings, 20 index bits and 8 grant/key/request fields.
            private_inputs: 2 * DEPTH + 8,
            o2: CIRCOM_ACCESS_DEPTH_20_CONSTRAINTS,
            o1: CIRCOM_ACCESS_DEPTH_20_CONSTRAINTS_O1,
            ours,
        },
    );
}

#[test]
fn circom_reference_proves_the_same_statement() {
    let Some(tools) = tools() else { return };
    let compiled = compiled_o2(&tools, "access");
    let work = tempfile::tempdir().expect("tempdir");
    let fixture = access_fixture(&mut ChaCha20Rng::seed_from_u64(2026), DEPTH);
    let input = circom_input::circom_input(&fixture.public, &fixture.private);

    let witness =
        |name: &str, input: &serde_json::Value| witness(&tools, compiled, work.path(), name, input);

    // The true statement: a witness whose public signals are ours, satisfying the R1CS.
    let wtns = witness("valid", &input).unwrap_or_else(|e| panic!("witness failed:\n{e}"));
    let ours = decimal(&fixture.public.to_field_elements());
    let signals = checked_public_signals(&tools, compiled, &wtns, ours.len());
    assert_eq!(signals, ours, "public signals differ");

    // False statements have no witness, and fail at the check we expect: another root (the
    // membership check), and `now` at the (exclusive) end of the window.
    let mut wrong_root = input.clone();
    wrong_root["grants_root"] =
        fr_to_decimal(&(fixture.tree.root().0 + ark_bn254::Fr::from(1u64))).into();
    let err = witness("wrong_root", &wrong_root).expect_err("wrong root has a witness");
    assert_fails_at(&err, SOURCE, "tree.root === grants_root;");

    let mut expired = input;
    expired["now"] = fixture.private.grant.not_after.0.to_string().into();
    let err = witness("expired", &expired).expect_err("expired grant has a witness");
    assert_fails_at(&err, SOURCE, "unexpired.out === 1;");
}
