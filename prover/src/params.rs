//! Parameter directories: Groth16 keys plus a manifest with each key's SHA-256.
//!
//! Layout of a params directory:
//! - `manifest.json`: format, setup kind, tree depth, and per statement its circuit version,
//!   constraint count, public-input names, and the file name and SHA-256 of each key;
//! - `<statement>.pk`: proving key, arkworks canonical uncompressed encoding (loads fast);
//! - `<statement>.vk`: verifying key, arkworks canonical compressed encoding;
//! - `<statement>.r1cs.bin`: the circuit's constraint matrices ([`crate::matrices_file`]), so a
//!   key load does not synthesise the circuit (absent from directories made before them: the
//!   load synthesises then).
//!
//! Loading checks the SHA-256 first; only then are the bytes deserialized without point
//! validation (they are exactly the bytes this setup wrote). The manifest's circuit shape is
//! compared with the circuit compiled into this binary, so stale keys are refused.

use crate::{
    error::ProverError,
    matrices::ProverMatrices,
    statement::{matrices_of, setup_of},
    ProvingKey,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use zkconsent_circuits::{merkle, statement::StatementKind};

/// Name of the manifest file in a params directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Manifest format version.
pub const MANIFEST_FORMAT: u32 = 1;
/// The only setup kind this crate performs, spelled out in every manifest.
pub const SETUP_KIND_SINGLE_PARTY: &str = "single-party: development only; whoever ran setup \
    knows the toxic waste and can forge proofs. Production keys need a multi-party ceremony.";
/// Curve name recorded in manifests.
pub const CURVE_NAME: &str = "bn254";

/// The manifest of a params directory.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: u32,
    /// How the keys were made ([`SETUP_KIND_SINGLE_PARTY`]).
    pub setup: String,
    /// Always [`CURVE_NAME`].
    pub curve: String,
    /// Tree depth (grants and records trees) the keys are for.
    pub tree_depth: usize,
    /// Unix time of the setup.
    pub created_at: u64,
    /// One entry per statement.
    pub keys: Vec<KeyEntry>,
}

/// One statement's keys in a manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// Statement name.
    pub statement: String,
    /// Circuit version the keys were made for.
    pub circuit_version: u32,
    /// Constraint count of that circuit.
    pub constraints: usize,
    /// Public input names, in circuit order.
    pub public_inputs: Vec<String>,
    /// Proving key file name.
    pub proving_key: String,
    /// SHA-256 (hex) of the proving key file.
    pub proving_key_sha256: String,
    /// Verifying key file name.
    pub verifying_key: String,
    /// SHA-256 (hex) of the verifying key file: the key's identity in proof files.
    pub verifying_key_sha256: String,
    /// Constraint-matrices file name (absent in directories made before them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrices: Option<String>,
    /// SHA-256 (hex) of the constraint-matrices file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrices_sha256: Option<String>,
}

impl KeyEntry {
    /// Every file this entry names, with its SHA-256: what copying a params directory copies.
    pub fn files(&self) -> Vec<(&str, &str)> {
        let mut files = vec![
            (self.proving_key.as_str(), self.proving_key_sha256.as_str()),
            (
                self.verifying_key.as_str(),
                self.verifying_key_sha256.as_str(),
            ),
        ];
        if let (Some(name), Some(sha)) = (&self.matrices, &self.matrices_sha256) {
            files.push((name.as_str(), sha.as_str()));
        }
        files
    }
}

/// A params directory with its manifest read.
#[derive(Clone, Debug)]
pub struct ParamsDir {
    dir: PathBuf,
    manifest: Manifest,
}

/// A statement's proving key, loaded and checked.
pub struct LoadedKeys {
    /// The statement.
    pub statement: StatementKind,
    /// The proving key (contains the verifying key).
    pub pk: ProvingKey,
    /// SHA-256 of the verifying key file.
    pub vk_sha256: String,
    /// Tree depth (statements with a tree).
    pub tree_depth: usize,
    /// The circuit's constraint matrices, built once at load.
    pub matrices: ProverMatrices,
}

