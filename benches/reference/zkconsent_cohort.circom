pragma circom 2.1.0;

// A circom reference for zkconsent's Cohort statement (docs/spec.md §10.10), written the way
// a circom developer would with circomlib, for comparing constraint counts
// (tests/circom_reference_cohort.rs). It proves the same relation as `circuits/src/cohort/`
// with the same public inputs in the same order, the same hashes and domain tags (the
// condition list in four 16-code chunks under one 4-input hash, the 16-entry exclusion list,
// the nullifier), the same Merkle path convention (records and grants trees of `depth`, the
// inclusion code set of depth 8), the same birth-window, freshness and grant-window 64-bit
// semantics, and the same inclusion, exclusion and consent checks.
//
// Compile with circomlib's circuits directory on the library path:
//   circom2 cohort.circom --r1cs --wasm --O2 -l interop/node_modules/circomlib/circuits

include "zkconsent_lib.circom"; // domain tags, TaggedPoseidon, MerkleRoot, RecordLeaf
include "bitify.circom";        // Num2Bits
include "comparators.circom";   // IsZero, IsEqual, LessThan, LessEqThan
include "multiplexer.circom";   // Multiplexer (Decoder + EscalarProduct)

// The condition-list hash (ours: cohort::circuit::list_hash, docs/spec.md §10.10):
// H_condition.list(h_0, h_1, h_2, h_3) with h_k = H_condition.list(c_16k, …, c_16k+15).
template ConditionListHash() {
    var CHUNK = 16;  // summary::LIST_CHUNK: Poseidon's widest arity
    var CHUNKS = 4;  // summary::LIST_CHUNKS
    signal input slots[CHUNK * CHUNKS];
    signal output out;

    component chunk[CHUNKS];
    component top = TaggedPoseidon(CHUNKS, TAG_CONDITION_LIST());
    for (var k = 0; k < CHUNKS; k++) {
        chunk[k] = TaggedPoseidon(CHUNK, TAG_CONDITION_LIST());
        for (var i = 0; i < CHUNK; i++) {
            chunk[k].in[i] <== slots[CHUNK * k + i];
        }
        top.in[k] <== chunk[k].out;
    }
    out <== top.out;
}

