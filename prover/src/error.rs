//! Prover errors.

use zkconsent_circuits::statement::{Statement, StatementKind};

/// Everything that can go wrong setting up, loading keys or proving.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// Reading or writing a params file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The manifest is missing, unreadable or inconsistent.
    #[error("params manifest: {0}")]
    Manifest(String),
    /// A key file's SHA-256 differs from the manifest: refuse to use it.
    #[error("{file}: SHA-256 {actual} does not match the manifest's {expected}")]
    KeyHashMismatch {
        /// The key file.
        file: String,
        /// Hash in the manifest.
        expected: String,
        /// Hash of the file's bytes.
        actual: String,
    },
    /// The keys were made for another circuit than the one compiled in.
    #[error("params for {statement} were made for another circuit: {detail}")]
    CircuitMismatch {
        /// Statement name.
        statement: String,
        /// What differs.
        detail: String,
    },
    /// Key bytes did not deserialize.
    #[error("{file}: malformed key: {detail}")]
    MalformedKey {
        /// The key file.
        file: String,
        /// Deserializer message.
        detail: String,
    },
    /// The statement is false: no proof can be made. `reason` is the statement's own error
    /// (`S::Error`, e.g. `RecordError`), which callers can downcast.
    #[error("{} statement is false: {reason}", .statement.name())]
    False {
        /// Which statement.
        statement: StatementKind,
        /// Why it is false.
        #[source]
        reason: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Synthesis or proving failed inside arkworks.
    #[error("proving failed: {0}")]
    Synthesis(String),
    /// The tree depth is unsupported or differs from the keys'.
    #[error("tree depth {got} does not match the keys' depth {expected}")]
    Depth {
        /// The keys' depth.
        expected: usize,
        /// The depth asked for.
        got: usize,
    },
}

impl ProverError {
    /// Whether a params file is absent (no home here), as opposed to present and damaged.
    pub fn is_missing_file(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// Whether the params themselves are unusable (unreadable, damaged, of another circuit
    /// or depth), as opposed to a false statement or a proving failure.
    pub fn is_unusable_params(&self) -> bool {
        matches!(
            self,
            Self::Io { .. }
                | Self::Manifest(_)
                | Self::KeyHashMismatch { .. }
                | Self::CircuitMismatch { .. }
                | Self::MalformedKey { .. }
                | Self::Depth { .. }
        )
    }

    /// [`ProverError::False`] for statement `S`.
    pub fn false_statement<S: Statement>(reason: S::Error) -> Self {
        Self::False {
            statement: S::KIND,
            reason: Box::new(reason),
        }
    }

    /// The statement's own error if this is [`ProverError::False`] for a reason of type `E`.
    pub fn reason<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            Self::False { reason, .. } => reason.downcast_ref(),
            _ => None,
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
