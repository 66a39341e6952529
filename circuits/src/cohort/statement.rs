//! The Cohort statement natively: public inputs, witness, and [`check`], the executable spec.
//!
//! [`CohortPublic`] lists the public inputs in circuit order;
//! [`CohortPublic::to_field_elements`] is the only encoder. [`super::CohortCircuit`] must
//! agree with [`check`] both ways (tests in `circuits/tests/cohort.rs`).

use super::{
    summary::{list_hash, LIST_PAD, MAX_SUMMARY_CODES},
    CohortNullifier, ExclusionHash, ExclusionList, StudyId,
};
use crate::{
    grant::Grant,
    merkle::{MerklePath, EMPTY_LEAF},
    range,
    record::{fields, CodeSetRoot, InclusiveRange, Record, RecordKind, CODE_SET_DEPTH},
    statement::{Decoder, InputError},
    types::{
        EpochDay, GrantsRoot, Nonce, Purpose, RecordsRoot, RequestHash, Scope, SecretKey,
        Timestamp, VerifierId,
    },
};
use ark_bn254::Fr;
use ark_ff::Zero;

/// Statement name in proof files and the params manifest.
pub const STATEMENT: &str = "cohort";
/// Bumped whenever the constraint system changes shape or meaning. Version 3: the birth
/// window and summary dates are day numbers after 1799-12-31 ([`crate::calendar`]), no
/// longer after 1970-01-01, so a version-2 window means other dates.
pub const CIRCUIT_VERSION: u32 = 3;

/// Public-input offsets (0-based, excluding the constant 1), shared by the encoder and the
/// circuit.
pub mod inputs {
    /// Records tree root (the condition summary is anchored under it).
    pub const RECORDS_ROOT: usize = 0;
    /// Grants tree root (the research grant is under it).
    pub const GRANTS_ROOT: usize = 1;
    /// Time of the request, Unix seconds: the grant must be valid then.
    pub const NOW: usize = 2;
    /// Requested scope bitmask; the grant's scope must cover it.
    pub const SCOPE: usize = 3;
    /// Requested purpose (research); must equal the grant's.
    pub const PURPOSE: usize = 4;
    /// Earliest accepted birth date, a day number ([`crate::types::EpochDay`]).
    pub const BIRTH_LO: usize = 5;
    /// Latest accepted birth date, a day number.
    pub const BIRTH_HI: usize = 6;
    /// Earliest accepted summary date (`as_of`), a day number.
    pub const SUMMARY_NOT_BEFORE: usize = 7;
    /// Root of the inclusion code set.
    pub const INCLUSION_ROOT: usize = 8;
    /// `H_exclusion.set` of the exclusion list.
    pub const EXCLUSION_HASH: usize = 9;
    /// The study id.
    pub const STUDY: usize = 10;
    /// `H_cohort.nullifier(patient_secret, study)`.
    pub const NULLIFIER: usize = 11;
    /// Request hash (researcher id and nonce).
    pub const REQUEST_HASH: usize = 12;
    /// Number of public inputs.
    pub const COUNT: usize = 13;
    /// Names in order, as used in proof files.
    pub const NAMES: [&str; COUNT] = [
        "records_root",
        "grants_root",
        "now",
        "scope",
        "purpose",
        "birth_lo",
        "birth_hi",
        "summary_not_before",
        "inclusion_root",
        "exclusion_hash",
        "study",
        "nullifier",
        "request_hash",
    ];
}

/// What a study asks of every participant: the public inputs the researcher chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StudyCriteria {
    /// The study ([`StudyId::from_name`]).
    pub study: StudyId,
    /// Accepted birth dates ([`super::birth_window`] turns an age range into one).
    pub birth_window: InclusiveRange,
    /// Oldest accepted condition summary: its `as_of` must be on or after this day.
    pub summary_not_before: EpochDay,
    /// Root of the inclusion code set ([`crate::record::CodeSet::root`]).
    pub inclusion_root: CodeSetRoot,
    /// Hash of the exclusion list ([`ExclusionList::hash`]).
    pub exclusion_hash: ExclusionHash,
    /// Scope the research grant must cover.
    pub scope: Scope,
    /// Purpose the research grant must name.
    pub purpose: Purpose,
}

