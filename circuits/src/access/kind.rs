//! The Access statement as a type.

use super::{check, inputs, AccessCircuit, AccessError, AccessPrivate, AccessPublic};
use crate::{
    merkle::MerklePath,
    statement::{InputError, InputRole, PublicInputs, Statement, StatementKind},
};
use ark_bn254::Fr;

/// The role of each Access public input, in circuit order.
const ROLES: [InputRole; inputs::COUNT] = {
    let mut r = [InputRole::Term; inputs::COUNT];
    r[inputs::GRANTS_ROOT] = InputRole::GrantsRoot;
    r[inputs::NOW] = InputRole::Time;
    r[inputs::REQUEST_HASH] = InputRole::RequestHash;
    r[inputs::ACCESS_TAG] = InputRole::AccessTag;
    r
};

/// Statement 1, Access ([`crate::access`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Access;

impl Statement for Access {
    const KIND: StatementKind = StatementKind::Access;
    const NAME: &'static str = super::STATEMENT;
    const CIRCUIT_VERSION: u32 = super::CIRCUIT_VERSION;
    const INPUT_NAMES: &'static [&'static str] = &inputs::NAMES;
    const INPUT_ROLES: &'static [InputRole] = &ROLES;
    const HAS_TREE_DEPTH: bool = true;

    type Public = AccessPublic;
    type Private = AccessPrivate;
    type Error = AccessError;
    type Circuit = AccessCircuit;

    fn check(public: &AccessPublic, private: &AccessPrivate) -> Result<(), AccessError> {
        check(public, private)
    }

    fn circuit(public: &AccessPublic, private: &AccessPrivate) -> AccessCircuit {
        AccessCircuit::new(public, private)
    }

    fn blank(depth: usize) -> AccessCircuit {
        AccessCircuit::blank(depth)
    }

    fn paths(private: &AccessPrivate) -> Vec<&MerklePath> {
        vec![&private.path]
    }
}

impl PublicInputs for AccessPublic {
    const COUNT: usize = inputs::COUNT;

    fn to_field_elements(&self) -> Vec<Fr> {
        // The inherent encoder (an array), which path resolution prefers.
        AccessPublic::to_field_elements(self).to_vec()
    }

    fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        AccessPublic::from_field_elements(elements)
    }
}
