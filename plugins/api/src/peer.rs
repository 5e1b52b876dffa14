//! Peer identities and addresses.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The identity of a remote peer, as its transport knows it.
///
/// For ZeroMQ this is the peer's 32-byte CURVE public key; for libp2p the bytes of its
/// `PeerId`; for the memory transport the node's name. The kernel treats it as opaque.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PeerId(Bytes);

impl PeerId {
    /// Wraps the transport's identity bytes.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        Self(bytes.into())
    }

    /// The identity bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names of memory-transport nodes are printable; keys are shown as hex.
        match std::str::from_utf8(&self.0) {
            Ok(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()) => f.write_str(s),
            _ => f.write_str(&hex::encode(&self.0)),
        }
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({self})")
    }
}

/// A transport-level address in the transport's own notation, for example
/// `tcp://127.0.0.1:2136` (ZeroMQ), `/ip4/127.0.0.1/tcp/4001` (libp2p) or `mem://node-1`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Addr(String);

impl Addr {
    /// Wraps an address string.
    pub fn new(addr: impl Into<String>) -> Self {
        Self(addr.into())
    }

    /// The address text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything a transport needs to open an outgoing connection to a peer.
///
/// `listeners` is in the transport's own format: bitmarkd's packed listener records for
/// ZeroMQ, encoded multiaddrs for libp2p. Only the named transport interprets it, which is
/// how peer exchange stays per transport.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DialTarget {
    /// Name of the transport that can dial this target (`"zmq"`, `"libp2p"`, `"memory"`).
    pub transport: String,
    /// The peer's public key or identity bytes.
    pub key: Bytes,
    /// Where to reach the peer, in the transport's format.
    pub listeners: Bytes,
}

/// Which side opened a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// We dialled the peer: it is one of our upstreams.
    Outbound,
    /// The peer dialled us: we serve its requests.
    Inbound,
}