/// The public inputs, in circuit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CohortPublic {
    /// Root of the records tree the summary is anchored in.
    pub records_root: RecordsRoot,
    /// Root of the grants tree the research grant is in.
    pub grants_root: GrantsRoot,
    /// Time of the request; the grant is valid then.
    pub now: Timestamp,
    /// Requested scope; the grant's scope must cover it.
    pub scope: Scope,
    /// Requested purpose; must equal the grant's.
    pub purpose: Purpose,
    /// Accepted birth dates (inputs `birth_lo`, `birth_hi`).
    pub birth_window: InclusiveRange,
    /// The summary's `as_of` is on or after this day.
    pub summary_not_before: EpochDay,
    /// Root of the inclusion code set.
    pub inclusion_root: CodeSetRoot,
    /// Hash of the exclusion list.
    pub exclusion_hash: ExclusionHash,
    /// The study.
    pub study: StudyId,
    /// `H_cohort.nullifier(patient_secret, study)`.
    pub nullifier: CohortNullifier,
    /// `H_request(researcher_id, nonce)`.
    pub request_hash: RequestHash,
}

impl CohortPublic {
    /// Number of public inputs.
    pub const NUM_INPUTS: usize = inputs::COUNT;

    /// The public inputs as field elements, in circuit order: the only encoder.
    pub fn to_field_elements(&self) -> [Fr; inputs::COUNT] {
        let Self {
            records_root,
            grants_root,
            now,
            scope,
            purpose,
            birth_window,
            summary_not_before,
            inclusion_root,
            exclusion_hash,
            study,
            nullifier,
            request_hash,
        } = self;
        let mut out = [Fr::zero(); inputs::COUNT];
        out[inputs::RECORDS_ROOT] = records_root.0;
        out[inputs::GRANTS_ROOT] = grants_root.0;
        out[inputs::NOW] = now.to_fr();
        out[inputs::SCOPE] = scope.to_fr();
        out[inputs::PURPOSE] = purpose.to_fr();
        out[inputs::BIRTH_LO] = Fr::from(birth_window.lo);
        out[inputs::BIRTH_HI] = Fr::from(birth_window.hi);
        out[inputs::SUMMARY_NOT_BEFORE] = summary_not_before.to_fr();
        out[inputs::INCLUSION_ROOT] = inclusion_root.0;
        out[inputs::EXCLUSION_HASH] = exclusion_hash.0;
        out[inputs::STUDY] = study.0;
        out[inputs::NULLIFIER] = nullifier.0;
        out[inputs::REQUEST_HASH] = request_hash.0;
        out
    }

    /// The public inputs from field elements: the decoder twin of
    /// [`Self::to_field_elements`].
    ///
    /// # Errors
    ///
    /// [`InputError::WrongCount`], or [`InputError::OutOfRange`] for a time, scope,
    /// purpose, birth bound or summary date past 64 bits.
    pub fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        let d = Decoder::new(elements, &inputs::NAMES)?;
        Ok(Self {
            records_root: RecordsRoot(d.fr(inputs::RECORDS_ROOT)),
            grants_root: GrantsRoot(d.fr(inputs::GRANTS_ROOT)),
            now: Timestamp(d.u64(inputs::NOW)?),
            scope: Scope(d.u64(inputs::SCOPE)?),
            purpose: Purpose(d.u64(inputs::PURPOSE)?),
            birth_window: InclusiveRange::new(d.u64(inputs::BIRTH_LO)?, d.u64(inputs::BIRTH_HI)?),
            summary_not_before: EpochDay(d.u64(inputs::SUMMARY_NOT_BEFORE)?),
            inclusion_root: CodeSetRoot(d.fr(inputs::INCLUSION_ROOT)),
            exclusion_hash: ExclusionHash(d.fr(inputs::EXCLUSION_HASH)),
            study: StudyId(d.fr(inputs::STUDY)),
            nullifier: CohortNullifier(d.fr(inputs::NULLIFIER)),
            request_hash: RequestHash(d.fr(inputs::REQUEST_HASH)),
        })
    }

    /// The study's terms these inputs carry.
    pub fn criteria(&self) -> StudyCriteria {
        StudyCriteria {
            study: self.study,
            birth_window: self.birth_window,
            summary_not_before: self.summary_not_before,
            inclusion_root: self.inclusion_root,
            exclusion_hash: self.exclusion_hash,
            scope: self.scope,
            purpose: self.purpose,
        }
    }
}

/// The witness: the patient's key, the condition summary's opening and its list, the
/// included condition's position and set path, the study's exclusion list, the research
/// grant, and the request nonce.
#[derive(Clone)]
pub struct CohortPrivate {
    /// The patient's secret key (`patient = H_identity(patient_secret)`).
    pub patient_secret: SecretKey,
    /// The anchored condition summary (`kind = 9`; [`super::ConditionSummary::to_record`]).
    pub summary: Record,
    /// Inclusion path of the summary's leaf in the records tree.
    pub summary_path: MerklePath,
    /// The summary's condition codes in list order ([`super::ConditionSummary::codes`]), at
    /// most [`MAX_SUMMARY_CODES`]; the list is padded with 0.
    pub conditions: Vec<crate::types::CodeId>,
    /// Position in the list of a condition in the inclusion set.
    pub selected: usize,
    /// Inclusion path of that condition in the inclusion set ([`CODE_SET_DEPTH`] levels).
    pub inclusion_path: MerklePath,
    /// The study's exclusion list (public knowledge; a witness in the circuit).
    pub exclusion: ExclusionList,
    /// The research grant: from the patient to the researcher (its grantee), who is the
    /// request's verifier.
    pub grant: Grant,
    /// Inclusion path of the grant's leaf in the grants tree (the records tree's depth).
    pub grant_path: MerklePath,
    /// The researcher's nonce for this request.
    pub nonce: Nonce,
}

