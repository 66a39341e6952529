//! The grant-authority statement as a type.

use super::{check, inputs, AuthorityCircuit, AuthorityError, AuthorityPrivate, AuthorityPublic};
use crate::{
    merkle::MerklePath,
    statement::{InputError, InputRole, PublicInputs, Statement, StatementKind},
};
use ark_bn254::Fr;

/// The role of each authority public input: the registry compares both with the grant
/// change the proof authorises; no verifier request is involved.
const ROLES: [InputRole; inputs::COUNT] = [InputRole::Disclosed; inputs::COUNT];

/// Statement 0, grant authority ([`crate::authority`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Authority;

impl Statement for Authority {
    const KIND: StatementKind = StatementKind::Authority;
    const NAME: &'static str = super::STATEMENT;
    const CIRCUIT_VERSION: u32 = super::CIRCUIT_VERSION;
    const INPUT_NAMES: &'static [&'static str] = &inputs::NAMES;
    const INPUT_ROLES: &'static [InputRole] = &ROLES;
    const HAS_TREE_DEPTH: bool = false;

    type Public = AuthorityPublic;
    type Private = AuthorityPrivate;
    type Error = AuthorityError;
    type Circuit = AuthorityCircuit;

    fn check(public: &AuthorityPublic, private: &AuthorityPrivate) -> Result<(), AuthorityError> {
        check(public, private)
    }

    fn circuit(public: &AuthorityPublic, private: &AuthorityPrivate) -> AuthorityCircuit {
        AuthorityCircuit::new(public, private)
    }

    /// The circuit has no tree: `depth` is ignored.
    fn blank(_depth: usize) -> AuthorityCircuit {
        AuthorityCircuit::blank()
    }

    fn paths(_private: &AuthorityPrivate) -> Vec<&MerklePath> {
        Vec::new()
    }
}

impl PublicInputs for AuthorityPublic {
    const COUNT: usize = inputs::COUNT;

    fn to_field_elements(&self) -> Vec<Fr> {
        // The inherent encoder (an array), which path resolution prefers.
        AuthorityPublic::to_field_elements(self).to_vec()
    }

    fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        AuthorityPublic::from_field_elements(elements)
    }
}
