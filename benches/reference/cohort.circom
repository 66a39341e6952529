pragma circom 2.1.0;

// zkconsent's Cohort statement at the default tree depth, 20 (see zkconsent_cohort.circom).
// Public signals, in order: records_root, grants_root, now, scope, purpose, birth_lo,
// birth_hi, summary_not_before, inclusion_root, exclusion_hash, study, nullifier,
// request_hash (circuits/src/cohort/statement.rs `inputs`).

include "zkconsent_cohort.circom";

component main {public [records_root, grants_root, now, scope, purpose, birth_lo, birth_hi, summary_not_before, inclusion_root, exclusion_hash, study, nullifier, request_hash]} = Cohort(20);
