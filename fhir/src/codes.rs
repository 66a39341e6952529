//! Code ids and digests: SHA-256 reduced to 248 bits, so a value is a field element that
//! JavaScript and Solidity reproduce with one hash and one mask.
//!
//! `code_id(system, code) = SHA-256(UTF-8(system + "|" + code)) mod 2^248`, the hash read as
//! a big-endian integer (equivalently: zero its first byte). 2^248 < r, so no reduction
//! modulo the field is ever needed and the value is canonical.

use ark_bn254::Fr;
use ark_ff::PrimeField;
use sha2::{Digest, Sha256};
use zkconsent_circuits::{
    record::ResourceIdentity,
    types::{CodeId, ResourceDigest},
};

/// Code system of `Patient.gender` (FHIR's AdministrativeGender value set).
pub const ADMINISTRATIVE_GENDER_SYSTEM: &str = "http://hl7.org/fhir/administrative-gender";
/// Pseudo code system of insurance coverages (`code_id(COVERAGE_SYSTEM, display)`).
pub const COVERAGE_SYSTEM: &str = "zkconsent:coverage";
/// Separator between system and code. URIs cannot contain it, so `system|code` is
/// unambiguous as long as systems are checked ([`is_valid_system`]).
pub const SYSTEM_CODE_SEPARATOR: char = '|';
/// Bits of a SHA-256 digest kept (the low 31 bytes).
pub const KEPT_BITS: usize = 248;

/// The low 248 bits of a SHA-256 digest (read big-endian) as a field element.
pub fn low_248_bits(digest: &[u8; 32]) -> Fr {
    let mut bytes = *digest;
    bytes[0] = 0;
    // Below 2^248 < r: the reduction is the identity.
    Fr::from_be_bytes_mod_order(&bytes)
}

/// The low 248 bits of `SHA-256(data)`.
pub fn sha256_248(data: &[u8]) -> Fr {
    low_248_bits(&Sha256::digest(data).into())
}

/// Whether `system` can be a coding system here: non-empty, no separator.
pub fn is_valid_system(system: &str) -> bool {
    !system.is_empty() && !system.contains(SYSTEM_CODE_SEPARATOR)
}

/// `code_id(system, code)`: the low 248 bits of `SHA-256(system + "|" + code)`.
///
/// The caller checks [`is_valid_system`] and that `code` is non-empty; this function only
/// hashes.
pub fn code_id(system: &str, code: &str) -> CodeId {
    let mut hasher = Sha256::new();
    hasher.update(system.as_bytes());
    let mut sep = [0u8; 4];
    hasher.update(SYSTEM_CODE_SEPARATOR.encode_utf8(&mut sep).as_bytes());
    hasher.update(code.as_bytes());
    CodeId(low_248_bits(&hasher.finalize().into()))
}

/// The digest of a resource's canonical JSON bytes.
pub fn resource_digest(canonical: &[u8]) -> ResourceDigest {
    ResourceDigest(sha256_248(canonical))
}

/// A resource's identity across versions: the low 248 bits of `SHA-256("Type/id")`.
///
/// The caller checks that `resource_type` and `id` are a FHIR type name and id (neither can
/// contain `/`, so the reference is unambiguous).
pub fn resource_identity(resource_type: &str, id: &str) -> ResourceIdentity {
    ResourceIdentity(sha256_248(format!("{resource_type}/{id}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::BigInteger;
    use zkconsent_circuits::fr_to_hex;

    #[test]
    fn code_id_known_answers() {
        // SHA-256("http://snomed.info/sct|49727002") with its first byte zeroed; reproduce with
        // `printf '%s' 'http://snomed.info/sct|49727002' | sha256sum`.
        let id = code_id("http://snomed.info/sct", "49727002");
        let full = hex::encode(Sha256::digest(b"http://snomed.info/sct|49727002"));
        assert_eq!(fr_to_hex(&id.0)[2..], full[2..]);
        assert_eq!(&fr_to_hex(&id.0)[..2], "00");
        assert_eq!(
            fr_to_hex(&id.0),
            "009790cc2b7dfc37c794acbc3e7ddd9ccc6a7091a234ccffb36a62933fd3abf1"
        );
        assert_eq!(
            fr_to_hex(&code_id(ADMINISTRATIVE_GENDER_SYSTEM, "female").0),
            "00f4e19d2faa6d5ac37588beebe5c9d9db4bc3a6496e1ccea9f3392380ab0f2b"
        );
        // The empty digest (e3b0c442…) shows the mask.
        assert_eq!(
            fr_to_hex(&sha256_248(b"")),
            "00b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn every_value_is_below_2_248() {
        for data in [&b"a"[..], b"zkconsent", &[0xff; 100]] {
            let x = sha256_248(data);
            assert!(x.into_bigint().num_bits() <= KEPT_BITS as u32);
        }
        assert!(low_248_bits(&[0xff; 32]).into_bigint().num_bits() == KEPT_BITS as u32);
    }

    #[test]
    fn systems_are_checked_for_the_separator() {
        assert!(is_valid_system("http://loinc.org"));
        assert!(!is_valid_system(""));
        assert!(!is_valid_system("a|b"));
        // Why: these two would otherwise collide.
        assert_eq!(code_id("a|b", "c"), code_id("a", "b|c"));
    }
}
