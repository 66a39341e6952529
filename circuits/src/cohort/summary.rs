//! Condition summaries, natively (`docs/spec.md` §10.10).
//!
//! "None of the patient's conditions is excluded" cannot be shown from individual records: a
//! prover would simply leave out the record that disqualifies. So the custodian, who holds
//! every anchored record, commits the complete list of the patient's distinct condition codes
//! in one record leaf, a **condition summary** (`kind = 9`), and a Cohort proof works on that
//! list. The verifier asks for a recent summary (`summary_not_before`), so one made before a
//! disqualifying diagnosis is refused; the custodian is trusted for what it anchors, as for
//! every record.
//!
//! The summary is an ordinary record tuple (§10.2):
//!
//! | field | value |
//! |---|---|
//! | `kind` | 9 |
//! | `code` | the list hash ([`list_hash`]) |
//! | `date` | the patient's birth date (the Patient record's `date`) |
//! | `end_date` | `as_of`, the day the summary was made (a date, never [`EpochDay::NONE`]) |
//! | `value` | the number of distinct codes |
//! | `related_code`, `coverage` | 0 |
//! | `patient` | the patient's identity id |
//! | `digest` | the summary's content digest (set by the custodian, `docs/spec.md` §10.10) |
//! | `salt` | fresh |
//!
//! The list is the distinct `code` ids of every anchored Condition of the patient (active or
//! abated), sorted ascending as integers, at most [`MAX_SUMMARY_CODES`], padded with 0. Its
//! hash is `H_condition.list(h_0, h_1, h_2, h_3)` with `h_j = H_condition.list(codes[16j ..
//! 16j + 16])`: Poseidon takes at most 16 inputs, and the two levels have different arities
//! (16 and 4), so a chunk hash can never be mistaken for the top hash.

use super::is_code_id;
use crate::{
    domain, poseidon,
    record::{Record, RecordFields, RecordKind, ResourceIdentity, ScaledValue},
    types::{CodeId, EpochDay, IdentityId, RecordSalt, ResourceDigest},
};
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Zero};

/// Most condition codes a summary holds (the circuit's list length).
pub const MAX_SUMMARY_CODES: usize = 64;
/// Codes per first-level hash: Poseidon's widest arity.
pub const LIST_CHUNK: usize = poseidon::MAX_INPUTS;
/// First-level hashes, the arity of the top hash.
pub const LIST_CHUNKS: usize = MAX_SUMMARY_CODES / LIST_CHUNK;
/// The value of an unused list slot.
pub const LIST_PAD: Fr = Fr::ZERO;

/// The hash of a padded list of [`MAX_SUMMARY_CODES`] slots (module docs).
pub fn list_hash(slots: &[Fr; MAX_SUMMARY_CODES]) -> Fr {
    let chunks: Vec<Fr> = slots
        .chunks(LIST_CHUNK)
        .map(|chunk| poseidon::hash_with_domain(domain::CONDITION_LIST, chunk))
        .collect();
    poseidon::hash_with_domain(domain::CONDITION_LIST, &chunks)
}

/// Why a list of codes cannot be a condition summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SummaryError {
    /// More than [`MAX_SUMMARY_CODES`] distinct codes.
    TooManyCodes(usize),
    /// The code id 0 means "absent" (and pads the list).
    ZeroCode,
    /// A value of [`super::CODE_ID_BITS`] bits or more is not a code id (`docs/spec.md` §10.3).
    NotACodeId,
    /// `as_of` is not a date ([`EpochDay::NONE`], which means "absent" for an end date, or
    /// past [`EpochDay::LAST`]).
    NoDate,
    /// The birth date is not a date ([`EpochDay::NONE`] or past [`EpochDay::LAST`]): no
    /// birth window could ever contain it.
    NoBirthDate,
}

impl core::fmt::Display for SummaryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooManyCodes(n) => {
                write!(
                    f,
                    "{n} condition codes, a summary holds at most {MAX_SUMMARY_CODES}"
                )
            }
            Self::ZeroCode => f.write_str("code id 0 (absent) cannot be a condition"),
            Self::NotACodeId => f.write_str("a condition code is not a 248-bit code id"),
            Self::NoDate => write!(
                f,
                "a summary needs its as-of date, from {} to {}",
                EpochDay::FIRST,
                EpochDay::LAST
            ),
            Self::NoBirthDate => write!(
                f,
                "a summary needs the patient's birth date, from {} to {}",
                EpochDay::FIRST,
                EpochDay::LAST
            ),
        }
    }
}

impl std::error::Error for SummaryError {}

