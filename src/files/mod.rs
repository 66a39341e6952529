//! The files the program reads and writes: proof files ([`proof`]), code lists
//! ([`code_list`]) and study criteria ([`criteria`]); request files are in
//! [`crate::request`]. Every file is read through [`read_limited`]: a size limit that also
//! holds for pipes and devices (`/dev/zero` is cut off at the limit, never read to the end).

pub mod batch;
pub mod code_list;
pub mod criteria;
pub mod proof;

use std::{io::Read, path::Path};

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Opening or reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// The file (or stream) is longer than the limit for its kind.
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit.
        limit: usize,
    },
}

/// Reads at most `limit` bytes of `path`; a longer file (or stream) is an error.
///
/// # Errors
///
/// [`FileError`].
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, FileError> {
    let name = || path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| FileError::Io {
        path: name(),
        source,
    })?;
    let mut bytes = Vec::new();
    // One byte past the limit tells "exactly the limit" from "longer".
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| FileError::Io {
            path: name(),
            source,
        })?;
    if bytes.len() > limit {
        return Err(FileError::TooLarge {
            path: name(),
            limit,
        });
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` all or nothing (a temporary file beside it, synced, then renamed
/// over it), readable and writable by the owner only: for files that hold a credential.
///
/// # Errors
///
/// File errors; `path` is then unchanged.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("no file name"))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_longer_than_the_limit_is_cut_off() {
        let err = read_limited(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(matches!(err, FileError::TooLarge { limit: 1024, .. }));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [7u8; 1024]).unwrap();
        assert_eq!(read_limited(&path, 1024).unwrap().len(), 1024);
        assert!(read_limited(&dir.path().join("missing"), 1).is_err());
    }
}
