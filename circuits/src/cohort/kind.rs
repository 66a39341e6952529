//! The Cohort statement as a type.

use super::{check, inputs, CohortCircuit, CohortError, CohortPrivate, CohortPublic};
use crate::{
    merkle::MerklePath,
    statement::{InputError, InputRole, PublicInputs, Statement, StatementKind},
};
use ark_bn254::Fr;

/// The role of each Cohort public input, in circuit order: everything between the time and
/// the nullifier is the study's terms.
const ROLES: [InputRole; inputs::COUNT] = {
    let mut r = [InputRole::Term; inputs::COUNT];
    r[inputs::RECORDS_ROOT] = InputRole::RecordsRoot;
    r[inputs::GRANTS_ROOT] = InputRole::GrantsRoot;
    r[inputs::NOW] = InputRole::Time;
    r[inputs::NULLIFIER] = InputRole::Nullifier;
    r[inputs::REQUEST_HASH] = InputRole::RequestHash;
    r
};

/// Statement 4, Cohort ([`crate::cohort`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cohort;

impl Statement for Cohort {
    const KIND: StatementKind = StatementKind::Cohort;
    const NAME: &'static str = super::STATEMENT;
    const CIRCUIT_VERSION: u32 = super::CIRCUIT_VERSION;
    const INPUT_NAMES: &'static [&'static str] = &inputs::NAMES;
    const INPUT_ROLES: &'static [InputRole] = &ROLES;
    const HAS_TREE_DEPTH: bool = true;

    type Public = CohortPublic;
    type Private = CohortPrivate;
    type Error = CohortError;
    type Circuit = CohortCircuit;

    fn check(public: &CohortPublic, private: &CohortPrivate) -> Result<(), CohortError> {
        check(public, private)
    }

    fn circuit(public: &CohortPublic, private: &CohortPrivate) -> CohortCircuit {
        CohortCircuit::new(public, private)
    }

    fn blank(depth: usize) -> CohortCircuit {
        CohortCircuit::blank(depth)
    }

    /// The summary's path in the records tree and the grant's in the grants tree (both
    /// trees have the keys' depth; the inclusion path has the code set's own).
    fn paths(private: &CohortPrivate) -> Vec<&MerklePath> {
        vec![&private.summary_path, &private.grant_path]
    }
}

impl PublicInputs for CohortPublic {
    const COUNT: usize = inputs::COUNT;

    fn to_field_elements(&self) -> Vec<Fr> {
        // The inherent encoder (an array), which path resolution prefers.
        CohortPublic::to_field_elements(self).to_vec()
    }

    fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        CohortPublic::from_field_elements(elements)
    }
}
