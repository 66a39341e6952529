//! Statement 2, Record: "this record is anchored under this records root; these are its
//! disclosed fields; its hidden value and date lie in these ranges; its code (or related
//! code) is in this committed code set; and this proof answers this one request".
//!
//! [`RecordPublic`] lists the public inputs in circuit order; [`RecordPublic::to_field_elements`]
//! is the only encoder. [`check`] decides the relation natively and is the executable spec;
//! [`super::RecordCircuit`] must agree with it both ways (tests in `circuits/tests/record.rs`).

use super::{
    code_set::{CodeSetRoot, CODE_SET_DEPTH},
    fields, Record,
};
use crate::{
    merkle::{MerklePath, EMPTY_LEAF},
    statement::{Decoder, InputError},
    types::{Nonce, RecordsRoot, RequestHash, VerifierId},
};
use ark_bn254::Fr;

/// Statement name in proof files and the params manifest.
pub const STATEMENT: &str = "record";
/// Bumped whenever the constraint system changes shape or meaning.
pub const CIRCUIT_VERSION: u32 = 3;

/// Tuple fields that can be disclosed: `kind` to `digest` (0..=8). The salt never is.
pub const DISCLOSABLE_FIELDS: usize = fields::SALT;

/// Public-input offsets (0-based, excluding the constant 1), shared by the encoder and the
/// circuit.
pub mod inputs {
    use super::DISCLOSABLE_FIELDS;

    /// Records tree root.
    pub const RECORDS_ROOT: usize = 0;
    /// Disclosure mask: bit `i` discloses tuple field `i` (`record::fields`), `i < 9`.
    pub const DISCLOSE_MASK: usize = 1;
    /// First disclosed value: tuple field `i` is at `DISCLOSED + i` (0 when not disclosed).
    pub const DISCLOSED: usize = 2;
    /// Lower bound (inclusive) on the hidden `value`.
    pub const VALUE_LO: usize = DISCLOSED + DISCLOSABLE_FIELDS;
    /// Upper bound (inclusive) on the hidden `value`.
    pub const VALUE_HI: usize = VALUE_LO + 1;
    /// Lower bound (inclusive) on the hidden `date`.
    pub const DATE_LO: usize = VALUE_LO + 2;
    /// Upper bound (inclusive) on the hidden `date`.
    pub const DATE_HI: usize = VALUE_LO + 3;
    /// Which field the code-set predicate tests: 0 none, 1 `code`, 2 `related_code`.
    pub const SET_FIELD: usize = VALUE_LO + 4;
    /// Root of the code set (0 when there is no code-set predicate).
    pub const CODE_SET_ROOT: usize = VALUE_LO + 5;
    /// Request hash (verifier id and nonce).
    pub const REQUEST_HASH: usize = VALUE_LO + 6;
    /// Number of public inputs.
    pub const COUNT: usize = VALUE_LO + 7;
    /// Names in order, as used in proof files.
    pub const NAMES: [&str; COUNT] = [
        "records_root",
        "disclose_mask",
        "disclosed_kind",
        "disclosed_code",
        "disclosed_date",
        "disclosed_end_date",
        "disclosed_value",
        "disclosed_related_code",
        "disclosed_patient",
        "disclosed_coverage",
        "disclosed_digest",
        "value_lo",
        "value_hi",
        "date_lo",
        "date_hi",
        "set_field",
        "code_set_root",
        "request_hash",
    ];
}

/// An inclusive range `lo <= x <= hi` of 64-bit integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InclusiveRange {
    /// Smallest accepted value.
    pub lo: u64,
    /// Largest accepted value.
    pub hi: u64,
}

impl InclusiveRange {
    /// Every 64-bit value: the predicate a verifier publishes when it asks for none.
    pub const ANY: Self = Self {
        lo: 0,
        hi: u64::MAX,
    };

    /// `[lo, hi]`.
    pub const fn new(lo: u64, hi: u64) -> Self {
        Self { lo, hi }
    }

    /// `lo <= x <= hi`.
    pub fn contains(self, x: u64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// The tuple field a code-set predicate tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetField {
    /// The principal coding (`code`).
    Code,
    /// The related coding (`related_code`: a claim's diagnosis, an observation's unit).
    RelatedCode,
}

impl SetField {
    /// `set_field` public input when there is no code-set predicate.
    pub const NONE_CODE: u64 = 0;
    /// `set_field` for [`SetField::Code`].
    pub const CODE_CODE: u64 = 1;
    /// `set_field` for [`SetField::RelatedCode`].
    pub const RELATED_CODE_CODE: u64 = 2;

    /// The `set_field` public input.
    pub fn code(self) -> u64 {
        match self {
            Self::Code => Self::CODE_CODE,
            Self::RelatedCode => Self::RELATED_CODE_CODE,
        }
    }

    /// The field with this `set_field` code ([`Self::NONE_CODE`] is no field: `None`).
    pub fn from_code(code: u64) -> Option<Self> {
        [Self::Code, Self::RelatedCode]
            .into_iter()
            .find(|f| f.code() == code)
    }

