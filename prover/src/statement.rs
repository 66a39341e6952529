//! The statements the prover knows, with their circuit identity.

use ark_bn254::Fr;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
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

    /// Constraint count of the circuit (at `depth` for Access), from a setup-mode synthesis.
    ///
    /// # Errors
    ///
    /// Synthesis errors, as text.
    pub fn constraint_count(self, depth: usize) -> Result<usize, String> {
        match self {
            Self::Access => count(AccessCircuit::blank(depth)),
            Self::Authority => count(AuthorityCircuit::blank()),
        }
    }
}

fn count<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<usize, String> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    circuit
        .generate_constraints(cs.clone())
        .map_err(|e| e.to_string())?;
    cs.finalize();
    Ok(cs.num_constraints())
}
