//! Range checks and the validity window as R1CS gadgets: twins of [`super::fits_in_bits`]
//! and [`super::in_window`].

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
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
    let bits_vars = bit_witnesses(x, 0..bits)?;
    let recomposed = Boolean::le_bits_to_fp(&bits_vars)?;
    enforce_lc_equal(&recomposed, x)?;
    Ok(bits_vars)
}

/// Enforces `a == b` as one constraint `(a - b) * 1 = 0`, without allocating.
/// Enforces `x < 2^bits` without returning the bits: `bits` constraints, one fewer than
/// [`enforce_fits_in_bits`]. Bits 1 to `bits - 1` are boolean witnesses; bit 0 is not
/// allocated but is the linear combination `x - sum_{i>0} 2^i * b_i`, which must be boolean,
/// so `x` is their recomposition (sound for `bits < 253`, as there).
///
/// # Errors
///
/// Only errors from the constraint system; [`SynthesisError::Unsatisfiable`] for a constant
/// out of range.
#[tracing::instrument(target = "r1cs", skip(x))]
pub fn enforce_below_two_pow(x: &FpVar<Fr>, bits: usize) -> Result<(), SynthesisError> {
    debug_assert!((1..Fr::MODULUS_BIT_SIZE as usize - 1).contains(&bits));
    let cs = x.cs();
    if cs.is_none() {
        let value = x.value()?.into_bigint();
        return if value.num_bits() as usize <= bits {
            Ok(())
        } else {
            Err(SynthesisError::Unsatisfiable)
        };
    }
    let high = bit_witnesses(x, 1..bits)?;
    // bit 0 = x - sum_{i>0} 2^i * b_i.
    let bit0 = || {
        let mut acc = lc(x);
        let mut power = Fr::from(2u64);
        for b in &high {
            acc = acc - b.lc() * power;
            power = power + power;
        }
        acc
    };
    cs.enforce_r1cs_constraint(bit0, || bit0() - Variable::One, LinearCombination::new)
}

/// Boolean witnesses for bits `range` of `x`'s value (one booleanity constraint each).
fn bit_witnesses(
    x: &FpVar<Fr>,
    range: core::ops::Range<usize>,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let value_bits =
        || -> Result<Vec<bool>, SynthesisError> { Ok(x.value()?.into_bigint().to_bits_le()) };
    range
        .map(|i| {
            Boolean::new_witness(x.cs(), || {
                Ok(value_bits()?.get(i).copied().unwrap_or(false))
            })
        })
        .collect()
}

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

/// Enforces `lo <= x` and `x + gap <= hi` with real 64-bit range checks: 256 constraints.
///
/// Checks `lo`, `hi`, `x - lo` and `hi - x - gap` are each below `2^64` (65 constraints
/// each). `x < 2^64` then follows without its own check: `x = lo + d1` with both terms below
/// `2^64`, so `x < 2^65` as an integer (no wrap); and `hi = x + gap + d2` with every term
/// small, so `x + gap <= hi < 2^64`. A value or bound past `2^64`, or one that wraps the
/// field (a "negative" difference), leaves the system unsatisfied.
fn enforce_ordered(
    lo: &FpVar<Fr>,
    x: &FpVar<Fr>,
    hi: &FpVar<Fr>,
    gap: u64,
) -> Result<(), SynthesisError> {
    enforce_below_two_pow(lo, U64_BITS)?;
    enforce_below_two_pow(hi, U64_BITS)?;
    enforce_below_two_pow(&(x - lo), U64_BITS)?;
    enforce_below_two_pow(&(hi - x - Fr::from(gap)), U64_BITS)?;
    Ok(())
}

/// Enforces `not_before <= now < not_after` with real 64-bit range checks: 256 constraints
/// (`not_before`, `not_after`, `now - not_before` and `not_after - now - 1` below `2^64`; the
/// proof that this is sound, and that a `now` past `2^64` fails, is on `enforce_ordered`).
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
    enforce_ordered(not_before, now, not_after, 1)
}

/// Enforces `lo <= x <= hi` (inclusive both sides) with real 64-bit range checks: 256
/// constraints (`lo`, `hi`, `x - lo` and `hi - x` below `2^64`, as for
/// [`enforce_in_window`]). The twin of `InclusiveRange::contains` in `crate::record`.
///
/// # Errors
///
/// Only errors from the constraint system.
#[tracing::instrument(target = "r1cs", skip_all)]
pub fn enforce_in_range(
    lo: &FpVar<Fr>,
    x: &FpVar<Fr>,
    hi: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    enforce_ordered(lo, x, hi, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        range::{fits_in_bits, in_window},
        record::InclusiveRange,
    };
    use ark_ff::{Field, One, UniformRand};
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

    type Ordered = fn(&FpVar<Fr>, &FpVar<Fr>, &FpVar<Fr>) -> Result<(), SynthesisError>;

    /// Whether `gadget(a, b, c)` is satisfied on witnesses, and its constraint count.
    fn ordered_circuit(gadget: Ordered, a: Fr, b: Fr, c: Fr) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let [a, b, c] = [a, b, c].map(|x| FpVar::new_witness(cs.clone(), || Ok(x)).unwrap());
        gadget(&a, &b, &c).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    fn window_circuit(nb: Fr, now: Fr, na: Fr) -> (bool, usize) {
        ordered_circuit(enforce_in_window, nb, now, na)
    }

    fn range_circuit(lo: Fr, x: Fr, hi: Fr) -> (bool, usize) {
        ordered_circuit(enforce_in_range, lo, x, hi)
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
    fn window_twin_agrees_and_costs_256() {
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

    #[test]
    fn range_twin_agrees_and_costs_256() {
        let mut rng = StdRng::seed_from_u64(62);
        for _ in 0..40 {
            let [lo, x, hi] = [0; 3].map(|_| rng.gen_range(0..8u64));
            let (ok, n) = range_circuit(Fr::from(lo), Fr::from(x), Fr::from(hi));
            assert_eq!(ok, InclusiveRange::new(lo, hi).contains(x), "{lo} {x} {hi}");
            assert_eq!(n, WINDOW_CONSTRAINTS);
        }
        let max = Fr::from(u64::MAX);
        let zero = Fr::from(0u64);
        assert!(range_circuit(zero, max, max).0);
        assert!(range_circuit(zero, zero, max).0);
    }

    #[test]
    fn range_rejects_values_and_bounds_past_2_64() {
        let two64 = Fr::from(2u64).pow([64u64]);
        let max = Fr::from(u64::MAX);
        let (zero, one, five) = (Fr::from(0u64), Fr::one(), Fr::from(5u64));
        // x = 2^64 under the widest bounds.
        assert!(!range_circuit(zero, two64, max).0);
        // x = p - 1.
        assert!(!range_circuit(zero, -one, max).0);
        // lo = p - 1 makes x - lo = x + 1 small: still rejected by lo's own check.
        assert!(!range_circuit(-one, five, max).0);
        // hi past 2^64, and a "negative" lo reaching a wrapped x.
        assert!(!range_circuit(zero, five, two64 + five).0);
        assert!(!range_circuit(zero, two64 + five, two64 + five).0);
    }

    const WINDOW_CONSTRAINTS: usize = 4 * U64_BITS;
}
