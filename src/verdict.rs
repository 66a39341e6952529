//! Why a proof was not accepted, as types: a [`Rejection`] of a well-formed proof (exit 1) or
//! a [`Malformation`] of the input or the environment (exit 2). A verifier service maps the
//! same values to its responses; the CLI maps them to exit codes in one place.

use crate::{home::HomeError, registry::RegistryError, wallet::WalletError};
use zkconsent_prover::Statement;
use zkconsent_registry::PolicyError;
use zkconsent_verifier::VerifyError;

/// Why a proof was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum VerifyFailure {
    /// Well-formed, but the proof does not verify, does not answer the request, or the
    /// policy refuses it.
    #[error("rejected: {0}")]
    Rejected(Rejection),
    /// Unreadable or malformed input, or params, registry or wallet unusable.
    #[error("malformed: {0}")]
    Malformed(Malformation),
}

impl VerifyFailure {
    /// The CLI exit code: 1 for rejected, 2 for malformed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Rejected(_) => 1,
            Self::Malformed(_) => 2,
        }
    }
}

impl From<Rejection> for VerifyFailure {
    fn from(r: Rejection) -> Self {
        Self::Rejected(r)
    }
}

impl From<Malformation> for VerifyFailure {
    fn from(m: Malformation) -> Self {
        Self::Malformed(m)
    }
}

/// Why a well-formed proof was rejected.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// A proof of another statement than the one asked for.
    #[error("this is a proof of {proof}, not of {asked}")]
    OtherStatement {
        /// The proof's statement.
        proof: Statement,
        /// The statement asked for.
        asked: Statement,
    },
    /// Made with another circuit version of the statement.
    #[error("proof is for {statement} circuit version {proof}, this verifier has {ours}")]
    CircuitVersion {
        /// The statement.
        statement: Statement,
        /// The proof's version.
        proof: u32,
        /// This build's.
        ours: u32,
    },
    /// Made for trees of another depth.
    #[error(
        "proof is for a grants tree of depth {}, this registry's is {ours}",
        .proof.map(|d| d.to_string()).unwrap_or_default()
    )]
    TreeDepth {
        /// The proof's depth, if it names one.
        proof: Option<usize>,
        /// The registry's.
        ours: usize,
    },
    /// Made for another verifying key.
    #[error("proof was made for verifying key {proof}, not this registry's {ours}")]
    OtherKey {
        /// The start of the proof's key digest.
        proof: String,
        /// The start of this registry's.
        ours: String,
    },
    /// A term input differs from the request's.
    #[error("proof's {input} is not what the request asks (the proof answers other terms)")]
    OtherTerms {
        /// The input's name.
        input: &'static str,
    },
    /// The proof's request hash is not the request's.
    #[error("proof answers another request (request hash differs)")]
    OtherRequest,
    /// The request was answered before.
    #[error("request already answered (replay)")]
    Replay,
    /// The nullifier was spent before (a second claim or enrolment).
    #[error("{statement} nullifier already spent")]
    NullifierSpent {
        /// The statement whose nullifier it is.
        statement: Statement,
    },
    /// The pairing check failed.
    #[error("proof does not verify: {0}")]
    Invalid(VerifyError),
    /// A grants or records root the registry never had, or one followed by a removal (a
    /// revocation, a superseded record) longer ago than the policy allows, or a proof time
    /// too far from the verifier's clock. The message names the tree and gives ISO 8601 times.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The proof's time is not a 64-bit timestamp.
    #[error("proof time is not a 64-bit timestamp")]
    TimeOutOfRange,
}

/// Why the input or the environment could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Malformation {
    /// The proof file does not decode strictly.
    #[error("{0}")]
    ProofFile(String),
    /// The home's verifying key could not be loaded.
    #[error("verifying key: {0}")]
    VerifyingKey(HomeError),
    /// The proof's public-input count is not the key's.
    #[error("wrong number of public inputs for the key")]
    InputCount,
    /// A batch slot that holds no proof.
    #[error("no proof")]
    NoProof,
    /// The registry could not be read or written.
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    /// The wallet could not be read.
    #[error("wallet: {0}")]
    Wallet(#[from] WalletError),
    /// The home's record of issued requests (its index or its wallet) could not be read.
    #[error("issued requests: {0}")]
    Issued(HomeError),
    /// The request is not one this home issued.
    #[error("the request was not issued by this home (`zkconsent request new`)")]
    RequestNotIssued,
    /// The request differs from the one this home issued under its hash.
    #[error("the request differs from the one this home issued under its hash")]
    RequestDiffers,
    /// A request term does not resolve.
    #[error("request terms: {0}")]
    Terms(String),
    /// Consuming needs a proof checked against a request.
    #[error("only a proof checked against a request can consume it (pass --request)")]
    NoRequest,
    /// A snarkjs file that does not decode, or a key that cannot verify.
    #[error("{0}")]
    Snarkjs(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkconsent_circuits::types::Timestamp;
    use zkconsent_registry::Tree;

    #[test]
    fn policy_rejections_name_the_tree() {
        let stale = VerifyFailure::from(Rejection::Policy(PolicyError::StaleRoot {
            tree: Tree::Records,
            removed_at: Timestamp(1_796_409_541),
            age: 400,
            max_age: 300,
        }));
        assert_eq!(stale.exit_code(), 1);
        assert_eq!(
            stale.to_string(),
            "rejected: records root was superseded by a removal at 2026-12-04T18:39:01Z \
             (400 s ago, limit 300 s)"
        );
        let unknown = Rejection::Policy(PolicyError::UnknownRoot { tree: Tree::Grants });
        assert_eq!(
            unknown.to_string(),
            "grants root is unknown to the registry"
        );
    }
}
