//! Code-list files: the code sets a verifier publishes (a Record predicate's set, an
//! insurer's covered diagnoses, a study's inclusion and exclusion codes).
//!
//! A file is a JSON array of `"system|code"` strings, e.g.
//! `["http://snomed.info/sct|44054006", "http://snomed.info/sct|38341003"]`: the same
//! `system|code` text that `code_id` hashes (spec §10.3), so the file reads as what it
//! commits to.

use crate::fhir::codes::{code_id, is_valid_system};
use zkconsent_circuits::{record::CodeSet, types::CodeId};

/// Largest code-list file accepted.
pub const MAX_CODE_LIST_BYTES: usize = 1 << 20;

/// The code ids of `system|code` entries, in file order.
///
/// # Errors
///
/// A one-line reason naming the bad entry.
pub fn parse_code_list(text: &str) -> Result<Vec<CodeId>, String> {
    let entries: Vec<String> = serde_json::from_str(text)
        .map_err(|e| format!("expected a JSON array of \"system|code\" strings: {e}"))?;
    entries.iter().map(|entry| parse_code(entry)).collect()
}

/// The code id of one `system|code` string.
///
/// # Errors
///
/// A missing `|`, an empty part, or a system that is not a usable URI.
pub fn parse_code(entry: &str) -> Result<CodeId, String> {
    let (system, code) = entry
        .split_once('|')
        .ok_or_else(|| format!("{entry:?}: expected \"system|code\""))?;
    if code.is_empty() || !is_valid_system(system) {
        return Err(format!("{entry:?}: expected a non-empty system and code"));
    }
    Ok(code_id(system, code))
}

/// The code set of `system|code` entries.
///
/// # Errors
///
/// A bad entry, or too many codes for a set.
pub fn code_set_of(entries: &[String]) -> Result<CodeSet, String> {
    let codes = entries
        .iter()
        .map(|entry| parse_code(entry))
        .collect::<Result<Vec<CodeId>, String>>()?;
    CodeSet::new(&codes).map_err(|e| e.to_string())
}

/// Reads a code-list file's entries as written (what a request embeds), each checked.
///
/// # Errors
///
/// Unreadable or oversized file, not a JSON array of strings, or a bad entry, prefixed
/// with the path.
pub fn read_code_list(path: &std::path::Path) -> Result<Vec<String>, String> {
    let bytes = super::read_limited(path, MAX_CODE_LIST_BYTES).map_err(|e| e.to_string())?;
    let text = std::str::from_utf8(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_code_list(text).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(text).map_err(|e| format!("{}: {e}", path.display()))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_system_bar_code() {
        let codes = parse_code_list(r#"["http://snomed.info/sct|49727002"]"#).unwrap();
        assert_eq!(codes, vec![code_id("http://snomed.info/sct", "49727002")]);
        for bad in [
            r#"["49727002"]"#,
            r#"["|1"]"#,
            r#"["http://x|"]"#,
            r#"{"a":1}"#,
            "[1]",
        ] {
            assert!(parse_code_list(bad).is_err(), "{bad}");
        }
    }
}
