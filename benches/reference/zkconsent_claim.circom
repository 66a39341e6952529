pragma circom 2.1.0;

// A circom reference for zkconsent's Claim statement (docs/spec.md §10.9), written the way a
// circom developer would with circomlib, for comparing constraint counts
// (tests/circom_reference_records.rs). It proves the same relation as `circuits/src/claim/`
// with the same public inputs in the same order, the same hashes and domain tags (the record
// leaf, H_policy, H_claim.nullifier, H_request), the same Merkle path convention (records tree
// of `depth`, covered set of depth 8 with the code id as its leaf) and the same checks.
//
// Compile with circomlib's circuits directory on the library path:
//   circom2 claim.circom --r1cs --wasm --O2 -l interop/node_modules/circomlib/circuits

include "zkconsent_lib.circom";     // domain tags, TaggedPoseidon, MerkleRoot, RecordLeaf
include "zkconsent_records.circom"; // CODE_SET_DEPTH, CodeSetRoot
include "comparators.circom";       // IsZero

// Claim, for a records tree of `depth`. All nine public signals are inputs, declared in
// circuit order (circuits/src/claim/statement.rs `inputs`); main lists them as public, so the
// witness's public signals are [records_root, kind, service_code, service_date, amount,
// covered_set_root, policy, nullifier, request_hash], exactly our
// `ClaimPublic::to_field_elements()`.
template Claim(depth) {
    var CLAIM_KIND = 6; // RecordKind::Claim
    var EOB_KIND = 7;   // RecordKind::ExplanationOfBenefit

    // Public.
    signal input records_root;
    signal input kind;
    signal input service_code;
    signal input service_date;
    signal input amount;
    signal input covered_set_root;
    signal input policy;
    signal input nullifier;
    signal input request_hash;

    // Private: the tuple's other seven fields (kind, code, date and value are the public
    // signals), its records path, the diagnosis's path in the covered set, and the insurer id
    // and nonce. Ours also witnesses the two inverses as hints; here IsZero computes them.
    signal input end_date;
    signal input diagnosis;    // the tuple's related_code
    signal input patient_id;   // the tuple's patient
    signal input coverage;
    signal input digest;
    signal input salt;
    signal input identity;     // the service: the Claim's identity (an EOB's is its claim's)
    signal input path_siblings[depth];
    signal input path_indices[depth];
    signal input covered_siblings[CODE_SET_DEPTH()];
    signal input covered_indices[CODE_SET_DEPTH()];
    signal input insurer_id;
    signal input nonce;

    // 1. Kind: a Claim or an ExplanationOfBenefit, nothing else.
    (kind - CLAIM_KIND) * (kind - EOB_KIND) === 0;

    // 2, 3. Membership and disclosure: the leaf over the tuple in tuple order
    //    (docs/spec.md §10.2), hashed up the path to the public root, and non-zero. Ours
    //    witnesses kind, code, date and value and enforces each equal to its public input
    //    (4 constraints); here the public signals are the leaf fields, so disclosure is free.
    component leaf = RecordLeaf();
    leaf.tuple[0] <== kind;
    leaf.tuple[1] <== service_code;
    leaf.tuple[2] <== service_date;
    leaf.tuple[3] <== end_date;
    leaf.tuple[4] <== amount;
    leaf.tuple[5] <== diagnosis;
    leaf.tuple[6] <== patient_id;
    leaf.tuple[7] <== coverage;
    leaf.tuple[8] <== digest;
    leaf.tuple[9] <== salt;
    leaf.tuple[10] <== identity;

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

    // 4. Diagnosis: present (a claim without one has 0, which is also what an empty slot of
    //    the set holds) and in the covered set.
    component diagnosis_is_zero = IsZero();
    diagnosis_is_zero.in <== diagnosis;
    diagnosis_is_zero.out === 0;

    component covered = CodeSetRoot();
    covered.code <== diagnosis;
    for (var k = 0; k < CODE_SET_DEPTH(); k++) {
        covered.siblings[k] <== covered_siblings[k];
        covered.indices[k] <== covered_indices[k];
    }
    covered.root === covered_set_root;

    // 5. Coverage: insured (a claim without insurance matches no policy), under this policy:
    //    policy = H_policy(patient_id, coverage).
    component coverage_is_zero = IsZero();
    coverage_is_zero.in <== coverage;
    coverage_is_zero.out === 0;

    component policy_hash = TaggedPoseidon(2, TAG_POLICY());
    policy_hash.in[0] <== patient_id;
    policy_hash.in[1] <== coverage;
    policy_hash.out === policy;

    // 6. Nullifier: H_claim.nullifier(identity, insurer_id): per service, not per version.
    component nullifier_hash = TaggedPoseidon(2, TAG_CLAIM_NULLIFIER());
    nullifier_hash.in[0] <== identity;
    nullifier_hash.in[1] <== insurer_id;
    nullifier_hash.out === nullifier;

    // 7. Request: H_request(insurer_id, nonce), the nullifier's insurer, so a proof made for
    //    one insurer cannot carry another insurer's nullifier.
    component request = TaggedPoseidon(2, TAG_REQUEST());
    request.in[0] <== insurer_id;
    request.in[1] <== nonce;
    request.out === request_hash;
}
