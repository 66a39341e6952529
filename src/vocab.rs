//! Human names for scope bits and purpose codes, used by the CLI.
//!
//! Scope bits follow FHIR resource families; purposes follow HL7 v3 PurposeOfUse codes. The
//! circuits only see integers: a scope is a 64-bit mask, a purpose a number.

use zkconsent_circuits::types::{Purpose, Scope};

/// Scope categories: bit index and name.
pub const SCOPE_BITS: [(u32, &str); 10] = [
    (0, "demographics"),
    (1, "conditions"),
    (2, "observations"),
    (3, "medications"),
    (4, "procedures"),
    (5, "immunizations"),
    (6, "encounters"),
    (7, "claims"),
    (8, "notes"),
    (9, "imaging"),
];

/// Purposes: code, name, HL7 PurposeOfUse code.
pub const PURPOSES: [(u64, &str, &str); 5] = [
    (1, "treatment", "TREAT"),
    (2, "payment", "HPAYMT"),
    (3, "operations", "HOPERAT"),
    (4, "research", "HRESCH"),
    (5, "emergency", "ETREAT"),
];

/// The research purpose: the only one a verifier (a study's researcher) may be granted.
pub const RESEARCH: Purpose = Purpose(4);

/// Parses a scope: comma-separated names, `all`, a decimal mask, or `0x` hex mask.
///
/// # Errors
///
/// An unknown name or malformed number, as text.
pub fn parse_scope(text: &str) -> Result<Scope, String> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16)
            .map(Scope)
            .map_err(|e| format!("scope {text:?}: {e}"));
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(Scope)
            .map_err(|e| format!("scope {text:?}: {e}"));
    }
    let mut mask = 0u64;
    for name in text.split(',').map(str::trim) {
        if name == "all" {
            mask |= SCOPE_BITS.iter().fold(0, |m, (bit, _)| m | 1 << bit);
            continue;
        }
        let (bit, _) = SCOPE_BITS
            .iter()
            .find(|(_, n)| *n == name)
            .ok_or_else(|| format!("unknown scope {name:?} (known: {})", scope_names()))?;
        mask |= 1 << bit;
    }
    Ok(Scope(mask))
}

fn scope_names() -> String {
    SCOPE_BITS
        .iter()
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A scope as names where known, else hex.
pub fn describe_scope(scope: Scope) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut rest = scope.0;
    for (bit, name) in SCOPE_BITS {
        if rest & (1 << bit) != 0 {
            names.push(name.into());
            rest &= !(1 << bit);
        }
    }
    if rest != 0 {
        names.push(format!("0x{rest:x}"));
    }
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}

/// Parses a purpose by name, HL7 code or number.
///
/// # Errors
///
/// An unknown name, as text.
pub fn parse_purpose(text: &str) -> Result<Purpose, String> {
    if let Ok(n) = text.parse::<u64>() {
        return Ok(Purpose(n));
    }
    PURPOSES
        .iter()
        .find(|(_, name, code)| name.eq_ignore_ascii_case(text) || code.eq_ignore_ascii_case(text))
        .map(|(n, _, _)| Purpose(*n))
        .ok_or_else(|| format!("unknown purpose {text:?} (known: treatment, payment, operations, research, emergency)"))
}

/// A purpose's name where known.
pub fn describe_purpose(purpose: Purpose) -> String {
    PURPOSES
        .iter()
        .find(|(n, _, _)| *n == purpose.0)
        .map(|(_, name, _)| name.to_string())
        .unwrap_or_else(|| purpose.0.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip() {
        let s = parse_scope("conditions,observations").unwrap();
        assert_eq!(s, Scope(0b110));
        assert_eq!(describe_scope(s), "conditions,observations");
        assert_eq!(parse_scope("0x6").unwrap(), s);
        assert_eq!(parse_scope("6").unwrap(), s);
        assert!(parse_scope("x-rays").is_err());
        assert_eq!(describe_scope(Scope(1 << 40)), "0x10000000000");
    }

    #[test]
    fn purposes_by_name_code_or_number() {
        assert_eq!(parse_purpose("treatment").unwrap(), Purpose(1));
        assert_eq!(parse_purpose("HRESCH").unwrap(), Purpose(4));
        assert_eq!(parse_purpose("7").unwrap(), Purpose(7));
        assert!(parse_purpose("marketing").is_err());
        assert_eq!(describe_purpose(Purpose(2)), "payment");
    }
}
