//! What the registry and a wallet both say of an identity: its role and which names are
//! acceptable.

use rusqlite::{Connection, OptionalExtension};
use std::{fmt, str::FromStr};

/// Longest identity name, in bytes.
pub const MAX_NAME_BYTES: usize = 128;

/// What an identity does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Grants and revokes access to their records.
    Patient,
    /// Holds grants and proves access.
    Clinician,
    /// Checks access proofs (a record custodian or app backend).
    Verifier,
}

impl Role {
    /// The stored and displayed name: `patient`, `clinician` or `verifier`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Clinician => "clinician",
            Self::Verifier => "verifier",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not `patient`, `clinician` or `verifier`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role (expected patient, clinician or verifier)")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, UnknownRole> {
        match s {
            "patient" => Ok(Self::Patient),
            "clinician" => Ok(Self::Clinician),
            "verifier" => Ok(Self::Verifier),
            _ => Err(UnknownRole),
        }
    }
}

/// Whether `name` is acceptable: 1..=[`MAX_NAME_BYTES`] bytes, no control characters (names
/// are printed by the CLI, so no terminal escapes) and no leading or trailing whitespace.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name.chars().any(char::is_control)
        && name.trim() == name
}

/// Whether an identity named `name` is already in the `identities` table (the registry's
/// and a wallet's both key it by name).
///
/// # Errors
///
/// Database errors.
pub fn is_name_taken(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    let found: Option<i64> = conn
        .query_row("SELECT 1 FROM identities WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(found.is_some())
}
