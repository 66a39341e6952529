//! A JSON tree that keeps number tokens verbatim, and its canonical serialisation.
//!
//! The canonical form (`docs/spec.md`, "Canonical JSON") is RFC 8785-like:
//! - no insignificant whitespace;
//! - object members sorted by key, keys compared as sequences of UTF-16 code units
//!   (RFC 8785 §3.2.3); a duplicate key makes the document malformed;
//! - arrays keep their order;
//! - strings escaped as RFC 8785 §3.2.2.2 (ECMAScript `JSON.stringify`) does: `\"`, `\\`,
//!   `\b \f \n \r \t`, other controls below U+0020 as `\u00xx` (lowercase hex), everything
//!   else literal UTF-8 (this is also what `serde_json` writes);
//! - `true`, `false`, `null`;
//! - **numbers as their token in the input, byte for byte** (RFC 8785 instead re-serialises
//!   numbers through IEEE-754 doubles). `1.50` and `1.5` are different documents here.
//!
//! Why not `serde_json::Value`: without serde_json's `arbitrary_precision` feature a number's
//! text is lost at parse time (it becomes an `f64`), and with it, feature unification would
//! switch every crate in the workspace to string-backed numbers, which breaks untagged and
//! flattened serde types elsewhere. Instead, [`parse`] walks the document with
//! `serde_json::value::RawValue` (feature `raw_value`, purely additive): serde_json validates
//! the syntax, and each number's raw token is kept. Each nesting level re-reads its own
//! slice, so parsing costs O(size × depth); FHIR resources nest about ten levels deep.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::{collections::HashSet, fmt};

/// A parsed JSON value; numbers keep their source token, objects their member order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its token in the source text (valid JSON number grammar).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object's members in document order (keys are unique).
    Object(Vec<(String, Json)>),
}

/// Why a document is not acceptable JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// serde_json rejected the text (with its line and column).
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// An object has the same key twice (RFC 8785 requires unique keys: I-JSON).
    #[error("duplicate object key {0:?}")]
    DuplicateKey(String),
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    #[error("JSON nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// Deepest nesting accepted (serde_json's own limit for `Value`; FHIR needs about ten).
/// serde_json does not bound the depth of a `RawValue`, and [`parse`] recurses per level.
pub const MAX_DEPTH: usize = 128;

impl Json {
    /// The member `key` of an object (`None` for a missing key or a non-object).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Self::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The JSON type's name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Array(_) => "an array",
            Self::Object(_) => "an object",
        }
    }

    /// The canonical serialisation (module docs), as UTF-8 bytes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out.into_bytes()
    }

    fn write_canonical(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(true) => out.push_str("true"),
            Self::Bool(false) => out.push_str("false"),
            Self::Number(token) => out.push_str(token),
            Self::String(s) => write_string(s, out),
            Self::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_canonical(out);
                }
                out.push(']');
            }
            Self::Object(members) => {
                let mut sorted: Vec<&(String, Json)> = members.iter().collect();
                sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
                out.push('{');
                for (i, (key, value)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write_canonical(out);
                }
                out.push('}');
            }
        }
    }
}

/// RFC 8785 §3.2.2.2 string serialisation.
fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses a JSON document, keeping number tokens and rejecting duplicate keys.
///
/// # Errors
///
/// [`JsonError::Syntax`] for anything serde_json rejects (including trailing characters),
/// [`JsonError::DuplicateKey`], [`JsonError::TooDeep`].
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let raw: &RawValue = serde_json::from_str(text).map_err(syntax)?;
    from_raw(raw, 0)
}

fn syntax(e: serde_json::Error) -> JsonError {
    JsonError::Syntax(e.to_string())
}

