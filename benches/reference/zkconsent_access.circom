pragma circom 2.1.0;

// A circom reference for zkconsent's Access statement (docs/spec.md §5), written the way a
// circom developer would with circomlib, for comparing constraint counts and provers
// (benches/compare/run.sh, tests/circom_reference.rs). It proves the same relation as
// `circuits/src/access/` with the same public inputs in the same order, the same hashes and
// domain tags, the same Merkle path convention and the same 64-bit window and scope checks.
//
// Compile with circomlib's circuits directory on the library path:
//   circom2 access.circom --r1cs --wasm --O2 -l interop/node_modules/circomlib/circuits

include "zkconsent_lib.circom"; // domain tags, TaggedPoseidon, MerkleRoot
include "bitify.circom";        // Num2Bits
include "comparators.circom";   // IsZero, LessThan, LessEqThan

// Access, for a grants tree of `depth`. All seven public signals are inputs, declared in
// circuit order (circuits/src/access/mod.rs `inputs`); main lists them as public, so the
// witness's public signals are [grants_root, now, scope, purpose, patient_ref,
// request_hash, access_tag], exactly our `AccessPublic::to_field_elements()`.
template Access(depth) {
    // Public.
    signal input grants_root;
    signal input now;
    signal input scope;
    signal input purpose;
    signal input patient_ref;
    signal input request_hash;
    signal input access_tag;

    // Private: the grant (its purpose is the public one, its grantee id is derived from the
    // key), the grantee's key, the path, and the request opening.
    signal input patient_id;
    signal input granted_scope;
    signal input not_before;
    signal input not_after;
    signal input salt;
    signal input grantee_secret;
    signal input path_siblings[depth];
    signal input path_indices[depth];
    signal input verifier_id;
    signal input nonce;

    // 1. Grantee key: grantee_id = H_identity(grantee_secret). Ours witnesses grantee_id and
    //    spends one equality on it; here the derived value goes straight into the leaf.
    component identity = TaggedPoseidon(1, TAG_IDENTITY());
    identity.in[0] <== grantee_secret;

    // 2. Purpose: the grant's purpose is the public one. Ours witnesses the grant's purpose
    //    and enforces equality (1 constraint); here the public signal is the leaf field.

    // 3. Membership: the leaf from the grant's seven fields (ours: grant::constraints::commit),
    //    hashed up the path to the public root, and non-zero (a revoked slot is 0).
    component leaf = TaggedPoseidon(7, TAG_GRANT_LEAF());
    leaf.in[0] <== patient_id;
    leaf.in[1] <== identity.out;
    leaf.in[2] <== granted_scope;
    leaf.in[3] <== purpose;
    leaf.in[4] <== not_before;
    leaf.in[5] <== not_after;
    leaf.in[6] <== salt;

    component tree = MerkleRoot(depth);
    tree.leaf <== leaf.out;
    for (var k = 0; k < depth; k++) {
        tree.siblings[k] <== path_siblings[k];
        tree.indices[k] <== path_indices[k];
    }
    tree.root === grants_root;

    component leaf_is_zero = IsZero();
    leaf_is_zero.in <== leaf.out;
    leaf_is_zero.out === 0;

    // 4. Window: not_before <= now < not_after (ours: range::constraints::enforce_in_window).
    //    not_before and not_after are range-checked to 64 bits, as LessThan(64) requires of
    //    its inputs. `now` needs no check of its own: LessEqThan(64) puts
    //    not_before + 2^64 - (now + 1) in [0, 2^64) and LessThan(64) puts
    //    now + 2^64 - not_after in [0, 2^64) (each a 65-bit decomposition), which with both
    //    bounds below 2^64 forces not_before <= now < not_after as integers, so now < 2^64 —
    //    the same argument as ours (docs/spec.md §5, relation 4).
    component not_before_bits = Num2Bits(64);
    not_before_bits.in <== not_before;
    component not_after_bits = Num2Bits(64);
    not_after_bits.in <== not_after;

    component started = LessEqThan(64);
    started.in[0] <== not_before;
    started.in[1] <== now;
    started.out === 1;

    component unexpired = LessThan(64);
    unexpired.in[0] <== now;
    unexpired.in[1] <== not_after;
    unexpired.out === 1;

    // 5. Scope: both masks are 64-bit and every requested bit is granted
    //    (ours: scope::constraints::enforce_covers, which fuses the requested bits'
    //    booleanity with coverage).
    component granted_bits = Num2Bits(64);
    granted_bits.in <== granted_scope;
    component requested_bits = Num2Bits(64);
    requested_bits.in <== scope;
    for (var i = 0; i < 64; i++) {
        requested_bits.out[i] * (1 - granted_bits.out[i]) === 0;
    }

    // 6. Request: request_hash = H_request(verifier_id, nonce).
    component request = TaggedPoseidon(2, TAG_REQUEST());
    request.in[0] <== verifier_id;
    request.in[1] <== nonce;
    request.out === request_hash;

    // 7. Patient reference, scoped to the same verifier: H_patient.ref(patient_id, verifier_id).
    component reference = TaggedPoseidon(2, TAG_PATIENT_REF());
    reference.in[0] <== patient_id;
    reference.in[1] <== verifier_id;
    reference.out === patient_ref;

    // 8. Access tag: H_access.tag(salt, request_hash).
    component tag = TaggedPoseidon(2, TAG_ACCESS_TAG());
    tag.in[0] <== salt;
    tag.in[1] <== request_hash;
    tag.out === access_tag;
}
