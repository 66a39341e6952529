//! Exporting proofs to other Groth16 toolchains, and verifying their files.
//!
//! - [`snarkjs`]: snarkjs's `verification_key.json`, `proof.json` and `public.json` (curve
//!   `bn128`), both directions, with strict import;
//! - [`export_snarkjs`]: a zkconsent proof file and the home's hash-checked verifying key
//!   to the three snarkjs files (`zkconsent export snarkjs`);
//! - [`verify_snarkjs`]: snarkjs files checked by our `no_std` verifier
//!   (`zkconsent verify-snarkjs`).

pub mod grants_tree;
pub mod registry;
pub mod snarkjs;
pub mod solidity;

use crate::{
    files::proof::{MalformedProof, ProofFile},
    home::Home,
    verify::{Malformation, Rejection, VerifyFailure},
};
use snarkjs::{SnarkjsProof, SnarkjsPublic, SnarkjsVerifyingKey};
use std::path::{Path, PathBuf};
use zkconsent_verifier as verifier;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The proof file is malformed.
    #[error("malformed: {0}")]
    Malformed(#[from] MalformedProof),
    /// The home's verifying key for the proof's statement is unusable.
    #[error("verifying key: {0}")]
    Params(String),
    /// The proof was made for another verifying key than this home's.
    #[error("proof was made for verifying key {proof}, not this home's {home}")]
    KeyMismatch {
        /// The proof file's `vk_sha256`.
        proof: String,
        /// The home's.
        home: String,
    },
    /// Writing the files failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
}

impl ExportError {
    /// The CLI exit code: 1 for a key mismatch (a refused export), otherwise 2.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::KeyMismatch { .. } => 1,
            _ => 2,
        }
    }
}

/// The three snarkjs files for one proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnarkjsFiles {
    /// `verification_key.json`.
    pub verification_key: SnarkjsVerifyingKey,
    /// `proof.json`.
    pub proof: SnarkjsProof,
    /// `public.json`.
    pub public: SnarkjsPublic,
}

impl SnarkjsFiles {
    /// Writes `verification_key.json`, `proof.json` and `public.json` into `dir` (created
    /// if missing; existing files are replaced). Returns their paths in that order.
    ///
    /// # Errors
    ///
    /// [`ExportError::Io`].
    pub fn write_to(&self, dir: &Path) -> Result<[PathBuf; 3], ExportError> {
        let io = |path: &Path, e: std::io::Error| ExportError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let write = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text + "\n").map_err(|e| io(&path, e))?;
            Ok::<_, ExportError>(path)
        };
        Ok([
            write(
                snarkjs::VERIFICATION_KEY_FILE,
                self.verification_key.to_json(),
            )?,
            write(snarkjs::PROOF_FILE, self.proof.to_json())?,
            write(snarkjs::PUBLIC_FILE, self.public.to_json())?,
        ])
    }
}

/// Decodes a proof file and checks it was made for the home's (hash-checked) verifying key
/// of its statement. The proof itself is not verified.
///
/// # Errors
///
/// Malformed file, unusable params, or [`ExportError::KeyMismatch`].
pub(crate) fn decode_for_home_key(
    home: &Home,
    proof_bytes: &[u8],
) -> Result<
    (
        crate::files::proof::DecodedProof,
        std::sync::Arc<zkconsent_verifier::PreparedVerifyingKey>,
    ),
    ExportError,
> {
    let decoded = ProofFile::decode(proof_bytes)?;
    let (pvk, vk_sha256) = home
        .verifying_key(decoded.statement)
        .map_err(|e| ExportError::Params(e.to_string()))?;
    if decoded.vk_sha256 != vk_sha256 {
        return Err(ExportError::KeyMismatch {
            proof: decoded.vk_sha256,
            home: vk_sha256,
        });
    }
    Ok((decoded, pvk))
}

/// Converts a zkconsent proof file's bytes, with the home's hash-checked verifying key for
/// its statement, to snarkjs's three files. The proof is not verified here (that is
/// `verify`'s job); its `vk_sha256` must be the home's key's.
///
/// # Errors
///
/// [`ExportError`] naming the first problem.
pub fn export_snarkjs(home: &Home, proof_bytes: &[u8]) -> Result<SnarkjsFiles, ExportError> {
    let (decoded, pvk) = decode_for_home_key(home, proof_bytes)?;
    Ok(SnarkjsFiles {
        verification_key: SnarkjsVerifyingKey::from_vk(pvk.vk()),
        proof: SnarkjsProof::from_proof(&decoded.proof),
        public: SnarkjsPublic::from_inputs(&decoded.inputs),
    })
}

/// Verifies snarkjs `verification_key.json`, `public.json` and `proof.json` bytes with our
/// `no_std` verifier.
///
/// # Errors
///
/// [`VerifyFailure::Malformed`] for a file that does not decode strictly, a key that cannot
/// verify, or a public-input count that differs from the key's; [`VerifyFailure::Rejected`]
/// if the pairing check fails.
pub fn verify_snarkjs(
    vk_bytes: &[u8],
    public_bytes: &[u8],
    proof_bytes: &[u8],
) -> Result<(), VerifyFailure> {
    let malformed = |e: snarkjs::SnarkjsError| Malformation::Snarkjs(e.to_string());
    let vk = SnarkjsVerifyingKey::decode(vk_bytes).map_err(malformed)?;
    let inputs = SnarkjsPublic::decode(public_bytes).map_err(malformed)?;
    let proof = SnarkjsProof::decode(proof_bytes).map_err(malformed)?;
    // One proof: the key is not prepared ([`verifier::verify_once`]).
    verifier::verify_once(&vk, &inputs, &proof).map_err(|e| match e {
        verifier::VerifyError::InvalidProof => Rejection::Invalid(e).into(),
        _ => Malformation::Snarkjs(e.to_string()).into(),
    })
}

/// [`crate::files::read_limited`] with the error as text (the export commands' inputs).
///
/// # Errors
///
/// Unreadable or oversized file.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    crate::files::read_limited(path, limit).map_err(|e| e.to_string())
}
