//! The statements the prover knows, with their circuit identity.

use crate::matrices::ProverMatrices;
use zkconsent_circuits::{
    access::{self, AccessCircuit},
    authority::{self, AuthorityCircuit},
};

/// A zkconsent statement (one circuit, one key pair).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Statement {
    /// Statement 1: access under a valid, unrevoked grant.
    Access,
    /// Statement 0: patient authority over a grant leaf.
    Authority,
}

impl Statement {
    /// Every statement, in setup order.
    pub const ALL: [Statement; 2] = [Statement::Authority, Statement::Access];

    /// Name used in files and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Self::Access => access::STATEMENT,
            Self::Authority => authority::STATEMENT,
        }
    }

    /// Looks a statement up by name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Circuit version compiled into this binary.
    pub fn circuit_version(self) -> u32 {
        match self {
            Self::Access => access::CIRCUIT_VERSION,
            Self::Authority => authority::CIRCUIT_VERSION,
        }
    }

    /// Public input names, in circuit order.
    pub fn input_names(self) -> &'static [&'static str] {
        match self {
            Self::Access => &access::inputs::NAMES,
            Self::Authority => &authority::inputs::NAMES,
        }
    }

    /// Whether the circuit depends on the grants-tree depth.
    pub fn has_tree_depth(self) -> bool {
        matches!(self, Self::Access)
    }

    /// The circuit's constraint matrices (at `depth` for Access), from a setup-mode synthesis
    /// of a blank circuit.
    ///
    /// # Errors
    ///
    /// Synthesis errors, as text.
    pub fn matrices(self, depth: usize) -> Result<ProverMatrices, String> {
        match self {
            Self::Access => ProverMatrices::new(AccessCircuit::blank(depth)),
            Self::Authority => ProverMatrices::new(AuthorityCircuit::blank()),
        }
        .map_err(|e| e.to_string())
    }

    /// Constraint count of the circuit (at `depth` for Access).
    ///
    /// # Errors
    ///
    /// Synthesis errors, as text.
    pub fn constraint_count(self, depth: usize) -> Result<usize, String> {
        Ok(self.matrices(depth)?.num_constraints)
    }
}
