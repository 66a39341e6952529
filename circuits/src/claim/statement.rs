//! The Claim statement natively: public inputs, witness, and [`check`], the executable spec.
//!
//! [`ClaimPublic`] lists the public inputs in circuit order; [`ClaimPublic::to_field_elements`]
//! is the only encoder. [`super::ClaimCircuit`] must agree with [`check`] both ways (tests in
//! `circuits/tests/claim.rs`).

use super::{ClaimNullifier, PolicyCommitment};
use crate::{
    merkle::{MerklePath, EMPTY_LEAF},
    record::{fields, CodeSet, CodeSetRoot, Record, RecordKind, ScaledValue, CODE_SET_DEPTH},
    statement::{Decoder, InputError},
    types::{CodeId, EpochDay, Nonce, RecordsRoot, RequestHash, VerifierId},
};
use ark_bn254::Fr;

/// Statement name in proof files and the params manifest.
pub const STATEMENT: &str = "claim";
/// Bumped whenever the constraint system changes shape or meaning.
pub const CIRCUIT_VERSION: u32 = 3;

/// Public-input offsets (0-based, excluding the constant 1), shared by the encoder and the
/// circuit.
pub mod inputs {
    /// Records tree root.
    pub const RECORDS_ROOT: usize = 0;
    /// The record's `kind`: 6 (Claim) or 7 (ExplanationOfBenefit).
    pub const KIND: usize = 1;
    /// The record's `code`: the service (`item[0].productOrService`).
    pub const SERVICE_CODE: usize = 2;
    /// The record's `date`: start of the billable period, in days.
    pub const SERVICE_DATE: usize = 3;
    /// The record's `value`: the amount in cents.
    pub const AMOUNT: usize = 4;
    /// Root of the insurer's covered-diagnosis code set.
    pub const COVERED_SET_ROOT: usize = 5;
    /// `H_policy(patient_id, coverage)`.
    pub const POLICY: usize = 6;
    /// `H_claim.nullifier(identity, insurer_id)`.
    pub const NULLIFIER: usize = 7;
    /// Request hash (insurer id and nonce).
    pub const REQUEST_HASH: usize = 8;
    /// Number of public inputs.
    pub const COUNT: usize = 9;
    /// Names in order, as used in proof files.
    pub const NAMES: [&str; COUNT] = [
        "records_root",
        "kind",
        "service_code",
        "service_date",
        "amount",
        "covered_set_root",
        "policy",
        "nullifier",
        "request_hash",
    ];
}

/// Whether a record kind can back a claim: Claim or ExplanationOfBenefit.
pub fn is_claim_kind(kind: RecordKind) -> bool {
    matches!(kind, RecordKind::Claim | RecordKind::ExplanationOfBenefit)
}

/// The public inputs, in circuit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimPublic {
    /// Root of the records tree the proof is against.
    pub records_root: RecordsRoot,
    /// The record's kind ([`RecordKind::Claim`] or [`RecordKind::ExplanationOfBenefit`]).
    pub kind: RecordKind,
    /// The record's `code`: the billed service.
    pub service_code: CodeId,
    /// The record's `date`: start of the billable period.
    pub service_date: EpochDay,
    /// The record's `value`: the amount in cents.
    pub amount: ScaledValue,
    /// Root of the code set of diagnoses the insurer covers ([`CodeSet::root`]).
    pub covered_set_root: CodeSetRoot,
    /// `H_policy(patient_id, coverage)`.
    pub policy: PolicyCommitment,
    /// `H_claim.nullifier(identity, insurer_id)`.
    pub nullifier: ClaimNullifier,
    /// `H_request(insurer_id, nonce)`.
    pub request_hash: RequestHash,
}

impl ClaimPublic {
    /// Number of public inputs.
    pub const NUM_INPUTS: usize = inputs::COUNT;