impl std::fmt::Debug for LoadedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedKeys")
            .field("statement", &self.statement)
            .field("vk_sha256", &self.vk_sha256)
            .field("tree_depth", &self.tree_depth)
            .finish_non_exhaustive()
    }
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl ParamsDir {
    /// Runs a single-party Groth16 setup for every statement and writes the directory.
    ///
    /// # Errors
    ///
    /// Unsupported depth, synthesis failures, and file errors.
    pub fn setup<R: RngCore + CryptoRng>(
        dir: &Path,
        tree_depth: usize,
        now_unix: u64,
        rng: &mut R,
    ) -> Result<Self, ProverError> {
        merkle::check_depth(tree_depth).map_err(|e| ProverError::Manifest(e.to_string()))?;
        std::fs::create_dir_all(dir).map_err(|e| ProverError::io(dir, e))?;
        let mut keys = Vec::new();
        // One RNG for every key, in `ALL`'s order: a seed gives the same keys every time.
        for statement in StatementKind::ALL {
            let (pk, vk) = setup_of(statement, tree_depth, rng)
                .map_err(|e| ProverError::Synthesis(e.to_string()))?;
            let mut pk_bytes = Vec::new();
            pk.serialize_uncompressed(&mut pk_bytes)
                .map_err(|e| ProverError::Synthesis(e.to_string()))?;
            let mut vk_bytes = Vec::new();
            vk.serialize_compressed(&mut vk_bytes)
                .map_err(|e| ProverError::Synthesis(e.to_string()))?;
            let matrices = matrices_of(statement, tree_depth)
                .map_err(|e| ProverError::Synthesis(e.to_string()))?;
            let matrices_bytes = crate::matrices_file::encode(&matrices);
            let entry = KeyEntry {
                statement: statement.name().into(),
                circuit_version: statement.circuit_version(),
                constraints: matrices.num_constraints,
                public_inputs: statement
                    .input_names()
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                proving_key: format!("{}.pk", statement.name()),
                proving_key_sha256: sha256_hex(&pk_bytes),
                verifying_key: format!("{}.vk", statement.name()),
                verifying_key_sha256: sha256_hex(&vk_bytes),
                matrices: Some(format!("{}.{MATRICES_SUFFIX}", statement.name())),
                matrices_sha256: Some(sha256_hex(&matrices_bytes)),
            };
            write(&dir.join(&entry.proving_key), &pk_bytes)?;
            write(&dir.join(&entry.verifying_key), &vk_bytes)?;
            if let Some(name) = &entry.matrices {
                write(&dir.join(name), &matrices_bytes)?;
            }
            keys.push(entry);
        }
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            setup: SETUP_KIND_SINGLE_PARTY.into(),
            curve: CURVE_NAME.into(),
            tree_depth,
            created_at: now_unix,
            keys,
        };
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| ProverError::Manifest(e.to_string()))?;
        write(&dir.join(MANIFEST_FILE), &json)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// Reads a params directory's manifest.
    ///
    /// # Errors
    ///
    /// Missing or malformed manifest.
    pub fn open(dir: &Path) -> Result<Self, ProverError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = read_bounded(&path, MAX_MANIFEST_BYTES)?;
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| ProverError::Manifest(format!("{}: {e}", path.display())))?;
        if manifest.format != MANIFEST_FORMAT || manifest.curve != CURVE_NAME {
            return Err(ProverError::Manifest(format!(
                "unsupported format {} / curve {}",
                manifest.format, manifest.curve
            )));
        }
        merkle::check_depth(manifest.tree_depth)
            .map_err(|e| ProverError::Manifest(e.to_string()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A statement's manifest entry, checked against the circuit compiled into this binary.
    ///
    /// # Errors
    ///
    /// [`ProverError::Manifest`] if absent, [`ProverError::CircuitMismatch`] if stale.
    pub fn entry(&self, statement: StatementKind) -> Result<&KeyEntry, ProverError> {
        let constraints = constraint_count(statement, self.manifest.tree_depth)?;
        self.entry_for(statement, Some(constraints))
    }

    /// [`Self::entry`] given the compiled-in circuit's constraint count, or without the count
    /// check (`None`: a verifier's, see [`Self::verifying_key_bytes`]).
    fn entry_for(
        &self,
        statement: StatementKind,
        constraints: Option<usize>,
    ) -> Result<&KeyEntry, ProverError> {
        let entry = self
            .manifest
            .keys
            .iter()
            .find(|k| k.statement == statement.name())
            .ok_or_else(|| ProverError::Manifest(format!("no keys for {}", statement.name())))?;
        let mismatch = |detail: String| ProverError::CircuitMismatch {
            statement: statement.name().into(),
            detail,
        };
        if entry.circuit_version != statement.circuit_version() {
            return Err(mismatch(format!(
                "circuit version {} (this build: {})",
                entry.circuit_version,
                statement.circuit_version()
            )));
        }
        if entry.public_inputs != statement.input_names() {
            return Err(mismatch("public inputs differ".into()));
        }
        match constraints {
            Some(constraints) if entry.constraints != constraints => {
                return Err(mismatch(format!(
                    "{} constraints (this build: {constraints})",
                    entry.constraints
                )))
            }
            _ => {}
        }
        Ok(entry)
    }

    /// Reads a file named in the manifest and checks its SHA-256.
    fn read_checked(&self, file: &str, expected: &str) -> Result<Vec<u8>, ProverError> {
        // Manifest file names are plain names: never follow a path out of the directory.
        if file.contains(['/', '\\']) || file.starts_with('.') {
            return Err(ProverError::Manifest(format!("bad key file name {file:?}")));
        }
        let path = self.dir.join(file);
        let bytes = read_bounded(&path, MAX_KEY_FILE_BYTES)?;
        let actual = sha256_hex(&bytes);
        if actual != expected {
            return Err(ProverError::KeyHashMismatch {
                file: path.display().to_string(),
                expected: expected.into(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// The verifying key's bytes (compressed) and SHA-256, hash-checked.
    ///
    /// The entry's circuit version and public inputs are checked against this build, not its
    /// constraint count: counting means synthesising the circuit (milliseconds, most of a
    /// one-shot verification), and a verifier needs only the key the manifest names. A
    /// proving key's load checks the count ([`Self::load`]).
    ///
    /// # Errors
    ///
    /// As [`Self::entry`], plus file and hash errors.
    pub fn verifying_key_bytes(
        &self,
        statement: StatementKind,
    ) -> Result<(Vec<u8>, String), ProverError> {
        let entry = self.entry_for(statement, None)?;
        let bytes = self.read_checked(&entry.verifying_key, &entry.verifying_key_sha256)?;
        Ok((bytes, entry.verifying_key_sha256.clone()))
    }

    /// Loads a statement's proving key: hash first, then unchecked deserialization.
    ///
    /// # Errors
    ///
    /// As [`Self::entry`], plus file, hash and decoding errors.
    pub fn load(&self, statement: StatementKind) -> Result<LoadedKeys, ProverError> {
        let depth = self.manifest.tree_depth;
        let matrices = self.matrices(statement)?;
        let entry = self.entry_for(statement, Some(matrices.num_constraints))?;
        if matrices.num_inputs != statement.input_names().len() + 1 {
            return Err(ProverError::CircuitMismatch {
                statement: statement.name().into(),
                detail: "constraint matrices have another number of public inputs".into(),
            });
        }
        let bytes = self.read_checked(&entry.proving_key, &entry.proving_key_sha256)?;
        // Safe to skip curve/subgroup checks: the bytes hash to what our setup wrote.
        let pk = ProvingKey::deserialize_uncompressed_unchecked(bytes.as_slice()).map_err(|e| {
            ProverError::MalformedKey {
                file: entry.proving_key.clone(),
                detail: e.to_string(),
            }
        })?;
        if pk.vk.gamma_abc_g1.len() != statement.input_names().len() + 1 {
            return Err(ProverError::CircuitMismatch {
                statement: statement.name().into(),
                detail: "verifying key expects another number of public inputs".into(),
            });
        }
        crate::groth16::check_key_shape(&pk, &matrices).map_err(|detail| {
            ProverError::CircuitMismatch {
                statement: statement.name().into(),
                detail,
            }
        })?;
        Ok(LoadedKeys {
            statement,
            pk,
            vk_sha256: entry.verifying_key_sha256.clone(),
            tree_depth: depth,
            matrices,
        })
    }
}

impl ParamsDir {
    /// A statement's constraint matrices: from the hash-checked file the manifest names, else
    /// (a directory made before such files) synthesised from the compiled-in circuit, which
    /// also gives the count the manifest is checked against.
    fn matrices(&self, statement: StatementKind) -> Result<ProverMatrices, ProverError> {
        let depth = self.manifest.tree_depth;
        let entry = self.entry_for(statement, None)?;
        let (Some(name), Some(sha)) = (&entry.matrices, &entry.matrices_sha256) else {
            return matrices_of(statement, depth)
                .map_err(|e| ProverError::Synthesis(e.to_string()));
        };
        let bytes = self.read_checked(name, sha)?;
        crate::matrices_file::decode(&bytes).map_err(|e| ProverError::MalformedKey {
            file: name.clone(),
            detail: e.to_string(),
        })
    }
}

/// Suffix of a constraint-matrices file.
pub const MATRICES_SUFFIX: &str = "r1cs.bin";

/// The compiled-in circuit's constraint count, as the manifest records it.
fn constraint_count(statement: StatementKind, depth: usize) -> Result<usize, ProverError> {
    statement
        .constraint_count(depth)
        .map_err(|e| ProverError::Synthesis(e.to_string()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ProverError> {
    std::fs::write(path, bytes).map_err(|e| ProverError::io(path, e))
}
/// Largest `manifest.json` read (a few kilobytes in practice).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;
/// Largest key file read (a depth-32 Cohort proving key is far below this).
pub const MAX_KEY_FILE_BYTES: u64 = 1 << 30;

/// Reads at most `max` bytes of `path`: a larger file (or a device or pipe that never ends)
/// is an error after `max + 1` bytes, never an unbounded allocation.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ProverError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| ProverError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ProverError::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(ProverError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("larger than {max} bytes"),
            ),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod bounded_read_tests {
    use super::read_bounded;

    #[test]
    fn files_past_the_bound_and_endless_devices_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, [7u8; 10]).expect("write");
        assert_eq!(read_bounded(&path, 10).expect("fits").len(), 10);
        assert!(read_bounded(&path, 9).is_err());
        // A device that never ends is cut at the bound, not read until memory runs out.
        if std::path::Path::new("/dev/zero").exists() {
            assert!(read_bounded(std::path::Path::new("/dev/zero"), 1 << 20).is_err());
        }
    }
}
