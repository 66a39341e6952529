//! Statement 4, Cohort (researchers): "the patient behind this proof meets the study's
//! criteria (born within the study's birth window, has a condition in the inclusion set and
//! none in the exclusion list, according to a recent condition summary anchored by the
//! custodian), consented to this research use, and is counted once for this study".
//!
//! A researcher learns that one eligible, consenting patient answered its request, and a
//! [`CohortNullifier`] that is the same every time the same patient answers for the same
//! study (so the patient is counted once) and unlinkable across studies. It learns nothing
//! else: not the patient, not the birth date, not which included condition, not the grant.
//!
//! The patient's conditions come from a [`ConditionSummary`] ([`summary`]): one record leaf
//! (`kind = 9`) listing every distinct condition code of the patient, so a prover cannot
//! leave out a disqualifying diagnosis. Ages become birth-date windows ([`age`],
//! [`birth_window`]).
//!
//! [`statement`] holds the public inputs, the witness and [`check`], the executable spec;
//! [`CohortCircuit`] is the constraint system (`docs/spec.md` §10.10; tests in
//! `circuits/tests/cohort.rs`).

pub mod age;
mod circuit;
pub(crate) mod kind;
pub mod statement;
pub mod summary;

pub use age::birth_window;
pub use circuit::{CohortAssignment, CohortCircuit};
pub use statement::{
    check, inputs, CohortError, CohortPrivate, CohortPublic, StudyCriteria, CIRCUIT_VERSION,
    STATEMENT,
};
pub use summary::{list_hash, ConditionSummary, SummaryError, MAX_SUMMARY_CODES};

use crate::{
    domain, poseidon, range,
    types::{CodeId, SecretKey},
};
use ark_bn254::Fr;
use ark_ff::{MontFp, PrimeField, Zero};

/// Width of a code id: `code_id` keeps the low 248 bits of a SHA-256 (`docs/spec.md` §10.3).
pub const CODE_ID_BITS: usize = 248;

/// Whether `x` can be a code id: below `2^248` (0, "absent", included).
pub fn is_code_id(x: Fr) -> bool {
    range::fits_in_bits(&x, CODE_ID_BITS)
}

/// Most codes in a study's exclusion list (the circuit's list length, one Poseidon).
pub const MAX_EXCLUSION_CODES: usize = poseidon::MAX_INPUTS;

/// The value of an unused exclusion entry: `p − 1`, the field's largest element.
///
/// It is no code id (those are below `2^248`), so it never equals a condition in a summary,
/// and it differs from the condition list's pad (0), so padding on both sides never collides.
pub const EXCLUSION_PAD: Fr =
    MontFp!("21888242871839275222246405745257275088548364400416034343698204186575808495616");

/// `H_exclusion.set(e_0, …, e_15)`: a study's exclusion list as the researcher publishes it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct ExclusionHash(pub Fr);

impl ExclusionHash {
    /// The underlying field element.
    pub fn to_fr(self) -> Fr {
        self.0
    }
}

/// Why a list of codes cannot be an exclusion list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExclusionError {
    /// More than [`MAX_EXCLUSION_CODES`] distinct codes.
    TooManyCodes(usize),
    /// The code id 0 means "absent" (and pads condition lists).
    ZeroCode,
    /// A value of [`CODE_ID_BITS`] bits or more (such as the pad `p − 1`) is not a code id.
    NotACodeId,
}

impl core::fmt::Display for ExclusionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooManyCodes(n) => write!(
                f,
                "{n} exclusion codes, a study excludes at most {MAX_EXCLUSION_CODES}"
            ),
            Self::ZeroCode => f.write_str("code id 0 (absent) cannot be excluded"),
            Self::NotACodeId => f.write_str("an exclusion code is not a 248-bit code id"),
        }
    }
}

impl std::error::Error for ExclusionError {}

/// A study's exclusion list: at most [`MAX_EXCLUSION_CODES`] code ids, sorted ascending and
/// distinct (so one set of codes has one hash), padded with [`EXCLUSION_PAD`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExclusionList {
    codes: Vec<CodeId>,
}