    /// The public inputs as field elements, in circuit order: the only encoder.
    pub fn to_field_elements(&self) -> [Fr; inputs::COUNT] {
        let Self {
            records_root,
            kind,
            service_code,
            service_date,
            amount,
            covered_set_root,
            policy,
            nullifier,
            request_hash,
        } = self;
        let mut out = [Fr::from(0u64); inputs::COUNT];
        out[inputs::RECORDS_ROOT] = records_root.0;
        out[inputs::KIND] = Fr::from(kind.code());
        out[inputs::SERVICE_CODE] = service_code.0;
        out[inputs::SERVICE_DATE] = service_date.to_fr();
        out[inputs::AMOUNT] = amount.to_fr();
        out[inputs::COVERED_SET_ROOT] = covered_set_root.0;
        out[inputs::POLICY] = policy.0;
        out[inputs::NULLIFIER] = nullifier.0;
        out[inputs::REQUEST_HASH] = request_hash.0;
        out
    }

    /// The public inputs from field elements: the decoder twin of
    /// [`Self::to_field_elements`].
    ///
    /// # Errors
    ///
    /// [`InputError::WrongCount`], or [`InputError::OutOfRange`] for a kind that is neither
    /// Claim (6) nor ExplanationOfBenefit (7) (the circuit accepts no other), or a date or
    /// amount past 64 bits.
    pub fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        let d = Decoder::new(elements, &inputs::NAMES)?;
        let kind = d
            .u64(inputs::KIND)
            .ok()
            .and_then(RecordKind::from_code)
            .filter(|k| is_claim_kind(*k))
            .ok_or_else(|| d.out_of_range(inputs::KIND))?;
        Ok(Self {
            records_root: RecordsRoot(d.fr(inputs::RECORDS_ROOT)),
            kind,
            service_code: CodeId(d.fr(inputs::SERVICE_CODE)),
            service_date: EpochDay(d.u64(inputs::SERVICE_DATE)?),
            amount: ScaledValue(d.u64(inputs::AMOUNT)?),
            covered_set_root: CodeSetRoot(d.fr(inputs::COVERED_SET_ROOT)),
            policy: PolicyCommitment(d.fr(inputs::POLICY)),
            nullifier: ClaimNullifier(d.fr(inputs::NULLIFIER)),
            request_hash: RequestHash(d.fr(inputs::REQUEST_HASH)),
        })
    }
}

/// The witness: the claim record's opening, its path, the diagnosis's path in the covered
/// set, and the request opening.
#[derive(Clone)]
pub struct ClaimPrivate {
    /// The anchored Claim or ExplanationOfBenefit record (tuple and salt).
    pub record: Record,
    /// Inclusion path of the record's leaf in the records tree.
    pub path: MerklePath,
    /// Inclusion path of the record's diagnosis (`related_code`) in the covered set
    /// ([`CODE_SET_DEPTH`] levels).
    pub covered_path: MerklePath,
    /// The insurer this proof is for (the request's verifier).
    pub insurer: VerifierId,
    /// The insurer's nonce for this request.
    pub nonce: Nonce,
}

impl core::fmt::Debug for ClaimPrivate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClaimPrivate")
            .field("leaf_index", &self.path.index)
            .field("insurer", &self.insurer)
            .finish_non_exhaustive()
    }
}

impl ClaimPrivate {
    /// The public inputs an honest prover publishes for this witness, given the root and the
    /// insurer's covered set.
    pub fn public_for(&self, records_root: RecordsRoot, covered: &CodeSet) -> ClaimPublic {
        let record = &self.record;
        let f = &record.fields;
        ClaimPublic {
            records_root,
            kind: f.kind,
            service_code: f.code,
            service_date: f.date,
            amount: f.value,
            covered_set_root: covered.root(),
            policy: PolicyCommitment::derive(record.patient, f.coverage),
            nullifier: ClaimNullifier::derive(f.identity, self.insurer),
            request_hash: RequestHash::derive(self.insurer, self.nonce),
        }
    }
}

