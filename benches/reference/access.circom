pragma circom 2.1.0;

// zkconsent's Access statement at the default tree depth, 20 (see zkconsent_access.circom).
// Public signals, in order: grants_root, now, scope, purpose, patient_ref, request_hash,
// access_tag (circuits/src/access/mod.rs `inputs`).

include "zkconsent_access.circom";

component main {public [grants_root, now, scope, purpose, patient_ref, request_hash, access_tag]} = Access(20);
