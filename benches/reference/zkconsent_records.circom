pragma circom 2.1.0;

// Templates shared by the circom references for the records statements, Record
// (zkconsent_record.circom) and Claim (zkconsent_claim.circom): code-set roots and 64-bit
// inclusive ranges. The domain tags, the hashes, the Merkle path and the record leaf are in
// zkconsent_lib.circom.

include "zkconsent_lib.circom"; // MerkleRoot
include "bitify.circom";        // Num2Bits
include "comparators.circom";   // LessEqThan

// Depth of a code set's tree: at most 256 codes (ours: record::CODE_SET_DEPTH).
function CODE_SET_DEPTH() { return 8; }

// Root of the code set that `code` hashes up to (docs/spec.md §10.8). The leaf is the code id
// itself, not hashed again, and the path has the set's fixed depth, so an inner node cannot
// pass as a leaf; nodes, zero hashes and path bits are those of the records tree (§4). Ours:
// merkle::constraints::MerklePathVar::root on a record::code_set path.
template CodeSetRoot() {
    signal input code;
    signal input siblings[CODE_SET_DEPTH()];
    signal input indices[CODE_SET_DEPTH()];
    signal output root;

    component path = MerkleRoot(CODE_SET_DEPTH());
    path.leaf <== code;
    for (var k = 0; k < CODE_SET_DEPTH(); k++) {
        path.siblings[k] <== siblings[k];
        path.indices[k] <== indices[k];
    }
    root <== path.root;
}

// lo <= x <= hi, inclusive both sides, for n-bit bounds (ours, n = 64:
// range::constraints::enforce_in_range). lo and hi are range-checked to n bits, as
// LessEqThan(n) requires of its inputs; LessEqThan(n) then puts x - lo and hi - x in [0, 2^n)
// (each a 65-bit decomposition whose top bit the `=== 1` fixes), ours' four checks exactly,
// so x < 2^n follows and x needs no check of its own (docs/spec.md §10.8, relation 3). A
// bound past 2^n, or an x that wraps the field, leaves no witness.
template InclusiveRange(n) {
    signal input lo;
    signal input x;
    signal input hi;

    component lo_bits = Num2Bits(n);
    lo_bits.in <== lo;
    component hi_bits = Num2Bits(n);
    hi_bits.in <== hi;

    component at_least_lo = LessEqThan(n);
    at_least_lo.in[0] <== lo;
    at_least_lo.in[1] <== x;
    at_least_lo.out === 1;

    component at_most_hi = LessEqThan(n);
    at_most_hi.in[0] <== x;
    at_most_hi.in[1] <== hi;
    at_most_hi.out === 1;
}
