//! FHIR R4 Consent in and out over a home: a Consent file read as the terms of a grant
//! (`grant issue --consent`), and a grant of the wallet written as a Consent (`grant
//! export --fhir`).
//!
//! The FHIR side (which elements, codes and systems are read or written, and what is
//! refused) is [`crate::fhir::consent`]; this module maps its scope families and purposes
//! onto the project's [`Scope`] bits and [`Purpose`] numbers ([`crate::vocab`]), applies
//! "now" to a window without a start, and gathers an export's parts from the wallet (the
//! opening, the patient's FHIR binding) and the registry (status and issue time).

use crate::{
    files::{read_limited, FileError},
    home::{Home, HomeError},
    registry::GrantStatus,
    vocab::{PURPOSES, SCOPE_BITS},
};
use std::{collections::BTreeSet, path::Path};
use zkconsent_circuits::types::{Purpose, Scope, Timestamp};
use zkconsent_fhir::consent::{
    self as fhir_consent, ConsentDocument, ConsentPatient, ConsentPurpose, ConsentStatus,
    ConsentTerms, ScopeFamily, MAX_CONSENT_BYTES,
};

/// Why a Consent could not be read as a grant, or a grant written as a Consent.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// The file could not be read.
    #[error("{0}")]
    File(#[from] FileError),
    /// The Consent is malformed, or says something a grant cannot.
    #[error("{path}: {source}")]
    Fhir {
        /// The file (or `consent` for bytes).
        path: String,
        /// Why, naming the field.
        source: fhir_consent::ConsentError,
    },
    /// The Consent is about another patient than the grant's.
    #[error("the Consent is about {consent}, not {patient}{bound}")]
    OtherPatient {
        /// Who the Consent names.
        consent: String,
        /// The grant's patient.
        patient: String,
        /// The patient's FHIR binding, when that is what differs.
        bound: String,
    },
    /// The wallet holds no opening for this grant.
    #[error("grant {0}: no opening in this home's wallet (only the patient's and the grantee's homes can export a grant)")]
    UnknownGrant(u64),
    /// The registry does not know this grant.
    #[error("grant {0}: not in the registry")]
    NotInRegistry(u64),
    /// The grant's scope or purpose has no FHIR code.
    #[error("grant {index}: {reason}; it cannot be written as a FHIR Consent")]
    Unexportable {
        /// The grant.
        index: u64,
        /// What has no code.
        reason: String,
    },
    /// The wallet or registry failed.
    #[error("{0}")]
    Home(#[from] HomeError),
}

impl ConsentError {
    /// Whether the input can never succeed (exit 2) rather than being refused (exit 1): a
    /// bad or unreadable file, or a grant this home does not have.
    pub fn is_malformed(&self) -> bool {
        match self {
            Self::File(_) | Self::Fhir { .. } | Self::UnknownGrant(_) => true,
            Self::OtherPatient { .. } | Self::NotInRegistry(_) | Self::Unexportable { .. } => false,
            Self::Home(e) => !matches!(e, HomeError::Registry(_) | HomeError::Wallet(_)),
        }
    }
}

/// The terms of a grant, from a Consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantTerms {
    /// The grantee's identity name.
    pub grantee: String,
    /// The scope.
    pub scope: Scope,
    /// The purpose.
    pub purpose: Purpose,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity (exclusive).
    pub not_after: Timestamp,
    /// Who the Consent is about, if it says.
    pub patient: Option<ConsentPatient>,
}

/// The scope bit of a family (by its name in [`SCOPE_BITS`]).
fn family_bit(family: ScopeFamily) -> Option<u32> {
    SCOPE_BITS
        .iter()
        .find(|(_, name)| *name == family.name())
        .map(|(bit, _)| *bit)
}

/// The scope of a set of families: the union of their bits.
///
/// # Errors
///
/// A family without a scope bit (a vocabulary out of step with the FHIR mapping: a bug).
pub fn scope_of(families: &BTreeSet<ScopeFamily>) -> Result<Scope, String> {
    families.iter().try_fold(Scope(0), |scope, &family| {
        let bit = family_bit(family)
            .ok_or_else(|| format!("scope family {} has no scope bit", family.name()))?;
        Ok(Scope(scope.0 | 1 << bit))
    })
}

