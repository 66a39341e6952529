//! Public inputs as field elements both ways: each statement's encoder and its decoder twin.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField, Zero};

/// A statement's public inputs: one encoder to field elements, in circuit order, and its
/// decoder twin. `from_field_elements(&x.to_field_elements()) == Ok(x)` for every value the
/// type holds; the decoder refuses anything the encoder never produces.
pub trait PublicInputs: Sized {
    /// Number of public inputs.
    const COUNT: usize;

    /// The public inputs as field elements, in circuit order.
    fn to_field_elements(&self) -> Vec<Fr>;

    /// The public inputs back from field elements. Never panics, whatever the input.
    ///
    /// # Errors
    ///
    /// [`InputError::WrongCount`] unless there are [`Self::COUNT`] elements,
    /// [`InputError::OutOfRange`] for a value the encoder never produces.
    fn from_field_elements(inputs: &[Fr]) -> Result<Self, InputError>;
}

/// Why field elements are not a statement's public inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputError {
    /// Not the statement's number of public inputs.
    WrongCount {
        /// The statement's count.
        expected: usize,
        /// The number given.
        got: usize,
    },
    /// A value the encoder never produces: past 64 bits, not a valid code, or a value where
    /// the encoding puts 0.
    OutOfRange {
        /// The input's name (as in proof files).
        input: &'static str,
    },
}

impl core::fmt::Display for InputError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::WrongCount { expected, got } => {
                write!(f, "{got} public inputs, the statement has {expected}")
            }
            Self::OutOfRange { input } => write!(f, "public input {input} is out of range"),
        }
    }
}

impl std::error::Error for InputError {}

/// Reads one statement's public inputs by offset, naming the offending input on failure.
pub(crate) struct Decoder<'a, const N: usize> {
    values: &'a [Fr; N],
    names: &'static [&'static str; N],
}

impl<'a, const N: usize> Decoder<'a, N> {
    /// The decoder of `inputs`, which must be `N` elements named by `names`.
    pub(crate) fn new(
        inputs: &'a [Fr],
        names: &'static [&'static str; N],
    ) -> Result<Self, InputError> {
        let values = inputs.try_into().map_err(|_| InputError::WrongCount {
            expected: N,
            got: inputs.len(),
        })?;
        Ok(Self { values, names })
    }

    /// Input `i` (an `inputs::` offset of the statement, so below `N`).
    pub(crate) fn fr(&self, i: usize) -> Fr {
        self.values.get(i).copied().unwrap_or_default()
    }

    /// [`InputError::OutOfRange`] naming input `i`.
    pub(crate) fn out_of_range(&self, i: usize) -> InputError {
        InputError::OutOfRange {
            input: self.names.get(i).copied().unwrap_or("?"),
        }
    }

    /// Input `i` as a 64-bit integer.
    pub(crate) fn u64(&self, i: usize) -> Result<u64, InputError> {
        fr_to_u64(&self.fr(i)).ok_or_else(|| self.out_of_range(i))
    }

    /// Input `i`, which the encoding sets to 0.
    pub(crate) fn zero(&self, i: usize) -> Result<(), InputError> {
        if self.fr(i).is_zero() {
            Ok(())
        } else {
            Err(self.out_of_range(i))
        }
    }
}

/// The integer `x` if it is below `2^64`.
pub(crate) fn fr_to_u64(x: &Fr) -> Option<u64> {
    let big = x.into_bigint();
    (big.num_bits() <= 64).then_some(big.0[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, One};

    #[test]
    fn u64_boundaries() {
        assert_eq!(fr_to_u64(&Fr::zero()), Some(0));
        assert_eq!(fr_to_u64(&Fr::from(u64::MAX)), Some(u64::MAX));
        assert_eq!(fr_to_u64(&(Fr::from(u64::MAX) + Fr::one())), None);
        assert_eq!(fr_to_u64(&Fr::from(2u64).pow([64u64])), None);
        assert_eq!(fr_to_u64(&-Fr::one()), None);
    }

    #[test]
    fn decoder_checks_the_count_and_names_inputs() {
        const NAMES: [&str; 2] = ["a", "b"];
        let values = [Fr::from(3u64), -Fr::one()];
        assert_eq!(
            Decoder::new(&values[..1], &NAMES).err(),
            Some(InputError::WrongCount {
                expected: 2,
                got: 1
            })
        );
        let d = Decoder::new(&values, &NAMES).unwrap();
        assert_eq!(d.u64(0), Ok(3));
        assert_eq!(d.u64(1), Err(InputError::OutOfRange { input: "b" }));
        assert_eq!(d.zero(0), Err(InputError::OutOfRange { input: "a" }));
        assert_eq!(
            InputError::WrongCount {
                expected: 7,
                got: 6
            }
            .to_string(),
            "6 public inputs, the statement has 7"
        );
    }
}
