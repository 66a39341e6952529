//! Domain tags: every Poseidon use in zkconsent carries one, in the capacity element.
//!
//! A tag is the ASCII string, read as a big-endian integer (all are under 31 bytes, so below
//! the field modulus). Solidity and JavaScript reproduce a tag with
//! `BigInt("0x" + Buffer.from(name).toString("hex"))`; `zkconsent poseidon --domain NAME`
//! prints the domain-separated hash for checking.

use ark_bn254::Fr;
use ark_ff::PrimeField;

/// A Poseidon domain tag (the capacity element's initial value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainTag(&'static str);

impl DomainTag {
    /// The tag's readable name.
    pub const fn name(self) -> &'static str {
        self.0
    }

    /// The tag as a field element: the name's bytes as a big-endian integer.
    pub fn value(self) -> Fr {
        Fr::from_be_bytes_mod_order(self.0.as_bytes())
    }

    /// Looks a tag up by name (for the CLI).
    pub fn by_name(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|t| t.0 == name)
    }
}

/// Merkle inner node: `H(left, right)`.
pub const MERKLE_NODE: DomainTag = DomainTag("zkconsent.merkle.node");
/// Identity id from a secret key: `id = H(secret)` (patients and grantees alike).
pub const IDENTITY: DomainTag = DomainTag("zkconsent.identity");
/// Grant leaf commitment.
pub const GRANT_LEAF: DomainTag = DomainTag("zkconsent.grant.leaf");
/// Patient reference scoped to one verifier: `H(patient_id, verifier_id)`.
pub const PATIENT_REF: DomainTag = DomainTag("zkconsent.patient.ref");
/// Request hash: `H(verifier_id, nonce)`.
pub const REQUEST: DomainTag = DomainTag("zkconsent.request");
/// Access tag: `H(grant_salt, request_hash)`.
pub const ACCESS_TAG: DomainTag = DomainTag("zkconsent.access.tag");
/// Record leaf commitment: `H(kind, code, date, …, digest, salt)` over a FHIR record's tuple.
pub const RECORD_LEAF: DomainTag = DomainTag("zkconsent.record.leaf");

/// Policy commitment of an insured patient: `H(patient_id, coverage)` (Claim).
pub const POLICY: DomainTag = DomainTag("zkconsent.policy");
/// Claim nullifier: `H(claim digest, insurer_id)` (Claim).
pub const CLAIM_NULLIFIER: DomainTag = DomainTag("zkconsent.claim.nullifier");
/// A patient's condition list in a condition summary (Cohort).
pub const CONDITION_LIST: DomainTag = DomainTag("zkconsent.condition.list");
/// A study's exclusion list (Cohort).
pub const EXCLUSION_SET: DomainTag = DomainTag("zkconsent.exclusion.set");
/// Cohort nullifier: `H(patient_secret, study_id)` (Cohort).
pub const COHORT_NULLIFIER: DomainTag = DomainTag("zkconsent.cohort.nullifier");

/// Every tag, for lookup and for the distinctness test.
pub const ALL: [DomainTag; 12] = [
    MERKLE_NODE,
    IDENTITY,
    GRANT_LEAF,
    PATIENT_REF,
    REQUEST,
    ACCESS_TAG,
    RECORD_LEAF,
    POLICY,
    CLAIM_NULLIFIER,
    CONDITION_LIST,
    EXCLUSION_SET,
    COHORT_NULLIFIER,
];

/// Longest tag name that still fits below the field modulus as a big-endian integer.
pub const MAX_TAG_BYTES: usize = 31;

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::BigInteger;

    #[test]
    fn tags_are_distinct_short_and_exact() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(a.name().len() <= MAX_TAG_BYTES, "{} too long", a.name());
            // Below the modulus: the value's big-endian bytes are the name itself.
            let bytes = a.value().into_bigint().to_bytes_be();
            let trimmed: Vec<u8> = bytes.into_iter().skip_while(|b| *b == 0).collect();
            assert_eq!(trimmed, a.name().as_bytes());
            for b in &ALL[i + 1..] {
                assert_ne!(a.value(), b.value());
            }
        }
    }
}