impl ExclusionList {
    /// The list of `codes` (order and repetitions do not matter).
    ///
    /// # Errors
    ///
    /// [`ExclusionError::ZeroCode`], [`ExclusionError::NotACodeId`] (`p − 1` among them),
    /// [`ExclusionError::TooManyCodes`] past [`MAX_EXCLUSION_CODES`] distinct codes.
    pub fn new(codes: &[CodeId]) -> Result<Self, ExclusionError> {
        if codes.iter().any(|c| c.0.is_zero()) {
            return Err(ExclusionError::ZeroCode);
        }
        if !codes.iter().all(|c| is_code_id(c.0)) {
            return Err(ExclusionError::NotACodeId);
        }
        let mut codes = codes.to_vec();
        // `Fr`'s order is that of canonical integers.
        codes.sort_unstable_by_key(|c| c.0);
        codes.dedup();
        if codes.len() > MAX_EXCLUSION_CODES {
            return Err(ExclusionError::TooManyCodes(codes.len()));
        }
        Ok(Self { codes })
    }

    /// The distinct codes, ascending.
    pub fn codes(&self) -> &[CodeId] {
        &self.codes
    }

    /// Whether `code` is excluded.
    pub fn contains(&self, code: CodeId) -> bool {
        self.codes.binary_search_by_key(&code.0, |c| c.0).is_ok()
    }

    /// The hashed entries: the codes ascending, then [`EXCLUSION_PAD`].
    pub fn entries(&self) -> [Fr; MAX_EXCLUSION_CODES] {
        core::array::from_fn(|j| self.codes.get(j).map_or(EXCLUSION_PAD, |c| c.0))
    }

    /// `H_exclusion.set` over [`Self::entries`].
    pub fn hash(&self) -> ExclusionHash {
        ExclusionHash(exclusion_hash(&self.entries()))
    }
}

/// `H_exclusion.set` over field-level entries.
pub fn exclusion_hash(entries: &[Fr; MAX_EXCLUSION_CODES]) -> Fr {
    poseidon::hash_with_domain(domain::EXCLUSION_SET, entries)
}

/// Longest study name [`StudyId::from_name`] takes: the name must fit below the field
/// modulus as a big-endian integer, as a domain tag does.
pub const MAX_STUDY_NAME_BYTES: usize = domain::MAX_TAG_BYTES;

/// Why a study name cannot name a study.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StudyNameError {
    /// Empty, or longer than [`MAX_STUDY_NAME_BYTES`].
    Length(usize),
    /// A character outside printable ASCII (`!` to `~`; no spaces or control characters).
    Character,
}

impl core::fmt::Display for StudyNameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Length(n) => write!(
                f,
                "study name of {n} bytes, a name has 1 to {MAX_STUDY_NAME_BYTES}"
            ),
            Self::Character => f.write_str("study names are printable ASCII without spaces"),
        }
    }
}

impl std::error::Error for StudyNameError {}

/// A study's public identifier, the second input of its [`CohortNullifier`]s.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct StudyId(pub Fr);

impl StudyId {
    /// The study named `name` (a registry identifier such as `NCT04280705`): the name's ASCII
    /// bytes read as a big-endian integer, exactly as a domain tag (`docs/spec.md` §2), so
    /// JavaScript reproduces it with `BigInt("0x" + Buffer.from(name).toString("hex"))`.
    /// Distinct names give distinct ids (no name has a leading NUL byte).
    ///
    /// # Errors
    ///
    /// [`StudyNameError`] for an empty name, one past [`MAX_STUDY_NAME_BYTES`] bytes, or a
    /// character outside `!`..=`~`.
    pub fn from_name(name: &str) -> Result<Self, StudyNameError> {
        if name.is_empty() || name.len() > MAX_STUDY_NAME_BYTES {
            return Err(StudyNameError::Length(name.len()));
        }
        if !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(StudyNameError::Character);
        }
        Ok(Self(Fr::from_be_bytes_mod_order(name.as_bytes())))
    }

    /// The underlying field element.
    pub fn to_fr(self) -> Fr {
        self.0
    }
}

/// `H_cohort.nullifier(patient_secret, study_id)`: one patient as one study counts them.
///
/// It hashes the patient's secret key, not the public id: the custodian and the grant
/// registry know the id, but only the patient can compute (or recognise) the nullifier, and
/// two studies see unlinkable values. The same patient answering the same study twice gives
/// the same value, which the registry's nullifier set refuses the second time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CohortNullifier(pub Fr);

impl CohortNullifier {
    /// `H_cohort.nullifier(patient_secret, study_id)`.
    pub fn derive(patient_secret: &SecretKey, study: StudyId) -> Self {
        Self(poseidon::hash_with_domain(
            domain::COHORT_NULLIFIER,
            &[patient_secret.0, study.0],
        ))
    }

    /// The underlying field element.
    pub fn to_fr(self) -> Fr {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, One, UniformRand};
    use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{rngs::StdRng, SeedableRng};

    fn code(n: u64) -> CodeId {
        CodeId(Fr::from(n))
    }