impl core::fmt::Debug for CohortPrivate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CohortPrivate")
            .field("summary_index", &self.summary_path.index)
            .field("grant_index", &self.grant_path.index)
            .field("researcher", &self.researcher())
            .finish_non_exhaustive()
    }
}

impl CohortPrivate {
    /// The researcher: the grant's grantee, as the verifier id of the request.
    pub fn researcher(&self) -> VerifierId {
        VerifierId(self.grant.grantee.0)
    }

    /// The condition list as the circuit hashes it: the conditions, then 0 up to
    /// [`MAX_SUMMARY_CODES`] (a longer list is kept whole, and fails).
    pub fn slots(&self) -> Vec<Fr> {
        let mut slots: Vec<Fr> = self.conditions.iter().map(|c| c.0).collect();
        if slots.len() < MAX_SUMMARY_CODES {
            slots.resize(MAX_SUMMARY_CODES, LIST_PAD);
        }
        slots
    }

    /// The public inputs an honest prover publishes for this witness, given the two roots,
    /// the time of the request, and the study's terms.
    pub fn public_for(
        &self,
        records_root: RecordsRoot,
        grants_root: GrantsRoot,
        now: Timestamp,
        criteria: &StudyCriteria,
    ) -> CohortPublic {
        CohortPublic {
            records_root,
            grants_root,
            now,
            scope: criteria.scope,
            purpose: criteria.purpose,
            birth_window: criteria.birth_window,
            summary_not_before: criteria.summary_not_before,
            inclusion_root: criteria.inclusion_root,
            exclusion_hash: criteria.exclusion_hash,
            study: criteria.study,
            nullifier: CohortNullifier::derive(&self.patient_secret, criteria.study),
            request_hash: RequestHash::derive(self.researcher(), self.nonce),
        }
    }
}

/// Why a statement is false: one variant per constraint group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CohortError {
    /// The record's kind is not 9 (condition summary).
    NotASummary,
    /// The summary's patient is not `H_identity(patient_secret)`.
    SummaryOfAnotherPatient,
    /// The summary's leaf is not in the records tree under this root.
    SummaryNotInTree,
    /// The condition list does not hash to the summary's `code` (or is longer than
    /// [`MAX_SUMMARY_CODES`]).
    ConditionListMismatch,
    /// The birth date (`date`) is outside `[birth_lo, birth_hi]`.
    OutsideBirthWindow,
    /// The summary was made (`end_date`, `as_of`) before `summary_not_before`.
    StaleSummary,
    /// The selected condition is absent (a pad, or past the list) or not in the inclusion
    /// set.
    NoIncludedCondition,
    /// The exclusion list does not hash to `exclusion_hash`.
    ExclusionListMismatch,
    /// A listed condition (or pad) equals an exclusion entry.
    ExcludedCondition {
        /// Position in the condition list.
        slot: usize,
        /// Position in the exclusion entries.
        entry: usize,
    },
    /// The grant's patient is not `H_identity(patient_secret)`.
    GrantOfAnotherPatient,
    /// The grant's leaf is not in the grants tree under this root (revoked, never issued,
    /// wrong path), or its path is not of the records path's depth.
    ConsentNotInTree,
    /// `now` is outside the grant's `[not_before, not_after)`.
    ConsentOutsideWindow,
    /// The grant's scope does not cover the requested scope.
    ScopeNotCovered,
    /// The grant's purpose is not the requested purpose.
    PurposeMismatch,
    /// The nullifier is not `H_cohort.nullifier(patient_secret, study)`.
    NullifierMismatch,
    /// The request hash does not open to the researcher id and nonce.
    RequestHashMismatch,
}

