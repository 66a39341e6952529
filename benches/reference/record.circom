pragma circom 2.1.0;

// zkconsent's Record statement at the default tree depth, 20 (see zkconsent_record.circom).
// Public signals, in order: records_root, disclose_mask, disclosed_kind … disclosed_digest
// (the array `disclosed`), value_lo, value_hi, date_lo, date_hi, set_field, code_set_root,
// request_hash (circuits/src/record/statement.rs `inputs`).

include "zkconsent_record.circom";

component main {public [records_root, disclose_mask, disclosed, value_lo, value_hi, date_lo, date_hi, set_field, code_set_root, request_hash]} = Record(20);
