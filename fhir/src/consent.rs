//! FHIR R4 Consent in and out: a Consent resource's single `permit` provision read as the
//! terms of one zkconsent grant ([`parse`]), and a grant written back as a Consent
//! ([`to_fhir`]).
//!
//! What is read (everything else that could narrow or widen the grant is refused, so a
//! grant never permits more than the Consent says):
//! - `status` must be `active`;
//! - `provision.type` must be `permit`; `deny`, nested `provision`s, `data`, `dataPeriod`,
//!   `code`, `securityLabel` and any `modifierExtension` cannot be represented by a grant
//!   and are refused;
//! - `provision.class` (one or more Codings of [`RESOURCE_TYPES_SYSTEM`]) gives the scope:
//!   each resource type maps to one [`ScopeFamily`], the scope is their union. No class is
//!   refused: a Consent must name what it grants (FHIR would read it as "all data");
//! - `provision.purpose`: exactly one Coding of [`ACT_REASON_SYSTEM`], one of TREAT,
//!   HPAYMT, HOPERAT, HRESCH, ETREAT ([`ConsentPurpose`]);
//! - `provision.period` gives the window: `end` is required (no grant is valid forever),
//!   `start` is optional (the issuer's "now"). FHIR period ends are inclusive at their
//!   precision, so `end` `2026-07-01T12:00:00Z` gives `not_after` (exclusive) 12:00:01 and a
//!   date-only `end` `2026-07-01` gives the following midnight. Date-only values are read
//!   as UTC days; a time must carry its zone (`Z`, `+hh:mm`, `-hh:mm`), as FHIR requires;
//! - `provision.actor`: exactly one, any role; its `reference.identifier` of system
//!   [`IDENTITY_NAME_SYSTEM`] names the grantee, else its `reference.display`;
//! - `provision.action`, if present, may only say `access` or `use` ([`CONSENT_ACTION_SYSTEM`]).
//!
//! An unknown system or code is refused naming the field, the system and the code. The
//! input is a bare Consent or a Bundle holding exactly one Consent entry, at most
//! [`MAX_CONSENT_BYTES`], parsed strictly (duplicate keys refused, bounded depth, only
//! FHIR R4 Consent elements).

use super::{
    canonical::{self, Json, JsonError},
    dates::{self, DateError, DATE_PREFIX_LEN},
    extract::is_valid_id,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use zkconsent_circuits::{
    calendar::{SECONDS_PER_DAY, UNIX_EPOCH_DAY},
    types::Timestamp,
};

/// Largest Consent file read (a Consent is a few kilobytes).
pub const MAX_CONSENT_BYTES: usize = 1 << 20;
/// `resourceType` of a Consent.
pub const CONSENT_TYPE: &str = "Consent";
/// `resourceType` of a Bundle.
pub const BUNDLE_TYPE: &str = "Bundle";
/// Code system of `provision.class`: FHIR resource type names.
pub const RESOURCE_TYPES_SYSTEM: &str = "http://hl7.org/fhir/resource-types";
/// Code system of `provision.purpose`: HL7 v3 ActReason (the PurposeOfUse codes).
pub const ACT_REASON_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/// Identifier system of a zkconsent identity's name (grantee, and patient when the wallet
/// holds no FHIR Patient for them).
pub const IDENTITY_NAME_SYSTEM: &str = "urn:zkconsent:identity-name";
/// Code system of `Consent.scope`.
pub const CONSENT_SCOPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
/// `Consent.scope` of an exported grant: a privacy consent (who may see which data).
pub const PATIENT_PRIVACY: &str = "patient-privacy";
/// LOINC, the code system of `Consent.category`.
pub const LOINC_SYSTEM: &str = "http://loinc.org";
/// `Consent.category` of an exported grant: LOINC 59284-0, "Consent Document".
pub const CONSENT_DOCUMENT_LOINC: &str = "59284-0";
/// Code system of `Consent.policyRule`.
pub const ACT_CODE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// `Consent.policyRule` of an exported grant: opt-in (R4 invariant ppc-1 requires a policy
/// or a policy rule; a grant is the patient opting in to one disclosure).
pub const OPT_IN: &str = "OPTIN";
/// Code system of `provision.actor.role` in exported grants.
pub const PARTICIPATION_TYPE_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
/// `provision.actor.role` of the grantee: PRCP, "primary information recipient" (the role
/// the R4 Consent examples give the party a consent lets see the data).
pub const PRIMARY_RECIPIENT: &str = "PRCP";
/// Code system of `provision.action`.
pub const CONSENT_ACTION_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/consentaction";
/// `provision.action` codes a grant represents: the grantee reads (`access`) and uses
/// (`use`) the records; collecting, disclosing or correcting them is not something a grant
/// says.
pub const GRANTED_ACTIONS: [&str; 2] = ["access", "use"];
/// `provision.action` of an exported grant.
pub const ACCESS_ACTION: &str = "access";
/// Longest grantee name accepted (the identity store's limit).
pub const MAX_NAME_BYTES: usize = 128;

/// FHIR R4 Consent elements that do not change what is granted, accepted and ignored.
const IGNORED_CONSENT_ELEMENTS: [&str; 16] = [
    "resourceType",
    "id",
    "meta",
    "language",
    "text",
    "contained",
    "extension",
    "identifier",
    "scope",
    "category",
    "dateTime",
    "performer",
    "organization",
    "policy",
    "policyRule",
    "verification",
];
/// Consent elements read or refused by name (kept apart from the ignored ones above).
const READ_CONSENT_ELEMENTS: [&str; 3] = ["status", "patient", "provision"];
/// `sourceAttachment`/`sourceReference`: the signed original, informational here.
const SOURCE_ELEMENTS: [&str; 2] = ["sourceAttachment", "sourceReference"];
/// Provision elements read.
const READ_PROVISION_ELEMENTS: [&str; 8] = [
    "id",
    "extension",
    "type",
    "period",
    "actor",
    "action",
    "purpose",
    "class",
];
/// Provision elements that narrow the grant in ways a grant cannot carry, with why.
const UNREPRESENTABLE_PROVISION_ELEMENTS: [(&str, &str); 6] = [
    ("provision", "a nested provision (an exception)"),
    ("data", "a restriction to named resources"),
    ("dataPeriod", "a restriction by the data's dates"),
    ("code", "a restriction by clinical code"),
    ("securityLabel", "a restriction by security label"),
    ("modifierExtension", "a modifier extension"),
];

/// A scope family: the project's named scope bits, each a group of FHIR resource types.
/// The names are the CLI's scope names (`zkconsent::vocab::SCOPE_BITS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScopeFamily {
    /// Who the patient is: `Patient`.
    Demographics,
    /// Problems and diagnoses: `Condition`, `AllergyIntolerance`, `FamilyMemberHistory`.
    Conditions,
    /// Measurements and results: `Observation`, `DiagnosticReport`.
    Observations,
    /// The `Medication*` resources.
    Medications,
    /// `Procedure`.
    Procedures,
    /// `Immunization`, `ImmunizationRecommendation`.
    Immunizations,
    /// `Encounter`, `EpisodeOfCare`.
    Encounters,
    /// Billing: `Claim`, `ExplanationOfBenefit`, `ClaimResponse`, `Coverage`.
    Claims,
    /// Clinical documents: `DocumentReference`, `Composition`.
    Notes,
    /// `ImagingStudy`, `Media`.
    Imaging,
}

impl ScopeFamily {
    /// Every family, in scope-bit order.
    pub const ALL: [Self; 10] = [
        Self::Demographics,
        Self::Conditions,
        Self::Observations,
        Self::Medications,
        Self::Procedures,
        Self::Immunizations,
        Self::Encounters,
        Self::Claims,
        Self::Notes,
        Self::Imaging,
    ];

