//! `prove … --batch` files: JSON Lines, one proof per line, each line the flags of one
//! `prove` command. This is the decoder alone (strict: unknown fields refused, blank lines
//! skipped, an empty file refused); reading the files a line names is the caller's.

use serde::{de::DeserializeOwned, Deserialize};
use std::path::PathBuf;

/// Largest `--batch` file read.
pub const MAX_BATCH_BYTES: usize = 16 << 20;

/// One `prove access` line.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AccessLine {
    /// The grant's leaf index.
    pub grant: u64,
    /// The request file.
    pub request: PathBuf,
    /// The time to prove at (default: now).
    pub now: Option<u64>,
}

/// One `prove record` line: a resource (`Type/id`, its latest version) or a leaf index.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RecordLine {
    /// `Type/id`…
    pub resource: Option<String>,
    /// …or a leaf index.
    pub leaf: Option<u64>,
    /// The request file.
    pub request: PathBuf,
}

/// One `prove claim` line.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClaimLine {
    /// The patient's bundle.
    pub bundle: PathBuf,
    /// The claim's id in it.
    pub claim: String,
    /// The request file.
    pub request: PathBuf,
}

/// One `prove cohort` line.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CohortLine {
    /// The patient's bundle.
    pub bundle: PathBuf,
    /// The request file.
    pub request: PathBuf,
    /// The time to prove at (default: now).
    pub now: Option<u64>,
}

/// Why a batch file was refused: the first bad line (1-based), or none at all.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A line is not one operation of this kind.
    #[error("line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// The decoder's reason.
        reason: String,
    },
    /// No non-blank line.
    #[error("no requests")]
    Empty,
}

/// Every non-blank line of `text` as an `L`, with its 1-based line number.
///
/// # Errors
///
/// The first line that does not decode, or a file with no line at all.
pub fn parse_lines<L: DeserializeOwned>(text: &str) -> Result<Vec<(usize, L)>, BatchError> {
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str(line).map_err(|e| BatchError::Line {
            line: i + 1,
            reason: e.to_string(),
        })?;
        lines.push((i + 1, parsed));
    }
    if lines.is_empty() {
        return Err(BatchError::Empty);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_decode_strictly() {
        let text = "{\"grant\":1,\"request\":\"r.json\"}\n\n{\"grant\":2,\"request\":\"s.json\",\"now\":5}\n";
        let lines: Vec<(usize, AccessLine)> = parse_lines(text).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].0, 3);
        assert_eq!(lines[1].1.now, Some(5));
        assert!(matches!(
            parse_lines::<AccessLine>("{\"grant\":1,\"request\":\"r\",\"extra\":0}"),
            Err(BatchError::Line { line: 1, .. })
        ));
        assert!(matches!(
            parse_lines::<AccessLine>(" \n"),
            Err(BatchError::Empty)
        ));
    }
}