/// A patient's condition summary: what the custodian anchors as a `kind = 9` record.
#[derive(Clone, PartialEq, Eq)]
pub struct ConditionSummary {
    patient: IdentityId,
    birth_date: EpochDay,
    as_of: EpochDay,
    codes: Vec<CodeId>,
    digest: ResourceDigest,
}

impl core::fmt::Debug for ConditionSummary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The codes are diagnoses and the birth date identifies: neither goes to logs.
        f.debug_struct("ConditionSummary")
            .field("as_of", &self.as_of)
            .finish_non_exhaustive()
    }
}

impl ConditionSummary {
    /// The summary of `codes` (order and repetitions do not matter) for `patient`, born on
    /// `birth_date`, made on `as_of`.
    ///
    /// # Errors
    ///
    /// [`SummaryError::ZeroCode`], [`SummaryError::NotACodeId`] for a value that is not a
    /// code id, [`SummaryError::TooManyCodes`] past [`MAX_SUMMARY_CODES`] distinct codes,
    /// [`SummaryError::NoDate`] or [`SummaryError::NoBirthDate`] for a day that is not a
    /// date ([`EpochDay::is_date`]).
    pub fn new(
        patient: IdentityId,
        birth_date: EpochDay,
        as_of: EpochDay,
        codes: &[CodeId],
        digest: ResourceDigest,
    ) -> Result<Self, SummaryError> {
        if !as_of.is_date() {
            return Err(SummaryError::NoDate);
        }
        if !birth_date.is_date() {
            return Err(SummaryError::NoBirthDate);
        }
        if codes.iter().any(|c| c.0.is_zero()) {
            return Err(SummaryError::ZeroCode);
        }
        if !codes.iter().all(|c| is_code_id(c.0)) {
            return Err(SummaryError::NotACodeId);
        }
        let mut codes = codes.to_vec();
        // `Fr`'s order is that of canonical integers.
        codes.sort_unstable_by_key(|c| c.0);
        codes.dedup();
        if codes.len() > MAX_SUMMARY_CODES {
            return Err(SummaryError::TooManyCodes(codes.len()));
        }
        Ok(Self {
            patient,
            birth_date,
            as_of,
            codes,
            digest,
        })
    }

    /// The patient's identity id.
    pub fn patient(&self) -> IdentityId {
        self.patient
    }

    /// The patient's birth date.
    pub fn birth_date(&self) -> EpochDay {
        self.birth_date
    }

    /// The day the summary was made.
    pub fn as_of(&self) -> EpochDay {
        self.as_of
    }

    /// The distinct codes, ascending.
    pub fn codes(&self) -> &[CodeId] {
        &self.codes
    }

    /// The summary record's digest: the custodian's digest of the summary's content, so that
    /// summarising again with nothing new is recognised and any change is a new version.
    pub fn digest(&self) -> ResourceDigest {
        self.digest
    }

    /// Position of `code` in the list, `None` when the patient does not have it.
    pub fn position(&self, code: CodeId) -> Option<usize> {
        self.codes.binary_search_by_key(&code.0, |c| c.0).ok()
    }

    /// The list: the codes ascending, then [`LIST_PAD`].
    pub fn list(&self) -> [Fr; MAX_SUMMARY_CODES] {
        core::array::from_fn(|i| self.codes.get(i).map_or(LIST_PAD, |c| c.0))
    }

    /// The list hash, the summary record's `code`.
    pub fn list_hash(&self) -> CodeId {
        CodeId(list_hash(&self.list()))
    }

