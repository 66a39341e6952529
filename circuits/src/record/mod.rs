//! FHIR records and their leaf commitment, natively.
//!
//! A record custodian anchors a fingerprint of each supported FHIR R4 resource in the records
//! tree. The fingerprint commits to a fixed tuple of ten field elements (`docs/spec.md`,
//! "FHIR records", says how each is extracted from the resource):
//!
//! `leaf = PoseidonEx([kind, code, date, end_date, value, related_code, patient, coverage,
//! digest, salt, identity], initialState = tag("zkconsent.record.leaf"))`
//!
//! [`fields`] names the offsets. The content fields ([`RecordFields`]) come from the resource;
//! [`Record`] adds the zkconsent patient the record belongs to and a hiding salt, so a leaf
//! reveals nothing about a resource to anyone without the opening.
//!
//! Statement 2, Record ([`statement`], [`RecordCircuit`]), proves facts about one anchored
//! tuple: disclosed fields, ranges on its value and date, and membership of a code in a
//! committed [`CodeSet`]. The Claim ([`crate::claim`]) and Cohort ([`crate::cohort`])
//! statements work on record tuples too.

mod circuit;
pub mod code_set;
pub(crate) mod kind;
pub mod statement;

pub use circuit::{RecordAssignment, RecordCircuit};
pub use code_set::{CodeSet, CodeSetError, CodeSetRoot, CODE_SET_DEPTH, MAX_CODE_SET_SIZE};
pub use statement::{
    check, inputs, CodeSetPredicate, DiscloseMask, InclusiveRange, RecordError, RecordPrivate,
    RecordPublic, SetField, CIRCUIT_VERSION, DISCLOSABLE_FIELDS, STATEMENT,
};

use crate::{
    domain, poseidon,
    types::{CodeId, EpochDay, IdentityId, RecordCommitment, RecordSalt, ResourceDigest},
};
use ark_bn254::Fr;

/// Number of fields committed in a record leaf.
pub const RECORD_FIELDS: usize = 11;

/// Offsets of the committed fields (0-based), shared by the encoder and the circuits.
pub mod fields {
    /// Resource kind ([`super::RecordKind::code`]).
    pub const KIND: usize = 0;
    /// Code id of the principal coding.
    pub const CODE: usize = 1;
    /// Principal date, in days ([`crate::types::EpochDay`]).
    pub const DATE: usize = 2;
    /// End date, in days, or 0 when absent.
    pub const END_DATE: usize = 3;
    /// Quantity in milli-units or amount in cents, or 0.
    pub const VALUE: usize = 4;
    /// Code id of a related coding (diagnosis, unit), or 0.
    pub const RELATED_CODE: usize = 5;
    /// The zkconsent patient's identity id.
    pub const PATIENT: usize = 6;
    /// Code id of the insurance coverage, or 0.
    pub const COVERAGE: usize = 7;
    /// Low 248 bits of the SHA-256 of the resource's canonical JSON.
    pub const DIGEST: usize = 8;
    /// Hiding salt.
    pub const SALT: usize = 9;
    /// The resource's identity across versions ([`super::ResourceIdentity`]): last, so the
    /// disclosable fields stay the ones before the salt.
    pub const IDENTITY: usize = 10;
    /// Number of fields.
    pub const COUNT: usize = 11;
    /// Names in order, as in the spec.
    pub const NAMES: [&str; COUNT] = [
        "kind",
        "code",
        "date",
        "end_date",
        "value",
        "related_code",
        "patient",
        "coverage",
        "digest",
        "salt",
        "identity",
    ];
}

/// The FHIR resource types a record can be, with their `kind` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// `Patient` (demographics).
    Patient,
    /// `Condition` (diagnoses, findings).
    Condition,
    /// `Observation` (vital signs, labs, surveys).
    Observation,
    /// `Procedure`.
    Procedure,
    /// `Immunization`.
    Immunization,
    /// `Claim`.
    Claim,
    /// `ExplanationOfBenefit`.
    ExplanationOfBenefit,
    /// `Encounter`.
    Encounter,
    /// A patient's condition summary (spec §10.10): derived by the custodian from the
    /// patient's anchored records, not a FHIR resource, so never read from a file.
    ConditionSummary,
}

impl RecordKind {
    /// `kind` of a Patient record.
    pub const PATIENT_CODE: u64 = 1;
    /// `kind` of a Condition record.
    pub const CONDITION_CODE: u64 = 2;
    /// `kind` of an Observation record.
    pub const OBSERVATION_CODE: u64 = 3;
    /// `kind` of a Procedure record.
    pub const PROCEDURE_CODE: u64 = 4;
    /// `kind` of an Immunization record.
    pub const IMMUNIZATION_CODE: u64 = 5;
    /// `kind` of a Claim record.
    pub const CLAIM_CODE: u64 = 6;
    /// `kind` of an ExplanationOfBenefit record.
    pub const EXPLANATION_OF_BENEFIT_CODE: u64 = 7;
    /// `kind` of an Encounter record.
    pub const ENCOUNTER_CODE: u64 = 8;
    /// `kind` of a condition summary.
    pub const CONDITION_SUMMARY_CODE: u64 = 9;

