//! Constraint matrices synthesised once per key, so each proof only computes its witness.
//!
//! `Groth16::prove` re-synthesises the whole constraint system (building every linear
//! combination and the A, B, C matrices) on every call: about 50 ms of a 250 ms Access proof
//! at depth 20. The matrices depend only on the circuit, so [`ProverMatrices::new`] builds
//! them once from a blank circuit; [`ProverMatrices::assignment`] then runs the circuit in a
//! mode that computes values only, and ark-groth16's
//! `create_proof_with_reduction_and_matrices` does the rest.

use ark_bn254::Fr;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError,
    SynthesisMode, R1CS_PREDICATE_LABEL,
};

/// The R1CS matrices of one circuit and the shape of its assignment.
#[derive(Clone)]
pub struct ProverMatrices {
    /// A, B, C.
    pub matrices: Vec<Matrix<Fr>>,
    /// Instance variables, the constant 1 included.
    pub num_inputs: usize,
    /// Witness variables.
    pub num_witnesses: usize,
    /// Constraints.
    pub num_constraints: usize,
}

impl std::fmt::Debug for ProverMatrices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProverMatrices")
            .field("num_inputs", &self.num_inputs)
            .field("num_witnesses", &self.num_witnesses)
            .field("num_constraints", &self.num_constraints)
            .finish()
    }
}

impl ProverMatrices {
    /// Synthesises `blank` (any assignment of the right shape) in setup mode.
    ///
    /// # Errors
    ///
    /// Synthesis errors.
    pub fn new<C: ConstraintSynthesizer<Fr>>(blank: C) -> Result<Self, SynthesisError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        blank.generate_constraints(cs.clone())?;
        cs.finalize();
        let matrices = cs
            .to_matrices()?
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or(SynthesisError::PredicateNotFound)?;
        Ok(Self {
            matrices,
            num_inputs: cs.num_instance_variables(),
            num_witnesses: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }

    /// The full assignment `[1, inputs…, witnesses…]` of `circuit`, computing values only
    /// (no linear combinations, no matrices).
    ///
    /// # Errors
    ///
    /// Synthesis errors, or [`SynthesisError::Unsatisfiable`] if the circuit allocates a
    /// different number of variables than the matrices were built for.
    pub fn assignment<C: ConstraintSynthesizer<Fr>>(
        &self,
        circuit: C,
    ) -> Result<Vec<Fr>, SynthesisError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        circuit.generate_constraints(cs.clone())?;
        let mut full = cs.instance_assignment()?;
        let witness = cs.witness_assignment()?;
        if full.len() != self.num_inputs || witness.len() != self.num_witnesses {
            return Err(SynthesisError::Unsatisfiable);
        }
        full.extend(witness);
        Ok(full)
    }
}