fn from_raw(raw: &RawValue, depth: usize) -> Result<Json, JsonError> {
    let text = raw.get();
    let first = text.as_bytes().first();
    if matches!(first, Some(b'{' | b'[')) && depth >= MAX_DEPTH {
        return Err(JsonError::TooDeep);
    }
    match first {
        Some(b'{') => {
            let Members(members) = serde_json::from_str(text).map_err(syntax)?;
            let mut seen = HashSet::with_capacity(members.len());
            let mut out = Vec::with_capacity(members.len());
            for (key, value) in members {
                if !seen.insert(key.clone()) {
                    return Err(JsonError::DuplicateKey(key));
                }
                out.push((key, from_raw(value, depth + 1)?));
            }
            Ok(Json::Object(out))
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(syntax)?;
            Ok(Json::Array(
                items
                    .into_iter()
                    .map(|item| from_raw(item, depth + 1))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Some(b'"') => Ok(Json::String(serde_json::from_str(text).map_err(syntax)?)),
        Some(b't') | Some(b'f') => Ok(Json::Bool(serde_json::from_str(text).map_err(syntax)?)),
        Some(b'n') => {
            let () = serde_json::from_str(text).map_err(syntax)?;
            Ok(Json::Null)
        }
        // serde_json validated the token; anything else is a number.
        _ => Ok(Json::Number(text.to_owned())),
    }
}

/// An object's members as raw values, in order, duplicates included (checked by the caller).
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: &'de RawValue = map.next_value()?;
                    out.push((key, value));
                }
                Ok(Members(out))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        String::from_utf8(parse(text).unwrap().canonical_bytes()).unwrap()
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a = r#"{"b": 1, "a": {"y": [3, 2, {"k": true}], "x": null}}"#;
        let b = "{\n  \"a\":{\"x\":null,\"y\":[3,2,{\"k\":true}]},\n\t\"b\":1 }";
        assert_eq!(canon(a), canon(b));
        assert_eq!(canon(a), r#"{"a":{"x":null,"y":[3,2,{"k":true}]},"b":1}"#);
    }

    #[test]
    fn arrays_keep_their_order() {
        assert_ne!(canon("[1,2]"), canon("[2,1]"));
        assert_eq!(canon(r#"[{"b":1,"a":2},"z"]"#), r#"[{"a":2,"b":1},"z"]"#);
    }

    #[test]
    fn numbers_are_kept_as_written() {
        assert_eq!(
            canon(r#"{"v": 40.894, "w": 1.50, "x": -0, "y": 1E3, "z": 12345678901234567890123}"#),
            r#"{"v":40.894,"w":1.50,"x":-0,"y":1E3,"z":12345678901234567890123}"#
        );
        assert_ne!(canon("1.5"), canon("1.50"));
    }

    #[test]
    fn strings_are_escaped_as_rfc8785_and_serde_json() {
        let s = "q\"b\\s/\u{08}\u{0c}\n\r\t\u{01}\u{1f}\u{7f}é\u{2028}😀";
        let doc = serde_json::to_string(s).unwrap();
        let ours = canon(&doc);
        assert_eq!(ours, doc);
        assert_eq!(
            ours,
            "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}é\u{2028}😀\""
        );
        // Escaped input that means the same string gives the same canonical text.
        assert_eq!(canon(r#""\u0041\/""#), r#""A/""#);
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+FF61 sorts after U+1F600 in UTF-8 byte order but before it in UTF-16
        // (a surrogate pair starts at 0xD83D < 0xFF61).
        let doc = "{\"\u{ff61}\":1,\"\u{1f600}\":2,\"a\":3}";
        assert_eq!(canon(doc), "{\"a\":3,\"\u{1f600}\":2,\"\u{ff61}\":1}");
    }

    #[test]
    fn duplicate_keys_and_bad_syntax_are_errors() {
        assert_eq!(
            parse(r#"{"a":1,"b":{"c":1,"c":2}}"#),
            Err(JsonError::DuplicateKey("c".into()))
        );
        for bad in ["", "{", "[1,]", "{\"a\":1} x", "01", "1.", "nul", "\"\\x\""] {
            assert!(
                matches!(parse(bad), Err(JsonError::Syntax(_))),
                "{bad:?} accepted"
            );
        }
        // Deep nesting is an error, not a stack overflow; the limit itself is accepted.
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(matches!(
            parse(&deep),
            Err(JsonError::Syntax(_) | JsonError::TooDeep)
        ));
        let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(parse(&nest(MAX_DEPTH)).is_ok());
        assert_eq!(parse(&nest(MAX_DEPTH + 1)), Err(JsonError::TooDeep));
        let objects = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&objects), Err(JsonError::TooDeep));
    }

    #[test]
    fn accessors() {
        let v = parse(r#"{"a":[1,"x"],"b":"s"}"#).unwrap();
        assert_eq!(v.get("b").and_then(Json::as_str), Some("s"));
        assert_eq!(v.get("a").and_then(Json::as_array).map(<[_]>::len), Some(2));
        assert_eq!(v.get("zz"), None);
        assert_eq!(v.get("a").and_then(|a| a.get("x")), None);
        assert_eq!(v.type_name(), "an object");
    }
}