    /// Every FHIR kind, in code order (a condition summary is not one).
    pub const ALL: [Self; 8] = [
        Self::Patient,
        Self::Condition,
        Self::Observation,
        Self::Procedure,
        Self::Immunization,
        Self::Claim,
        Self::ExplanationOfBenefit,
        Self::Encounter,
    ];

    /// The committed `kind` code.
    pub fn code(self) -> u64 {
        match self {
            Self::Patient => Self::PATIENT_CODE,
            Self::Condition => Self::CONDITION_CODE,
            Self::Observation => Self::OBSERVATION_CODE,
            Self::Procedure => Self::PROCEDURE_CODE,
            Self::Immunization => Self::IMMUNIZATION_CODE,
            Self::Claim => Self::CLAIM_CODE,
            Self::ExplanationOfBenefit => Self::EXPLANATION_OF_BENEFIT_CODE,
            Self::Encounter => Self::ENCOUNTER_CODE,
            Self::ConditionSummary => Self::CONDITION_SUMMARY_CODE,
        }
    }

    /// The kind with this code.
    pub fn from_code(code: u64) -> Option<Self> {
        if code == Self::CONDITION_SUMMARY_CODE {
            return Some(Self::ConditionSummary);
        }
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The FHIR `resourceType` (for a condition summary, a name no FHIR resource has: it
    /// is not a resource type and [`RecordKind::from_resource_type`] never returns it).
    pub fn resource_type(self) -> &'static str {
        match self {
            Self::Patient => "Patient",
            Self::Condition => "Condition",
            Self::Observation => "Observation",
            Self::Procedure => "Procedure",
            Self::Immunization => "Immunization",
            Self::Claim => "Claim",
            Self::ExplanationOfBenefit => "ExplanationOfBenefit",
            Self::Encounter => "Encounter",
            Self::ConditionSummary => "zkconsent:ConditionSummary",
        }
    }

    /// The kind of a FHIR `resourceType` (exact, case-sensitive), `None` if unsupported.
    pub fn from_resource_type(resource_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.resource_type() == resource_type)
    }
}

/// A non-negative quantity as an integer: milli-units for an Observation's value, cents for
/// a Claim's or ExplanationOfBenefit's amount, 0 otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ScaledValue(pub u64);

impl ScaledValue {
    /// As a field element.
    pub fn to_fr(self) -> Fr {
        Fr::from(self.0)
    }
}

/// What stays the same across a resource's versions: the low 248 bits of the SHA-256 of a
/// FHIR reference `Type/id` (`docs/spec.md`, "FHIR records"). A Claim's is its own
/// `Claim/id`; an ExplanationOfBenefit takes the `Claim/id` of the claim it adjudicates, so a
/// service has one identity across its Claim, its EOB and every later version of either, and
/// the Claim statement's nullifier, derived from it, pays a service once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ResourceIdentity(pub Fr);

/// The fields of a record that come from the FHIR resource itself.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordFields {
    /// Resource kind.
    pub kind: RecordKind,
    /// Principal coding.
    pub code: CodeId,
    /// Principal date.
    pub date: EpochDay,
    /// End date, [`EpochDay::NONE`] when absent.
    pub end_date: EpochDay,
    /// Scaled quantity or amount.
    pub value: ScaledValue,
    /// Related coding (a claim's diagnosis, an observation's unit), `CodeId(0)` when absent.
    pub related_code: CodeId,
    /// Insurance coverage, `CodeId(0)` when absent.
    pub coverage: CodeId,
    /// Digest of the resource's canonical JSON: this version.
    pub digest: ResourceDigest,
    /// Identity across versions (an EOB's is its claim's).
    pub identity: ResourceIdentity,
}

impl core::fmt::Debug for RecordFields {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Clinical content (codes, values) stays out of logs; kind and dates place it.
        f.debug_struct("RecordFields")
            .field("kind", &self.kind)
            .field("date", &self.date)
            .field("end_date", &self.end_date)
            .finish_non_exhaustive()
    }
}

/// A record: the resource's fields, the patient it belongs to, and the hiding salt.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// Fields from the resource.
    pub fields: RecordFields,
    /// The zkconsent patient's public id (links the record to the patient's consent).
    pub patient: IdentityId,
    /// Hiding salt, known to the custodian only.
    pub salt: RecordSalt,
}

