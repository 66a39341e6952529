//! The Record statement as a type.

use super::{check, inputs, RecordCircuit, RecordError, RecordPrivate, RecordPublic};
use crate::{
    merkle::MerklePath,
    statement::{InputError, InputRole, PublicInputs, Statement, StatementKind},
};
use ark_bn254::Fr;

/// The role of each Record public input, in circuit order: the disclosed values are the
/// proof's; the mask, ranges and code set are the verifier's terms.
const ROLES: [InputRole; inputs::COUNT] = {
    let mut r = [InputRole::Term; inputs::COUNT];
    r[inputs::RECORDS_ROOT] = InputRole::RecordsRoot;
    let mut i = 0;
    while i < super::DISCLOSABLE_FIELDS {
        r[inputs::DISCLOSED + i] = InputRole::Disclosed;
        i += 1;
    }
    r[inputs::REQUEST_HASH] = InputRole::RequestHash;
    r
};

/// Statement 2, Record ([`crate::record::statement`]). Not to be confused with
/// [`crate::record::Record`], the anchored record itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Record;

impl Statement for Record {
    const KIND: StatementKind = StatementKind::Record;
    const NAME: &'static str = super::STATEMENT;
    const CIRCUIT_VERSION: u32 = super::CIRCUIT_VERSION;
    const INPUT_NAMES: &'static [&'static str] = &inputs::NAMES;
    const INPUT_ROLES: &'static [InputRole] = &ROLES;
    const HAS_TREE_DEPTH: bool = true;

    type Public = RecordPublic;
    type Private = RecordPrivate;
    type Error = RecordError;
    type Circuit = RecordCircuit;

    fn check(public: &RecordPublic, private: &RecordPrivate) -> Result<(), RecordError> {
        check(public, private)
    }

    fn circuit(public: &RecordPublic, private: &RecordPrivate) -> RecordCircuit {
        RecordCircuit::new(public, private)
    }

    fn blank(depth: usize) -> RecordCircuit {
        RecordCircuit::blank(depth)
    }

    /// The records path (the code-set path has the code set's own fixed depth).
    fn paths(private: &RecordPrivate) -> Vec<&MerklePath> {
        vec![&private.path]
    }
}

impl PublicInputs for RecordPublic {
    const COUNT: usize = inputs::COUNT;

    fn to_field_elements(&self) -> Vec<Fr> {
        // The inherent encoder (an array), which path resolution prefers.
        RecordPublic::to_field_elements(self).to_vec()
    }

    fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        RecordPublic::from_field_elements(elements)
    }
}
