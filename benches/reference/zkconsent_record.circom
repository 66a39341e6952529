pragma circom 2.1.0;

// A circom reference for zkconsent's Record statement (docs/spec.md §10.8), written the way a
// circom developer would with circomlib, for comparing constraint counts
// (tests/circom_reference_records.rs). It proves the same relation as `circuits/src/record/`
// with the same public inputs in the same order, the same hashes and domain tags (the record
// leaf, H_request), the same Merkle path convention (records tree of `depth`, code set of
// depth 8 with the code id as its leaf), the same 9-bit disclosure mask, the same 64-bit
// inclusive ranges on the hidden value and date, and the same code-set selector.
//
// Compile with circomlib's circuits directory on the library path:
//   circom2 record.circom --r1cs --wasm --O2 -l interop/node_modules/circomlib/circuits

include "zkconsent_lib.circom";     // domain tags, TaggedPoseidon, MerkleRoot, RecordLeaf
include "zkconsent_records.circom"; // CODE_SET_DEPTH, CodeSetRoot, InclusiveRange
include "bitify.circom";            // Num2Bits
include "comparators.circom";       // IsZero

// Record, for a records tree of `depth`. All eighteen public signals are inputs, declared in
// circuit order (circuits/src/record/statement.rs `inputs`); main lists them as public, so
// the witness's public signals are [records_root, disclose_mask, disclosed_kind …
// disclosed_digest, value_lo, value_hi, date_lo, date_hi, set_field, code_set_root,
// request_hash], exactly our `RecordPublic::to_field_elements()`.
template Record(depth) {
    var FIELDS = 11;      // record::RECORD_FIELDS: the tuple, salt then identity last (§10.2)
    var DISCLOSABLE = 9;  // record::DISCLOSABLE_FIELDS: kind … digest, never salt or identity
    var CODE = 1;         // record::fields::CODE
    var DATE = 2;         // record::fields::DATE
    var VALUE = 4;        // record::fields::VALUE
    var RELATED_CODE = 5; // record::fields::RELATED_CODE
    var BITS = 64;        // range::U64_BITS: values, days and bounds are u64
    var SELECTOR_BITS = 2; // set_field = b_code + 2·b_related

    // Public. disclosed[i] is `disclosed_<tuple field i>` (disclosed_kind … disclosed_digest).
    signal input records_root;
    signal input disclose_mask;
    signal input disclosed[DISCLOSABLE];
    signal input value_lo;
    signal input value_hi;
    signal input date_lo;
    signal input date_hi;
    signal input set_field;
    signal input code_set_root;
    signal input request_hash;

    // Private: the tuple (kind, code, date, end_date, value, related_code, patient, coverage,
    // digest, salt, identity), its records path, the tested code's code-set path (any path of that shape
    // when set_field = 0), and the request opening. Ours also witnesses the mask bits, the
    // selector bits and the tested code's inverse as hints; here Num2Bits and IsZero compute
    // them (`<--`) inside the witness.
    signal input tuple[FIELDS];
    signal input path_siblings[depth];
    signal input path_indices[depth];
    signal input code_siblings[CODE_SET_DEPTH()];
    signal input code_indices[CODE_SET_DEPTH()];
    signal input verifier_id;
    signal input nonce;

    // 1. Membership: the leaf over the tuple (every field is private: a disclosed one is only
    //    public through its mask bit), hashed up the path to the public root, and non-zero.
    component leaf = RecordLeaf();
    for (var i = 0; i < FIELDS; i++) {
        leaf.tuple[i] <== tuple[i];
    }

    component tree = MerkleRoot(depth);
    tree.leaf <== leaf.out;
    for (var k = 0; k < depth; k++) {
        tree.siblings[k] <== path_siblings[k];
        tree.indices[k] <== path_indices[k];
    }
    tree.root === records_root;

    component leaf_is_zero = IsZero();
    leaf_is_zero.in <== leaf.out;
    leaf_is_zero.out === 0;

    // 2. Disclosure: the mask is nine bits (Num2Bits(9): each bit boolean, recomposing to the
    //    mask, so mask < 2^9), and disclosed_i = m_i · field_i: a hidden field's input is 0, a
    //    disclosed one is the field itself.
    component mask_bits = Num2Bits(DISCLOSABLE);
    mask_bits.in <== disclose_mask;
    for (var i = 0; i < DISCLOSABLE; i++) {
        disclosed[i] === mask_bits.out[i] * tuple[i];
    }

    // 3. Value: value_lo <= value <= value_hi (64-bit; see InclusiveRange).
    InclusiveRange(BITS)(value_lo, tuple[VALUE], value_hi);

    // 4. Date: date_lo <= date <= date_hi, likewise.
    InclusiveRange(BITS)(date_lo, tuple[DATE], date_hi);

    // 5. Code set. set_field = b_code + 2·b_related with both bits boolean (Num2Bits(2)), and
    //    not both set, so set_field is 0, 1 or 2.
    component selector = Num2Bits(SELECTOR_BITS);
    selector.in <== set_field;
    selector.out[0] * selector.out[1] === 0;
    signal enabled <== selector.out[0] + selector.out[1];

    // The tested code s = b_code·code + b_related·related_code (0 when off).
    signal code_term <== selector.out[0] * tuple[CODE];
    signal related_term <== selector.out[1] * tuple[RELATED_CODE];
    signal tested <== code_term + related_term;

    component code_set = CodeSetRoot();
    code_set.code <== tested;
    for (var k = 0; k < CODE_SET_DEPTH(); k++) {
        code_set.siblings[k] <== code_siblings[k];
        code_set.indices[k] <== code_indices[k];
    }
    // On: the path reaches the public root. Written as one product, as ours;
    // circomlib's ForceEqualIfEnabled would spend an IsZero (2 more) on the difference.
    (code_set.root - code_set_root) * enabled === 0;
    // Off: the root input is 0, so every input is determined by the statement.
    (1 - enabled) * code_set_root === 0;
    // On: the tested code is non-zero (an empty slot holds 0 and hashes to the root). Off,
    //    s = 0 and IsZero's output is 1 = 1 - enabled, so this is "s = 0 exactly when off".
    //    IsZero costs 2 here (s·inv = enabled and s·(1 - enabled) = 0); ours is the first.
    component tested_is_zero = IsZero();
    tested_is_zero.in <== tested;
    tested_is_zero.out === 1 - enabled;

    // 6. Request: request_hash = H_request(verifier_id, nonce).
    component request = TaggedPoseidon(2, TAG_REQUEST());
    request.in[0] <== verifier_id;
    request.in[1] <== nonce;
    request.out === request_hash;
}