impl core::fmt::Debug for Record {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Record")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl Record {
    /// The committed fields as field elements, in commitment order ([`fields`]).
    pub fn to_field_elements(&self) -> [Fr; RECORD_FIELDS] {
        let Self {
            fields:
                RecordFields {
                    kind,
                    code,
                    date,
                    end_date,
                    value,
                    related_code,
                    coverage,
                    digest,
                    identity,
                },
            patient,
            salt,
        } = self;
        let mut out = [Fr::from(0u64); RECORD_FIELDS];
        out[fields::KIND] = Fr::from(kind.code());
        out[fields::CODE] = code.0;
        out[fields::DATE] = date.to_fr();
        out[fields::END_DATE] = end_date.to_fr();
        out[fields::VALUE] = value.to_fr();
        out[fields::RELATED_CODE] = related_code.0;
        out[fields::PATIENT] = patient.0;
        out[fields::COVERAGE] = coverage.0;
        out[fields::DIGEST] = digest.0;
        out[fields::SALT] = salt.0;
        out[fields::IDENTITY] = identity.0;
        out
    }

    /// The leaf commitment.
    pub fn commit(&self) -> RecordCommitment {
        RecordCommitment(commit(&self.to_field_elements()))
    }
}

/// The leaf commitment over field-level record fields (in commitment order).
pub fn commit(fields: &[Fr; RECORD_FIELDS]) -> Fr {
    poseidon::hash_with_domain(domain::RECORD_LEAF, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SecretKey;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    fn sample(rng: &mut StdRng) -> Record {
        Record {
            fields: RecordFields {
                kind: RecordKind::Claim,
                code: CodeId(Fr::from(11u64)),
                date: EpochDay(15_000),
                end_date: EpochDay(15_001),
                value: ScaledValue(12_916),
                related_code: CodeId(Fr::from(12u64)),
                coverage: CodeId(Fr::from(13u64)),
                digest: ResourceDigest(Fr::from(14u64)),
                identity: ResourceIdentity(Fr::from(15u64)),
            },
            patient: SecretKey::random(rng).id(),
            salt: RecordSalt(Fr::rand(rng)),
        }
    }

    #[test]
    fn kinds_round_trip_and_codes_are_pinned() {
        let codes: Vec<u64> = RecordKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, (1..=8).collect::<Vec<_>>());
        for k in RecordKind::ALL {
            assert_eq!(RecordKind::from_code(k.code()), Some(k));
            assert_eq!(RecordKind::from_resource_type(k.resource_type()), Some(k));
        }
        assert_eq!(RecordKind::from_code(0), None);
        assert_eq!(RecordKind::from_code(9), Some(RecordKind::ConditionSummary));
        assert_eq!(RecordKind::from_code(10), None);
        assert_eq!(
            RecordKind::from_resource_type(RecordKind::ConditionSummary.resource_type()),
            None
        );
        assert_eq!(RecordKind::from_resource_type("condition"), None);
        assert_eq!(RecordKind::from_resource_type("Organization"), None);
    }

    #[test]
    fn field_order_is_the_spec_order() {
        let mut rng = StdRng::seed_from_u64(51);
        let r = sample(&mut rng);
        let f = r.to_field_elements();
        assert_eq!(f[fields::KIND], Fr::from(6u64));
        assert_eq!(f[fields::CODE], Fr::from(11u64));
        assert_eq!(f[fields::DATE], Fr::from(15_000u64));
        assert_eq!(f[fields::END_DATE], Fr::from(15_001u64));
        assert_eq!(f[fields::VALUE], Fr::from(12_916u64));
        assert_eq!(f[fields::RELATED_CODE], Fr::from(12u64));
        assert_eq!(f[fields::PATIENT], r.patient.0);
        assert_eq!(f[fields::COVERAGE], Fr::from(13u64));
        assert_eq!(f[fields::DIGEST], Fr::from(14u64));
        assert_eq!(f[fields::SALT], r.salt.0);
        assert_eq!(f[fields::IDENTITY], Fr::from(15u64));
        assert_eq!(fields::NAMES.len(), RECORD_FIELDS);
    }

    #[test]
    fn commitment_binds_every_field_and_the_salt_hides() {
        let mut rng = StdRng::seed_from_u64(52);
        let r = sample(&mut rng);
        let leaf = r.commit();
        assert_eq!(
            leaf.0,
            poseidon::hash_with_domain(domain::RECORD_LEAF, &r.to_field_elements())
        );
        // Changing any one field changes the leaf.
        let base = r.to_field_elements();
        for i in 0..RECORD_FIELDS {
            let mut f = base;
            f[i] += Fr::from(1u64);
            assert_ne!(commit(&f), leaf.0, "field {}", fields::NAMES[i]);
        }
        // Same content, another salt: another leaf.
        let mut other = r.clone();
        other.salt = RecordSalt::random(&mut rng);
        assert_ne!(other.commit(), leaf);
        // Debug shows neither the salt nor clinical content.
        let shown = format!("{r:?}");
        assert!(!shown.contains(&crate::fr_to_hex(&r.salt.0)), "{shown}");
        assert!(
            !shown.contains("12916") && !shown.contains("CodeId"),
            "{shown}"
        );
    }
}
