//! DIR/network.json: every node of a network, where it listens and which process runs it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TestnetError;

/// File name of the network description in the network's directory.
pub const FILE: &str = "network.json";
/// Version of the format written.
pub const FORMAT: u32 = 1;

/// DIR/network.json.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Format version ([`FORMAT`]).
    pub format: u32,
    /// The network's directory (absolute).
    pub dir: PathBuf,
    /// Chain of every node.
    pub chain: String,
    /// Seconds between produced blocks.
    pub block_interval_secs: u64,
    /// The key seed, when the keys were derived from one.
    pub seed: Option<u64>,
    /// The groups of a partition in force (`peerd testnet partition`), else empty.
    #[serde(default)]
    pub partition: Vec<Vec<String>>,
    /// The nodes, `node-1` first.
    pub nodes: Vec<Node>,
}

/// One node in network.json.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// `node-N`.
    pub name: String,
    /// Process id of its `peerd run` (the last one started), 0 before the first start.
    pub pid: u32,
    /// Produces blocks.
    pub producer: bool,
    /// Store kind.
    pub store: String,
    /// Its transports.
    pub transports: Transports,
    /// Address of its HTTP API.
    pub http: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its config file (`peerd --config … run`).
    pub config: PathBuf,
    /// Its log file (stdout and stderr of the process).
    pub log: PathBuf,
}

/// The transports of a node; absent ones are null.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transports {
    /// ZeroMQ, if the node speaks it.
    pub zmq: Option<Zmq>,
    /// libp2p, if the node speaks it.
    pub libp2p: Option<Libp2p>,
}

/// A node's ZeroMQ listener and keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zmq {
    /// `tcp://127.0.0.1:PORT`.
    pub listen: String,
    /// `127.0.0.1:PORT`, as peers list it.
    pub address: SocketAddr,
    /// `PUBLIC:<64 hex>`.
    pub public_key: String,
    /// Its `peer.public` file.
    pub public_key_file: PathBuf,
    /// Its `peer.private` file.
    pub private_key_file: PathBuf,
}

/// A node's libp2p listener and identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Libp2p {
    /// Its peer id (`12D3KooW…`).
    pub peer_id: String,
    /// The full multiaddr: `/ip4/127.0.0.1/tcp/PORT/p2p/<peer id>`.
    pub multiaddr: String,
    /// The listen multiaddr, without the peer id.
    pub listen: String,
    /// Its identity file.
    pub identity_file: PathBuf,
}

impl Node {
    /// `zmq`, `libp2p` or `zmq+libp2p`.
    pub fn transport_names(&self) -> String {
        match (&self.transports.zmq, &self.transports.libp2p) {
            (Some(_), Some(_)) => "zmq+libp2p".into(),
            (Some(_), None) => "zmq".into(),
            (None, Some(_)) => "libp2p".into(),
            (None, None) => "none".into(),
        }
    }
}

impl Network {
    /// DIR/network.json.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    /// Reads DIR/network.json.
    ///
    /// # Errors
    ///
    /// [`TestnetError::NoNetwork`] if there is none, [`TestnetError::Manifest`] if it does not
    /// parse.
    pub fn load(dir: &Path) -> Result<Self, TestnetError> {
        let path = Self::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(TestnetError::NoNetwork(dir.to_owned()))
            }
            Err(source) => return Err(TestnetError::Io { path, source }),
        };
        serde_json::from_str(&text)
            .map_err(|e| TestnetError::Manifest { path, reason: e.to_string() })
    }

    /// Writes DIR/network.json (to a temporary file first, then renamed into place).
    ///
    /// # Errors
    ///
    /// [`TestnetError::Io`].
    pub fn save(&self) -> Result<(), TestnetError> {
        let path = Self::path(&self.dir);
        let tmp = self.dir.join(format!("{FILE}.tmp"));
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| TestnetError::Manifest { path: path.clone(), reason: e.to_string() })?;
        std::fs::write(&tmp, text + "\n")
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| TestnetError::Io { path, source })
    }

    /// The node named `name`: `node-3` or just `3`.
    ///
    /// # Errors
    ///
    /// [`TestnetError::UnknownNode`] listing the names.
    pub fn index_of(&self, name: &str) -> Result<usize, TestnetError> {
        let name = name.trim();
        let wanted = if name.chars().all(|c| c.is_ascii_digit()) {
            format!("node-{name}")
        } else {
            name.to_owned()
        };
        self.nodes.iter().position(|n| n.name == wanted).ok_or_else(|| {
            let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
            TestnetError::UnknownNode { name: name.to_owned(), known: names.join(", ") }
        })
    }
}
