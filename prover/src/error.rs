//! Prover errors.

use zkconsent_circuits::{
    access::AccessError, authority::AuthorityError, claim::ClaimError, cohort::CohortError,
    record::RecordError,
};

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
    /// The Access statement is false: no proof can be made.
    #[error("access statement is false: {0}")]
    Access(#[from] AccessError),
    /// The authority statement is false: no proof can be made.
    #[error("authority statement is false: {0}")]
    Authority(#[from] AuthorityError),
    /// The Record statement is false: no proof can be made.
    #[error("record statement is false: {0}")]
    Record(#[from] RecordError),
    /// The Claim statement is false: no proof can be made.
    #[error("claim statement is false: {0}")]
    Claim(#[from] ClaimError),
    /// The Cohort statement is false: the patient is not eligible (or has no consent).
    #[error("cohort statement is false: {0}")]
    Cohort(#[from] CohortError),
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
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