    /// The scope name (`conditions`), as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Demographics => "demographics",
            Self::Conditions => "conditions",
            Self::Observations => "observations",
            Self::Medications => "medications",
            Self::Procedures => "procedures",
            Self::Immunizations => "immunizations",
            Self::Encounters => "encounters",
            Self::Claims => "claims",
            Self::Notes => "notes",
            Self::Imaging => "imaging",
        }
    }

    /// The FHIR R4 resource types of the family; every anchored record type is in the
    /// family of the same name, and an export lists them all.
    pub fn resource_types(self) -> &'static [&'static str] {
        match self {
            Self::Demographics => &["Patient"],
            Self::Conditions => &["Condition", "AllergyIntolerance", "FamilyMemberHistory"],
            Self::Observations => &["Observation", "DiagnosticReport"],
            Self::Medications => &[
                "MedicationRequest",
                "MedicationStatement",
                "MedicationAdministration",
                "MedicationDispense",
                "Medication",
            ],
            Self::Procedures => &["Procedure"],
            Self::Immunizations => &["Immunization", "ImmunizationRecommendation"],
            Self::Encounters => &["Encounter", "EpisodeOfCare"],
            Self::Claims => &["Claim", "ExplanationOfBenefit", "ClaimResponse", "Coverage"],
            Self::Notes => &["DocumentReference", "Composition"],
            Self::Imaging => &["ImagingStudy", "Media"],
        }
    }

    /// The family of a resource type (exact, case-sensitive), `None` if it has none.
    pub fn of_resource_type(resource_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.resource_types().contains(&resource_type))
    }

    /// The family of a scope name, `None` if there is none.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A grant's purpose as an HL7 v3 ActReason (PurposeOfUse) code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConsentPurpose {
    /// `TREAT`.
    Treatment,
    /// `HPAYMT`.
    Payment,
    /// `HOPERAT`.
    Operations,
    /// `HRESCH`.
    Research,
    /// `ETREAT`.
    Emergency,
}

impl ConsentPurpose {
    /// Every purpose, in the project's purpose-number order.
    pub const ALL: [Self; 5] = [
        Self::Treatment,
        Self::Payment,
        Self::Operations,
        Self::Research,
        Self::Emergency,
    ];

    /// The ActReason code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Treatment => "TREAT",
            Self::Payment => "HPAYMT",
            Self::Operations => "HOPERAT",
            Self::Research => "HRESCH",
            Self::Emergency => "ETREAT",
        }
    }

    /// The ActReason display.
    pub fn display(self) -> &'static str {
        match self {
            Self::Treatment => "treatment",
            Self::Payment => "healthcare payment",
            Self::Operations => "healthcare operations",
            Self::Research => "healthcare research",
            Self::Emergency => "Emergency Treatment",
        }
    }

    /// The purpose name, as the CLI spells it (`treatment`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Treatment => "treatment",
            Self::Payment => "payment",
            Self::Operations => "operations",
            Self::Research => "research",
            Self::Emergency => "emergency",
        }
    }

    /// The purpose of an ActReason code (exact, case-sensitive as FHIR codes are).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The purpose of a CLI name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Who a Consent is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsentPatient {
    /// A FHIR reference as written (`Patient/123`).
    Reference(String),
    /// A zkconsent identity name ([`IDENTITY_NAME_SYSTEM`]).
    Name(String),
}

/// What a Consent grants: the terms of one grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentTerms {
    /// The grantee's identity name.
    pub grantee: String,
    /// The scope families granted (non-empty).
    pub scope: BTreeSet<ScopeFamily>,
    /// The purpose.
    pub purpose: ConsentPurpose,
    /// Start of validity, if the Consent gives one (else the issuer's "now").
    pub not_before: Option<Timestamp>,
    /// End of validity (exclusive).
    pub not_after: Timestamp,
}

impl ConsentTerms {
    /// The window `[not_before, not_after)`, the start defaulting to `now`.
    ///
    /// # Errors
    ///
    /// [`ConsentError::EmptyWindow`] if the end is not after the start.
    pub fn window(&self, now: Timestamp) -> Result<(Timestamp, Timestamp), ConsentError> {
        let start = self.not_before.unwrap_or(now);
        if self.not_after <= start {
            return Err(ConsentError::EmptyWindow {
                not_before: start,
                not_after: self.not_after,
                start_given: self.not_before.is_some(),
            });
        }
        Ok((start, self.not_after))
    }
}

/// A parsed Consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedConsent {
    /// The grant it gives.
    pub terms: ConsentTerms,
    /// Who it is about, if it says.
    pub patient: Option<ConsentPatient>,
}

/// Whether an exported grant still holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentStatus {
    /// `active`: the grant is in the registry.
    Active,
    /// `inactive`: the grant was revoked.
    Inactive,
}

impl ConsentStatus {
    /// The FHIR `Consent.status` code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
        }
    }
}

/// A grant to write as a Consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentDocument {
    /// The resource's `id`, if any (a FHIR id).
    pub id: Option<String>,
    /// Active, or inactive once revoked.
    pub status: ConsentStatus,
    /// Who it is about.
    pub patient: ConsentPatient,
    /// When the grant was issued (`Consent.dateTime`).
    pub issued: Timestamp,
    /// The grant's terms.
    pub terms: ConsentTerms,
}

/// Why a FHIR date or dateTime is not a usable instant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateTimeError {
    /// The date part.
    #[error(transparent)]
    Date(#[from] DateError),
    /// The time part is not `hh:mm:ss[.fff](Z|+hh:mm|-hh:mm)`.
    #[error("{0:?} is not a FHIR dateTime (YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with a zone: Z, +hh:mm or -hh:mm)")]
    Format(String),
    /// Before 1970-01-01T00:00:00Z: not a Unix time.
    #[error("{0:?} is before 1970")]
    BeforeUnixEpoch(String),
}

/// Why a Consent cannot be read as a grant, or a grant written as a Consent. Every variant
/// is malformed input (the CLI's exit code 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    /// Longer than [`MAX_CONSENT_BYTES`].
    #[error("a Consent is at most {limit} bytes; this is {size}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8.
    #[error("not UTF-8 text: {0}")]
    NotUtf8(String),
    /// Not acceptable JSON.
    #[error("{0}")]
    Json(#[from] JsonError),
    /// Not a Consent, or a Bundle without exactly one.
    #[error("{0}")]
    Structure(String),
    /// A required field is absent.
    #[error("{field}: missing")]
    Missing {
        /// The field path, e.g. `Consent.provision.period.end`.
        field: String,
    },
    /// A field is present but unusable.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field path.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A coding from a system this field does not take.
    #[error("{field}: unknown code system {system:?} (code {code:?}); expected {expected}")]
    UnknownSystem {
        /// The field path.
        field: String,
        /// The system given.
        system: String,
        /// The code given.
        code: String,
        /// The system the field takes.
        expected: &'static str,
    },
    /// A code the field's system does not define, or one without a zkconsent meaning.
    #[error("{field}: unknown code {code:?} in {system} ({known})")]
    UnknownCode {
        /// The field path.
        field: String,
        /// The system.
        system: String,
        /// The code given.
        code: String,
        /// The codes accepted, for the message.
        known: String,
    },
    /// Something a grant cannot represent; refused rather than granting more than the
    /// Consent says.
    #[error("{field}: {what} cannot be represented by a zkconsent grant")]
    Unrepresentable {
        /// The field path.
        field: String,
        /// What it is.
        what: String,
    },
    /// `status` other than `active`.
    #[error("Consent.status: {0:?}: only an active Consent grants access")]
    NotActive(String),
    /// A date or dateTime that is not a usable instant.
    #[error("{field}: {source}")]
    Date {
        /// The field path.
        field: String,
        /// Why.
        source: DateTimeError,
    },
    /// The window's end is not after its start.
    #[error(
        "Consent.provision.period: end (not_after {not_after}, exclusive) is not after {} ({not_before})",
        if *start_given { "start" } else { "now" }
    )]
    EmptyWindow {
        /// The start (given, or now).
        not_before: Timestamp,
        /// The exclusive end.
        not_after: Timestamp,
        /// Whether the start was in the Consent (else it is now).
        start_given: bool,
    },
}

