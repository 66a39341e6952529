//! Range checks and the validity window, natively.
//!
//! The gadget twin ([`constraints`]) decomposes values into bits so that a value past
//! `2^64`, or one that wraps around the field (a "negative" difference), cannot satisfy it.

pub mod constraints;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

/// Width of timestamps (Unix seconds) and scope bitmasks.
pub const U64_BITS: usize = 64;

/// Whether `x`, as an integer in `[0, r)`, is below `2^bits`.
pub fn fits_in_bits(x: &Fr, bits: usize) -> bool {
    x.into_bigint().num_bits() as usize <= bits
}

/// `not_before <= now < not_after`: the grant is valid at `now`.
pub fn in_window(not_before: u64, now: u64, not_after: u64) -> bool {
    not_before <= now && now < not_after
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, One};

    #[test]
    fn fits_in_bits_boundaries() {
        assert!(fits_in_bits(&Fr::from(0u64), 0));
        assert!(fits_in_bits(&Fr::from(u64::MAX), 64));
        assert!(!fits_in_bits(&(Fr::from(u64::MAX) + Fr::one()), 64));
        assert!(!fits_in_bits(&-Fr::one(), 64));
        assert!(!fits_in_bits(&Fr::from(2u64).pow([64u64]), 64));
    }

    #[test]
    fn window_is_half_open() {
        assert!(in_window(10, 10, 11));
        assert!(!in_window(10, 11, 11));
        assert!(!in_window(10, 9, 11));
        assert!(!in_window(5, 5, 5));
    }
}
