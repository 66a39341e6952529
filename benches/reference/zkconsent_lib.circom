pragma circom 2.1.0;

// Templates shared by zkconsent's circom reference circuits (zkconsent_*.circom): the domain
// tags, the domain-tagged Poseidon and the Merkle path, as circom developers would write them
// with circomlib. Ours: circuits/src/domain.rs, circuits/src/poseidon, circuits/src/merkle.

include "poseidon.circom";    // Poseidon, PoseidonEx (our circuits/src/poseidon)
include "switcher.circom";    // Switcher

// ---- Domain tags (circuits/src/domain.rs): the ASCII name as a big-endian integer. ----

function TAG_MERKLE_NODE() { return 178916279247671148050091985937392589425002985514085; }                  // "zkconsent.merkle.node"
function TAG_IDENTITY() { return 10664241269092032197123287981553516104217721; }                            // "zkconsent.identity"
function TAG_GRANT_LEAF() { return 698891715811215422070671791972324452068965572966; }                      // "zkconsent.grant.leaf"
function TAG_PATIENT_REF() { return 178916279247671148050091989545317329750241613866342; }                  // "zkconsent.patient.ref"
function TAG_REQUEST() { return 41657192457390750770012846212369380373364; }                                // "zkconsent.request"
function TAG_ACCESS_TAG() { return 698891715811215422070671763361565974854538387815; }                      // "zkconsent.access.tag"
function TAG_RECORD_LEAF() { return 178916279247671148050091991981745276255169681908070; }                  // "zkconsent.record.leaf"
function TAG_POLICY() { return 162723408036682620195362678360909636473; }                                   // "zkconsent.policy"
function TAG_CLAIM_NULLIFIER() { return 768439568090751065037919197610453860188043296963861018142066; }     // "zkconsent.claim.nullifier"
function TAG_CONDITION_LIST() { return 3001717062854496347804371865907537121802360733087086244724; }        // "zkconsent.condition.list"
function TAG_EXCLUSION_SET() { return 11725457276775376358610827762429746815166225745949451636; }           // "zkconsent.exclusion.set"
function TAG_COHORT_NULLIFIER() { return 196720529431232272649707314603995532651691710733491971958596978; } // "zkconsent.cohort.nullifier"

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

// The records-tree leaf (docs/spec.md §10.7): H_record.leaf over the eleven tuple fields, in
// tuple order (kind, code, date, end_date, value, related_code, patient, coverage, digest,
// salt, identity). Ours: record::constraints (the leaf hash inside each records statement).
template RecordLeaf() {
    signal input tuple[11];
    signal output out;

    component h = TaggedPoseidon(11, TAG_RECORD_LEAF());
    for (var i = 0; i < 11; i++) {
        h.in[i] <== tuple[i];
    }
    out <== h.out;
}