impl core::fmt::Display for CohortError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotASummary => f.write_str("record is not a condition summary"),
            Self::SummaryOfAnotherPatient => {
                f.write_str("condition summary belongs to another patient")
            }
            Self::SummaryNotInTree => {
                f.write_str("condition summary is not anchored in the records tree")
            }
            Self::ConditionListMismatch => f.write_str("condition list does not match the summary"),
            Self::OutsideBirthWindow => {
                f.write_str("birth date is outside the study's window (age not in its range)")
            }
            Self::StaleSummary => f.write_str("condition summary is older than the study accepts"),
            Self::NoIncludedCondition => f.write_str("no listed condition is in the inclusion set"),
            Self::ExclusionListMismatch => {
                f.write_str("exclusion list does not match the study's hash")
            }
            Self::ExcludedCondition { slot, entry } => {
                write!(f, "listed condition {slot} equals exclusion entry {entry}")
            }
            Self::GrantOfAnotherPatient => f.write_str("research grant is another patient's"),
            Self::ConsentNotInTree => {
                f.write_str("research grant is not in the grants tree (revoked or never issued)")
            }
            Self::ConsentOutsideWindow => f.write_str(
                "time is outside the research grant's validity window (expired or not yet valid)",
            ),
            Self::ScopeNotCovered => {
                f.write_str("the study's scope is wider than the research grant's")
            }
            Self::PurposeMismatch => f.write_str("the research grant is for another purpose"),
            Self::NullifierMismatch => {
                f.write_str("nullifier does not match the patient and study")
            }
            Self::RequestHashMismatch => {
                f.write_str("request hash does not match researcher and nonce")
            }
        }
    }
}

impl std::error::Error for CohortError {}

/// The relation, natively: the executable specification of the Cohort statement.
///
/// # Errors
///
/// The first [`CohortError`] that makes the statement false.
pub fn check(public: &CohortPublic, private: &CohortPrivate) -> Result<(), CohortError> {
    let patient = private.patient_secret.id();
    let summary = &private.summary;
    let tuple = summary.to_field_elements();
    // The summary: a condition summary of this patient, anchored.
    if summary.fields.kind != RecordKind::ConditionSummary {
        return Err(CohortError::NotASummary);
    }
    if summary.patient != patient {
        return Err(CohortError::SummaryOfAnotherPatient);
    }
    let leaf = summary.commit().0;
    if leaf == EMPTY_LEAF || private.summary_path.root(leaf) != public.records_root.0 {
        return Err(CohortError::SummaryNotInTree);
    }
    // The list the summary commits to.
    let slots = private.slots();
    let slots: &[Fr; MAX_SUMMARY_CODES] = slots
        .as_slice()
        .try_into()
        .map_err(|_| CohortError::ConditionListMismatch)?;
    if list_hash(slots) != tuple[fields::CODE] {
        return Err(CohortError::ConditionListMismatch);
    }
    // Age as a birth-date window; freshness of the summary.
    if !public.birth_window.contains(summary.fields.date.0) {
        return Err(CohortError::OutsideBirthWindow);
    }
    if summary.fields.end_date < public.summary_not_before {
        return Err(CohortError::StaleSummary);
    }
    // Inclusion: a listed, non-absent condition in the inclusion set.
    let selected = slots.get(private.selected).copied().unwrap_or(LIST_PAD);
    if selected.is_zero()
        || private.inclusion_path.depth() != CODE_SET_DEPTH
        || private.inclusion_path.root(selected) != public.inclusion_root.0
    {
        return Err(CohortError::NoIncludedCondition);
    }
    // Exclusion: the study's list, and no listed condition (or pad) is on it.
    let entries = private.exclusion.entries();
    if super::exclusion_hash(&entries) != public.exclusion_hash.0 {
        return Err(CohortError::ExclusionListMismatch);
    }
    for (slot, code) in slots.iter().enumerate() {
        if let Some(entry) = entries.iter().position(|e| e == code) {
            return Err(CohortError::ExcludedCondition { slot, entry });
        }
    }
    // Consent: this patient's research grant, valid now, for this scope and purpose.
    let grant = &private.grant;
    if grant.patient != patient {
        return Err(CohortError::GrantOfAnotherPatient);
    }
    let grant_leaf = grant.commit().0;
    if grant_leaf == EMPTY_LEAF
        || private.grant_path.depth() != private.summary_path.depth()
        || private.grant_path.root(grant_leaf) != public.grants_root.0
    {
        return Err(CohortError::ConsentNotInTree);
    }
    if !range::in_window(grant.not_before.0, public.now.0, grant.not_after.0) {
        return Err(CohortError::ConsentOutsideWindow);
    }
    if !grant.scope.covers(public.scope) {
        return Err(CohortError::ScopeNotCovered);
    }
    if grant.purpose != public.purpose {
        return Err(CohortError::PurposeMismatch);
    }
    // Once per patient per study; bound to the researcher's request.
    if CohortNullifier::derive(&private.patient_secret, public.study) != public.nullifier {
        return Err(CohortError::NullifierMismatch);
    }
    if RequestHash::derive(private.researcher(), private.nonce) != public.request_hash {
        return Err(CohortError::RequestHashMismatch);
    }
    Ok(())
}