    /// Offset of the tested field in the tuple ([`fields`]).
    pub fn field_index(self) -> usize {
        match self {
            Self::Code => fields::CODE,
            Self::RelatedCode => fields::RELATED_CODE,
        }
    }
}

/// "The record's `field` is a member of the code set with this root."
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CodeSetPredicate {
    /// Which code is tested.
    pub field: SetField,
    /// Root of the code set ([`super::CodeSet::root`]).
    pub root: CodeSetRoot,
}

/// Which tuple fields a proof discloses: bit `i` is field `i` ([`fields`]), `i < 9`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct DiscloseMask(u16);

impl DiscloseMask {
    /// Disclose nothing.
    pub const NONE: Self = Self(0);
    /// Disclose every disclosable field.
    pub const ALL: Self = Self((1 << DISCLOSABLE_FIELDS) - 1);

    /// The mask disclosing these field offsets; `None` for the salt or an offset past it.
    pub fn of(field_offsets: &[usize]) -> Option<Self> {
        field_offsets.iter().try_fold(Self::NONE, |m, &i| {
            (i < DISCLOSABLE_FIELDS).then_some(Self(m.0 | (1 << i)))
        })
    }

    /// The mask as the 9-bit integer of the `disclose_mask` public input.
    pub fn bits(self) -> u16 {
        self.0
    }

    /// Whether field `i` is disclosed.
    pub fn contains(self, i: usize) -> bool {
        i < DISCLOSABLE_FIELDS && (self.0 >> i) & 1 == 1
    }
}

/// The public inputs, in circuit order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordPublic {
    /// Root of the records tree the proof is against.
    pub records_root: RecordsRoot,
    /// Disclosed tuple fields `kind..=digest` (`Some(value)`) and hidden ones (`None`). The
    /// mask input is the set of `Some`s; a hidden field's value input is 0.
    pub disclosed: [Option<Fr>; DISCLOSABLE_FIELDS],
    /// Range the record's `value` lies in ([`InclusiveRange::ANY`]: no predicate).
    pub value_range: InclusiveRange,
    /// Range the record's `date` lies in ([`InclusiveRange::ANY`]: no predicate).
    pub date_range: InclusiveRange,
    /// Code-set predicate, if any.
    pub code_set: Option<CodeSetPredicate>,
    /// `H(verifier_id, nonce)`.
    pub request_hash: RequestHash,
}

impl RecordPublic {
    /// Number of public inputs.
    pub const NUM_INPUTS: usize = inputs::COUNT;

    /// The disclosure mask (the `Some`s of [`Self::disclosed`]).
    pub fn disclose_mask(&self) -> DiscloseMask {
        DiscloseMask(
            self.disclosed
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_some())
                .fold(0, |m, (i, _)| m | (1 << i)),
        )
    }

    /// The public inputs as field elements, in circuit order: the only encoder.
    pub fn to_field_elements(&self) -> [Fr; inputs::COUNT] {
        let Self {
            records_root,
            disclosed,
            value_range,
            date_range,
            code_set,
            request_hash,
        } = self;
        let mut out = [Fr::from(0u64); inputs::COUNT];
        out[inputs::RECORDS_ROOT] = records_root.0;
        out[inputs::DISCLOSE_MASK] = Fr::from(self.disclose_mask().bits());
        for (i, v) in disclosed.iter().enumerate() {
            out[inputs::DISCLOSED + i] = v.unwrap_or_default();
        }
        out[inputs::VALUE_LO] = Fr::from(value_range.lo);
        out[inputs::VALUE_HI] = Fr::from(value_range.hi);
        out[inputs::DATE_LO] = Fr::from(date_range.lo);
        out[inputs::DATE_HI] = Fr::from(date_range.hi);
        if let Some(p) = code_set {
            out[inputs::SET_FIELD] = Fr::from(p.field.code());
            out[inputs::CODE_SET_ROOT] = p.root.0;
        }
        out[inputs::REQUEST_HASH] = request_hash.0;
        out
    }

    /// The public inputs from field elements: the decoder twin of
    /// [`Self::to_field_elements`].
    ///
    /// # Errors
    ///
    /// [`InputError::WrongCount`], or [`InputError::OutOfRange`] for a mask past 9 bits, a
    /// non-zero value of an undisclosed field, a bound past 64 bits, a `set_field` other than
    /// 0, 1 or 2, or a non-zero code-set root without a code-set predicate.
    pub fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        let d = Decoder::new(elements, &inputs::NAMES)?;
        let mask = d
            .u64(inputs::DISCLOSE_MASK)
            .ok()
            .filter(|m| m & !u64::from(DiscloseMask::ALL.bits()) == 0)
            .ok_or_else(|| d.out_of_range(inputs::DISCLOSE_MASK))?;
        let mut disclosed = [None; DISCLOSABLE_FIELDS];
        for (i, slot) in disclosed.iter_mut().enumerate() {
            let input = inputs::DISCLOSED + i;
            if (mask >> i) & 1 == 1 {
                *slot = Some(d.fr(input));
            } else {
                // The encoder writes 0 for a hidden field (and the circuit enforces it).
                d.zero(input)?;
            }
        }
        let code_set = match d.u64(inputs::SET_FIELD) {
            Ok(SetField::NONE_CODE) => {
                d.zero(inputs::CODE_SET_ROOT)?;
                None
            }
            code => Some(CodeSetPredicate {
                field: code
                    .ok()
                    .and_then(SetField::from_code)
                    .ok_or_else(|| d.out_of_range(inputs::SET_FIELD))?,
                root: CodeSetRoot(d.fr(inputs::CODE_SET_ROOT)),
            }),
        };
        Ok(Self {
            records_root: RecordsRoot(d.fr(inputs::RECORDS_ROOT)),
            disclosed,
            value_range: InclusiveRange::new(d.u64(inputs::VALUE_LO)?, d.u64(inputs::VALUE_HI)?),
            date_range: InclusiveRange::new(d.u64(inputs::DATE_LO)?, d.u64(inputs::DATE_HI)?),
            code_set,
            request_hash: RequestHash(d.fr(inputs::REQUEST_HASH)),
        })
    }
}