/// A FHIR `date` or `dateTime` as an instant: its first second and its precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FhirInstant {
    /// Unix seconds of the start of the value (the day's midnight UTC for a date; the
    /// second, rounded down, for a dateTime).
    pub floor: u64,
    /// Date-only (`YYYY-MM-DD`).
    pub day_precision: bool,
    /// A dateTime with a non-zero fraction of a second.
    pub fraction: bool,
}

impl FhirInstant {
    /// The first whole Unix second inside the value (a `Period.start`).
    pub fn first_second(self) -> u64 {
        self.floor.saturating_add(u64::from(self.fraction))
    }

    /// The first Unix second after the value (a `Period.end`, which FHIR makes inclusive at
    /// its precision): the next midnight for a date, the next second for a dateTime.
    pub fn end_exclusive(self) -> u64 {
        let span = if self.day_precision {
            SECONDS_PER_DAY
        } else {
            1
        };
        self.floor.saturating_add(span)
    }
}

const SECONDS_PER_HOUR: i64 = 3_600;
const SECONDS_PER_MINUTE: i64 = 60;
/// FHIR's largest UTC offset (`+14:00`); offsets of 14 hours must be exactly 14:00.
const MAX_OFFSET_HOURS: i64 = 14;

/// Reads a FHIR `date` (`YYYY-MM-DD`, taken as a UTC day) or `dateTime` with seconds and a
/// zone (`2026-07-01T09:30:00+02:00`, fractions allowed) as a Unix-time instant. Partial
/// dates (`2026`, `2026-07`) are refused: a window needs a day.
///
/// # Errors
///
/// [`DateTimeError`].
pub fn parse_date_time(text: &str) -> Result<FhirInstant, DateTimeError> {
    let day = dates::parse_day(text)?;
    let format = || DateTimeError::Format(text.to_owned());
    let days = i64::try_from(day.0).map_err(|_| format())?
        - i64::try_from(UNIX_EPOCH_DAY.0).map_err(|_| format())?;
    let midnight = days * SECONDS_PER_DAY as i64;
    let (seconds, day_precision, fraction) = if text.len() == DATE_PREFIX_LEN {
        (midnight, true, false)
    } else {
        // parse_day checked byte 10 is 'T'.
        let (time, fraction) =
            parse_time(&text.as_bytes()[DATE_PREFIX_LEN + 1..]).ok_or_else(format)?;
        (midnight + time, false, fraction)
    };
    let floor =
        u64::try_from(seconds).map_err(|_| DateTimeError::BeforeUnixEpoch(text.to_owned()))?;
    Ok(FhirInstant {
        floor,
        day_precision,
        fraction,
    })
}

/// `hh:mm:ss[.f+](Z|±hh:mm)` as seconds after the day's UTC midnight (negative or past a
/// day when the offset moves it), and whether a non-zero fraction was given.
fn parse_time(b: &[u8]) -> Option<(i64, bool)> {
    let two = |i: usize| -> Option<i64> {
        let (hi, lo) = (*b.get(i)?, *b.get(i + 1)?);
        (hi.is_ascii_digit() && lo.is_ascii_digit())
            .then(|| i64::from(hi - b'0') * 10 + i64::from(lo - b'0'))
    };
    let (h, m, s) = (two(0)?, two(3)?, two(6)?);
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut rest = b.get(8..)?;
    let mut fraction = false;
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let n = after_dot.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        fraction = after_dot[..n].iter().any(|&c| c != b'0');
        rest = &after_dot[n..];
    }
    // A leap second (ss = 60) is the next second, as Unix time counts it.
    let local = h * SECONDS_PER_HOUR + m * SECONDS_PER_MINUTE + s;
    let offset = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), zone @ ..] if zone.len() == 5 && zone[2] == b':' => {
            let digits = |i: usize| -> Option<i64> {
                let (hi, lo) = (zone[i], zone[i + 1]);
                (hi.is_ascii_digit() && lo.is_ascii_digit())
                    .then(|| i64::from(hi - b'0') * 10 + i64::from(lo - b'0'))
            };
            let (oh, om) = (digits(0)?, digits(3)?);
            if om > 59 || oh > MAX_OFFSET_HOURS || (oh == MAX_OFFSET_HOURS && om != 0) {
                return None;
            }
            let magnitude = oh * SECONDS_PER_HOUR + om * SECONDS_PER_MINUTE;
            if *sign == b'+' {
                magnitude
            } else {
                -magnitude
            }
        }
        _ => return None,
    };
    // Local time minus the offset is UTC.
    Some((local - offset, fraction))
}

/// Reads a Consent (bare, or the one Consent of a Bundle) as the terms of a grant.
///
/// # Errors
///
/// [`ConsentError`] naming the field (and the system and code for an unknown coding).
pub fn parse(bytes: &[u8]) -> Result<ParsedConsent, ConsentError> {
    if bytes.len() > MAX_CONSENT_BYTES {
        return Err(ConsentError::TooLarge {
            size: bytes.len(),
            limit: MAX_CONSENT_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ConsentError::NotUtf8(e.to_string()))?;
    let doc = canonical::parse(text)?;
    let consent = match resource_type(&doc, "top level")? {
        CONSENT_TYPE => &doc,
        BUNDLE_TYPE => bundle_consent(&doc)?,
        other => {
            return Err(ConsentError::Structure(format!(
                "resourceType is {other:?}, not Consent (or a Bundle holding one)"
            )))
        }
    };
    read_consent(consent)
}

fn resource_type<'a>(resource: &'a Json, place: &str) -> Result<&'a str, ConsentError> {
    if !matches!(resource, Json::Object(_)) {
        return Err(ConsentError::Structure(format!(
            "{place} is {}, not a FHIR resource object",
            resource.type_name()
        )));
    }
    match resource.get("resourceType") {
        Some(Json::String(t)) => Ok(t),
        Some(other) => Err(ConsentError::Structure(format!(
            "{place}: resourceType is {}, not a string",
            other.type_name()
        ))),
        None => Err(ConsentError::Structure(format!(
            "{place}: missing resourceType"
        ))),
    }
}

/// The one Consent entry of a Bundle (other entries, such as the Patient, are ignored).
fn bundle_consent(bundle: &Json) -> Result<&Json, ConsentError> {
    let entries = match bundle.get("entry") {
        None => &[][..],
        Some(Json::Array(items)) => items,
        Some(other) => {
            return Err(ConsentError::Structure(format!(
                "Bundle.entry is {}, not an array",
                other.type_name()
            )))
        }
    };
    let mut found = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let place = format!("Bundle.entry[{i}].resource");
        let resource = entry
            .get("resource")
            .ok_or_else(|| ConsentError::Structure(format!("{place}: missing")))?;
        if resource_type(resource, &place)? == CONSENT_TYPE {
            found.push(resource);
        }
    }
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(ConsentError::Structure(
            "the Bundle holds no Consent".into(),
        )),
        many => Err(ConsentError::Structure(format!(
            "the Bundle holds {} Consents; give one grant per file",
            many.len()
        ))),
    }
}

/// The members of an object, or an error naming `field`.
fn members<'a>(value: &'a Json, field: &str) -> Result<&'a [(String, Json)], ConsentError> {
    match value {
        Json::Object(m) => Ok(m),
        other => Err(invalid(
            field,
            format!("is {}, not an object", other.type_name()),
        )),
    }
}

fn array<'a>(value: &'a Json, field: &str) -> Result<&'a [Json], ConsentError> {
    value
        .as_array()
        .ok_or_else(|| invalid(field, format!("is {}, not an array", value.type_name())))
}

fn string<'a>(value: &'a Json, field: &str) -> Result<&'a str, ConsentError> {
    match value {
        Json::String(s) if !s.is_empty() => Ok(s),
        Json::String(_) => Err(invalid(field, "is empty")),
        other => Err(invalid(
            field,
            format!("is {}, not a string", other.type_name()),
        )),
    }
}

