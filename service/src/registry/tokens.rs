//! Custodian tokens: who may anchor record leaves. A token file holds one token per line,
//! or `NAME TOKEN` (the name labels the custodian's anchorings in the metrics); blank lines
//! and lines starting with `#` are skipped. Tokens are compared in constant time.

use std::path::Path;
use subtle::ConstantTimeEq;

/// Largest token file read.
pub const MAX_TOKEN_FILE_BYTES: usize = 1 << 20;
/// Shortest token accepted: a guessable token would let anyone anchor.
pub const MIN_TOKEN_BYTES: usize = 16;
/// Longest token accepted.
pub const MAX_TOKEN_BYTES: usize = 256;
/// Longest custodian name.
pub const MAX_CUSTODIAN_NAME_BYTES: usize = 64;

/// Why a token file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    /// The file could not be read (or is too large).
    #[error("custodian tokens: {0}")]
    Read(String),
    /// A line is not `TOKEN` or `NAME TOKEN`.
    #[error("custodian tokens line {line}: {reason}")]
    Line {
        /// Line number, from 1.
        line: usize,
        /// What is wrong (never the token itself).
        reason: &'static str,
    },
    /// The file holds no token (without tokens, leave out `--custodian-tokens`).
    #[error("custodian tokens: the file holds no token")]
    Empty,
}

/// One custodian's credential.
struct Custodian {
    name: String,
    token: Vec<u8>,
}

/// The custodians allowed to anchor record leaves.
pub struct CustodianTokens {
    custodians: Vec<Custodian>,
}

impl std::fmt::Debug for CustodianTokens {
    // Tokens are credentials: only the names are printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.custodians.iter().map(|c| &c.name))
            .finish()
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic()
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

impl CustodianTokens {
    /// Reads a token file.
    ///
    /// # Errors
    ///
    /// [`TokensError`].
    pub fn read(path: &Path) -> Result<Self, TokensError> {
        let bytes = zkconsent::files::read_limited(path, MAX_TOKEN_FILE_BYTES)
            .map_err(|e| TokensError::Read(e.to_string()))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| TokensError::Read(format!("{}: not UTF-8", path.display())))?;
        Self::parse(text)
    }

    /// Parses a token file's text.
    ///
    /// # Errors
    ///
    /// [`TokensError`].
    pub fn parse(text: &str) -> Result<Self, TokensError> {
        let mut custodians: Vec<Custodian> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let bad = |reason| TokensError::Line {
                line: line_no,
                reason,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (name, token) = match parts[..] {
                [token] => (format!("custodian-{}", custodians.len() + 1), token),
                [name, token] => {
                    if name.len() > MAX_CUSTODIAN_NAME_BYTES || !name.bytes().all(is_name_byte) {
                        return Err(bad("a name is 1 to 64 of A-Z a-z 0-9 _ - ."));
                    }
                    (name.to_owned(), token)
                }
                _ => return Err(bad("expected TOKEN or NAME TOKEN")),
            };
            if !(MIN_TOKEN_BYTES..=MAX_TOKEN_BYTES).contains(&token.len())
                || !token.bytes().all(is_token_byte)
            {
                return Err(bad("a token is 16 to 256 visible ASCII characters"));
            }
            if custodians.iter().any(|c| c.name == name) {
                return Err(bad("this name is used twice"));
            }
            if custodians.iter().any(|c| c.token == token.as_bytes()) {
                return Err(bad("this token is used twice"));
            }
            custodians.push(Custodian {
                name,
                token: token.as_bytes().to_vec(),
            });
        }
        if custodians.is_empty() {
            return Err(TokensError::Empty);
        }
        Ok(Self { custodians })
    }

    /// The name of the custodian holding `token`, if any. Every token is compared, each in
    /// constant time, so the time taken says nothing about which one (or how much) matched.
    pub fn custodian(&self, token: &[u8]) -> Option<&str> {
        let mut found = None;
        for c in &self.custodians {
            if bool::from(c.token.as_slice().ct_eq(token)) {
                found = Some(c.name.as_str());
            }
        }
        found
    }

    /// Number of custodians.
    pub fn len(&self) -> usize {
        self.custodians.len()
    }

    /// Whether there is none (never, for a parsed file).
    pub fn is_empty(&self) -> bool {
        self.custodians.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_parse_and_match() {
        let t = CustodianTokens::parse(
            "# custodians\n\nst-mary 0123456789abcdef0123\n  fedcba9876543210fedc  \n",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.custodian(b"0123456789abcdef0123"), Some("st-mary"));
        assert_eq!(t.custodian(b"fedcba9876543210fedc"), Some("custodian-2"));
        assert_eq!(t.custodian(b"0123456789abcdef012"), None);
        assert_eq!(t.custodian(b""), None);
        assert!(!format!("{t:?}").contains("0123"));
        for bad in [
            "",
            "# only a comment",
            "short",
            "a b c",
            "bad/name 0123456789abcdef0123",
            "x 0123456789abcdef0123\nx fedcba9876543210fedc",
            "0123456789abcdef0123\n0123456789abcdef0123",
        ] {
            assert!(CustodianTokens::parse(bad).is_err(), "{bad:?}");
        }
    }
}
