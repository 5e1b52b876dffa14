//! CurveZMQ key pairs in bitmarkd's format (protocol §1.3).
//!
//! A key file holds one line: `PUBLIC:` or `PRIVATE:` followed by 64 lowercase hex digits
//! (32 raw bytes) and a newline. Configuration accepts either a path to such a file or the
//! `PUBLIC:…` / `PRIVATE:…` text itself. The prefix is required, and a public key where a
//! private one is expected (or the reverse) is rejected, as bitmarkd's `ParseKey` does.

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Prefix of a public key.
pub const PUBLIC_PREFIX: &str = "PUBLIC:";
/// Prefix of a private key.
pub const PRIVATE_PREFIX: &str = "PRIVATE:";
/// File name of the public key written by [`generate`] (bitmarkd's default).
pub const PUBLIC_FILE: &str = "peer.public";
/// File name of the private key written by [`generate`] (bitmarkd's default).
pub const PRIVATE_FILE: &str = "peer.private";

/// Which half of a key pair a text holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// `PUBLIC:`.
    Public,
    /// `PRIVATE:`.
    Private,
}

impl KeyKind {
    fn prefix(self) -> &'static str {
        match self {
            KeyKind::Public => PUBLIC_PREFIX,
            KeyKind::Private => PRIVATE_PREFIX,
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Public => "public",
            KeyKind::Private => "private",
        })
    }
}

/// Errors of key parsing, loading and generation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not `<PREFIX>` + 64 hex digits.
    #[error("invalid {kind} key: {reason}")]
    Invalid {
        /// The key expected.
        kind: KeyKind,
        /// What is wrong with it.
        reason: String,
    },
    /// A key file could not be read.
    #[error("cannot read {kind} key file {path}: {reason}")]
    Read {
        /// The key expected.
        kind: KeyKind,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The public key is not the one of the private key.
    #[error("the public key does not belong to the private key")]
    Mismatch,
    /// A key file to be written exists already.
    #[error("{0} exists already; refusing to overwrite it")]
    Exists(PathBuf),
    /// Writing a key file failed.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// libzmq could not generate a key pair (built without CURVE).
    #[error("libzmq cannot generate CURVE keys: {0}")]
    Generate(String),
}

/// A CURVE key pair: 32 raw bytes each.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// The public key.
    pub public: [u8; 32],
    /// The private (secret) key.
    pub private: [u8; 32],
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair").field("public", &hex::encode(self.public)).finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A fresh key pair from libzmq (`zmq_curve_keypair`).
    ///
    /// # Errors
    ///
    /// [`KeyError::Generate`] if libzmq has no CURVE support.
    pub fn generate() -> Result<Self, KeyError> {
        let pair = zmq::CurveKeyPair::new().map_err(|e| KeyError::Generate(e.to_string()))?;
        Ok(KeyPair { public: pair.public_key, private: pair.secret_key })
    }

    /// The key pair of a private key: the public key is derived (Curve25519).
    pub fn from_private(private: [u8; 32]) -> Self {
        let secret = x25519_dalek::StaticSecret::from(private);
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        KeyPair { public, private }
    }

    /// A key pair from both halves, checking that they belong together.
    ///
    /// # Errors
    ///
    /// [`KeyError::Mismatch`] if `public` is not the public key of `private`.
    pub fn new(public: [u8; 32], private: [u8; 32]) -> Result<Self, KeyError> {
        let pair = Self::from_private(private);
        if pair.public != public {
            return Err(KeyError::Mismatch);
        }
        Ok(pair)
    }
}

/// Formats a key as bitmarkd writes it, without the newline: `PUBLIC:<64 hex>`.
pub fn format_key(kind: KeyKind, key: &[u8; 32]) -> String {
    format!("{}{}", kind.prefix(), hex::encode(key))
}

