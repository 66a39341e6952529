//! Error types: one enum per job (verifying, decoding, batch verifying).

use alloc::vec::Vec;
use core::fmt;

/// Why a proof did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The number of public inputs does not match the verifying key.
    PublicInputCount {
        /// Inputs the key was made for.
        expected: usize,
        /// Inputs supplied.
        got: usize,
    },
    /// The pairing equation does not hold: the proof is not valid for these inputs.
    InvalidProof,
    /// The verifying key cannot verify anything (no input basis, or an identity point).
    MalformedVerifyingKey,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PublicInputCount { expected, got } => {
                write!(f, "expected {expected} public inputs, got {got}")
            }
            Self::InvalidProof => f.write_str("proof is invalid"),
            Self::MalformedVerifyingKey => f.write_str("verifying key is malformed"),
        }
    }
}

/// Why bytes or a decimal string did not decode to a field element, point, proof or key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input is shorter than its encoding requires.
    WrongLength {
        /// Bytes the encoding requires.
        expected: usize,
        /// Bytes supplied.
        got: usize,
    },
    /// Bytes remain after a complete encoding.
    TrailingBytes,
    /// Bad flag bits: both set, or "infinity" with a non-zero coordinate.
    InvalidEncoding,
    /// The coordinates do not satisfy the curve equation.
    NotOnCurve,
    /// The point is on the curve but outside the prime-order subgroup.
    NotInSubgroup,
    /// The point is the identity, which is never valid here.
    Identity,
    /// A field element is not below its modulus (a non-canonical encoding).
    FieldElementTooLarge,
    /// A decimal string is empty, too long, has a leading zero, or a non-digit character.
    InvalidDecimal,
    /// A verifying key claims more public inputs than [`crate::MAX_PUBLIC_INPUTS`].
    TooManyPublicInputs,
    /// A verifying key has no `gamma_abc_g1` points, so it can verify nothing.
    EmptyGammaAbc,
    /// A verifying key with `gamma == ±delta`: the public inputs' term and `C`'s share one
    /// pairing, so a prover can move any public input into `C` and forge.
    GammaIsDelta,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength { expected, got } => {
                write!(f, "expected {expected} bytes, got {got}")
            }
            Self::TrailingBytes => f.write_str("trailing bytes after encoding"),
            Self::InvalidEncoding => f.write_str("invalid point encoding flags"),
            Self::NotOnCurve => f.write_str("point is not on the curve"),
            Self::NotInSubgroup => f.write_str("point is not in the prime-order subgroup"),
            Self::Identity => f.write_str("point is the identity"),
            Self::FieldElementTooLarge => f.write_str("field element is not below the modulus"),
            Self::InvalidDecimal => f.write_str("invalid decimal string"),
            Self::TooManyPublicInputs => f.write_str("too many public inputs in verifying key"),
            Self::EmptyGammaAbc => f.write_str("verifying key has no gamma_abc_g1 points"),
            Self::GammaIsDelta => f.write_str(
                "verifying key has gamma == ±delta, which lets anyone forge its public inputs",
            ),
        }
    }
}

/// Why a batch did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// Item `index` has the wrong number of public inputs; nothing was verified.
    PublicInputCount {
        /// Position of the offending item.
        index: usize,
        /// Inputs the key was made for.
        expected: usize,
        /// Inputs supplied.
        got: usize,
    },
    /// There must be exactly one scalar per item.
    ScalarCount {
        /// Number of items.
        expected: usize,
        /// Number of scalars supplied.
        got: usize,
    },
    /// Scalar `index` is zero, which would leave its proof unchecked.
    ZeroScalar {
        /// Position of the zero scalar.
        index: usize,
    },
    /// Item `index` names a key that was not supplied (grouped batches).
    UnknownKey {
        /// Position of the offending item.
        index: usize,
    },
    /// These items (ascending indices) failed individual verification.
    Invalid {
        /// Indices of the invalid proofs.
        failing: Vec<usize>,
    },
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PublicInputCount {
                index,
                expected,
                got,
            } => write!(
                f,
                "item {index}: expected {expected} public inputs, got {got}"
            ),
            Self::ScalarCount { expected, got } => {
                write!(f, "expected {expected} batch scalars, got {got}")
            }
            Self::ZeroScalar { index } => write!(f, "batch scalar {index} is zero"),
            Self::UnknownKey { index } => write!(f, "item {index}: no such verifying key"),
            Self::Invalid { failing } => write!(f, "invalid proofs at indices {failing:?}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for VerifyError {}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

#[cfg(feature = "std")]
impl std::error::Error for BatchError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn display_is_one_short_line() {
        let messages = [
            VerifyError::PublicInputCount {
                expected: 2,
                got: 0,
            }
            .to_string(),
            VerifyError::InvalidProof.to_string(),
            DecodeError::WrongLength {
                expected: 128,
                got: 3,
            }
            .to_string(),
            DecodeError::NotInSubgroup.to_string(),
            BatchError::Invalid {
                failing: vec![1, 5],
            }
            .to_string(),
        ];
        for m in messages {
            assert!(!m.is_empty() && m.len() < 80 && !m.contains('\n'), "{m}");
        }
        assert_eq!(
            VerifyError::PublicInputCount {
                expected: 2,
                got: 0
            }
            .to_string(),
            "expected 2 public inputs, got 0"
        );
    }
}