fn required<'a>(parent: &'a Json, key: &str, field: &str) -> Result<&'a Json, ConsentError> {
    parent.get(key).ok_or_else(|| ConsentError::Missing {
        field: format!("{field}.{key}"),
    })
}

fn invalid(field: &str, reason: impl Into<String>) -> ConsentError {
    ConsentError::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// A Coding's `system` and `code`, both required.
fn coding<'a>(value: &'a Json, field: &str) -> Result<(&'a str, &'a str), ConsentError> {
    members(value, field)?;
    let system = string(
        required(value, "system", field)?,
        &format!("{field}.system"),
    )?;
    let code = string(required(value, "code", field)?, &format!("{field}.code"))?;
    Ok((system, code))
}

fn read_consent(consent: &Json) -> Result<ParsedConsent, ConsentError> {
    const FIELD: &str = "Consent";
    for (key, _) in members(consent, FIELD)? {
        let key = key.as_str();
        match key {
            "modifierExtension" | "implicitRules" => {
                return Err(ConsentError::Unrepresentable {
                    field: format!("{FIELD}.{key}"),
                    what: if key == "implicitRules" {
                        "a resource under implicit rules".into()
                    } else {
                        "a modifier extension".into()
                    },
                })
            }
            k if IGNORED_CONSENT_ELEMENTS.contains(&k)
                || READ_CONSENT_ELEMENTS.contains(&k)
                || SOURCE_ELEMENTS.contains(&k) => {}
            k => {
                return Err(invalid(
                    &format!("{FIELD}.{k}"),
                    "not a FHIR R4 Consent element",
                ))
            }
        }
    }
    let status = string(required(consent, "status", FIELD)?, "Consent.status")?;
    if status != ConsentStatus::Active.code() {
        return Err(ConsentError::NotActive(status.to_owned()));
    }
    let patient = consent
        .get("patient")
        .map(|p| read_patient(p, "Consent.patient"))
        .transpose()?;
    let provision = required(consent, "provision", FIELD)?;
    let terms = read_provision(provision, "Consent.provision")?;
    Ok(ParsedConsent { terms, patient })
}

fn read_patient(patient: &Json, field: &str) -> Result<ConsentPatient, ConsentError> {
    members(patient, field)?;
    if let Some(reference) = patient.get("reference") {
        return Ok(ConsentPatient::Reference(
            string(reference, &format!("{field}.reference"))?.to_owned(),
        ));
    }
    if let Some(name) = identity_name(patient, field)? {
        return Ok(ConsentPatient::Name(name));
    }
    Err(invalid(
        field,
        format!(
            "names no patient (a reference, or an identifier of system {IDENTITY_NAME_SYSTEM})"
        ),
    ))
}

/// `identifier.value` of a Reference whose identifier has [`IDENTITY_NAME_SYSTEM`].
fn identity_name(reference: &Json, field: &str) -> Result<Option<String>, ConsentError> {
    let Some(identifier) = reference.get("identifier") else {
        return Ok(None);
    };
    let id_field = format!("{field}.identifier");
    members(identifier, &id_field)?;
    match identifier.get("system") {
        Some(system) if string(system, &format!("{id_field}.system"))? == IDENTITY_NAME_SYSTEM => {
            let value = string(
                required(identifier, "value", &id_field)?,
                &format!("{id_field}.value"),
            )?;
            check_name(value, &format!("{id_field}.value")).map(Some)
        }
        _ => Ok(None),
    }
}

fn check_name(name: &str, field: &str) -> Result<String, ConsentError> {
    if name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) || name.trim() != name {
        return Err(invalid(
            field,
            format!(
                "{name:?} is not an identity name (at most {MAX_NAME_BYTES} bytes, no control characters or surrounding spaces)"
            ),
        ));
    }
    Ok(name.to_owned())
}

fn read_provision(provision: &Json, field: &str) -> Result<ConsentTerms, ConsentError> {
    for (key, _) in members(provision, field)? {
        let key = key.as_str();
        if let Some((_, what)) = UNREPRESENTABLE_PROVISION_ELEMENTS
            .iter()
            .find(|(k, _)| *k == key)
        {
            return Err(ConsentError::Unrepresentable {
                field: format!("{field}.{key}"),
                what: (*what).to_owned(),
            });
        }
        if !READ_PROVISION_ELEMENTS.contains(&key) {
            return Err(invalid(
                &format!("{field}.{key}"),
                "not a FHIR R4 Consent.provision element",
            ));
        }
    }
    let type_field = format!("{field}.type");
    match string(required(provision, "type", field)?, &type_field)? {
        "permit" => {}
        "deny" => {
            return Err(ConsentError::Unrepresentable {
                field: type_field,
                what: "a deny provision".into(),
            })
        }
        other => {
            return Err(invalid(
                &type_field,
                format!("{other:?} is not permit or deny"),
            ))
        }
    }
    if let Some(actions) = provision.get("action") {
        read_actions(actions, &format!("{field}.action"))?;
    }
    let scope = read_classes(provision.get("class"), &format!("{field}.class"))?;
    let purpose = read_purpose(provision.get("purpose"), &format!("{field}.purpose"))?;
    let (not_before, not_after) = read_period(
        required(provision, "period", field)?,
        &format!("{field}.period"),
    )?;
    let grantee = read_actor(
        required(provision, "actor", field)?,
        &format!("{field}.actor"),
    )?;
    let terms = ConsentTerms {
        grantee,
        scope,
        purpose,
        not_before,
        not_after,
    };
    // A start given in the Consent is checked now; a start defaulting to "now" later.
    if terms.not_before.is_some() {
        terms.window(Timestamp(0))?;
    }
    Ok(terms)
}

fn read_actions(actions: &Json, field: &str) -> Result<(), ConsentError> {
    for (i, concept) in array(actions, field)?.iter().enumerate() {
        let cfield = format!("{field}[{i}]");
        let codings = array(
            required(concept, "coding", &cfield)?,
            &format!("{cfield}.coding"),
        )?;
        for (j, c) in codings.iter().enumerate() {
            let f = format!("{cfield}.coding[{j}]");
            let (system, code) = coding(c, &f)?;
            if system != CONSENT_ACTION_SYSTEM {
                return Err(ConsentError::UnknownSystem {
                    field: f,
                    system: system.into(),
                    code: code.into(),
                    expected: CONSENT_ACTION_SYSTEM,
                });
            }
            if !GRANTED_ACTIONS.contains(&code) {
                return Err(ConsentError::UnknownCode {
                    field: f,
                    system: system.into(),
                    code: code.into(),
                    known: format!("a grant permits {}", GRANTED_ACTIONS.join(" and ")),
                });
            }
        }
    }
    Ok(())
}

fn read_classes(
    classes: Option<&Json>,
    field: &str,
) -> Result<BTreeSet<ScopeFamily>, ConsentError> {
    let no_class = || {
        invalid(
            field,
            "missing: a Consent must name the resource types it grants",
        )
    };
    let classes = array(classes.ok_or_else(no_class)?, field)?;
    if classes.is_empty() {
        return Err(no_class());
    }
    let mut scope = BTreeSet::new();
    for (i, c) in classes.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let (system, code) = coding(c, &f)?;
        if system != RESOURCE_TYPES_SYSTEM {
            return Err(ConsentError::UnknownSystem {
                field: f,
                system: system.into(),
                code: code.into(),
                expected: RESOURCE_TYPES_SYSTEM,
            });
        }
        let family =
            ScopeFamily::of_resource_type(code).ok_or_else(|| ConsentError::UnknownCode {
                field: f,
                system: system.into(),
                code: code.into(),
                known: "no zkconsent scope covers this resource type; known: ".to_owned()
                    + &ScopeFamily::ALL
                        .iter()
                        .flat_map(|f| f.resource_types().iter().copied())
                        .collect::<Vec<_>>()
                        .join(", "),
            })?;
        scope.insert(family);
    }
    Ok(scope)
}

