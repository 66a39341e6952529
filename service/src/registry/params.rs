//! The params directory as the service offers it: `manifest.json` and every key file it
//! names, each hashed once at start (and checked against the manifest, so a damaged key is
//! never served), and files served only by a name in that list (no path reaches outside).

use super::ServiceError;
use std::path::{Path, PathBuf};
use zkconsent::{
    prover::{params::sha256_hex, params::MANIFEST_FILE, ParamsDir},
    remote::wire::ParamsFile,
};

/// The files a client may download.
pub(crate) struct ParamsFiles {
    dir: PathBuf,
    files: Vec<ParamsFile>,
    manifest_sha256: String,
}

fn hashed(dir: &Path, name: &str) -> Result<ParamsFile, ServiceError> {
    // Manifest names are plain file names: never a path out of the directory.
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(ServiceError::ParamsFile {
            name: name.to_owned(),
            reason: "not a plain file name".into(),
        });
    }
    let bytes = zkconsent::files::read_limited(&dir.join(name), MAX_PARAMS_FILE).map_err(|e| {
        ServiceError::ParamsFile {
            name: name.to_owned(),
            reason: e.to_string(),
        }
    })?;
    Ok(ParamsFile {
        name: name.to_owned(),
        sha256: sha256_hex(&bytes),
        bytes: bytes.len() as u64,
    })
}

impl ParamsFiles {
    /// Hashes the manifest and every key it names.
    ///
    /// # Errors
    ///
    /// [`ServiceError::ParamsFile`] for an unreadable file or one whose hash is not the
    /// manifest's.
    pub(crate) fn hash(params: &ParamsDir) -> Result<Self, ServiceError> {
        let dir = params.dir().to_path_buf();
        let manifest = hashed(&dir, MANIFEST_FILE)?;
        let manifest_sha256 = manifest.sha256.clone();
        let mut files = vec![manifest];
        for key in &params.manifest().keys {
            for (name, expected) in key.files() {
                let file = hashed(&dir, name)?;
                if file.sha256 != expected {
                    return Err(ServiceError::ParamsFile {
                        name: name.to_owned(),
                        reason: format!("SHA-256 {} is not the manifest's {expected}", file.sha256),
                    });
                }
                if !files.iter().any(|f| f.name == file.name) {
                    files.push(file);
                }
            }
        }
        Ok(Self {
            dir,
            files,
            manifest_sha256,
        })
    }

    /// Every file, the manifest first.
    pub(crate) fn list(&self) -> &[ParamsFile] {
        &self.files
    }

    /// SHA-256 of `manifest.json`.
    pub(crate) fn manifest_sha256(&self) -> &str {
        &self.manifest_sha256
    }

    /// The path of a listed file, `None` for any other name.
    pub(crate) fn path_of(&self, name: &str) -> Option<PathBuf> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| self.dir.join(&f.name))
    }
}

/// Largest params file served (as the prover reads: a key file of a deep tree is tens of
/// megabytes).
pub(crate) const MAX_PARAMS_FILE: usize = zkconsent::prover::params::MAX_KEY_FILE_BYTES as usize;
