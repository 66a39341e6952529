//! Scope coverage as an R1CS gadget: the twin of [`super::covers`].

use super::SCOPE_BITS;
use crate::range::constraints::{enforce_fits_in_bits, enforce_lc_equal, lc};
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, BigInteger, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{LinearCombination, SynthesisError};

/// Enforces that `granted` and `requested` are 64-bit masks and every requested bit is
/// granted. 130 constraints.
///
/// `granted` is decomposed into bits `g_i` (65 constraints). Each requested bit `q_i` gets the
/// single constraint `q_i * (g_i - q_i) = 0` (64): where `g_i = 0` it forces `q_i = 0`, where
/// `g_i = 1` it forces `q_i` to be boolean, so it is both booleanity and coverage. One more
/// constraint recomposes the `q_i` to `requested`.
///
/// # Errors
///
/// Only errors from the constraint system.
#[tracing::instrument(target = "r1cs", skip_all)]
pub fn enforce_covers(granted: &FpVar<Fr>, requested: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let granted_bits = enforce_fits_in_bits(granted, SCOPE_BITS)?;
    let cs = granted.cs().or(requested.cs());
    let mut recomposed = FpVar::<Fr>::Constant(Fr::from(0u64));
    let mut weight = Fr::from(1u64);
    for (i, g) in granted_bits.iter().enumerate() {
        let q = FpVar::new_witness(cs.clone(), || {
            let bits = requested.value()?.into_bigint().to_bits_le();
            Ok(Fr::from(u64::from(bits.get(i).copied().unwrap_or(false))))
        })?;
        cs.enforce_r1cs_constraint(|| lc(&q), || g.lc() - lc(&q), LinearCombination::new)?;
        recomposed += &q * weight;
        weight.double_in_place();
    }
    enforce_lc_equal(&recomposed, requested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::{covers, Scope};
    use ark_ff::{Field, One};
    use ark_r1cs_std::alloc::AllocationMode;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn covers_circuit(granted: Fr, requested: Fr, mode: AllocationMode) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let g = FpVar::new_witness(cs.clone(), || Ok(granted)).unwrap();
        let q = FpVar::new_variable(cs.clone(), || Ok(requested), mode).unwrap();
        enforce_covers(&g, &q).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn exhaustive_on_four_bits_and_random_on_64() {
        for g in 0..16u64 {
            for q in 0..16u64 {
                let (ok, n) = covers_circuit(Fr::from(g), Fr::from(q), AllocationMode::Witness);
                assert_eq!(ok, covers(Scope(g), Scope(q)), "{g:b} {q:b}");
                assert_eq!(n, COVERS_CONSTRAINTS);
            }
        }
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..50 {
            let g: u64 = rng.gen();
            let q = if rng.gen_bool(0.5) {
                g & rng.gen::<u64>()
            } else {
                rng.gen()
            };
            let (ok, _) = covers_circuit(Fr::from(g), Fr::from(q), AllocationMode::Input);
            assert_eq!(ok, covers(Scope(g), Scope(q)));
        }
    }

    #[test]
    fn oversized_masks_fail() {
        let two64 = Fr::from(2u64).pow([64u64]);
        assert!(!covers_circuit(two64 + Fr::one(), Fr::one(), AllocationMode::Witness).0);
        assert!(!covers_circuit(Fr::from(u64::MAX), two64, AllocationMode::Witness).0);
        assert!(!covers_circuit(Fr::from(u64::MAX), -Fr::one(), AllocationMode::Witness).0);
    }

    const COVERS_CONSTRAINTS: usize = 2 * SCOPE_BITS + 2;
}