fn read_purpose(purposes: Option<&Json>, field: &str) -> Result<ConsentPurpose, ConsentError> {
    let purposes = array(
        purposes.ok_or_else(|| ConsentError::Missing {
            field: field.to_owned(),
        })?,
        field,
    )?;
    let [only] = purposes else {
        return Err(invalid(
            field,
            format!("{} purposes; a grant has exactly one", purposes.len()),
        ));
    };
    let f = format!("{field}[0]");
    let (system, code) = coding(only, &f)?;
    if system != ACT_REASON_SYSTEM {
        return Err(ConsentError::UnknownSystem {
            field: f,
            system: system.into(),
            code: code.into(),
            expected: ACT_REASON_SYSTEM,
        });
    }
    ConsentPurpose::from_code(code).ok_or_else(|| ConsentError::UnknownCode {
        field: f,
        system: system.into(),
        code: code.into(),
        known: format!(
            "known: {}",
            ConsentPurpose::ALL.map(ConsentPurpose::code).join(", ")
        ),
    })
}

fn read_period(period: &Json, field: &str) -> Result<(Option<Timestamp>, Timestamp), ConsentError> {
    for (key, _) in members(period, field)? {
        if !["id", "extension", "start", "end"].contains(&key.as_str()) {
            return Err(invalid(
                &format!("{field}.{key}"),
                "not a FHIR R4 Period element",
            ));
        }
    }
    let instant = |key: &str| -> Result<Option<FhirInstant>, ConsentError> {
        let Some(value) = period.get(key) else {
            return Ok(None);
        };
        let f = format!("{field}.{key}");
        parse_date_time(string(value, &f)?)
            .map(Some)
            .map_err(|source| ConsentError::Date { field: f, source })
    };
    let start = instant("start")?.map(|s| Timestamp(s.first_second()));
    let end = instant("end")?.ok_or_else(|| {
        invalid(
            &format!("{field}.end"),
            "missing: no grant is valid forever",
        )
    })?;
    Ok((start, Timestamp(end.end_exclusive())))
}

fn read_actor(actors: &Json, field: &str) -> Result<String, ConsentError> {
    let actors = array(actors, field)?;
    let [actor] = actors else {
        return Err(invalid(
            field,
            format!("{} actors; a grant has exactly one grantee", actors.len()),
        ));
    };
    let afield = format!("{field}[0]");
    for (key, _) in members(actor, &afield)? {
        if !["id", "extension", "role", "reference"].contains(&key.as_str()) {
            return Err(invalid(
                &format!("{afield}.{key}"),
                "not a FHIR R4 Consent.provision.actor element",
            ));
        }
    }
    let rfield = format!("{afield}.reference");
    let reference = required(actor, "reference", &afield)?;
    members(reference, &rfield)?;
    if let Some(name) = identity_name(reference, &rfield)? {
        return Ok(name);
    }
    match reference.get("display") {
        Some(display) => check_name(
            string(display, &format!("{rfield}.display"))?,
            &format!("{rfield}.display"),
        ),
        None => Err(invalid(
            &rfield,
            format!(
                "names no grantee (an identifier of system {IDENTITY_NAME_SYSTEM}, or a display)"
            ),
        )),
    }
}

fn codeable(system: &str, code: &str, display: Option<&str>) -> Value {
    let mut coding = json!({ "system": system, "code": code });
    if let (Some(d), Value::Object(m)) = (display, &mut coding) {
        m.insert("display".into(), Value::String(d.into()));
    }
    json!({ "coding": [coding] })
}

fn identity_reference(name: &str) -> Value {
    json!({ "identifier": { "system": IDENTITY_NAME_SYSTEM, "value": name }, "display": name })
}

