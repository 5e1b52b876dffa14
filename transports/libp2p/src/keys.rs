//! The node's libp2p identity: an Ed25519 key pair in a file.
//!
//! The file holds the key pair in libp2p's protobuf encoding
//! (`Keypair::to_protobuf_encoding`, the format of go-libp2p and rust-libp2p key files), is
//! created with mode 0600 and is never overwritten. `peerd keys libp2p [--out DIR]` calls
//! [`generate`]; the `identity` key of the transport's config names the file, read by [`load`].

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use libp2p::identity::Keypair;
use libp2p::PeerId;

/// The file name [`generate`] writes in its directory.
pub const IDENTITY_FILE: &str = "libp2p-identity.key";

/// Largest identity file read (an Ed25519 key pair takes 68 bytes).
const MAX_FILE_BYTES: u64 = 4096;

/// Errors of the identity files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file exists already; it is never overwritten.
    #[error("{path} exists already; not overwriting an identity")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The file or its directory cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not hold a libp2p key pair.
    #[error("{path} is not a libp2p identity file: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Writes a new Ed25519 identity to `dir/`[`IDENTITY_FILE`] (creating `dir` if needed),
/// readable by its owner only. Returns the file's path.
///
/// # Errors
///
/// [`KeyError::Exists`] if the file exists, [`KeyError::Io`] if it cannot be written.
pub fn generate(dir: &Path) -> Result<PathBuf, KeyError> {
    let path = dir.join(IDENTITY_FILE);
    let io = |source| KeyError::Io { path: path.clone(), source };
    fs::create_dir_all(dir).map_err(|source| KeyError::Io { path: dir.to_owned(), source })?;
    let keypair = Keypair::generate_ed25519();
    let encoded = keypair
        .to_protobuf_encoding()
        .map_err(|e| KeyError::Invalid { path: path.clone(), reason: e.to_string() })?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists { path: path.clone() },
        _ => io(e),
    })?;
    file.write_all(&encoded).and_then(|()| file.sync_all()).map_err(io)?;
    tracing::info!(peer_id = %keypair.public().to_peer_id(), path = %path.display(), "libp2p identity written");
    Ok(path)
}

/// Reads an identity file. Warns if others may read it.
///
/// # Errors
///
/// [`KeyError::Io`] if it cannot be read, [`KeyError::Invalid`] if it is not a key pair.
pub fn load(path: &Path) -> Result<Keypair, KeyError> {
    let io = |source| KeyError::Io { path: path.to_owned(), source };
    let invalid = |reason: String| KeyError::Invalid { path: path.to_owned(), reason };
    let meta = fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(invalid(format!("{} bytes, at most {MAX_FILE_BYTES}", meta.len())));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "libp2p identity file is readable by others");
        }
    }
    let bytes = fs::read(path).map_err(io)?;
    Keypair::from_protobuf_encoding(&bytes).map_err(|e| invalid(e.to_string()))
}

/// The peer id of the identity in `path`, as text (`12D3Koo…`), for `peerd keys`.
///
/// # Errors
///
/// As [`load`].
pub fn peer_id(path: &Path) -> Result<PeerId, KeyError> {
    load(path).map(|k| k.public().to_peer_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_writes_a_private_file_that_loads_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let path = generate(&keys).unwrap();
        assert_eq!(path, keys.join(IDENTITY_FILE));
        let first = fs::read(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let keypair = load(&path).unwrap();
        assert!(keypair.clone().try_into_ed25519().is_ok(), "an Ed25519 key");
        assert_eq!(peer_id(&path).unwrap(), keypair.public().to_peer_id());
        assert!(matches!(generate(&keys), Err(KeyError::Exists { .. })));
        assert_eq!(fs::read(&path).unwrap(), first, "the identity is unchanged");
    }

    #[test]
    fn load_names_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent.key");
        let error = load(&missing).unwrap_err();
        assert!(matches!(error, KeyError::Io { .. }));
        assert!(error.to_string().contains("absent.key"), "{error}");

        let garbage = dir.path().join("garbage.key");
        fs::write(&garbage, b"not a key at all").unwrap();
        let error = load(&garbage).unwrap_err();
        assert!(matches!(error, KeyError::Invalid { .. }), "{error}");
        assert!(error.to_string().contains("garbage.key"), "{error}");

        let huge = dir.path().join("huge.key");
        fs::write(&huge, vec![0u8; 10_000]).unwrap();
        assert!(matches!(load(&huge), Err(KeyError::Invalid { .. })));
    }
}
