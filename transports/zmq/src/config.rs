//! The `[[transports]]` entry with `kind = "zmq"`, and its validation.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use peerd_api::{DialTarget, TransportError};
use peerd_wire::address::{pack_list, Connection};
use serde::{Deserialize, Serialize};

use crate::keys::{load_key, parse_key, KeyKind, KeyPair};
use crate::{ZmqTransport, TRANSPORT_NAME};

/// bitmarkd's peer listener port of a chain (protocol §1.2): `bitmark` 2136, `testing` 12136,
/// `local` 22136; other chains (`dev`) use 2136.
pub fn default_port(chain: &str) -> u16 {
    match chain {
        "testing" => 12136,
        "local" => 22136,
        _ => 2136,
    }
}

/// The `[[transports]]` entry with `kind = "zmq"` (bitmarkd's `peering` section).
///
/// ```toml
/// [[transports]]
/// kind = "zmq"
/// listen = ["*:2136"]
/// announce = ["203.0.113.7:2136"]
/// private_key = "/var/lib/peerd/peer.private"   # or "PRIVATE:<64 hex>"
/// peers = [{ public_key = "PUBLIC:<64 hex>", address = "198.51.100.2:2136" }]
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listen addresses, `host:port`; `*` is the dual-stack `::`; port 0 takes a free port.
    /// Empty: `*:<chain port>` ([`default_port`]).
    pub listen: Vec<String>,
    /// Addresses announced to peers in registrations (packed as bitmarkd's listener
    /// records, in this order). Empty: the bound listen addresses that are not wildcards.
    pub announce: Vec<String>,
    /// This node's public key: a key file path or `PUBLIC:<64 hex>`. Optional: derived
    /// from the private key, and checked against it when given.
    pub public_key: Option<String>,
    /// This node's private key: a key file path or `PRIVATE:<64 hex>` (`peerd keys zmq`).
    pub private_key: Option<String>,
    /// Static peers, dialled at start and kept connected.
    pub peers: Vec<PeerConfig>,
    /// Local publisher addresses (bitmarkd's `publishing.broadcast`); empty: no publisher.
    pub publish: Vec<String>,
    /// Dial a peer's IPv6 listener when it announces one (bitmarkd's default: true).
    pub prefer_ipv6: bool,
    /// Seconds a request waits for its reply (60 when unset).
    pub request_timeout_secs: Option<u64>,
    /// Seconds between reconnection attempts (bitmarkd: 120 when unset).
    pub reconnect_secs: Option<u64>,
    /// Requests that may wait on one connection (256 when unset).
    pub queue_limit: Option<usize>,
    /// Most inbound clients from one IP address (our static and pinned peers excepted).
    pub max_inbound_per_ip: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            announce: Vec::new(),
            public_key: None,
            private_key: None,
            peers: Vec::new(),
            publish: Vec::new(),
            prefer_ipv6: true,
            request_timeout_secs: None,
            reconnect_secs: None,
            queue_limit: None,
            max_inbound_per_ip: 8,
        }
    }
}

/// A static peer (bitmarkd's `peering.connect` entry).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PeerConfig {
    /// The peer's key, `PUBLIC:<64 hex>` (prefix required, as in bitmarkd).
    pub public_key: String,
    /// Its listener, `host:port` (`[v6]:port` for IPv6).
    pub address: String,
}

fn invalid(reason: String) -> TransportError {
    TransportError::Config { transport: TRANSPORT_NAME, reason }
}

/// A bind address that is neither `*:port` nor an IP socket address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BindError {
    /// `*:port` with a bad port.
    #[error("{0:?}: invalid port number")]
    Port(String),
    /// Not an IP socket address.
    #[error("{0:?}: expected host:port with an IP address or *")]
    Address(String),
}

/// Parses a bind address: `*:port` (dual-stack `::`) or an IP socket address; port 0 allowed.
pub(crate) fn parse_bind(text: &str) -> Result<SocketAddr, BindError> {
    let text = text.trim();
    if let Some(port) = text.strip_prefix("*:") {
        let port: u16 = port.trim().parse().map_err(|_| BindError::Port(text.to_owned()))?;
        return Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
    }
    text.parse().map_err(|_| BindError::Address(text.to_owned()))
}

impl PeerConfig {
    /// The dial target of this peer: its key and its address packed as one listener record.
    ///
    /// # Errors
    ///
    /// [`TransportError::Config`] naming the peer and what is wrong with it.
    pub fn target(&self) -> Result<DialTarget, TransportError> {
        self.checked_target().map_err(invalid)
    }

