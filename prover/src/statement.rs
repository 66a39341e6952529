//! What the prover needs of a statement: its constraint matrices and its keys.
//!
//! A statement's identity (name, circuit version, inputs) and its circuit live in
//! `zkconsent_circuits::statement`. Everything here is generic over
//! [`zkconsent_circuits::statement::Statement`], with one kind-level twin per function for
//! code that starts from a [`StatementKind`] (a name in a manifest), reached through the
//! circuits' visitor, so no `match` over the statements lives in the prover.

use crate::{matrices::ProverMatrices, Curve, ProvingKey};
use ark_groth16::{Groth16, VerifyingKey};
use ark_relations::gr1cs::SynthesisError;
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use zkconsent_circuits::statement::{Statement, StatementKind, StatementVisitor};

/// The constraint matrices of `S`'s circuit (at `depth` where it has one), from a setup-mode
/// synthesis of its blank circuit.
///
/// # Errors
///
/// Synthesis errors.
pub fn matrices<S: Statement>(depth: usize) -> Result<ProverMatrices, SynthesisError> {
    ProverMatrices::new(S::blank(depth))
}

/// [`matrices`] of the statement `kind`.
///
/// # Errors
///
/// Synthesis errors.
pub fn matrices_of(kind: StatementKind, depth: usize) -> Result<ProverMatrices, SynthesisError> {
    struct Matrices {
        depth: usize,
    }
    impl StatementVisitor for Matrices {
        type Output = Result<ProverMatrices, SynthesisError>;
        fn visit<S: Statement>(self) -> Self::Output {
            matrices::<S>(self.depth)
        }
    }
    kind.visit(Matrices { depth })
}

/// A single-party Groth16 setup of `S`'s circuit (at `depth` where it has one).
///
/// # Errors
///
/// Synthesis errors.
pub fn setup<S: Statement>(
    depth: usize,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(ProvingKey, VerifyingKey<Curve>), SynthesisError> {
    Groth16::<Curve>::circuit_specific_setup(S::blank(depth), rng)
}

/// [`setup`] of the statement `kind`.
///
/// # Errors
///
/// Synthesis errors.
pub fn setup_of<R: RngCore + CryptoRng>(
    kind: StatementKind,
    depth: usize,
    rng: &mut R,
) -> Result<(ProvingKey, VerifyingKey<Curve>), SynthesisError> {
    struct Setup<'a, R> {
        depth: usize,
        rng: &'a mut R,
    }
    impl<R: RngCore + CryptoRng> StatementVisitor for Setup<'_, R> {
        type Output = Result<(ProvingKey, VerifyingKey<Curve>), SynthesisError>;
        fn visit<S: Statement>(self) -> Self::Output {
            setup::<S>(self.depth, self.rng)
        }
    }
    kind.visit(Setup { depth, rng })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cheap count (`StatementKind::constraint_count`, no matrices) equals the finalised
    /// matrices' count for every statement.
    #[test]
    fn constraint_count_equals_the_matrices_count() {
        const DEPTH: usize = 4;
        for kind in StatementKind::ALL {
            assert_eq!(
                kind.constraint_count(DEPTH).unwrap(),
                matrices_of(kind, DEPTH).unwrap().num_constraints,
                "{kind}"
            );
        }
    }
}
