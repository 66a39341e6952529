//! Semantic newtypes for the public API: roots, ids, tags and times are never bare `Fr`/`u64`.
//!
//! Types holding secrets (`SecretKey`, `GrantSalt`, `RecordSalt`) have a redacting `Debug` and
//! no `Display`.

use crate::{domain, poseidon};
use ark_bn254::Fr;
use ark_ff::UniformRand;
use rand::{CryptoRng, RngCore};

/// Defines a public field-element newtype with a hex `Debug`.
macro_rules! field_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub Fr);

        impl $name {
            /// The underlying field element.
            pub fn to_fr(self) -> Fr {
                self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}(0x{})", stringify!($name), crate::fr_to_hex(&self.0))
            }
        }
    };
}

field_newtype!(
    /// Root of the grants tree, as anchored in the registry.
    GrantsRoot
);
field_newtype!(
    /// Public id of a patient or clinician: `H_identity(secret)`.
    IdentityId
);
field_newtype!(
    /// A grant leaf: the Poseidon commitment to a [`crate::grant::Grant`].
    GrantCommitment
);
field_newtype!(
    /// Identifier of a verifier (record custodian, hospital, app backend).
    VerifierId
);
field_newtype!(
    /// A fresh value chosen by the verifier for one request (may digest the request body).
    Nonce
);
field_newtype!(
    /// `H_request(verifier_id, nonce)`: binds a proof to one verifier and one request.
    RequestHash
);
field_newtype!(
    /// `H_patient_ref(patient_id, verifier_id)`: the patient as one verifier sees them.
    PatientRef
);
field_newtype!(
    /// `H_access_tag(grant_salt, request_hash)`: lets the patient audit every use of a grant.
    AccessTag
);

field_newtype!(
    /// Root of the records tree (anchored FHIR record fingerprints).
    RecordsRoot
);
field_newtype!(
    /// A record leaf: the Poseidon commitment to a [`crate::record::Record`].
    RecordCommitment
);
field_newtype!(
    /// A code identifier: the low 248 bits of `SHA-256(system | "|" | code)`, so that a
    /// coding (SNOMED, LOINC, CVX, …) is one field element JavaScript and Solidity reproduce.
    CodeId
);
field_newtype!(
    /// The low 248 bits of the SHA-256 of a FHIR resource's canonical JSON.
    ResourceDigest
);

impl RequestHash {
    /// `H_request(verifier_id, nonce)`.
    pub fn derive(verifier: VerifierId, nonce: Nonce) -> Self {
        Self(poseidon::hash_with_domain(
            domain::REQUEST,
            &[verifier.0, nonce.0],
        ))
    }
}

impl PatientRef {
    /// `H_patient_ref(patient_id, verifier_id)`.
    pub fn derive(patient: IdentityId, verifier: VerifierId) -> Self {
        Self(poseidon::hash_with_domain(
            domain::PATIENT_REF,
            &[patient.0, verifier.0],
        ))
    }
}

impl AccessTag {
    /// `H_access_tag(grant_salt, request_hash)`.
    pub fn derive(salt: &GrantSalt, request: RequestHash) -> Self {
        Self(poseidon::hash_with_domain(
            domain::ACCESS_TAG,
            &[salt.0, request.0],
        ))
    }
}

/// Seconds since the Unix epoch (UTC). Circuits range-check it to 64 bits. Displays as ISO
/// 8601 UTC (`2026-12-04T18:39:01Z`), which is how every message shows a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// As a field element.
    pub fn to_fr(self) -> Fr {
        Fr::from(self.0)
    }
}

impl core::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::calendar::fmt_timestamp(*self, f)
    }
}

/// A calendar day: the number of days after 1799-12-31 (proleptic Gregorian calendar, no
/// time zone), so 1800-01-01 is day 1 ([`Self::FIRST`]) and 2199-12-31 is day 146 097
/// ([`Self::LAST`]); day 0 is [`Self::NONE`] and is no date. The range and the reasons for it
/// are in [`crate::calendar`]. Displays as `YYYY-MM-DD` (`(no date)` for [`Self::NONE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EpochDay(pub u64);

