//! Exact decimal scaling of JSON number tokens: `value × 10^places` as a `u64`, from the
//! number's text, with no floating point.
//!
//! Observation quantities are scaled to milli-units (3 places), monetary amounts to cents
//! (2 places). A value with non-zero digits beyond that precision is **refused, not rounded**:
//! the tuple's value is then exactly the resource's value, so a predicate proved on the
//! tuple ("value ≥ 7.5") is a statement about the resource itself. Trailing zeros are fine
//! (`40.8940` is 40894 milli-units), as is exponent notation (`4.0894e1`). Negative values
//! are refused (the tuple holds non-negative integers that circuits range-check to 64
//! bits); `-0` is zero.

/// Decimal places of an Observation quantity (milli-units).
pub const QUANTITY_PLACES: u32 = 3;
/// Decimal places of a monetary amount (cents).
pub const MONEY_PLACES: u32 = 2;
/// Exponents with more digits than this are refused unless the mantissa is zero (no `u64`
/// value needs them, and it keeps the arithmetic small).
const MAX_EXPONENT_DIGITS: usize = 4;

/// Why a number cannot be scaled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not a JSON number token.
    #[error("{0:?} is not a JSON number")]
    NotANumber(String),
    /// Below zero.
    #[error("{0} is negative")]
    Negative(String),
    /// Non-zero digits beyond the scale.
    #[error(
        "{token} has more than {places} decimal places (values are scaled exactly, not rounded)"
    )]
    TooPrecise {
        /// The token.
        token: String,
        /// The scale.
        places: u32,
    },
    /// The scaled value does not fit in 64 bits.
    #[error("{0} is too large (scaled value above 2^64 - 1)")]
    TooLarge(String),
}

/// `token × 10^places`, exactly.
///
/// # Errors
///
/// [`DecimalError`] for a malformed token, a negative value, digits beyond `places`, or a
/// result above `u64::MAX`.
pub fn scale(token: &str, places: u32) -> Result<u64, DecimalError> {
    let bad = || DecimalError::NotANumber(token.to_owned());
    let (negative, rest) = match token.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, token),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // JSON grammar: no leading zeros, digits on both sides of the point.
    if !all_digits(int)
        || (int.len() > 1 && int.starts_with('0'))
        || (mantissa.contains('.') && !all_digits(frac))
    {
        return Err(bad());
    }
    let digits: String = [int, frac].concat();
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        // Zero (any sign, any exponent) is zero; only the exponent's syntax is checked.
        if let Some(e) = exponent {
            parse_exponent(e).ok_or_else(bad)?;
        }
        return Ok(0);
    }
    if negative {
        return Err(DecimalError::Negative(token.to_owned()));
    }
    let exp = match exponent {
        None => Some(0),
        Some(e) => parse_exponent(e).ok_or_else(bad)?,
    };
    let too_large = || DecimalError::TooLarge(token.to_owned());
    let too_precise = || DecimalError::TooPrecise {
        token: token.to_owned(),
        places,
    };
    let exp = exp.ok_or_else(|| {
        if exponent.is_some_and(|e| e.starts_with('-')) {
            too_precise()
        } else {
            too_large()
        }
    })?;
    // value = significant × 10^shift.
    let frac_len = i64::try_from(frac.len()).map_err(|_| too_precise())?;
    let shift = exp - frac_len + i64::from(places);
    let (kept, dropped) = if shift >= 0 {
        (significant, "")
    } else {
        let cut = usize::try_from(-shift).map_err(|_| too_precise())?;
        if cut >= significant.len() {
            return Err(too_precise());
        }
        significant.split_at(significant.len() - cut)
    };
    if dropped.bytes().any(|b| b != b'0') {
        return Err(too_precise());
    }
    let mut value: u64 = kept.parse().map_err(|_| too_large())?;
    for _ in 0..shift.max(0) {
        value = value.checked_mul(10).ok_or_else(too_large)?;
    }
    Ok(value)
}

/// `Some(Some(e))` for a well-formed exponent that fits, `Some(None)` for a well-formed one
/// too long to matter, `None` for a malformed one.
fn parse_exponent(e: &str) -> Option<Option<i64>> {
    let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    if trimmed.len() > MAX_EXPONENT_DIGITS {
        return Some(None);
    }
    let magnitude: i64 = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().ok()?
    };
    Some(Some(if e.starts_with('-') {
        -magnitude
    } else {
        magnitude
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_scaling() {
        let cases = [
            ("40.894", 3, 40_894),
            ("40.8940", 3, 40_894),
            ("72", 3, 72_000),
            ("0.001", 3, 1),
            ("0", 3, 0),
            ("-0", 3, 0),
            ("-0.000", 2, 0),
            ("0e99999999", 2, 0),
            ("129.16", 2, 12_916),
            ("129.1", 2, 12_910),
            ("4.0894e1", 3, 40_894),
            ("40894E-3", 3, 40_894),
            ("1.5e+2", 2, 15_000),
            ("12916e-2", 2, 12_916),
            ("18446744073709551.615", 3, u64::MAX),
            ("1844674407370955161.5e-2", 3, u64::MAX),
        ];
        for (token, places, want) in cases {
            assert_eq!(scale(token, places), Ok(want), "{token}");
        }
    }

    #[test]
    fn refusals() {
        let precise = |t: &str, p| matches!(scale(t, p), Err(DecimalError::TooPrecise { .. }));
        assert!(precise("40.8945", 3));
        assert!(precise("112.41600000000001", 2));
        assert!(precise("1e-4", 3));
        assert!(precise("1e-99999", 3));
        assert!(precise("0.0001", 3));
        assert!(matches!(scale("-1", 3), Err(DecimalError::Negative(_))));
        assert!(matches!(scale("-0.5", 3), Err(DecimalError::Negative(_))));
        for big in [
            "18446744073709551.616",
            "1e17",
            "1e99999",
            "99999999999999999999999",
        ] {
            assert!(
                matches!(scale(big, 3), Err(DecimalError::TooLarge(_))),
                "{big}"
            );
        }
        for bad in [
            "", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1.5.5", "0x10", "1_000", "NaN",
            "Infinity", " 1", "1 ", "١",
        ] {
            assert!(
                matches!(scale(bad, 3), Err(DecimalError::NotANumber(_))),
                "{bad:?}"
            );
        }
    }
}