/// The families of a scope.
///
/// # Errors
///
/// Bits that name no family (a scope given as a raw mask), as text.
pub fn families_of(scope: Scope) -> Result<BTreeSet<ScopeFamily>, String> {
    let mut rest = scope.0;
    let mut families = BTreeSet::new();
    for family in ScopeFamily::ALL {
        if let Some(bit) = family_bit(family) {
            if rest & 1 << bit != 0 {
                families.insert(family);
                rest &= !(1 << bit);
            }
        }
    }
    if rest != 0 {
        return Err(format!(
            "scope bits 0x{rest:x} name no resource type family"
        ));
    }
    if families.is_empty() {
        return Err("the scope is empty".into());
    }
    Ok(families)
}

/// The purpose number of a FHIR purpose (by its name in [`PURPOSES`]).
///
/// # Errors
///
/// A purpose without a number (a vocabulary out of step: a bug), as text.
pub fn purpose_of(purpose: ConsentPurpose) -> Result<Purpose, String> {
    PURPOSES
        .iter()
        .find(|(_, name, code)| *name == purpose.name() && *code == purpose.code())
        .map(|(n, _, _)| Purpose(*n))
        .ok_or_else(|| format!("purpose {} has no number", purpose.code()))
}

/// The FHIR purpose of a purpose number.
///
/// # Errors
///
/// A number that is none of the named purposes, as text.
pub fn consent_purpose(purpose: Purpose) -> Result<ConsentPurpose, String> {
    PURPOSES
        .iter()
        .find(|(n, _, _)| *n == purpose.0)
        .and_then(|(_, name, _)| ConsentPurpose::from_name(name))
        .ok_or_else(|| format!("purpose {} has no HL7 ActReason code", purpose.0))
}

/// Reads a Consent's bytes as grant terms; a window without a start begins at `now`.
/// `path` only names the source in errors.
///
/// # Errors
///
/// [`ConsentError::Fhir`] naming the field (and the system and code of an unknown coding).
pub fn terms_from_bytes(
    bytes: &[u8],
    path: &str,
    now: Timestamp,
) -> Result<GrantTerms, ConsentError> {
    let fhir = |source| ConsentError::Fhir {
        path: path.to_owned(),
        source,
    };
    let parsed = fhir_consent::parse(bytes).map_err(fhir)?;
    let (not_before, not_after) = parsed.terms.window(now).map_err(fhir)?;
    let bug = |reason: String| ConsentError::Fhir {
        path: path.to_owned(),
        source: fhir_consent::ConsentError::Structure(reason),
    };
    Ok(GrantTerms {
        scope: scope_of(&parsed.terms.scope).map_err(bug)?,
        purpose: purpose_of(parsed.terms.purpose).map_err(bug)?,
        grantee: parsed.terms.grantee,
        not_before,
        not_after,
        patient: parsed.patient,
    })
}

/// Reads a Consent file (at most [`MAX_CONSENT_BYTES`]) as grant terms.
///
/// # Errors
///
/// An unreadable file, or see [`terms_from_bytes`].
pub fn read_terms(path: &Path, now: Timestamp) -> Result<GrantTerms, ConsentError> {
    let bytes = read_limited(path, MAX_CONSENT_BYTES)?;
    terms_from_bytes(&bytes, &path.display().to_string(), now)
}

