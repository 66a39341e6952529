pragma circom 2.1.0;

// zkconsent's Claim statement at the default tree depth, 20 (see zkconsent_claim.circom).
// Public signals, in order: records_root, kind, service_code, service_date, amount,
// covered_set_root, policy, nullifier, request_hash (circuits/src/claim/statement.rs
// `inputs`).

include "zkconsent_claim.circom";

component main {public [records_root, kind, service_code, service_date, amount, covered_set_root, policy, nullifier, request_hash]} = Claim(20);
