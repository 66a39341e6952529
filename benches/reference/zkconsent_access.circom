pragma circom 2.1.0;

// A circom reference for zkconsent's Access statement (docs/spec.md §5), written the way a
// circom developer would with circomlib, for comparing constraint counts and provers
// (benches/compare/run.sh, tests/circom_reference.rs). It proves the same relation as
// `circuits/src/access/` with the same public inputs in the same order, the same hashes and
// domain tags, the same Merkle path convention and the same 64-bit window and scope checks.
//
// Compile with circomlib's circuits directory on the library path:
//   circom2 access.circom --r1cs --wasm --O2 -l interop/node_modules/circomlib/circuits

include "poseidon.circom";    // Poseidon, PoseidonEx (our circuits/src/poseidon)
include "bitify.circom";      // Num2Bits
include "comparators.circom"; // IsZero, LessThan, LessEqThan
include "switcher.circom";    // Switcher

// ---- Domain tags (circuits/src/domain.rs): the ASCII name as a big-endian integer. ----

function TAG_MERKLE_NODE() { return 178916279247671148050091985937392589425002985514085; } // "zkconsent.merkle.node"
function TAG_IDENTITY() { return 10664241269092032197123287981553516104217721; }           // "zkconsent.identity"
function TAG_GRANT_LEAF() { return 698891715811215422070671791972324452068965572966; }     // "zkconsent.grant.leaf"
function TAG_PATIENT_REF() { return 178916279247671148050091989545317329750241613866342; } // "zkconsent.patient.ref"
function TAG_REQUEST() { return 41657192457390750770012846212369380373364; }               // "zkconsent.request"
function TAG_ACCESS_TAG() { return 698891715811215422070671763361565974854538387815; }     // "zkconsent.access.tag"

// H_tag(x1..xn): circomlib's PoseidonEx(n, 1) with the tag in the capacity element
// (`initialState`). Ours: poseidon::constraints::hash_with_domain.
template TaggedPoseidon(n, tag) {
    signal input in[n];
    signal output out;

    component h = PoseidonEx(n, 1);
    h.initialState <== tag;
    for (var i = 0; i < n; i++) {
        h.inputs[i] <== in[i];
    }
    out <== h.out[0];
}

// Root of `leaf` hashed up a path. Ours: merkle::constraints::MerklePathVar::root.
// `siblings[k]` is the sibling at level k (bottom-up); `indices[k]` is bit k of the leaf
// index, least significant first, 1 when the running node is the right child at level k.
template MerkleRoot(depth) {
    signal input leaf;
    signal input siblings[depth];
    signal input indices[depth];
    signal output root;

    component sw[depth];
    component node[depth];
    signal level[depth + 1];
    level[0] <== leaf;
    for (var k = 0; k < depth; k++) {
        // The index bit must be a bit (ours: Boolean::new_witness, 1 constraint).
        indices[k] * (indices[k] - 1) === 0;
        // indices[k] = 0: (node, sibling); 1: (sibling, node). Ours: one conditional select.
        sw[k] = Switcher();
        sw[k].sel <== indices[k];
        sw[k].L <== level[k];
        sw[k].R <== siblings[k];
        // node(left, right) = H_merkle.node(left, right). Ours: merkle::constraints::node_hash.
        node[k] = TaggedPoseidon(2, TAG_MERKLE_NODE());
        node[k].in[0] <== sw[k].outL;
        node[k].in[1] <== sw[k].outR;
        level[k + 1] <== node[k].out;
    }
    root <== level[depth];
}

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