    #[test]
    fn exclusion_pad_is_the_largest_element_and_no_code_id() {
        assert_eq!(EXCLUSION_PAD, -Fr::one());
        assert_eq!(EXCLUSION_PAD + Fr::one(), Fr::zero());
        assert!(!is_code_id(EXCLUSION_PAD));
        assert_ne!(EXCLUSION_PAD, summary::LIST_PAD);
        assert!(is_code_id(Fr::from(2u64).pow([248u64]) - Fr::one()));
        assert!(!is_code_id(Fr::from(2u64).pow([248u64])));
    }

    #[test]
    fn exclusion_lists_are_canonical_and_checked() {
        let a = ExclusionList::new(&[code(7), code(3), code(7)]).unwrap();
        let b = ExclusionList::new(&[code(3), code(7)]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.codes(), &[code(3), code(7)]);
        assert!(a.contains(code(7)) && !a.contains(code(5)));
        let entries = a.entries();
        assert_eq!(&entries[..2], &[Fr::from(3u64), Fr::from(7u64)]);
        assert!(entries[2..].iter().all(|e| *e == EXCLUSION_PAD));
        assert_eq!(
            a.hash().0,
            poseidon::hash_with_domain(domain::EXCLUSION_SET, &entries)
        );
        assert_ne!(a.hash(), ExclusionList::new(&[code(3)]).unwrap().hash());
        // The empty list is a list (a study without exclusions).
        let empty = ExclusionList::new(&[]).unwrap();
        assert!(empty.entries().iter().all(|e| *e == EXCLUSION_PAD));
        // Refusals.
        assert_eq!(
            ExclusionList::new(&[code(1), code(0)]),
            Err(ExclusionError::ZeroCode)
        );
        assert_eq!(
            ExclusionList::new(&[CodeId(EXCLUSION_PAD)]),
            Err(ExclusionError::NotACodeId)
        );
        let full: Vec<CodeId> = (1..=MAX_EXCLUSION_CODES as u64).map(code).collect();
        assert_eq!(ExclusionList::new(&full).unwrap().codes().len(), 16);
        let mut over = full.clone();
        over.push(code(100));
        assert_eq!(
            ExclusionList::new(&over),
            Err(ExclusionError::TooManyCodes(MAX_EXCLUSION_CODES + 1))
        );
        over.pop();
        over.push(code(1));
        assert!(ExclusionList::new(&over).is_ok());
    }

    #[test]
    fn study_ids_are_names_as_integers() {
        assert_eq!(StudyId::from_name("A").unwrap().0, Fr::from(0x41u64));
        assert_eq!(
            StudyId::from_name("NCT04280705").unwrap().0,
            Fr::from_be_bytes_mod_order(b"NCT04280705")
        );
        let longest = "x".repeat(MAX_STUDY_NAME_BYTES);
        assert!(StudyId::from_name(&longest).is_ok());
        assert_eq!(
            StudyId::from_name(&format!("{longest}x")),
            Err(StudyNameError::Length(32))
        );
        assert_eq!(StudyId::from_name(""), Err(StudyNameError::Length(0)));
        for bad in ["a b", "é", "a\0", "tab\t"] {
            assert_eq!(StudyId::from_name(bad), Err(StudyNameError::Character));
        }
        assert_ne!(
            StudyId::from_name("S1").unwrap(),
            StudyId::from_name("S2").unwrap()
        );
    }

    /// The native nullifier equals the circuit's hash at a 2-input Poseidon's cost.
    #[test]
    fn native_nullifier_equals_the_in_circuit_hash() {
        let mut rng = StdRng::seed_from_u64(91);
        for _ in 0..4 {
            let (sk, study) = (SecretKey::random(&mut rng), StudyId(Fr::rand(&mut rng)));
            let cs = ConstraintSystem::<Fr>::new_ref();
            let [x, y] = [sk.0, study.0].map(|v| FpVar::new_witness(cs.clone(), || Ok(v)).unwrap());
            let n = circuit::cohort_nullifier(&x, &y).unwrap();
            assert_eq!(n.value().unwrap(), CohortNullifier::derive(&sk, study).0);
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(cs.num_constraints(), 240);
        }
        // Domain separation from the identity and request hashes.
        let sk = SecretKey(Fr::one());
        let n = CohortNullifier::derive(&sk, StudyId(Fr::from(2u64))).0;
        assert_ne!(n, sk.id().0);
        let request = crate::types::RequestHash::derive(
            crate::types::VerifierId(Fr::one()),
            crate::types::Nonce(Fr::from(2u64)),
        );
        assert_ne!(n, request.0);
    }
}