impl GrantTerms {
    /// Checks that the Consent is about `patient_name`: an identity name must be it; a
    /// FHIR reference must be the patient's bound FHIR Patient when this home has bound
    /// one (anchoring binds it), and cannot be checked otherwise.
    ///
    /// # Errors
    ///
    /// [`ConsentError::OtherPatient`], or a wallet error.
    pub fn check_patient(&self, home: &Home, patient_name: &str) -> Result<(), ConsentError> {
        match &self.patient {
            None => Ok(()),
            Some(ConsentPatient::Name(name)) if name == patient_name => Ok(()),
            Some(ConsentPatient::Name(name)) => Err(ConsentError::OtherPatient {
                consent: name.clone(),
                patient: patient_name.to_owned(),
                bound: String::new(),
            }),
            Some(ConsentPatient::Reference(reference)) => {
                match home
                    .wallet()?
                    .fhir_patient(patient_name)
                    .map_err(HomeError::from)?
                {
                    Some(bound) if bound.reference != *reference => {
                        Err(ConsentError::OtherPatient {
                            consent: reference.clone(),
                            patient: patient_name.to_owned(),
                            bound: format!(" (bound to {})", bound.reference),
                        })
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

/// Grant `index` of this home's wallet as a FHIR R4 Consent: `active`, or `inactive` once
/// the registry shows it revoked; the patient as their bound FHIR Patient if this home
/// anchored their records, else by identity name; `dateTime` the issue time.
///
/// # Errors
///
/// No opening in the wallet, a grant the registry does not know, a scope or purpose
/// without a FHIR code, wallet or registry errors.
pub fn export_grant(home: &Home, index: u64) -> Result<serde_json::Value, ConsentError> {
    let opening = match home.wallet()?.grant(index) {
        Ok(o) => o,
        Err(crate::wallet::WalletError::UnknownGrant(_)) => {
            return Err(ConsentError::UnknownGrant(index))
        }
        Err(e) => return Err(HomeError::from(e).into()),
    };
    let record = home
        .registry
        .grant(index)
        .map_err(HomeError::from)?
        .ok_or(ConsentError::NotInRegistry(index))?;
    let unexportable = |reason| ConsentError::Unexportable { index, reason };
    let grant = &opening.grant;
    let patient = match home
        .wallet()?
        .fhir_patient(&opening.patient_name)
        .map_err(HomeError::from)?
    {
        Some(bound) => ConsentPatient::Reference(bound.reference),
        None => ConsentPatient::Name(opening.patient_name.clone()),
    };
    let document = ConsentDocument {
        id: None,
        status: match record.status {
            GrantStatus::Active => ConsentStatus::Active,
            GrantStatus::Revoked => ConsentStatus::Inactive,
        },
        patient,
        issued: record.issued_at,
        terms: ConsentTerms {
            grantee: opening.grantee_name.clone(),
            scope: families_of(grant.scope).map_err(unexportable)?,
            purpose: consent_purpose(grant.purpose).map_err(unexportable)?,
            not_before: Some(grant.not_before),
            not_after: grant.not_after,
        },
    };
    fhir_consent::to_fhir(&document).map_err(|e| unexportable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{parse_purpose, parse_scope};

    #[test]
    fn every_family_is_a_scope_bit_and_back() {
        for family in ScopeFamily::ALL {
            let scope = scope_of(&BTreeSet::from([family])).unwrap();
            assert_eq!(scope, parse_scope(family.name()).unwrap());
            assert_eq!(families_of(scope).unwrap(), BTreeSet::from([family]));
        }
        // Every named bit has a family: an export never loses a named scope.
        for (bit, name) in SCOPE_BITS {
            assert_eq!(
                families_of(Scope(1 << bit)).unwrap(),
                BTreeSet::from([ScopeFamily::from_name(name).unwrap()])
            );
        }
        let all = parse_scope("all").unwrap();
        assert_eq!(families_of(all).unwrap().len(), ScopeFamily::ALL.len());
        assert!(families_of(Scope(1 << 40))
            .unwrap_err()
            .contains("0x10000000000"));
        assert!(families_of(Scope(0)).is_err());
    }

    #[test]
    fn every_purpose_is_a_number_and_back() {
        for p in ConsentPurpose::ALL {
            let n = purpose_of(p).unwrap();
            assert_eq!(n, parse_purpose(p.code()).unwrap());
            assert_eq!(n, parse_purpose(p.name()).unwrap());
            assert_eq!(consent_purpose(n).unwrap(), p);
        }
        assert_eq!(PURPOSES.len(), ConsentPurpose::ALL.len());
        assert!(consent_purpose(Purpose(7)).is_err());
    }

    fn consent(period: serde_json::Value, purpose: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "resourceType": "Consent",
            "status": "active",
            "patient": { "identifier": { "system": fhir_consent::IDENTITY_NAME_SYSTEM, "value": "alice" } },
            "provision": {
                "type": "permit",
                "period": period,
                "actor": [{ "reference": { "display": "bob" } }],
                "purpose": [{ "system": fhir_consent::ACT_REASON_SYSTEM, "code": purpose }],
                "class": [
                    { "system": fhir_consent::RESOURCE_TYPES_SYSTEM, "code": "Observation" },
                    { "system": fhir_consent::RESOURCE_TYPES_SYSTEM, "code": "Condition" },
                    { "system": fhir_consent::RESOURCE_TYPES_SYSTEM, "code": "DiagnosticReport" }
                ]
            }
        }))
        .unwrap()
    }

    #[test]
    fn terms_in_project_types() {
        let now = Timestamp(1_750_000_000);
        let t = terms_from_bytes(
            &consent(
                serde_json::json!({ "end": "2025-06-16T15:06:39Z" }),
                "HRESCH",
            ),
            "c.json",
            now,
        )
        .unwrap();
        assert_eq!(
            t,
            GrantTerms {
                grantee: "bob".into(),
                scope: parse_scope("conditions,observations").unwrap(),
                purpose: parse_purpose("research").unwrap(),
                not_before: now,
                not_after: Timestamp(now.0 + 86_400),
                patient: Some(ConsentPatient::Name("alice".into())),
            }
        );
        // No start, and an end already past: refused against now.
        let e = terms_from_bytes(
            &consent(
                serde_json::json!({ "end": "2025-06-15T15:06:39Z" }),
                "TREAT",
            ),
            "c.json",
            now,
        )
        .unwrap_err();
        assert!(e.is_malformed());
        assert!(
            e.to_string()
                .starts_with("c.json: Consent.provision.period"),
            "{e}"
        );
        let e = terms_from_bytes(
            &consent(serde_json::json!({ "end": "2026-01-01" }), "HMARKT"),
            "c.json",
            now,
        )
        .unwrap_err();
        assert!(e.is_malformed());
        assert!(e.to_string().contains("\"HMARKT\""), "{e}");
    }

    /// Export then parse gives the same terms, for every named scope and purpose (the
    /// export's FHIR side is tested in `zkconsent_fhir::consent`).
    #[test]
    fn round_trip_through_project_types() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let scope = Scope(x & 0x3ff);
            let purpose = Purpose(1 + (x >> 10) % 5);
            let not_before = Timestamp(1_600_000_000 + (x >> 20) % 1_000_000_000);
            let not_after = Timestamp(not_before.0 + 1 + (x >> 40) % 10_000_000);
            let Ok(families) = families_of(scope) else {
                assert_eq!(scope.0, 0);
                continue;
            };
            let document = ConsentDocument {
                id: None,
                status: ConsentStatus::Active,
                patient: ConsentPatient::Reference("Patient/p1".into()),
                issued: not_before,
                terms: ConsentTerms {
                    grantee: "dr-bob".into(),
                    scope: families,
                    purpose: consent_purpose(purpose).unwrap(),
                    not_before: Some(not_before),
                    not_after,
                },
            };
            let bytes = serde_json::to_vec(&fhir_consent::to_fhir(&document).unwrap()).unwrap();
            // "now" after the start: the window is the Consent's, not now's.
            let t = terms_from_bytes(&bytes, "x", Timestamp(not_after.0 + 5)).unwrap();
            assert_eq!(
                (
                    t.grantee.as_str(),
                    t.scope,
                    t.purpose,
                    t.not_before,
                    t.not_after
                ),
                ("dr-bob", scope, purpose, not_before, not_after)
            );
            assert_eq!(
                t.patient,
                Some(ConsentPatient::Reference("Patient/p1".into()))
            );
        }
    }
}
