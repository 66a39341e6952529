//! The statements the prover knows, with their circuit identity.

use crate::matrices::ProverMatrices;
use ark_bn254::Fr;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, OptimizationGoal, SynthesisError,
    SynthesisMode,
};
use zkconsent_circuits::{
    access::{self, AccessCircuit},
    authority::{self, AuthorityCircuit},
    claim::{self, ClaimCircuit},
    cohort::{self, CohortCircuit},
    record::{self, RecordCircuit},
};

/// A zkconsent statement (one circuit, one key pair).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Statement {
    /// Statement 1: access under a valid, unrevoked grant.
    Access,
    /// Statement 0: patient authority over a grant leaf.
    Authority,
    /// Statement 2: facts about an anchored FHIR record.
    Record,
    /// Statement 3: an insurance claim against an anchored Claim or ExplanationOfBenefit.
    Claim,
    /// Statement 4: a patient's eligibility for a study, once per study.
    Cohort,
}

/// The circuit of any statement, so that setup and matrix building are written once.
#[derive(Clone, Debug)]
pub enum AnyCircuit {
    /// [`Statement::Access`].
    Access(AccessCircuit),
    /// [`Statement::Authority`].
    Authority(AuthorityCircuit),
    /// [`Statement::Record`].
    Record(RecordCircuit),
    /// [`Statement::Claim`].
    Claim(ClaimCircuit),
    /// [`Statement::Cohort`].
    Cohort(CohortCircuit),
}

impl ConstraintSynthesizer<Fr> for AnyCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        match self {
            Self::Access(c) => c.generate_constraints(cs),
            Self::Authority(c) => c.generate_constraints(cs),
            Self::Record(c) => c.generate_constraints(cs),
            Self::Claim(c) => c.generate_constraints(cs),
            Self::Cohort(c) => c.generate_constraints(cs),
        }
    }
}

impl Statement {
    /// Every statement, in setup order. New statements go at the end: setup draws each key
    /// from one RNG in this order, so earlier keys stay what they were for a given seed.
    pub const ALL: [Statement; 5] = [
        Statement::Authority,
        Statement::Access,
        Statement::Record,
        Statement::Claim,
        Statement::Cohort,
    ];

    /// Name used in files and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Self::Access => access::STATEMENT,
            Self::Authority => authority::STATEMENT,
            Self::Record => record::STATEMENT,
            Self::Claim => claim::STATEMENT,
            Self::Cohort => cohort::STATEMENT,
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
            Self::Record => record::CIRCUIT_VERSION,
            Self::Claim => claim::CIRCUIT_VERSION,
            Self::Cohort => cohort::CIRCUIT_VERSION,
        }
    }

    /// Public input names, in circuit order.
    pub fn input_names(self) -> &'static [&'static str] {
        match self {
            Self::Access => &access::inputs::NAMES,
            Self::Authority => &authority::inputs::NAMES,
            Self::Record => &record::inputs::NAMES,
            Self::Claim => &claim::inputs::NAMES,
            Self::Cohort => &cohort::inputs::NAMES,
        }
    }

    /// Whether the circuit depends on the tree depth (grants and records trees share it).
    pub fn has_tree_depth(self) -> bool {
        !matches!(self, Self::Authority)
    }

    /// A circuit of the statement's shape with dummy values (at `depth` where it has one),
    /// for key generation and the constraint matrices.
    pub fn blank(self, depth: usize) -> AnyCircuit {
        match self {
            Self::Access => AnyCircuit::Access(AccessCircuit::blank(depth)),
            Self::Authority => AnyCircuit::Authority(AuthorityCircuit::blank()),
            Self::Record => AnyCircuit::Record(RecordCircuit::blank(depth)),
            Self::Claim => AnyCircuit::Claim(ClaimCircuit::blank(depth)),
            Self::Cohort => AnyCircuit::Cohort(CohortCircuit::blank(depth)),
        }
    }

    /// The circuit's constraint matrices (at `depth` where it has one), from a setup-mode
    /// synthesis of a blank circuit.
    ///
    /// # Errors
    ///
    /// Synthesis errors, as text.
    pub fn matrices(self, depth: usize) -> Result<ProverMatrices, String> {
        ProverMatrices::new(self.blank(depth)).map_err(|e| e.to_string())
    }

    /// Constraint count of the circuit (at `depth` where it has one), from a setup-mode
    /// synthesis without building the matrices: what a verifier's drift check needs, at a
    /// fraction of the cost (finalising the Cohort circuit's linear combinations takes
    /// seconds). With the constraint-count optimisation goal, finalising never changes the
    /// count (tested).
    ///
    /// # Errors
    ///
    /// Synthesis errors, as text.
    pub fn constraint_count(self, depth: usize) -> Result<usize, String> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        self.blank(depth)
            .generate_constraints(cs.clone())
            .map_err(|e| e.to_string())?;
        Ok(cs.num_constraints())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cheap count equals the finalised matrices' count for every statement.
    #[test]
    fn constraint_count_equals_the_matrices_count() {
        const DEPTH: usize = 4;
        for statement in Statement::ALL {
            assert_eq!(
                statement.constraint_count(DEPTH),
                statement.matrices(DEPTH).map(|m| m.num_constraints),
                "{}",
                statement.name()
            );
        }
    }
}
