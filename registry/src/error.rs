//! The registry's error type: one enum, one short line per variant.

use std::path::PathBuf;
use zkconsent_circuits::merkle::MerkleError;
use zkconsent_store::{ColError, CorruptValue};
use zkconsent_verifier::VerifyError;

/// Why a registry operation failed (as opposed to [`super::PolicyError`], a policy verdict).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The database engine reported an error.
    #[error("registry database: {}", zkconsent_store::sql::describe_error(.0))]
    Sqlite(#[from] rusqlite::Error),
    /// Reading or creating the registry file failed.
    #[error("registry file error: {0}")]
    Io(#[from] std::io::Error),
    /// `create` was given a file that already holds data.
    #[error("registry file {} already exists and is not empty", .0.display())]
    AlreadyExists(PathBuf),
    /// The file is an SQLite database but not a zkconsent registry.
    #[error("not a zkconsent registry (missing or wrong format marker)")]
    NotARegistry,
    /// The registry was written by an incompatible version.
    #[error("registry schema version {found} is not supported (expected {expected})")]
    SchemaVersion {
        /// Version found in the file.
        found: String,
        /// Version this build reads.
        expected: u32,
    },
    /// A stored value failed validation (the database is outside data).
    #[error("corrupt registry data: {0}")]
    Corrupt(#[from] CorruptValue),
    /// The file is damaged (found at open): nothing was read from it or written to it.
    #[error("registry.db is damaged ({0}): restore it from a backup, or for a replica move it aside and `sync`")]
    Damaged(String),
    /// The stored state contradicts itself.
    #[error("inconsistent registry state: {0}")]
    Inconsistent(&'static str),
    /// A tree operation failed (bad depth or index).
    #[error("merkle tree: {0}")]
    Merkle(#[from] MerkleError),
    /// Every leaf slot of the grants tree is used.
    #[error("grants tree is full")]
    TreeFull,
    /// The grant-authority proof does not verify for this action and leaf.
    #[error("authority proof rejected: {0}")]
    Unauthorized(VerifyError),
    /// The zero commitment is the empty-leaf value and can never be a grant.
    #[error("grant commitment is zero (the empty leaf)")]
    ZeroCommitment,
    /// This commitment was issued before (possibly since revoked); it is never reissued.
    #[error("grant commitment already issued at leaf {index}")]
    DuplicateCommitment {
        /// Leaf index of the earlier grant.
        index: u64,
    },
    /// No grant was issued at this leaf index.
    #[error("no grant at leaf {0}")]
    UnknownGrant(u64),
    /// The grant at this leaf index is already revoked.
    #[error("grant at leaf {0} is already revoked")]
    AlreadyRevoked(u64),
    /// `now` is earlier than the current root's creation time.
    #[error("time went backwards: now {now} is before the current root's {last}")]
    TimeWentBackwards {
        /// The time given.
        now: u64,
        /// Creation time of the current root.
        last: u64,
    },
    /// The zero leaf is the empty-slot value and can never be a record.
    #[error("record leaf is zero (the empty leaf)")]
    ZeroRecordLeaf,
    /// This record leaf is already in the records tree (or twice in one anchoring).
    #[error("record leaf already anchored at leaf {index}")]
    DuplicateRecordLeaf {
        /// Leaf index of the earlier anchoring (or the position in the batch).
        index: u64,
    },
    /// The records tree has fewer free slots than the anchoring needs.
    #[error("records tree is full: {requested} leaves requested, {free} slots free")]
    RecordsTreeFull {
        /// Leaves in the anchoring.
        requested: u64,
        /// Free slots left.
        free: u64,
    },
    /// No record leaf was anchored at this index, so an anchoring cannot supersede it.
    #[error("no record anchored at leaf {0}")]
    UnknownRecord(u64),
    /// The record leaf at this index was superseded before (its slot is empty).
    #[error("record at leaf {0} is already superseded")]
    RecordAlreadySuperseded(u64),
    /// This index is listed twice among the leaves an anchoring supersedes.
    #[error("record leaf {0} is listed twice to supersede")]
    DuplicateSuperseded(u64),
    /// An anchoring supersedes leaves but appends none (a superseded record is replaced by
    /// its new version's leaf).
    #[error("an anchoring that supersedes records must append at least one leaf")]
    SupersedeWithoutLeaves,
    /// An identity name is empty, too long, padded or holds control characters.
    #[error("invalid identity name (1..=128 bytes, no control characters or edge spaces)")]
    InvalidName,
    /// An identity of this name is already registered.
    #[error("identity {0:?} is already registered")]
    DuplicateIdentity(String),
}

impl From<ColError> for RegistryError {
    fn from(e: ColError) -> Self {
        match e {
            ColError::Sqlite(e) => Self::Sqlite(e),
            ColError::Corrupt(e) => Self::Corrupt(e),
        }
    }
}

impl RegistryError {
    /// Whether the registry file itself is unusable (damaged, foreign, of another version),
    /// as opposed to refusing one operation.
    pub fn is_unusable(&self) -> bool {
        if let Self::Sqlite(e) = self {
            return zkconsent_store::sql::is_damage(e);
        }
        matches!(
            self,
            Self::Io(_)
                | Self::NotARegistry
                | Self::SchemaVersion { .. }
                | Self::Corrupt(_)
                | Self::Inconsistent(_)
                | Self::Damaged(_)
        )
    }
}
