//! Strict decimal strings for field elements and points (the snarkjs JSON form).
//!
//! `Fr::from_str` is deliberately not used: it reduces modulo `r` and accepts signs, so
//! `"-1"` and `r + 5` would silently parse. Here a number is accepted only in its one
//! canonical spelling: ASCII digits, no sign or whitespace, no leading zero (except `"0"`),
//! and a value below the modulus.
//!
//! A G2 coordinate is an `Fq2` written `[c0, c1]` (arkworks order). snarkjs JSON uses the
//! same order in `pi_b` and `vk_*_2`; EVM precompiles (EIP-197) and Solidity verifiers use
//! `[c1, c0]`, so swap when talking to them.

use alloc::string::{String, ToString};
use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::short_weierstrass::Affine;
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField};

use crate::error::DecodeError;
use crate::keys::Proof;
use crate::subgroup::PrimeSubgroup;

/// The most digits a decimal field element may have (`2^256` has 78 digits).
pub const MAX_DECIMAL_DIGITS: usize = 78;

/// A proof as decimal strings: `a` and `c` are `[x, y]`; `b` is `[x, y]` with each
/// coordinate `[c0, c1]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecimalProof {
    /// `A` as `[x, y]`.
    pub a: [String; 2],
    /// `B` as `[[x.c0, x.c1], [y.c0, y.c1]]`.
    pub b: [[String; 2]; 2],
    /// `C` as `[x, y]`.
    pub c: [String; 2],
}

impl Proof {
    /// Parses a proof from decimal coordinates, validating each point like
    /// [`g1_from_decimal`] and [`g2_from_decimal`].
    ///
    /// # Errors
    ///
    /// The first failing coordinate or point check; see [`g1_from_decimal`].
    pub fn from_decimal(
        a: [&str; 2],
        b: [[&str; 2]; 2],
        c: [&str; 2],
    ) -> Result<Self, DecodeError> {
        Ok(Self {
            a: g1_from_decimal(a[0], a[1])?,
            b: g2_from_decimal(b[0], b[1])?,
            c: g1_from_decimal(c[0], c[1])?,
        })
    }

    /// The proof's coordinates as decimal strings (the inverse of [`Proof::from_decimal`]).
    #[must_use]
    pub fn to_decimal(&self) -> DecimalProof {
        DecimalProof {
            a: g1_to_decimal(&self.a),
            b: g2_to_decimal(&self.b),
            c: g1_to_decimal(&self.c),
        }
    }
}

/// Parses a scalar-field element (a public input) from its canonical decimal string.
///
/// # Errors
///
/// [`DecodeError::InvalidDecimal`] if the string is empty, longer than
/// [`MAX_DECIMAL_DIGITS`], has a leading zero or any character other than `0`-`9`;
/// [`DecodeError::FieldElementTooLarge`] if the value is `r` or more.
pub fn parse_fr_decimal(s: &str) -> Result<Fr, DecodeError> {
    parse_field_decimal(s)
}

/// Parses a base-field element (a point coordinate) from its canonical decimal string.
///
/// # Errors
///
/// As [`parse_fr_decimal`], with the bound `p` instead of `r`.
pub fn parse_fq_decimal(s: &str) -> Result<Fq, DecodeError> {
    parse_field_decimal(s)
}

/// Parses an affine G1 point from decimal `x` and `y`.
///
/// The identity has no affine coordinates, so it can never be returned; `(0, 0)` is simply
/// not on the curve.
///
/// # Errors
///
/// A coordinate error from [`parse_fq_decimal`], then [`DecodeError::NotOnCurve`] or
/// [`DecodeError::NotInSubgroup`].
pub fn g1_from_decimal(x: &str, y: &str) -> Result<G1Affine, DecodeError> {
    checked_point(parse_fq_decimal(x)?, parse_fq_decimal(y)?)
}

/// Parses an affine G2 point from decimal `x = [c0, c1]` and `y = [c0, c1]` (arkworks and
/// snarkjs order; EIP-197 is `[c1, c0]`).
///
/// # Errors
///
/// As [`g1_from_decimal`]; the subgroup check matters here, since G2's cofactor is not 1.
pub fn g2_from_decimal(x: [&str; 2], y: [&str; 2]) -> Result<G2Affine, DecodeError> {
    checked_point(parse_fq2_decimal(x)?, parse_fq2_decimal(y)?)
}

/// The canonical decimal string of a scalar-field element.
#[must_use]
pub fn fr_to_decimal(x: &Fr) -> String {
    x.into_bigint().to_string()
}

