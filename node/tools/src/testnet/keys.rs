//! Node keys: fresh ones from the transports' own generators (as `peerd keys`), or derived
//! from `--seed` so that a seed always gives the same public keys and peer ids.

use std::path::{Path, PathBuf};

use super::TestnetError;

/// A node's ZeroMQ keys: its `PUBLIC:…` text and both key files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZmqKeys {
    /// `PUBLIC:<64 hex>`.
    pub public_key: String,
    /// `peer.public`.
    pub public_file: PathBuf,
    /// `peer.private`.
    pub private_file: PathBuf,
}

/// A node's libp2p identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Libp2pKeys {
    /// `12D3KooW…`.
    pub peer_id: String,
    /// `libp2p-identity.key`.
    pub file: PathBuf,
}

fn key_error(e: impl std::fmt::Display) -> TestnetError {
    TestnetError::Keys(e.to_string())
}

/// 32 bytes derived from the seed, the node and the purpose (SHA3-256).
#[cfg_attr(not(any(feature = "zmq", feature = "libp2p")), allow(dead_code))]
fn derive(seed: u64, node: usize, purpose: &str) -> [u8; 32] {
    use sha3::Digest as _;
    let mut h = sha3::Sha3_256::new();
    h.update(b"peerd testnet ");
    h.update(purpose.as_bytes());
    h.update(seed.to_le_bytes());
    h.update((node as u64).to_le_bytes());
    h.finalize().into()
}

/// Creates `path` with `text`, readable by its owner only when `private`.
#[cfg_attr(not(any(feature = "zmq", feature = "libp2p")), allow(dead_code))]
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), TestnetError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let io = |source| TestnetError::Io { path: path.to_owned(), source };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)
}

/// Writes `dir/peer.public` and `dir/peer.private`.
///
/// # Errors
///
/// [`TestnetError::Keys`] or [`TestnetError::Io`]; always in a build without ZeroMQ.
#[cfg(feature = "zmq")]
pub fn zmq(dir: &Path, seed: Option<u64>, node: usize) -> Result<ZmqKeys, TestnetError> {
    use peerd_transport_zmq::keys::{self, format_key, KeyKind, KeyPair};
    let (public_file, private_file, pair) = match seed {
        None => {
            let files = keys::generate(dir).map_err(key_error)?;
            (files.public, files.private, files.pair)
        }
        Some(seed) => {
            let pair = KeyPair::from_private(derive(seed, node, "zmq"));
            let public = dir.join(keys::PUBLIC_FILE);
            let private = dir.join(keys::PRIVATE_FILE);
            write_new(&private, format_key(KeyKind::Private, &pair.private).as_bytes(), true)?;
            write_new(&public, format_key(KeyKind::Public, &pair.public).as_bytes(), false)?;
            (public, private, pair)
        }
    };
    Ok(ZmqKeys { public_key: format_key(KeyKind::Public, &pair.public), public_file, private_file })
}

/// Without the `zmq` feature: an error saying so.
///
/// # Errors
///
/// Always [`TestnetError::Keys`].
#[cfg(not(feature = "zmq"))]
pub fn zmq(_dir: &Path, _seed: Option<u64>, _node: usize) -> Result<ZmqKeys, TestnetError> {
    Err(key_error("this peerd is built without the zmq feature; ZeroMQ nodes are unavailable"))
}

/// Writes `dir/libp2p-identity.key`.
///
/// # Errors
///
/// [`TestnetError::Keys`] or [`TestnetError::Io`]; always in a build without libp2p.
#[cfg(feature = "libp2p")]
pub fn libp2p(dir: &Path, seed: Option<u64>, node: usize) -> Result<Libp2pKeys, TestnetError> {
    use peerd_transport_libp2p::keys;
    use peerd_transport_libp2p::libp2p::identity::Keypair;
    let file = match seed {
        None => keys::generate(dir).map_err(key_error)?,
        Some(seed) => {
            let keypair =
                Keypair::ed25519_from_bytes(derive(seed, node, "libp2p")).map_err(key_error)?;
            let file = dir.join(keys::IDENTITY_FILE);
            write_new(&file, &keypair.to_protobuf_encoding().map_err(key_error)?, true)?;
            file
        }
    };
    let peer_id = keys::peer_id(&file).map_err(key_error)?.to_string();
    Ok(Libp2pKeys { peer_id, file })
}

/// Without the `libp2p` feature: an error saying so.
///
/// # Errors
///
/// Always [`TestnetError::Keys`].
#[cfg(not(feature = "libp2p"))]
pub fn libp2p(_dir: &Path, _seed: Option<u64>, _node: usize) -> Result<Libp2pKeys, TestnetError> {
    Err(key_error("this peerd is built without the libp2p feature; libp2p nodes are unavailable"))
}