impl EpochDay {
    /// "No date": the value of an absent optional date (an end date that is not there). It
    /// is not a day of the calendar, so it can never be confused with one.
    pub const NONE: Self = Self(0);
    /// The first day: 1800-01-01.
    pub const FIRST: Self = Self(1);
    /// The last day: 2199-12-31 (one 400-year Gregorian cycle after [`Self::FIRST`]).
    pub const LAST: Self = Self(146_097);

    /// As a field element.
    pub fn to_fr(self) -> Fr {
        Fr::from(self.0)
    }

    /// Whether this is a day of the calendar ([`Self::FIRST`] to [`Self::LAST`]), not
    /// [`Self::NONE`] or past the end.
    pub const fn is_date(self) -> bool {
        Self::FIRST.0 <= self.0 && self.0 <= Self::LAST.0
    }

    /// The day of a calendar date; `None` for an impossible date (2011-02-29, month 13) or
    /// one outside 1800-01-01 to 2199-12-31.
    pub fn from_civil(date: crate::calendar::CivilDate) -> Option<Self> {
        crate::calendar::epoch_day(date)
    }

    /// The calendar date of this day; `None` for [`Self::NONE`] and past [`Self::LAST`].
    pub fn civil(self) -> Option<crate::calendar::CivilDate> {
        crate::calendar::civil_date(self)
    }

    /// The day (UTC) a Unix time falls in: the one conversion from seconds to days. `None`
    /// from 2200-01-01T00:00:00Z on.
    pub const fn of_timestamp(time: Timestamp) -> Option<Self> {
        let day = time.0 / crate::calendar::SECONDS_PER_DAY + crate::calendar::UNIX_EPOCH_DAY.0;
        let day = Self(day);
        if day.is_date() {
            Some(day)
        } else {
            None
        }
    }
}

impl core::fmt::Display for EpochDay {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::calendar::fmt_epoch_day(*self, f)
    }
}

/// A scope bitmask: bit `i` grants (or requests) access category `i`; up to 64 categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Scope(pub u64);

impl Scope {
    /// Whether every category in `requested` is in `self`.
    pub fn covers(self, requested: Scope) -> bool {
        requested.0 & !self.0 == 0
    }

    /// As a field element.
    pub fn to_fr(self) -> Fr {
        Fr::from(self.0)
    }
}

/// A purpose-of-use code (e.g. treatment, payment, research); compared for equality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Purpose(pub u64);

impl Purpose {
    /// As a field element.
    pub fn to_fr(self) -> Fr {
        Fr::from(self.0)
    }
}

/// An identity's secret key. Its id is `H_identity(secret)`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub Fr);

impl SecretKey {
    /// A fresh uniformly random key.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(Fr::rand(rng))
    }

    /// The public id `H_identity(secret)`.
    pub fn id(&self) -> IdentityId {
        IdentityId(poseidon::hash_with_domain(domain::IDENTITY, &[self.0]))
    }
}

// Cleared when dropped (copies the caller made of the field element are the caller's).
impl Drop for SecretKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The hiding salt of a grant, known to the patient and the grantee only.
#[derive(Clone, PartialEq, Eq)]
pub struct GrantSalt(pub Fr);

impl GrantSalt {
    /// A fresh uniformly random salt.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(Fr::rand(rng))
    }
}

// Cleared when dropped (copies the caller made of the field element are the caller's).
impl Drop for GrantSalt {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl core::fmt::Debug for GrantSalt {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("GrantSalt(<redacted>)")
    }
}

/// The hiding salt of a record leaf, known to the record custodian only.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordSalt(pub Fr);

impl RecordSalt {
    /// A fresh uniformly random salt.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(Fr::rand(rng))
    }
}

// Cleared when dropped (copies the caller made of the field element are the caller's).
impl Drop for RecordSalt {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl core::fmt::Debug for RecordSalt {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RecordSalt(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_covers_is_subset() {
        assert!(Scope(0b1011).covers(Scope(0b0011)));
        assert!(Scope(0b1011).covers(Scope(0)));
        assert!(!Scope(0b1011).covers(Scope(0b0100)));
        assert!(Scope(u64::MAX).covers(Scope(u64::MAX)));
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = format!(
            "{:?} {:?} {:?}",
            SecretKey(Fr::from(7u64)),
            GrantSalt(Fr::from(9u64)),
            RecordSalt(Fr::from(5u64))
        );
        assert!(
            !s.contains('7') && !s.contains('9') && !s.contains('5'),
            "{s}"
        );
    }
}