/// Why a statement is false: one variant per constraint group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimError {
    /// The public `kind` is neither Claim (6) nor ExplanationOfBenefit (7).
    NotAClaim,
    /// The record's leaf is not in the records tree under this root.
    NotInTree,
    /// A disclosed input differs from the record's field (offset in [`fields`]: `kind`,
    /// `code`, `date` or `value`).
    DisclosedFieldMismatch {
        /// Offset of the record field ([`fields::NAMES`] names it).
        field: usize,
    },
    /// The record has no diagnosis (`related_code` is 0), as a well-child visit's claim: no
    /// covered set can hold it.
    NoDiagnosis,
    /// The diagnosis (`related_code`) is not in the covered set.
    DiagnosisNotCovered,
    /// The record has no coverage (`coverage` is 0): it matches no policy.
    NoCoverage,
    /// The policy input is not `H_policy(patient, coverage)` of the record.
    PolicyMismatch,
    /// The nullifier is not `H_claim.nullifier(identity, insurer_id)`.
    NullifierMismatch,
    /// The request hash does not open to the insurer id and nonce.
    RequestHashMismatch,
}

impl core::fmt::Display for ClaimError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotAClaim => f.write_str("record kind is not Claim or ExplanationOfBenefit"),
            Self::NotInTree => f.write_str("claim record is not anchored in the records tree"),
            Self::DisclosedFieldMismatch { field } => write!(
                f,
                "disclosed {} differs from the record",
                fields::NAMES.get(*field).copied().unwrap_or("field")
            ),
            Self::NoDiagnosis => f.write_str("claim record has no diagnosis to check coverage of"),
            Self::DiagnosisNotCovered => f.write_str("diagnosis is not in the covered set"),
            Self::NoCoverage => f.write_str("claim record has no insurance coverage"),
            Self::PolicyMismatch => f.write_str("policy does not match patient and coverage"),
            Self::NullifierMismatch => {
                f.write_str("nullifier does not match the service and insurer")
            }
            Self::RequestHashMismatch => {
                f.write_str("request hash does not match insurer and nonce")
            }
        }
    }
}

impl std::error::Error for ClaimError {}

/// The relation, natively: the executable specification of the Claim statement.
///
/// # Errors
///
/// The first [`ClaimError`] that makes the statement false.
pub fn check(public: &ClaimPublic, private: &ClaimPrivate) -> Result<(), ClaimError> {
    let record = &private.record;
    let tuple = record.to_field_elements();
    let zero = Fr::from(0u64);
    // Kind: only a Claim or an ExplanationOfBenefit backs a claim.
    if !is_claim_kind(public.kind) {
        return Err(ClaimError::NotAClaim);
    }
    // Membership.
    let leaf = record.commit().0;
    if leaf == EMPTY_LEAF || private.path.root(leaf) != public.records_root.0 {
        return Err(ClaimError::NotInTree);
    }
    // Disclosure: each disclosed input is the record's field.
    let public_fields = public.to_field_elements();
    for (input, field) in [
        (inputs::KIND, fields::KIND),
        (inputs::SERVICE_CODE, fields::CODE),
        (inputs::SERVICE_DATE, fields::DATE),
        (inputs::AMOUNT, fields::VALUE),
    ] {
        if public_fields[input] != tuple[field] {
            return Err(ClaimError::DisclosedFieldMismatch { field });
        }
    }
    // Diagnosis: present (empty slots hold 0) and in the covered set, on a path of the
    // set's fixed shape.
    let diagnosis = tuple[fields::RELATED_CODE];
    if diagnosis == zero {
        return Err(ClaimError::NoDiagnosis);
    }
    if private.covered_path.depth() != CODE_SET_DEPTH
        || private.covered_path.root(diagnosis) != public.covered_set_root.0
    {
        return Err(ClaimError::DiagnosisNotCovered);
    }
    // Policy: a claim without insurance matches no policy.
    if record.fields.coverage.0 == zero {
        return Err(ClaimError::NoCoverage);
    }
    if PolicyCommitment::derive(record.patient, record.fields.coverage) != public.policy {
        return Err(ClaimError::PolicyMismatch);
    }
    // Nullifier and request binding share the insurer id.
    if ClaimNullifier::derive(record.fields.identity, private.insurer) != public.nullifier {
        return Err(ClaimError::NullifierMismatch);
    }
    if RequestHash::derive(private.insurer, private.nonce) != public.request_hash {
        return Err(ClaimError::RequestHashMismatch);
    }
    Ok(())
}