/// The canonical decimal string of a base-field element.
#[must_use]
pub fn fq_to_decimal(x: &Fq) -> String {
    x.into_bigint().to_string()
}

/// `[x, y]` of a G1 point in decimal. The identity comes out as `["0", "0"]`, which
/// [`g1_from_decimal`] rejects.
#[must_use]
pub fn g1_to_decimal(p: &G1Affine) -> [String; 2] {
    [fq_to_decimal(&p.x), fq_to_decimal(&p.y)]
}

/// `[[x.c0, x.c1], [y.c0, y.c1]]` of a G2 point in decimal. The identity comes out as all
/// zeros, which [`g2_from_decimal`] rejects.
#[must_use]
pub fn g2_to_decimal(p: &G2Affine) -> [[String; 2]; 2] {
    [
        [fq_to_decimal(&p.x.c0), fq_to_decimal(&p.x.c1)],
        [fq_to_decimal(&p.y.c0), fq_to_decimal(&p.y.c1)],
    ]
}

fn parse_fq2_decimal(c: [&str; 2]) -> Result<Fq2, DecodeError> {
    Ok(Fq2::new(parse_fq_decimal(c[0])?, parse_fq_decimal(c[1])?))
}

fn checked_point<P: PrimeSubgroup>(
    x: P::BaseField,
    y: P::BaseField,
) -> Result<Affine<P>, DecodeError> {
    let point = Affine::<P>::new_unchecked(x, y);
    // ark-bn254 0.6 stores the identity as affine (0, 0), where `is_on_curve` holds; as
    // coordinates, (0, 0) does not satisfy y^2 = x^3 + b, so it is named that way.
    if point.is_zero() || !point.is_on_curve() {
        return Err(DecodeError::NotOnCurve);
    }
    if !P::in_prime_subgroup(&point) {
        return Err(DecodeError::NotInSubgroup);
    }
    Ok(point)
}

fn parse_field_decimal<F: PrimeField<BigInt = BigInt<4>>>(s: &str) -> Result<F, DecodeError> {
    F::from_bigint(parse_u256_decimal(s)?).ok_or(DecodeError::FieldElementTooLarge)
}