    /// The record the custodian anchors, with a fresh `salt`.
    pub fn to_record(&self, salt: RecordSalt) -> Record {
        let zero = CodeId(Fr::zero());
        Record {
            fields: RecordFields {
                kind: RecordKind::ConditionSummary,
                code: self.list_hash(),
                date: self.birth_date,
                end_date: self.as_of,
                // At most 64, so the conversion is exact.
                value: ScaledValue(self.codes.len() as u64),
                related_code: zero,
                coverage: zero,
                digest: self.digest,
                // Not a FHIR resource and never paid for: its digest names it.
                identity: ResourceIdentity(self.digest.0),
            },
            patient: self.patient,
            salt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{record::fields, types::SecretKey};
    use ark_ff::{Field, One, UniformRand};
    use rand::{rngs::StdRng, SeedableRng};

    fn code(n: u64) -> CodeId {
        CodeId(Fr::from(n))
    }

    fn summary(codes: &[CodeId]) -> Result<ConditionSummary, SummaryError> {
        let patient = SecretKey::random(&mut StdRng::seed_from_u64(71)).id();
        ConditionSummary::new(
            patient,
            EpochDay(69_092),
            EpochDay(82_092),
            codes,
            ResourceDigest(Fr::from(5u64)),
        )
    }

    #[test]
    fn codes_are_sorted_deduplicated_and_padded() {
        let s = summary(&[code(9), code(3), code(9), code(5)]).unwrap();
        assert_eq!(s.codes(), &[code(3), code(5), code(9)]);
        let list = s.list();
        assert_eq!(
            &list[..3],
            &[Fr::from(3u64), Fr::from(5u64), Fr::from(9u64)]
        );
        assert!(list[3..].iter().all(|x| *x == LIST_PAD));
        assert_eq!(s.position(code(9)), Some(2));
        assert_eq!(s.position(code(4)), None);
        // Order and repetition do not change the summary.
        assert_eq!(summary(&[code(5), code(9), code(3)]).unwrap(), s);
    }

    #[test]
    fn the_record_is_the_specified_tuple() {
        let s = summary(&[code(9), code(3)]).unwrap();
        let salt = RecordSalt(Fr::from(77u64));
        let t = s.to_record(salt.clone()).to_field_elements();
        assert_eq!(t[fields::KIND], Fr::from(9u64));
        assert_eq!(t[fields::CODE], list_hash(&s.list()));
        assert_eq!(t[fields::DATE], Fr::from(69_092u64));
        assert_eq!(t[fields::END_DATE], Fr::from(82_092u64));
        assert_eq!(t[fields::VALUE], Fr::from(2u64));
        assert_eq!(t[fields::RELATED_CODE], Fr::zero());
        assert_eq!(t[fields::PATIENT], s.patient().0);
        assert_eq!(t[fields::COVERAGE], Fr::zero());
        assert_eq!(t[fields::DIGEST], Fr::from(5u64));
        assert_eq!(t[fields::SALT], salt.0);
        // Debug shows neither codes nor the birth date.
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("69092") && !shown.contains("CodeId"),
            "{shown}"
        );
    }

    #[test]
    fn list_hash_is_two_levels_of_condition_list_hashes() {
        let mut rng = StdRng::seed_from_u64(72);
        let slots: [Fr; MAX_SUMMARY_CODES] = core::array::from_fn(|_| Fr::rand(&mut rng));
        let chunk = |j: usize| {
            poseidon::hash_with_domain(
                domain::CONDITION_LIST,
                &slots[LIST_CHUNK * j..LIST_CHUNK * (j + 1)],
            )
        };
        let expected = poseidon::hash_with_domain(
            domain::CONDITION_LIST,
            &[chunk(0), chunk(1), chunk(2), chunk(3)],
        );
        assert_eq!(list_hash(&slots), expected);
        // Every slot counts.
        for i in 0..MAX_SUMMARY_CODES {
            let mut other = slots;
            other[i] += Fr::one();
            assert_ne!(list_hash(&other), expected, "slot {i}");
        }
    }

    #[test]
    fn constructor_errors() {
        assert_eq!(summary(&[code(1), code(0)]), Err(SummaryError::ZeroCode));
        let big = CodeId(Fr::from(2u64).pow([248u64]));
        assert_eq!(summary(&[code(1), big]), Err(SummaryError::NotACodeId));
        assert_eq!(
            summary(&[CodeId(-Fr::one())]),
            Err(SummaryError::NotACodeId)
        );
        let full: Vec<CodeId> = (1..=MAX_SUMMARY_CODES as u64).map(code).collect();
        assert_eq!(summary(&full).unwrap().codes().len(), MAX_SUMMARY_CODES);
        let mut over = full.clone();
        over.push(code(1_000));
        assert_eq!(
            summary(&over),
            Err(SummaryError::TooManyCodes(MAX_SUMMARY_CODES + 1))
        );
        // Repetitions do not count towards the limit.
        over.pop();
        over.push(code(1));
        assert!(summary(&over).is_ok());
        let patient = IdentityId(Fr::one());
        let digest = ResourceDigest(Fr::one());
        for not_a_date in [EpochDay::NONE, EpochDay(EpochDay::LAST.0 + 1)] {
            assert_eq!(
                ConditionSummary::new(patient, EpochDay(1), not_a_date, &[], digest),
                Err(SummaryError::NoDate)
            );
            assert_eq!(
                ConditionSummary::new(patient, not_a_date, EpochDay(1), &[], digest),
                Err(SummaryError::NoBirthDate)
            );
        }
        // The first and last days of the calendar are dates.
        assert!(
            ConditionSummary::new(patient, EpochDay::FIRST, EpochDay::LAST, &[], digest).is_ok()
        );
        // No conditions at all is a summary (of a healthy patient).
        let empty = ConditionSummary::new(patient, EpochDay(1), EpochDay(2), &[], digest).unwrap();
        assert!(empty.list().iter().all(|x| *x == LIST_PAD));
    }
}
