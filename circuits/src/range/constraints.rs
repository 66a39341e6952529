//! Range checks and the validity window as R1CS gadgets: twins of [`super::fits_in_bits`]
//! and [`super::in_window`].

use ark_bn254::Fr;
use ark_ff::{BigInteger, One, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{LinearCombination, SynthesisError, Variable};

use super::U64_BITS;

/// The linear combination a field variable stands for (constants ride on `One`).
pub(crate) fn lc(x: &FpVar<Fr>) -> LinearCombination<Fr> {
    match x {
        FpVar::Constant(c) => (*c, Variable::One).into(),
        FpVar::Var(v) => v.variable.into(),
    }
}

/// Enforces `x < 2^bits` and returns its bits, least significant first.
///
/// Allocates `bits` boolean witnesses (one constraint each) and enforces that they recompose
/// to `x` (one constraint): `bits + 1` constraints. Sound for `bits < 253`: the recomposed sum
/// is below the modulus, so it cannot wrap to equal a larger `x`.
///
/// # Errors
///
/// Only errors from the constraint system.
#[tracing::instrument(target = "r1cs", skip(x))]
pub fn enforce_fits_in_bits(
    x: &FpVar<Fr>,
    bits: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    debug_assert!(bits < Fr::MODULUS_BIT_SIZE as usize - 1);
    let cs = x.cs();
    let value_bits =
        || -> Result<Vec<bool>, SynthesisError> { Ok(x.value()?.into_bigint().to_bits_le()) };
    let bits_vars = (0..bits)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                Ok(value_bits()?.get(i).copied().unwrap_or(false))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let recomposed = Boolean::le_bits_to_fp(&bits_vars)?;
    enforce_lc_equal(&recomposed, x)?;
    Ok(bits_vars)
}

/// Enforces `a == b` as one constraint `(a - b) * 1 = 0`, without allocating.
pub(crate) fn enforce_lc_equal(a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let cs = a.cs().or(b.cs());
    if cs.is_none() {
        // Both constants: compare directly.
        return if a.value()? == b.value()? {
            Ok(())
        } else {
            Err(SynthesisError::Unsatisfiable)
        };
    }
    cs.enforce_r1cs_constraint(
        || lc(a) - lc(b),
        || Variable::One.into(),
        LinearCombination::new,
    )
}

/// Enforces `not_before <= now < not_after` with real 64-bit range checks. 260 constraints.
///
/// Checks `not_before`, `not_after`, `now - not_before` and `not_after - now - 1` are each
/// below `2^64` (65 constraints each). `now < 2^64` then follows without its own check:
/// `now = not_before + d1` with both terms below `2^64`, so `now < 2^65` as an integer (no
/// wrap); and `not_after = now + 1 + d2` with every term small, so `now < not_after < 2^64`.
/// A `now` past `2^64`, or any value that wraps the field, leaves the system unsatisfied.
///
/// # Errors
///
/// Only errors from the constraint system.
#[tracing::instrument(target = "r1cs", skip_all)]
pub fn enforce_in_window(
    not_before: &FpVar<Fr>,
    now: &FpVar<Fr>,
    not_after: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    enforce_fits_in_bits(not_before, U64_BITS)?;
    enforce_fits_in_bits(not_after, U64_BITS)?;
    enforce_fits_in_bits(&(now - not_before), U64_BITS)?;
    enforce_fits_in_bits(&(not_after - now - Fr::one()), U64_BITS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::range::{fits_in_bits, in_window};
    use ark_ff::{Field, UniformRand};
    use ark_r1cs_std::alloc::AllocationMode;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn fits_circuit(x: Fr, bits: usize, mode: AllocationMode) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let v = FpVar::new_variable(cs.clone(), || Ok(x), mode).unwrap();
        match enforce_fits_in_bits(&v, bits) {
            Ok(_) => cs.is_satisfied().unwrap(),
            Err(_) => false,
        }
    }

    fn window_circuit(nb: Fr, now: Fr, na: Fr) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let [nb, now, na] =
            [nb, now, na].map(|x| FpVar::new_witness(cs.clone(), || Ok(x)).unwrap());
        enforce_in_window(&nb, &now, &na).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn fits_in_bits_twin_agrees_on_random_and_boundary_values() {
        let mut rng = StdRng::seed_from_u64(3);
        let two64 = Fr::from(2u64).pow([64u64]);
        let mut values = vec![
            Fr::from(0u64),
            Fr::from(u64::MAX),
            two64,
            two64 - Fr::one(),
            -Fr::one(),
        ];
        values.extend((0..20).map(|_| Fr::from(rng.gen::<u64>())));
        values.extend((0..5).map(|_| Fr::rand(&mut rng)));
        for x in values {
            for mode in [AllocationMode::Witness, AllocationMode::Input] {
                assert_eq!(fits_circuit(x, 64, mode), fits_in_bits(&x, 64), "{x}");
            }
        }
    }

    #[test]
    fn window_twin_agrees_and_costs_260() {
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..40 {
            let (a, b, c) = (
                rng.gen_range(0..8u64),
                rng.gen_range(0..8u64),
                rng.gen_range(0..8u64),
            );
            let (ok, n) = window_circuit(Fr::from(a), Fr::from(b), Fr::from(c));
            assert_eq!(ok, in_window(a, b, c), "{a} {b} {c}");
            assert_eq!(n, WINDOW_CONSTRAINTS);
        }
        let (ok, _) = window_circuit(Fr::from(0u64), Fr::from(u64::MAX - 1), Fr::from(u64::MAX));
        assert!(ok);
    }

    #[test]
    fn window_rejects_now_past_2_64_and_wraparound() {
        let two64 = Fr::from(2u64).pow([64u64]);
        // now = 2^64 with not_after = 2^64 + 1 (not_after too large).
        assert!(!window_circuit(Fr::from(0u64), two64, two64 + Fr::one()).0);
        // now = 2^64 + 5 with a window that would pass if values wrapped mod 2^64.
        assert!(!window_circuit(Fr::from(0u64), two64 + Fr::from(5u64), Fr::from(10u64)).0);
        // now = -1 (p - 1): now - not_before wraps the field.
        assert!(!window_circuit(Fr::from(0u64), -Fr::one(), Fr::from(10u64)).0);
        // not_before = -1 makes now - not_before small (1 + now): must still fail.
        assert!(!window_circuit(-Fr::one(), Fr::from(3u64), Fr::from(10u64)).0);
    }

    const WINDOW_CONSTRAINTS: usize = 4 * (U64_BITS + 1);
}