/// Parses a canonical decimal string into 256 bits; values of 2^256 or more are
/// `FieldElementTooLarge` (they exceed every modulus here).
fn parse_u256_decimal(s: &str) -> Result<BigInt<4>, DecodeError> {
    let digits = s.as_bytes();
    let canonical = !digits.is_empty()
        && digits.len() <= MAX_DECIMAL_DIGITS
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() == 1 || digits[0] != b'0');
    if !canonical {
        return Err(DecodeError::InvalidDecimal);
    }
    let mut limbs = [0u64; 4];
    for d in digits {
        // limbs = limbs * 10 + d, little-endian limbs, carrying in u128.
        let mut carry = u128::from(d - b'0');
        for limb in &mut limbs {
            let t = u128::from(*limb) * 10 + carry;
            *limb = t as u64;
            carry = t >> 64;
        }
        if carry != 0 {
            return Err(DecodeError::FieldElementTooLarge);
        }
    }
    Ok(BigInt(limbs))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_util::g2_outside_subgroup;
    use alloc::format;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{One, UniformRand, Zero};
    use proptest::prelude::*;
    use rand::{rngs::StdRng, SeedableRng};

    const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    const P: &str = "21888242871839275222246405745257275088696311157297823662689037894645226208583";

    #[test]
    fn moduli_match_arkworks() {
        assert_eq!(Fr::MODULUS.to_string(), R);
        assert_eq!(Fq::MODULUS.to_string(), P);
    }

    #[test]
    fn fr_accepts_canonical_values() {
        assert_eq!(parse_fr_decimal("0"), Ok(Fr::zero()));
        assert_eq!(parse_fr_decimal("1"), Ok(Fr::one()));
        let r_minus_1 =
            "21888242871839275222246405745257275088548364400416034343698204186575808495616";
        assert_eq!(parse_fr_decimal(r_minus_1), Ok(-Fr::one()));
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..50 {
            let x = Fr::rand(&mut rng);
            assert_eq!(parse_fr_decimal(&fr_to_decimal(&x)), Ok(x));
            let y = Fq::rand(&mut rng);
            assert_eq!(parse_fq_decimal(&fq_to_decimal(&y)), Ok(y));
        }
    }

    #[test]
    fn fr_rejects_with_the_right_variant() {
        let r_plus_1 =
            "21888242871839275222246405745257275088548364400416034343698204186575808495618";
        let two_256 =
            "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert_eq!(two_256.len(), MAX_DECIMAL_DIGITS);
        for s in [R, r_plus_1, two_256, &"9".repeat(78)] {
            assert_eq!(
                parse_fr_decimal(s),
                Err(DecodeError::FieldElementTooLarge),
                "{s}"
            );
        }
        // p - 1 is a fine Fq but too large for Fr (p > r).
        let p_minus_1 =
            "21888242871839275222246405745257275088696311157297823662689037894645226208582";
        assert!(parse_fq_decimal(p_minus_1).is_ok());
        assert_eq!(
            parse_fr_decimal(p_minus_1),
            Err(DecodeError::FieldElementTooLarge)
        );
        assert_eq!(parse_fq_decimal(P), Err(DecodeError::FieldElementTooLarge));
        let seventy_nine = format!("1{}", "0".repeat(78));
        for s in [
            "",
            "-1",
            "+1",
            " 1",
            "1 ",
            "01",
            "00",
            "1e3",
            "0x1",
            "1_000",
            "١",
            "１",
            "1\0",
            &seventy_nine,
        ] {
            assert_eq!(
                parse_fr_decimal(s),
                Err(DecodeError::InvalidDecimal),
                "{s:?}"
            );
            assert_eq!(parse_fq_decimal(s), Err(DecodeError::InvalidDecimal));
        }
    }

    #[test]
    fn points_round_trip() {
        let mut rng = StdRng::seed_from_u64(6);
        let g1 = (ark_bn254::G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
        let [x, y] = g1_to_decimal(&g1);
        assert_eq!(g1_from_decimal(&x, &y), Ok(g1));
        let g2 = (ark_bn254::G2Projective::generator() * Fr::rand(&mut rng)).into_affine();
        let [[x0, x1], [y0, y1]] = g2_to_decimal(&g2);
        assert_eq!(g2_from_decimal([&x0, &x1], [&y0, &y1]), Ok(g2));
        // Swapped Fq2 halves (the EIP-197 order) is a different, invalid point.
        assert!(g2_from_decimal([&x1, &x0], [&y1, &y0]).is_err());

        let proof = Proof {
            a: g1,
            b: g2,
            c: (g1 + g1).into_affine(),
        };
        let d = proof.to_decimal();
        let back = Proof::from_decimal(
            [&d.a[0], &d.a[1]],
            [[&d.b[0][0], &d.b[0][1]], [&d.b[1][0], &d.b[1][1]]],
            [&d.c[0], &d.c[1]],
        );
        assert_eq!(back, Ok(proof));
    }

    #[test]
    fn bad_points_are_named() {
        assert_eq!(g1_from_decimal("0", "0"), Err(DecodeError::NotOnCurve));
        assert_eq!(g1_from_decimal("1", "1"), Err(DecodeError::NotOnCurve));
        assert_eq!(g1_from_decimal("1", "2"), Ok(G1Affine::generator()));
        assert_eq!(g1_from_decimal("1", "-2"), Err(DecodeError::InvalidDecimal));
        assert_eq!(
            g2_from_decimal(["0", "0"], ["0", "0"]),
            Err(DecodeError::NotOnCurve)
        );
        let [x, y] = g1_to_decimal(&G1Affine::zero());
        assert_eq!(g1_from_decimal(&x, &y), Err(DecodeError::NotOnCurve));

        let outside = g2_outside_subgroup();
        let [[x0, x1], [y0, y1]] = g2_to_decimal(&outside);
        assert_eq!(
            g2_from_decimal([&x0, &x1], [&y0, &y1]),
            Err(DecodeError::NotInSubgroup)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_strings_never_panic(a in ".{0,100}", b in "[0-9]{0,80}", c in "[0-9+ -]{0,4}") {
            for s in [a.as_str(), b.as_str(), c.as_str()] {
                if let Ok(x) = parse_fr_decimal(s) {
                    prop_assert_eq!(fr_to_decimal(&x), s);
                }
                if let Ok(x) = parse_fq_decimal(s) {
                    prop_assert_eq!(fq_to_decimal(&x), s);
                }
            }
            let _ = g1_from_decimal(&a, &b);
            let _ = g1_from_decimal(&b, &c);
            let _ = g2_from_decimal([&a, &b], [&b, &c]);
            let _ = Proof::from_decimal([&b, &a], [[&a, &b], [&c, &b]], [&b, &b]);
        }
    }
}