/// Writes a grant as a FHIR R4 Consent resource (a privacy consent, LOINC 59284-0, opt-in
/// policy rule, one `permit` provision with the period, the grantee as PRCP actor, the
/// `access` action, the purpose and the scope's resource types). [`parse`] of the result
/// gives `document.terms` back when the status is active.
///
/// # Errors
///
/// [`ConsentError`] for an empty scope, an empty window, an id that is not a FHIR id, or a
/// time a FHIR dateTime here cannot hold (past 2199).
pub fn to_fhir(document: &ConsentDocument) -> Result<Value, ConsentError> {
    let terms = &document.terms;
    if terms.scope.is_empty() {
        return Err(invalid(
            "Consent.provision.class",
            "the grant's scope is empty",
        ));
    }
    if let Some(start) = terms.not_before {
        terms.window(start)?;
    }
    check_name(
        &terms.grantee,
        "Consent.provision.actor[0].reference.identifier.value",
    )?;
    let date_time = |field: &str, t: Timestamp| -> Result<String, ConsentError> {
        let text = t.to_string();
        // Only what parse reads back is written.
        parse_date_time(&text)
            .map(|_| text)
            .map_err(|source| ConsentError::Date {
                field: field.to_owned(),
                source,
            })
    };
    let mut period = serde_json::Map::new();
    if let Some(start) = terms.not_before {
        period.insert(
            "start".into(),
            Value::String(date_time("Consent.provision.period.start", start)?),
        );
    }
    // FHIR's end is inclusive: the last second of the window.
    let Some(last) = terms.not_after.0.checked_sub(1).map(Timestamp) else {
        return Err(ConsentError::EmptyWindow {
            not_before: Timestamp(0),
            not_after: terms.not_after,
            start_given: false,
        });
    };
    period.insert(
        "end".into(),
        Value::String(date_time("Consent.provision.period.end", last)?),
    );
    let classes: Vec<Value> = terms
        .scope
        .iter()
        .flat_map(|f| f.resource_types().iter())
        .map(|t| json!({ "system": RESOURCE_TYPES_SYSTEM, "code": t }))
        .collect();
    let patient = match &document.patient {
        ConsentPatient::Reference(r) => json!({ "reference": r }),
        ConsentPatient::Name(n) => identity_reference(n),
    };
    let mut consent = serde_json::Map::new();
    consent.insert("resourceType".into(), json!(CONSENT_TYPE));
    if let Some(id) = &document.id {
        if !is_valid_id(id) {
            return Err(invalid("Consent.id", format!("{id:?} is not a FHIR id")));
        }
        consent.insert("id".into(), json!(id));
    }
    consent.insert("status".into(), json!(document.status.code()));
    consent.insert(
        "scope".into(),
        codeable(
            CONSENT_SCOPE_SYSTEM,
            PATIENT_PRIVACY,
            Some("Privacy Consent"),
        ),
    );
    consent.insert(
        "category".into(),
        json!([codeable(
            LOINC_SYSTEM,
            CONSENT_DOCUMENT_LOINC,
            Some("Consent Document")
        )]),
    );
    consent.insert("patient".into(), patient);
    consent.insert(
        "dateTime".into(),
        json!(date_time("Consent.dateTime", document.issued)?),
    );
    consent.insert(
        "policyRule".into(),
        codeable(ACT_CODE_SYSTEM, OPT_IN, Some("opt-in")),
    );
    consent.insert(
        "provision".into(),
        json!({
            "type": "permit",
            "period": period,
            "actor": [{
                "role": codeable(PARTICIPATION_TYPE_SYSTEM, PRIMARY_RECIPIENT, Some("primary information recipient")),
                "reference": identity_reference(&terms.grantee),
            }],
            "action": [codeable(CONSENT_ACTION_SYSTEM, ACCESS_ACTION, Some("Access"))],
            "purpose": [{
                "system": ACT_REASON_SYSTEM,
                "code": terms.purpose.code(),
                "display": terms.purpose.display(),
            }],
            "class": classes,
        }),
    );
    Ok(Value::Object(consent))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-06-15T15:06:40Z (tests/common BASE).
    const BASE: u64 = 1_750_000_000;

    fn valid() -> Value {
        json!({
            "resourceType": "Consent",
            "id": "c1",
            "status": "active",
            "scope": { "coding": [{ "system": CONSENT_SCOPE_SYSTEM, "code": PATIENT_PRIVACY }] },
            "category": [{ "coding": [{ "system": LOINC_SYSTEM, "code": CONSENT_DOCUMENT_LOINC }] }],
            "patient": { "reference": "Patient/p1" },
            "policyRule": { "coding": [{ "system": ACT_CODE_SYSTEM, "code": OPT_IN }] },
            "provision": {
                "type": "permit",
                "period": { "start": "2025-06-15T15:06:40Z", "end": "2025-07-15T15:06:39Z" },
                "actor": [{
                    "role": { "coding": [{ "system": PARTICIPATION_TYPE_SYSTEM, "code": "PRCP" }] },
                    "reference": { "identifier": { "system": IDENTITY_NAME_SYSTEM, "value": "bob" } }
                }],
                "purpose": [{ "system": ACT_REASON_SYSTEM, "code": "TREAT" }],
                "class": [
                    { "system": RESOURCE_TYPES_SYSTEM, "code": "Condition" },
                    { "system": RESOURCE_TYPES_SYSTEM, "code": "Observation" }
                ]
            }
        })
    }

    fn parse_value(v: &Value) -> Result<ParsedConsent, ConsentError> {
        parse(&serde_json::to_vec(v).unwrap())
    }

    /// `valid()` with `edit` applied to its provision.
    fn with_provision(edit: impl FnOnce(&mut Value)) -> Value {
        let mut v = valid();
        edit(&mut v["provision"]);
        v
    }

    fn err(v: &Value) -> ConsentError {
        parse_value(v).unwrap_err()
    }

    #[test]
    fn a_valid_consent() {
        let p = parse_value(&valid()).unwrap();
        assert_eq!(
            p.patient,
            Some(ConsentPatient::Reference("Patient/p1".into()))
        );
        let t = p.terms;
        assert_eq!(t.grantee, "bob");
        assert_eq!(
            t.scope,
            BTreeSet::from([ScopeFamily::Conditions, ScopeFamily::Observations])
        );
        assert_eq!(t.purpose, ConsentPurpose::Treatment);
        assert_eq!(t.not_before, Some(Timestamp(BASE)));
        // The end is inclusive: the last second is 15:06:39, so not_after is 15:06:40.
        assert_eq!(t.not_after, Timestamp(BASE + 30 * SECONDS_PER_DAY));
        assert_eq!(
            t.window(Timestamp(1)).unwrap(),
            (Timestamp(BASE), t.not_after)
        );
    }

    #[test]
    fn a_bundle_with_one_consent() {
        let bundle = |entries: Vec<Value>| {
            json!({ "resourceType": "Bundle", "type": "collection",
                    "entry": entries.into_iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>() })
        };
        let patient = json!({ "resourceType": "Patient", "id": "p1" });
        let p = parse_value(&bundle(vec![patient.clone(), valid()])).unwrap();
        assert_eq!(p.terms.grantee, "bob");
        assert!(
            matches!(err(&bundle(vec![patient])), ConsentError::Structure(m) if m.contains("no Consent"))
        );
        assert!(
            matches!(err(&bundle(vec![valid(), valid()])), ConsentError::Structure(m) if m.contains("2 Consents"))
        );
        let other = json!({ "resourceType": "Patient" });
        assert!(matches!(err(&other), ConsentError::Structure(m) if m.contains("\"Patient\"")));
    }

    #[test]
    fn every_purpose_code() {
        for (code, purpose) in [
            ("TREAT", ConsentPurpose::Treatment),
            ("HPAYMT", ConsentPurpose::Payment),
            ("HOPERAT", ConsentPurpose::Operations),
            ("HRESCH", ConsentPurpose::Research),
            ("ETREAT", ConsentPurpose::Emergency),
        ] {
            let v = with_provision(|p| {
                p["purpose"] = json!([{ "system": ACT_REASON_SYSTEM, "code": code }]);
            });
            assert_eq!(parse_value(&v).unwrap().terms.purpose, purpose, "{code}");
        }
    }

    #[test]
    fn purpose_refusals() {
        let v = with_provision(|p| {
            p["purpose"] = json!([{ "system": ACT_REASON_SYSTEM, "code": "HMARKT" }]);
        });
        let e = err(&v);
        assert!(matches!(&e, ConsentError::UnknownCode { code, .. } if code == "HMARKT"));
        let msg = e.to_string();
        assert!(
            msg.contains("Consent.provision.purpose[0]")
                && msg.contains("HMARKT")
                && msg.contains(ACT_REASON_SYSTEM),
            "{msg}"
        );
        // Codes are case-sensitive.
        let v = with_provision(|p| {
            p["purpose"] = json!([{ "system": ACT_REASON_SYSTEM, "code": "treat" }]);
        });
        assert!(matches!(err(&v), ConsentError::UnknownCode { .. }));
        let v = with_provision(|p| {
            p["purpose"] = json!([{ "system": "http://example.org/purposes", "code": "TREAT" }]);
        });
        let msg = err(&v).to_string();
        assert!(
            msg.contains("unknown code system \"http://example.org/purposes\"")
                && msg.contains("TREAT"),
            "{msg}"
        );
        for purposes in [
            json!([]),
            json!([
                { "system": ACT_REASON_SYSTEM, "code": "TREAT" },
                { "system": ACT_REASON_SYSTEM, "code": "HRESCH" }
            ]),
        ] {
            let v = with_provision(|p| {
                p["purpose"] = purposes;
            });
            assert!(err(&v).to_string().contains("exactly one"));
        }
        let v = with_provision(|p| {
            p.as_object_mut().unwrap().remove("purpose");
        });
        assert!(
            matches!(err(&v), ConsentError::Missing { field } if field == "Consent.provision.purpose")
        );
        let v = with_provision(|p| {
            p["purpose"] = json!([{ "system": ACT_REASON_SYSTEM }]);
        });
        assert!(
            matches!(err(&v), ConsentError::Missing { field } if field == "Consent.provision.purpose[0].code")
        );
    }

    #[test]
    fn classes_are_a_union_of_families() {
        let v = with_provision(|p| {
            p["class"] = json!([
                { "system": RESOURCE_TYPES_SYSTEM, "code": "MedicationRequest" },
                { "system": RESOURCE_TYPES_SYSTEM, "code": "MedicationStatement" },
                { "system": RESOURCE_TYPES_SYSTEM, "code": "AllergyIntolerance" },
                { "system": RESOURCE_TYPES_SYSTEM, "code": "DiagnosticReport" },
                { "system": RESOURCE_TYPES_SYSTEM, "code": "Immunization" },
                { "system": RESOURCE_TYPES_SYSTEM, "code": "Procedure" },
                { "system": RESOURCE_TYPES_SYSTEM, "code": "Encounter" }
            ]);
        });
        assert_eq!(
            parse_value(&v).unwrap().terms.scope,
            BTreeSet::from([
                ScopeFamily::Medications,
                ScopeFamily::Conditions,
                ScopeFamily::Observations,
                ScopeFamily::Immunizations,
                ScopeFamily::Procedures,
                ScopeFamily::Encounters
            ])
        );
    }

    #[test]
    fn class_refusals() {
        // A real resource type without a scope family.
        let v = with_provision(|p| {
            p["class"] = json!([{ "system": RESOURCE_TYPES_SYSTEM, "code": "CarePlan" }]);
        });
        let msg = err(&v).to_string();
        assert!(msg.starts_with("Consent.provision.class[0]: unknown code \"CarePlan\" in http://hl7.org/fhir/resource-types"), "{msg}");
        let v = with_provision(|p| {
            p["class"] = json!([
                { "system": RESOURCE_TYPES_SYSTEM, "code": "Condition" },
                { "system": "http://snomed.info/sct", "code": "123" }
            ]);
        });
        let e = err(&v);
        assert!(
            matches!(&e, ConsentError::UnknownSystem { field, system, code, .. }
            if field == "Consent.provision.class[1]" && system == "http://snomed.info/sct" && code == "123"),
            "{e}"
        );
        for edit in [None, Some(json!([]))] {
            let v = with_provision(|p| match edit {
                None => {
                    p.as_object_mut().unwrap().remove("class");
                }
                Some(c) => {
                    p["class"] = c;
                }
            });
            assert!(err(&v).to_string().contains("must name the resource types"));
        }
        // Case matters: FHIR type names are exact.
        let v = with_provision(|p| {
            p["class"] = json!([{ "system": RESOURCE_TYPES_SYSTEM, "code": "condition" }]);
        });
        assert!(matches!(err(&v), ConsentError::UnknownCode { .. }));
    }

    #[test]
    fn status_must_be_active() {
        for status in [
            "inactive",
            "draft",
            "proposed",
            "rejected",
            "entered-in-error",
        ] {
            let mut v = valid();
            v["status"] = json!(status);
            assert_eq!(err(&v), ConsentError::NotActive(status.into()));
        }
        let mut v = valid();
        v.as_object_mut().unwrap().remove("status");
        assert!(matches!(err(&v), ConsentError::Missing { field } if field == "Consent.status"));
    }

    #[test]
    fn deny_and_nested_provisions_are_refused() {
        let v = with_provision(|p| {
            p["type"] = json!("deny");
        });
        let e = err(&v);
        assert!(
            matches!(&e, ConsentError::Unrepresentable { field, .. } if field == "Consent.provision.type")
        );
        assert!(e.to_string().contains("deny"), "{e}");
        let v = with_provision(|p| {
            p["type"] = json!("maybe");
        });
        assert!(matches!(err(&v), ConsentError::Invalid { .. }));
        let v = with_provision(|p| {
            p.as_object_mut().unwrap().remove("type");
        });
        assert!(
            matches!(err(&v), ConsentError::Missing { field } if field == "Consent.provision.type")
        );
        for key in [
            "provision",
            "data",
            "dataPeriod",
            "code",
            "securityLabel",
            "modifierExtension",
        ] {
            let v = with_provision(|p| {
                p[key] = json!([{}]);
            });
            assert!(
                matches!(err(&v), ConsentError::Unrepresentable { field, .. } if field == format!("Consent.provision.{key}")),
                "{key}"
            );
        }
        let mut v = valid();
        v["modifierExtension"] = json!([]);
        assert!(matches!(err(&v), ConsentError::Unrepresentable { .. }));
        let mut v = valid();
        v["unknownElement"] = json!(1);
        assert!(err(&v).to_string().contains("Consent.unknownElement"));
    }

    #[test]
    fn actions() {
        let v = with_provision(|p| {
            p["action"] =
                json!([{ "coding": [{ "system": CONSENT_ACTION_SYSTEM, "code": "access" }] }]);
        });
        assert!(parse_value(&v).is_ok());
        let v = with_provision(|p| {
            p["action"] =
                json!([{ "coding": [{ "system": CONSENT_ACTION_SYSTEM, "code": "disclose" }] }]);
        });
        assert!(matches!(err(&v), ConsentError::UnknownCode { code, .. } if code == "disclose"));
    }

    #[test]
    fn period_and_time_zones() {
        let window = |start: Option<&str>, end: &str| {
            let v = with_provision(|p| {
                let mut period = json!({ "end": end });
                if let Some(s) = start {
                    period["start"] = json!(s);
                }
                p["period"] = period;
            });
            parse_value(&v).map(|p| (p.terms.not_before.map(|t| t.0), p.terms.not_after.0))
        };
        // The same instant written in three zones.
        let utc = window(Some("2025-06-15T15:06:40Z"), "2025-06-16T00:00:00Z").unwrap();
        assert_eq!(
            window(
                Some("2025-06-15T17:06:40+02:00"),
                "2025-06-16T02:00:00+02:00"
            )
            .unwrap(),
            utc
        );
        assert_eq!(
            window(
                Some("2025-06-15T08:06:40-07:00"),
                "2025-06-15T17:00:00-07:00"
            )
            .unwrap(),
            utc
        );
        assert_eq!(
            window(
                Some("2025-06-16T05:06:40+14:00"),
                "2025-06-15T13:30:00-10:30"
            )
            .unwrap(),
            utc
        );
        assert_eq!(utc, (Some(BASE), BASE + 32_001));
        // Fractions: the start rounds up into the window, the end's second is included.
        assert_eq!(
            window(Some("2025-06-15T15:06:39.250Z"), "2025-06-16T00:00:00.999Z").unwrap(),
            utc
        );
        assert_eq!(
            window(Some("2025-06-15T15:06:40.000Z"), "2025-06-16T00:00:00.000Z").unwrap(),
            utc
        );
        // Date-only values are UTC days; the end day is included whole.
        let day = 1_749_945_600; // 2025-06-15T00:00:00Z
        assert_eq!(
            window(Some("2025-06-15"), "2025-06-15").unwrap(),
            (Some(day), day + SECONDS_PER_DAY)
        );
        // No start: "now", left to the issuer.
        assert_eq!(
            window(None, "2025-06-16").unwrap(),
            (None, day + 2 * SECONDS_PER_DAY)
        );
        // A missing end.
        let v = with_provision(|p| {
            p["period"] = json!({ "start": "2025-06-15" });
        });
        let msg = err(&v).to_string();
        assert!(
            msg.starts_with("Consent.provision.period.end: missing"),
            "{msg}"
        );
        let v = with_provision(|p| {
            p.as_object_mut().unwrap().remove("period");
        });
        assert!(
            matches!(err(&v), ConsentError::Missing { field } if field == "Consent.provision.period")
        );
        // End not after start.
        assert!(matches!(
            window(Some("2025-06-15T15:06:40Z"), "2025-06-15T15:06:38Z"),
            Err(ConsentError::EmptyWindow { .. })
        ));
        assert!(
            window(Some("2025-06-15T15:06:40Z"), "2025-06-15T15:06:40Z").is_ok(),
            "one second"
        );
        // With no start, the window is checked against now.
        let t = parse_value(&with_provision(|p| {
            p["period"] = json!({ "end": "2025-06-15T15:06:39Z" });
        }))
        .unwrap()
        .terms;
        assert!(t.window(Timestamp(BASE - 1)).is_ok());
        let e = t.window(Timestamp(BASE)).unwrap_err();
        assert!(e.to_string().contains("not after now"), "{e}");
        // Malformed times.
        for bad in [
            "2025",
            "2025-06",
            "2025-06-15T14:13Z",
            "2025-06-15T15:06:40",
            "2025-06-15T24:00:00Z",
            "2025-06-15T14:60:00Z",
            "2025-06-15T15:06:40+15:00",
            "2025-06-15T15:06:40+14:30",
            "2025-06-15T15:06:40+0200",
            "2025-06-15T15:06:40.Z",
            "2025-06-15T15:06:40Zjunk",
            "2025-02-30",
            "1969-12-31T23:59:59Z",
            "2200-01-01",
        ] {
            let e = window(None, bad).unwrap_err();
            assert!(
                matches!(&e, ConsentError::Date { field, .. } if field == "Consent.provision.period.end"),
                "{bad}: {e}"
            );
        }
        assert!(matches!(
            parse_date_time("1969-12-31T23:59:59Z"),
            Err(DateTimeError::BeforeUnixEpoch(_))
        ));
        assert_eq!(parse_date_time("1970-01-01T00:00:00Z").unwrap().floor, 0);
        assert_eq!(
            parse_date_time("1970-01-01T01:00:00+01:00").unwrap().floor,
            0
        );
        // A leap second is the next second.
        assert_eq!(
            parse_date_time("2016-12-31T23:59:60Z").unwrap().floor,
            parse_date_time("2017-01-01T00:00:00Z").unwrap().floor
        );
    }

    #[test]
    fn actor_refusals() {
        // The display when there is no identity-name identifier.
        let v = with_provision(|p| {
            p["actor"][0]["reference"] =
                json!({ "reference": "Practitioner/9", "display": "dr-bob" });
        });
        assert_eq!(parse_value(&v).unwrap().terms.grantee, "dr-bob");
        let v = with_provision(|p| {
            p["actor"][0]["reference"] = json!({
                "identifier": { "system": "http://hl7.org/fhir/sid/us-npi", "value": "123" },
                "display": "dr-bob"
            });
        });
        assert_eq!(parse_value(&v).unwrap().terms.grantee, "dr-bob");
        let v = with_provision(|p| {
            p["actor"][0]["reference"] = json!({ "reference": "Practitioner/9" });
        });
        assert!(err(&v).to_string().contains("names no grantee"));
        let v = with_provision(|p| {
            p["actor"][0]["reference"] = json!({ "display": " bob" });
        });
        assert!(err(&v).to_string().contains("not an identity name"));
        let actor = valid()["provision"]["actor"][0].clone();
        for actors in [json!([]), json!([actor.clone(), actor])] {
            let v = with_provision(|p| {
                p["actor"] = actors;
            });
            assert!(err(&v).to_string().contains("exactly one grantee"));
        }
        let v = with_provision(|p| {
            p.as_object_mut().unwrap().remove("actor");
        });
        assert!(
            matches!(err(&v), ConsentError::Missing { field } if field == "Consent.provision.actor")
        );
    }

    #[test]
    fn patient_forms() {
        let mut v = valid();
        v["patient"] =
            json!({ "identifier": { "system": IDENTITY_NAME_SYSTEM, "value": "alice" } });
        assert_eq!(
            parse_value(&v).unwrap().patient,
            Some(ConsentPatient::Name("alice".into()))
        );
        v.as_object_mut().unwrap().remove("patient");
        assert_eq!(parse_value(&v).unwrap().patient, None);
        v["patient"] = json!({ "display": "Alice" });
        assert!(err(&v)
            .to_string()
            .starts_with("Consent.patient: names no patient"));
    }

    #[test]
    fn bytes_are_checked() {
        assert!(matches!(parse(b"\xff"), Err(ConsentError::NotUtf8(_))));
        assert!(matches!(parse(b"{"), Err(ConsentError::Json(_))));
        assert!(matches!(parse(b"[]"), Err(ConsentError::Structure(_))));
        assert!(matches!(
            parse(br#"{"resourceType":"Consent","status":"active","status":"active"}"#),
            Err(ConsentError::Json(JsonError::DuplicateKey(_)))
        ));
        let big = vec![b' '; MAX_CONSENT_BYTES + 1];
        assert!(matches!(parse(&big), Err(ConsentError::TooLarge { .. })));
        // Deep nesting is refused by the JSON reader, not a stack overflow.
        let deep = "[".repeat(10_000);
        assert!(parse(deep.as_bytes()).is_err());
    }

    fn document(
        scope: &[ScopeFamily],
        purpose: ConsentPurpose,
        start: Option<u64>,
        end: u64,
    ) -> ConsentDocument {
        ConsentDocument {
            id: Some("grant-0".into()),
            status: ConsentStatus::Active,
            patient: ConsentPatient::Name("alice".into()),
            issued: Timestamp(BASE),
            terms: ConsentTerms {
                grantee: "bob".into(),
                scope: scope.iter().copied().collect(),
                purpose,
                not_before: start.map(Timestamp),
                not_after: Timestamp(end),
            },
        }
    }

    #[test]
    fn export_then_parse_gives_the_terms() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..500 {
            let bits = next() % (1 << ScopeFamily::ALL.len());
            let scope: Vec<_> = ScopeFamily::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, f)| f)
                .collect();
            if scope.is_empty() {
                continue;
            }
            let purpose = ConsentPurpose::ALL[(next() % 5) as usize];
            // Any second from 1970 to about 2191, windows up to three years.
            let start = next() % 7_000_000_000;
            let end = start + 1 + next() % 100_000_000;
            let start = (next() % 4 != 0).then_some(start);
            let doc = document(&scope, purpose, start, end);
            let json = to_fhir(&doc).unwrap();
            let back = parse_value(&json).unwrap();
            assert_eq!(back.terms, doc.terms, "{json}");
            assert_eq!(back.patient, Some(doc.patient.clone()));
        }
    }

    #[test]
    fn export_shape() {
        let mut doc = document(
            &[ScopeFamily::Observations],
            ConsentPurpose::Research,
            Some(BASE),
            BASE + 86_400,
        );
        doc.patient = ConsentPatient::Reference("Patient/p1".into());
        let v = to_fhir(&doc).unwrap();
        assert_eq!(v["resourceType"], "Consent");
        assert_eq!(v["id"], "grant-0");
        assert_eq!(v["status"], "active");
        assert_eq!(v["scope"]["coding"][0]["code"], PATIENT_PRIVACY);
        assert_eq!(
            v["category"][0]["coding"][0]["code"],
            CONSENT_DOCUMENT_LOINC
        );
        assert_eq!(v["patient"]["reference"], "Patient/p1");
        assert_eq!(v["dateTime"], "2025-06-15T15:06:40Z");
        assert_eq!(v["policyRule"]["coding"][0]["code"], OPT_IN);
        let p = &v["provision"];
        assert_eq!(p["type"], "permit");
        assert_eq!(p["period"]["start"], "2025-06-15T15:06:40Z");
        assert_eq!(p["period"]["end"], "2025-06-16T15:06:39Z");
        assert_eq!(
            p["actor"][0]["role"]["coding"][0]["code"],
            PRIMARY_RECIPIENT
        );
        assert_eq!(p["actor"][0]["reference"]["identifier"]["value"], "bob");
        assert_eq!(p["purpose"][0]["code"], "HRESCH");
        assert_eq!(
            p["class"],
            json!([
                { "system": RESOURCE_TYPES_SYSTEM, "code": "Observation" },
                { "system": RESOURCE_TYPES_SYSTEM, "code": "DiagnosticReport" }
            ])
        );
        doc.status = ConsentStatus::Inactive;
        let v = to_fhir(&doc).unwrap();
        assert_eq!(v["status"], "inactive");
        assert_eq!(
            parse_value(&v).unwrap_err(),
            ConsentError::NotActive("inactive".into())
        );
        // Refused: empty scope, empty window, a time past 2199, a bad id.
        assert!(to_fhir(&document(&[], ConsentPurpose::Treatment, None, BASE)).is_err());
        assert!(to_fhir(&document(
            &[ScopeFamily::Notes],
            ConsentPurpose::Treatment,
            Some(BASE),
            BASE
        ))
        .is_err());
        assert!(to_fhir(&document(
            &[ScopeFamily::Notes],
            ConsentPurpose::Treatment,
            None,
            u64::MAX
        ))
        .is_err());
        assert!(to_fhir(&document(
            &[ScopeFamily::Notes],
            ConsentPurpose::Treatment,
            None,
            0
        ))
        .is_err());
        let mut bad = document(&[ScopeFamily::Notes], ConsentPurpose::Treatment, None, BASE);
        bad.id = Some("a/b".into());
        assert!(to_fhir(&bad).is_err());
    }

    #[test]
    fn families_partition_resource_types() {
        let mut seen = BTreeSet::new();
        for f in ScopeFamily::ALL {
            assert_eq!(ScopeFamily::from_name(f.name()), Some(f));
            for t in f.resource_types() {
                assert!(seen.insert(*t), "{t} in two families");
                assert_eq!(ScopeFamily::of_resource_type(t), Some(f));
            }
        }
        // Every anchored record type has the family of its name.
        for kind in zkconsent_circuits::record::RecordKind::ALL {
            assert!(
                ScopeFamily::of_resource_type(kind.resource_type()).is_some(),
                "{kind:?}"
            );
        }
        for p in ConsentPurpose::ALL {
            assert_eq!(ConsentPurpose::from_code(p.code()), Some(p));
            assert_eq!(ConsentPurpose::from_name(p.name()), Some(p));
        }
    }
}