    /// [`PeerConfig::target`], or every problem of this entry as one line.
    fn checked_target(&self) -> Result<DialTarget, String> {
        let key = parse_key(KeyKind::Public, &self.public_key);
        let address = Connection::parse(&self.address);
        let (key, address) = match (key, address) {
            (Ok(key), Ok(address)) => (key, address),
            (key, address) => {
                let problems: Vec<String> = [
                    key.err().map(|e| format!("public_key of {:?}: {e}", self.address)),
                    address.err().map(|e| e.to_string()),
                ]
                .into_iter()
                .flatten()
                .collect();
                return Err(problems.join(", "));
            }
        };
        Ok(DialTarget {
            transport: TRANSPORT_NAME.to_owned(),
            key: Bytes::copy_from_slice(&key),
            listeners: Bytes::from(address.pack()),
        })
    }
}

impl Config {
    /// The static peers as dial targets, in configuration order (for the kernel's static
    /// upstreams, which vote in this order).
    ///
    /// # Errors
    ///
    /// [`TransportError::Config`] listing every malformed peer at once.
    pub fn static_targets(&self) -> Result<Vec<DialTarget>, TransportError> {
        let checked = self.peers.iter().map(|p| p.checked_target());
        TransportError::check_all(TRANSPORT_NAME, "peers", checked)
    }

    /// This node's key pair from `private_key` (and `public_key` when given).
    ///
    /// # Errors
    ///
    /// [`TransportError::Config`] saying which key is missing, unreadable or malformed.
    pub fn key_pair(&self) -> Result<KeyPair, TransportError> {
        let private = self
            .private_key
            .as_deref()
            .ok_or_else(|| invalid("private_key is required (see `peerd keys zmq`)".into()))?;
        let private = load_key(KeyKind::Private, private)
            .map_err(|e| invalid(format!("private_key: {e}")))?;
        match &self.public_key {
            None => Ok(KeyPair::from_private(private)),
            Some(public) => {
                let public = load_key(KeyKind::Public, public)
                    .map_err(|e| invalid(format!("public_key: {e}")))?;
                KeyPair::new(public, private).map_err(|e| invalid(format!("public_key: {e}")))
            }
        }
    }
}

/// Checks `config` and makes the transport for `chain` (whose port is the default listen
/// port). Nothing is bound until the transport starts.
///
/// # Errors
///
/// [`TransportError::Config`] naming the offending key and the problem.
pub fn build(config: &Config, chain: &str) -> Result<ZmqTransport, TransportError> {
    let keys = config.key_pair()?;
    let listen = if config.listen.is_empty() {
        vec![SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), default_port(chain))]
    } else {
        let parsed: Result<Vec<_>, _> = config.listen.iter().map(|a| parse_bind(a)).collect();
        parsed.map_err(|e| invalid(format!("listen {e}")))?
    };
    let announce: Result<Vec<Connection>, _> = config
        .announce
        .iter()
        .map(|a| Connection::parse(a).map_err(|e| invalid(format!("announce {a:?}: {e}"))))
        .collect();
    let announce = announce?;
    let publish: Result<Vec<_>, _> = config.publish.iter().map(|a| parse_bind(a)).collect();
    let publish = publish.map_err(|e| invalid(format!("publish {e}")))?;
    let peers = config.static_targets()?;
    if peers.iter().any(|p| p.key.as_ref() == keys.public) {
        return Err(invalid("peers: connecting to self forbidden (a peer has our own key)".into()));
    }
    let secs = |name: &str, value: Option<u64>, default: u64| match value {
        Some(0) => Err(invalid(format!("{name} must be at least 1"))),
        Some(s) => Ok(Duration::from_secs(s)),
        None => Ok(Duration::from_secs(default)),
    };
    let timeout = secs("request_timeout_secs", config.request_timeout_secs, 60)?;
    let reconnect = secs("reconnect_secs", config.reconnect_secs, 120)?;
    let mut transport = ZmqTransport::new(keys)
        .listen(listen)
        .announce(if announce.is_empty() { None } else { Some(Bytes::from(pack_list(&announce))) })
        .peers(peers)
        .publish(publish)
        .prefer_ipv6(config.prefer_ipv6)
        .timeout(timeout)
        .reconnect(reconnect);
    if config.max_inbound_per_ip == 0 {
        return Err(invalid("max_inbound_per_ip must be at least 1".into()));
    }
    transport = transport.inbound_per_ip(config.max_inbound_per_ip);
    match config.queue_limit {
        Some(0) => return Err(invalid("queue_limit must be at least 1".into())),
        Some(limit) => transport = transport.queue_limit(limit),
        None => {}
    }
    Ok(transport)
}