/// Parses `PUBLIC:<hex>` or `PRIVATE:<hex>` (surrounding whitespace ignored).
///
/// # Errors
///
/// [`KeyError::Invalid`] saying what is wrong: a missing or wrong prefix, bad hex, or a
/// length other than 32 bytes.
pub fn parse_key(kind: KeyKind, text: &str) -> Result<[u8; 32], KeyError> {
    let invalid = |reason: String| KeyError::Invalid { kind, reason };
    let text = text.trim();
    let other = match kind {
        KeyKind::Public => KeyKind::Private,
        KeyKind::Private => KeyKind::Public,
    };
    let Some(hex_text) = text.strip_prefix(kind.prefix()) else {
        if text.starts_with(other.prefix()) {
            return Err(invalid(format!("found a {other} key ({}…)", other.prefix())));
        }
        return Err(invalid(format!("missing the {} prefix", kind.prefix())));
    };
    let bytes = hex::decode(hex_text.trim()).map_err(|e| invalid(format!("bad hex: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        invalid(format!("{} bytes instead of 32 (64 hex digits expected)", bytes.len()))
    })
}

/// Reads a key from config: the `PUBLIC:…`/`PRIVATE:…` text itself, or a path to a file
/// holding it.
///
/// # Errors
///
/// [`KeyError::Read`] for an unreadable file, [`KeyError::Invalid`] for bad contents.
pub fn load_key(kind: KeyKind, text_or_path: &str) -> Result<[u8; 32], KeyError> {
    let trimmed = text_or_path.trim();
    if trimmed.starts_with(PUBLIC_PREFIX) || trimmed.starts_with(PRIVATE_PREFIX) {
        return parse_key(kind, trimmed);
    }
    let path = Path::new(trimmed);
    let text = std::fs::read_to_string(path).map_err(|e| KeyError::Read {
        kind,
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    parse_key(kind, &text)
}

/// Paths of the key files written by [`generate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFiles {
    /// `peer.public`.
    pub public: PathBuf,
    /// `peer.private` (mode 0600).
    pub private: PathBuf,
    /// The new key pair.
    pub pair: KeyPair,
}

/// Writes a new key pair to `dir/peer.public` and `dir/peer.private` in bitmarkd's format
/// (`peerd keys zmq [--out DIR]`). The private file is created with mode 0600. Neither file
/// may exist already; `dir` is created if needed.
///
/// # Errors
///
/// [`KeyError::Exists`] if either file exists (nothing is written then),
/// [`KeyError::Write`] on I/O failure, [`KeyError::Generate`] without CURVE.
pub fn generate(dir: &Path) -> Result<KeyFiles, KeyError> {
    let public = dir.join(PUBLIC_FILE);
    let private = dir.join(PRIVATE_FILE);
    for path in [&public, &private] {
        if path.exists() {
            return Err(KeyError::Exists(path.clone()));
        }
    }
    let pair = KeyPair::generate()?;
    std::fs::create_dir_all(dir)
        .map_err(|e| KeyError::Write { path: dir.to_owned(), reason: e.to_string() })?;
    write_new(&private, &format_key(KeyKind::Private, &pair.private), 0o600)?;
    write_new(&public, &format_key(KeyKind::Public, &pair.public), 0o644)?;
    Ok(KeyFiles { public, private, pair })
}

/// Creates `path` (failing if it exists) with `mode` and writes `line` and a newline.
fn write_new(path: &Path, line: &str, mode: u32) -> Result<(), KeyError> {
    let failed = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists(path.to_owned())
        } else {
            KeyError::Write { path: path.to_owned(), reason: e.to_string() }
        }
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(failed)?;
    file.write_all(format!("{line}\n").as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_checks_prefix_hex_and_length() {
        let hex64 = "ab".repeat(32);
        assert_eq!(parse_key(KeyKind::Public, &format!(" PUBLIC:{hex64}\n")).unwrap(), [0xab; 32]);
        let wrong = parse_key(KeyKind::Private, &format!("PUBLIC:{hex64}")).unwrap_err();
        assert_eq!(wrong.to_string(), "invalid private key: found a public key (PUBLIC:…)");
        let bare = parse_key(KeyKind::Public, &hex64).unwrap_err();
        assert_eq!(bare.to_string(), "invalid public key: missing the PUBLIC: prefix");
        let short = parse_key(KeyKind::Public, "PUBLIC:abcd").unwrap_err();
        assert!(short.to_string().contains("2 bytes instead of 32"), "{short}");
        let bad = parse_key(KeyKind::Private, &format!("PRIVATE:{}zz", "0".repeat(62)));
        assert!(bad.unwrap_err().to_string().contains("bad hex"));
    }

    #[test]
    fn derived_public_key_matches_libzmq() {
        let pair = KeyPair::generate().unwrap();
        assert_eq!(KeyPair::from_private(pair.private), pair);
        assert!(KeyPair::new(pair.public, pair.private).is_ok());
        let other = KeyPair::generate().unwrap();
        assert!(matches!(KeyPair::new(other.public, pair.private), Err(KeyError::Mismatch)));
    }
}
