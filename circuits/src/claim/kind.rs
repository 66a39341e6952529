//! The Claim statement as a type.

use super::{check, inputs, ClaimCircuit, ClaimError, ClaimPrivate, ClaimPublic};
use crate::{
    merkle::MerklePath,
    statement::{InputError, InputRole, PublicInputs, Statement, StatementKind},
};
use ark_bn254::Fr;

/// The role of each Claim public input, in circuit order: service, date and amount are
/// disclosed; kind, covered set and policy are the insurer's terms.
const ROLES: [InputRole; inputs::COUNT] = {
    let mut r = [InputRole::Term; inputs::COUNT];
    r[inputs::RECORDS_ROOT] = InputRole::RecordsRoot;
    r[inputs::SERVICE_CODE] = InputRole::Disclosed;
    r[inputs::SERVICE_DATE] = InputRole::Disclosed;
    r[inputs::AMOUNT] = InputRole::Disclosed;
    r[inputs::NULLIFIER] = InputRole::Nullifier;
    r[inputs::REQUEST_HASH] = InputRole::RequestHash;
    r
};

/// Statement 3, Claim ([`crate::claim`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Claim;

impl Statement for Claim {
    const KIND: StatementKind = StatementKind::Claim;
    const NAME: &'static str = super::STATEMENT;
    const CIRCUIT_VERSION: u32 = super::CIRCUIT_VERSION;
    const INPUT_NAMES: &'static [&'static str] = &inputs::NAMES;
    const INPUT_ROLES: &'static [InputRole] = &ROLES;
    const HAS_TREE_DEPTH: bool = true;

    type Public = ClaimPublic;
    type Private = ClaimPrivate;
    type Error = ClaimError;
    type Circuit = ClaimCircuit;

    fn check(public: &ClaimPublic, private: &ClaimPrivate) -> Result<(), ClaimError> {
        check(public, private)
    }

    fn circuit(public: &ClaimPublic, private: &ClaimPrivate) -> ClaimCircuit {
        ClaimCircuit::new(public, private)
    }

    fn blank(depth: usize) -> ClaimCircuit {
        ClaimCircuit::blank(depth)
    }

    /// The records path (the covered-set path has the code set's own fixed depth).
    fn paths(private: &ClaimPrivate) -> Vec<&MerklePath> {
        vec![&private.path]
    }
}

impl PublicInputs for ClaimPublic {
    const COUNT: usize = inputs::COUNT;

    fn to_field_elements(&self) -> Vec<Fr> {
        // The inherent encoder (an array), which path resolution prefers.
        ClaimPublic::to_field_elements(self).to_vec()
    }

    fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        ClaimPublic::from_field_elements(elements)
    }
}