// Cohort, for records and grants trees of `depth`. All thirteen public signals are inputs,
// declared in circuit order (circuits/src/cohort/statement.rs `inputs`); main lists them as
// public, so the witness's public signals are exactly our `CohortPublic::to_field_elements()`.
template Cohort(depth) {
    var SUMMARY_KIND = 9;       // RecordKind::ConditionSummary
    var LIST_SLOTS = 64;        // summary::MAX_SUMMARY_CODES
    var EXCLUSION_ENTRIES = 16; // cohort::MAX_EXCLUSION_CODES
    var CODE_SET_DEPTH = 8;     // record::CODE_SET_DEPTH
    var BITS = 64;              // range::U64_BITS: times, days and scopes are u64

    // Public.
    signal input records_root;
    signal input grants_root;
    signal input now;
    signal input scope;
    signal input purpose;
    signal input birth_lo;
    signal input birth_hi;
    signal input summary_not_before;
    signal input inclusion_root;
    signal input exclusion_hash;
    signal input study;
    signal input nullifier;
    signal input request_hash;

    // Private: the patient's key; the summary's fields other than kind, code and patient
    // (the constant 9, the list hash and the derived id go straight into the leaf) and its
    // records path; the 64 list slots and the selected slot's index; the inclusion path; the
    // 16 exclusion entries; the grant's fields other than patient and purpose (the derived
    // id and the public purpose go into the leaf) and its grants path; the nonce.
    signal input patient_secret;
    signal input birth_date;
    signal input as_of;
    signal input summary_value;
    signal input summary_related_code;
    signal input summary_coverage;
    signal input summary_digest;
    signal input summary_salt;
    signal input summary_identity;
    signal input records_siblings[depth];
    signal input records_indices[depth];
    signal input conditions[LIST_SLOTS];
    signal input selected;
    signal input inclusion_siblings[CODE_SET_DEPTH];
    signal input inclusion_indices[CODE_SET_DEPTH];
    signal input exclusion[EXCLUSION_ENTRIES];
    signal input researcher_id;
    signal input granted_scope;
    signal input not_before;
    signal input not_after;
    signal input grant_salt;
    signal input grants_siblings[depth];
    signal input grants_indices[depth];
    signal input nonce;

    // 1. Patient: patient_id = H_identity(patient_secret).
    component patient = TaggedPoseidon(1, TAG_IDENTITY());
    patient.in[0] <== patient_secret;

    // 3. List (first: it is the summary's `code`): the slots hash to the summary's `code`.
    //    Ours witnesses `code` and spends one equality; here the list hash is the leaf field.
    component list = ConditionListHash();
    for (var i = 0; i < LIST_SLOTS; i++) {
        list.slots[i] <== conditions[i];
    }

    // 2. Summary: kind = 9 and patient = patient_id. Ours witnesses both fields and enforces
    //    each equal (2 constraints); here the constant and the derived id are the leaf fields.
    //    The leaf (tuple order, docs/spec.md §10.2) hashes up the path to the records root,
    //    and is non-zero.
    component summary = RecordLeaf();
    summary.tuple[0] <== SUMMARY_KIND;
    summary.tuple[1] <== list.out;
    summary.tuple[2] <== birth_date;
    summary.tuple[3] <== as_of;
    summary.tuple[4] <== summary_value;
    summary.tuple[5] <== summary_related_code;
    summary.tuple[6] <== patient.out;
    summary.tuple[7] <== summary_coverage;
    summary.tuple[8] <== summary_digest;
    summary.tuple[9] <== summary_salt;
    summary.tuple[10] <== summary_identity;

    component records = MerkleRoot(depth);
    records.leaf <== summary.out;
    for (var k = 0; k < depth; k++) {
        records.siblings[k] <== records_siblings[k];
        records.indices[k] <== records_indices[k];
    }
    records.root === records_root;

    component summary_is_zero = IsZero();
    summary_is_zero.in <== summary.out;
    summary_is_zero.out === 0;

    // 4. Birth window: birth_lo <= birth_date <= birth_hi (ours: range::constraints::
    //    enforce_in_range). The bounds are range-checked to 64 bits, as LessEqThan(64)
    //    requires of its inputs; LessEqThan(64) then puts birth_date - birth_lo and
    //    birth_hi - birth_date in [0, 2^64) (each a 65-bit decomposition), ours' four checks
    //    exactly, so birth_date < 2^64 needs no check of its own.
    component birth_lo_bits = Num2Bits(BITS);
    birth_lo_bits.in <== birth_lo;
    component birth_hi_bits = Num2Bits(BITS);
    birth_hi_bits.in <== birth_hi;

    component born_from = LessEqThan(BITS);
    born_from.in[0] <== birth_lo;
    born_from.in[1] <== birth_date;
    born_from.out === 1;

    component born_until = LessEqThan(BITS);
    born_until.in[0] <== birth_date;
    born_until.in[1] <== birth_hi;
    born_until.out === 1;

    // 5. Freshness: summary_not_before <= as_of (ours: cohort::circuit::enforce_not_before).
    //    summary_not_before is range-checked to 64 bits and LessEqThan(64) puts
    //    as_of - summary_not_before in [0, 2^64): ours' two checks exactly. as_of gets no
    //    Num2Bits(64) of its own, although circomlib asks n-bit inputs: ours does not bound
    //    it (as_of < 2^65 follows), and a check here would reject summaries ours accepts.
    component not_before_day_bits = Num2Bits(BITS);
    not_before_day_bits.in <== summary_not_before;

    component fresh = LessEqThan(BITS);
    fresh.in[0] <== summary_not_before;
    fresh.in[1] <== as_of;
    fresh.out === 1;

    // 6. Inclusion: the slot at `selected` (circomlib's Multiplexer: Decoder's one-hot
    //    selector, which has no witness for an index outside 0..63, and its dot product with
    //    the slots) is non-zero (pads are 0, as is an empty slot of the code set) and hashes
    //    up its path to the inclusion root. Ours witnesses the one-hot selector itself
    //    (64 booleanity constraints and the sum) where Decoder spends 64 on
    //    out[i] · (selected - i) = 0 and substitutes its sum away.
    component pick = Multiplexer(1, LIST_SLOTS);
    for (var i = 0; i < LIST_SLOTS; i++) {
        pick.inp[i][0] <== conditions[i];
    }
    pick.sel <== selected;

    component selected_is_zero = IsZero();
    selected_is_zero.in <== pick.out[0];
    selected_is_zero.out === 0;

    component inclusion = MerkleRoot(CODE_SET_DEPTH);
    inclusion.leaf <== pick.out[0];
    for (var k = 0; k < CODE_SET_DEPTH; k++) {
        inclusion.siblings[k] <== inclusion_siblings[k];
        inclusion.indices[k] <== inclusion_indices[k];
    }
    inclusion.root === inclusion_root;

    // 7. Exclusion: the entries are the study's list, and no slot equals any entry
    //    (circomlib's IsEqual with its output forced to 0; ours: (c_i - e_j) · inv_ij = 1,
    //    the one constraint IsEqual reduces to under --O2).
    component exclusion_set = TaggedPoseidon(EXCLUSION_ENTRIES, TAG_EXCLUSION_SET());
    for (var j = 0; j < EXCLUSION_ENTRIES; j++) {
        exclusion_set.in[j] <== exclusion[j];
    }
    exclusion_set.out === exclusion_hash;

    component same[LIST_SLOTS][EXCLUSION_ENTRIES];
    for (var i = 0; i < LIST_SLOTS; i++) {
        for (var j = 0; j < EXCLUSION_ENTRIES; j++) {
            same[i][j] = IsEqual();
            same[i][j].in[0] <== conditions[i];
            same[i][j].in[1] <== exclusion[j];
            same[i][j].out === 0;
        }
    }

    // 8. Consent, as the Access reference: the grant's patient is patient_id and its purpose
    //    the public one (ours witnesses both and enforces equality, 2 constraints; here they
    //    are the leaf fields); the leaf hashes up the path to the grants root and is
    //    non-zero; not_before <= now < not_after; the granted scope covers the requested one.
    component grant = TaggedPoseidon(7, TAG_GRANT_LEAF());
    grant.in[0] <== patient.out;
    grant.in[1] <== researcher_id;
    grant.in[2] <== granted_scope;
    grant.in[3] <== purpose;
    grant.in[4] <== not_before;
    grant.in[5] <== not_after;
    grant.in[6] <== grant_salt;

    component grants = MerkleRoot(depth);
    grants.leaf <== grant.out;
    for (var k = 0; k < depth; k++) {
        grants.siblings[k] <== grants_siblings[k];
        grants.indices[k] <== grants_indices[k];
    }
    grants.root === grants_root;

    component grant_is_zero = IsZero();
    grant_is_zero.in <== grant.out;
    grant_is_zero.out === 0;

    // Window (ours: range::constraints::enforce_in_window): not_before and not_after are
    // 64-bit; LessEqThan(64) and LessThan(64) put now - not_before and not_after - now - 1
    // in [0, 2^64), so now < 2^64 follows (docs/spec.md §5, relation 4).
    component not_before_bits = Num2Bits(BITS);
    not_before_bits.in <== not_before;
    component not_after_bits = Num2Bits(BITS);
    not_after_bits.in <== not_after;

    component started = LessEqThan(BITS);
    started.in[0] <== not_before;
    started.in[1] <== now;
    started.out === 1;

    component unexpired = LessThan(BITS);
    unexpired.in[0] <== now;
    unexpired.in[1] <== not_after;
    unexpired.out === 1;

    // Scope: both masks are 64-bit and every requested bit is granted (ours:
    // scope::constraints::enforce_covers, which fuses the requested bits' booleanity with
    // coverage).
    component granted_bits = Num2Bits(BITS);
    granted_bits.in <== granted_scope;
    component requested_bits = Num2Bits(BITS);
    requested_bits.in <== scope;
    for (var i = 0; i < BITS; i++) {
        requested_bits.out[i] * (1 - granted_bits.out[i]) === 0;
    }

    // 9. Nullifier: H_cohort.nullifier(patient_secret, study).
    component once = TaggedPoseidon(2, TAG_COHORT_NULLIFIER());
    once.in[0] <== patient_secret;
    once.in[1] <== study;
    once.out === nullifier;

    // 10. Request: H_request(researcher_id, nonce), the grant's grantee as the verifier.
    component request = TaggedPoseidon(2, TAG_REQUEST());
    request.in[0] <== researcher_id;
    request.in[1] <== nonce;
    request.out === request_hash;
}