/// The witness: the record's opening, its path, the code-set path and the request opening.
#[derive(Clone)]
pub struct RecordPrivate {
    /// The anchored record (tuple and salt).
    pub record: Record,
    /// Inclusion path of the record's leaf in the records tree.
    pub path: MerklePath,
    /// Inclusion path of the tested code in the code set ([`CODE_SET_DEPTH`] levels);
    /// `MerklePath::blank(CODE_SET_DEPTH)` when there is no code-set predicate.
    pub code_path: MerklePath,
    /// The verifier this proof is for.
    pub verifier: VerifierId,
    /// The verifier's nonce for this request.
    pub nonce: Nonce,
}

impl core::fmt::Debug for RecordPrivate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordPrivate")
            .field("leaf_index", &self.path.index)
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl RecordPrivate {
    /// The public inputs this witness proves, given the root and the verifier's predicates.
    pub fn public_for(
        &self,
        records_root: RecordsRoot,
        disclose: DiscloseMask,
        value_range: InclusiveRange,
        date_range: InclusiveRange,
        code_set: Option<CodeSetPredicate>,
    ) -> RecordPublic {
        let tuple = self.record.to_field_elements();
        RecordPublic {
            records_root,
            disclosed: core::array::from_fn(|i| disclose.contains(i).then_some(tuple[i])),
            value_range,
            date_range,
            code_set,
            request_hash: RequestHash::derive(self.verifier, self.nonce),
        }
    }
}

/// Why a statement is false: one variant per constraint group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// The record's leaf is not in the records tree under this root.
    NotInTree,
    /// A disclosed value differs from the record's field.
    DisclosureMismatch,
    /// The record's value is outside `[value_lo, value_hi]`.
    ValueOutOfRange,
    /// The record's date is outside `[date_lo, date_hi]`.
    DateOutOfRange,
    /// The tested code is not in the code set (or is 0, "absent").
    CodeNotInSet,
    /// The request hash does not open to the verifier id and nonce.
    RequestHashMismatch,
}

impl core::fmt::Display for RecordError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::NotInTree => "record is not anchored in the records tree",
            Self::DisclosureMismatch => "a disclosed value differs from the record",
            Self::ValueOutOfRange => "record value is outside the requested range",
            Self::DateOutOfRange => "record date is outside the requested range",
            Self::CodeNotInSet => "record code is not in the code set",
            Self::RequestHashMismatch => "request hash does not match verifier and nonce",
        })
    }
}

impl std::error::Error for RecordError {}

/// The relation, natively: the executable specification of the Record statement.
///
/// # Errors
///
/// The first [`RecordError`] that makes the statement false.
pub fn check(public: &RecordPublic, private: &RecordPrivate) -> Result<(), RecordError> {
    let record = &private.record;
    let tuple = record.to_field_elements();
    // Membership.
    let leaf = record.commit().0;
    if leaf == EMPTY_LEAF || private.path.root(leaf) != public.records_root.0 {
        return Err(RecordError::NotInTree);
    }
    // Disclosure.
    for (disclosed, field) in public.disclosed.iter().zip(tuple) {
        if disclosed.is_some_and(|v| v != field) {
            return Err(RecordError::DisclosureMismatch);
        }
    }
    // Ranges (the tuple's value and date are 64-bit by type).
    if !public.value_range.contains(record.fields.value.0) {
        return Err(RecordError::ValueOutOfRange);
    }
    if !public.date_range.contains(record.fields.date.0) {
        return Err(RecordError::DateOutOfRange);
    }
    // Code set. The path has the circuit's fixed shape even when the predicate is off.
    if private.code_path.depth() != CODE_SET_DEPTH {
        return Err(RecordError::CodeNotInSet);
    }
    if let Some(p) = public.code_set {
        let code = tuple[p.field.field_index()];
        if code == Fr::from(0u64) || private.code_path.root(code) != p.root.0 {
            return Err(RecordError::CodeNotInSet);
        }
    }
    // Request binding.
    if RequestHash::derive(private.verifier, private.nonce) != public.request_hash {
        return Err(RecordError::RequestHashMismatch);
    }
    Ok(())
}
