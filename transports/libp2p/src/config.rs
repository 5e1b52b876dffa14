//! The `[[transports]]` entry with `kind = "libp2p"` and [`build`].

use std::path::Path;
use std::time::Duration;

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use peerd_api::{Transport, TransportError};
use serde::{Deserialize, Serialize};

use crate::keys;
use crate::settings::Settings;
use crate::transport::Libp2pTransport;
use crate::TRANSPORT_NAME;

/// The `[[transports]]` entry with `kind = "libp2p"`.
///
/// ```toml
/// [[transports]]
/// kind = "libp2p"
/// listen = ["/ip4/0.0.0.0/tcp/2137"]
/// bootstrap = ["/ip4/192.0.2.7/tcp/2137/p2p/12D3KooW…"]
/// identity = "libp2p-identity.key"
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listen multiaddrs. Unset: `/ip4/0.0.0.0/tcp/<port>` with the chain's
    /// [`default_port`]. An unspecified IP listens on every interface and announces each
    /// interface address (loopback only if there is nothing else).
    pub listen: Option<Vec<String>>,
    /// Peers to connect to at start, each a multiaddr ending in `/p2p/<peer id>`. They are
    /// dialled as upstreams (like configured peers) and seed the Kademlia table.
    pub bootstrap: Vec<String>,
    /// The identity file written by `peerd keys libp2p`, relative to the data directory.
    /// Unset: a new key at every start (the peer id changes; a warning is logged).
    pub identity: Option<String>,
    /// Most established connections, inbound and outbound together.
    pub max_connections: u32,
    /// Most established connections that peers dialled (inbound). Kept below
    /// `max_connections`, so inbound peers can never take the slots our upstreams need.
    pub max_inbound: u32,
    /// Most established inbound connections from one IP address (peer ids are free to
    /// make, addresses are not). Raise it for testnets with many nodes on one host.
    pub max_inbound_per_ip: u32,
    /// Most established connections to one peer.
    pub max_connections_per_peer: u32,
    /// Seconds a request waits for its reply.
    pub request_timeout_secs: u64,
    /// Requests that may wait on one connection behind the one in flight.
    pub queue_limit: usize,
    /// Gossip messages per second accepted from one peer (a burst of as many is allowed);
    /// a peer that keeps exceeding it is disconnected and banned for a while.
    pub gossip_rate: u32,
    /// Pass peers found by Kademlia (or mDNS) to the kernel's peer table, where the
    /// rebalance may pick them as dynamic upstreams; the kernel's dialer dials them (cap,
    /// timeout, backoff). The transport never dials a discovered peer itself.
    pub discover: bool,
    /// Discover peers on the local network with mDNS (needs the `mdns` feature).
    pub mdns: bool,
    /// Also listen on QUIC, at the UDP port of each TCP listen address (needs the `quic`
    /// feature). QUIC multiaddrs may also be listed in `listen` directly.
    pub quic: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: None,
            bootstrap: Vec::new(),
            identity: None,
            max_connections: 128,
            max_inbound: 96,
            max_inbound_per_ip: 8,
            max_connections_per_peer: 2,
            request_timeout_secs: 60,
            queue_limit: 256,
            gossip_rate: 100,
            discover: true,
            mdns: false,
            quic: false,
        }
    }
}

fn invalid(reason: String) -> TransportError {
    TransportError::Config { transport: TRANSPORT_NAME, reason }
}

fn parse_addr(key: &str, value: &str) -> Result<Multiaddr, TransportError> {
    value
        .parse::<Multiaddr>()
        .map_err(|e| invalid(format!("{key}: {value:?} is not a multiaddr: {e}")))
}

/// A bootstrap multiaddr split into its peer id and the address before `/p2p/`.
fn parse_bootstrap(value: &str) -> Result<(PeerId, Multiaddr), TransportError> {
    let mut addr = parse_addr("bootstrap", value)?;
    match addr.pop() {
        Some(Protocol::P2p(peer)) if !addr.is_empty() => Ok((peer, addr)),
        _ => Err(invalid(format!(
            "bootstrap: {value:?} must be an address ending in /p2p/<peer id>"
        ))),
    }
}

impl Config {
    /// The bootstrap peers as dial targets, in configuration order: the kernel dials them
    /// and they are its static upstreams, which vote first in this order (as ZeroMQ's
    /// configured peers do).
    ///
    /// # Errors
    ///
    /// [`TransportError::Config`] listing every malformed entry at once.
    pub fn static_targets(&self) -> Result<Vec<peerd_api::DialTarget>, TransportError> {
        let targets = self.bootstrap_peers()?;
        Ok(targets
            .iter()
            .map(|(peer, addr)| crate::dial_target(peer, std::slice::from_ref(addr)))
            .collect())
    }

    /// Every bootstrap entry parsed, or all the malformed ones in one error.
    fn bootstrap_peers(&self) -> Result<Vec<(PeerId, Multiaddr)>, TransportError> {
        let parsed = self.bootstrap.iter().map(|v| {
            parse_bootstrap(v).map_err(|e| match e {
                TransportError::Config { reason, .. } => reason,
                other => other.to_string(),
            })
        });
        TransportError::check_all(TRANSPORT_NAME, "bootstrap", parsed)
    }

    /// Checks the entry and turns it into the transport's settings (the identity aside).
    fn settings(&self) -> Result<Settings, TransportError> {
        let listen = match &self.listen {
            None => None,
            Some(list) if list.is_empty() => {
                return Err(invalid("listen: at least one address is needed".into()))
            }
            Some(list) => {
                Some(list.iter().map(|v| parse_addr("listen", v)).collect::<Result<Vec<_>, _>>()?)
            }
        };
        let bootstrap = self.bootstrap_peers()?;
        let positive = |key: &str, value: u64| {
            if value == 0 {
                Err(invalid(format!("{key} must be at least 1")))
            } else {
                Ok(())
            }
        };
        positive("max_connections", u64::from(self.max_connections))?;
        positive("max_connections_per_peer", u64::from(self.max_connections_per_peer))?;
        positive("max_inbound", u64::from(self.max_inbound))?;
        positive("max_inbound_per_ip", u64::from(self.max_inbound_per_ip))?;
        if self.max_inbound >= self.max_connections {
            return Err(invalid(format!(
                "max_inbound ({}) must be below max_connections ({}): the difference is kept \
                 for the connections this node dials",
                self.max_inbound, self.max_connections
            )));
        }
        positive("request_timeout_secs", self.request_timeout_secs)?;
        positive("queue_limit", self.queue_limit as u64)?;
        positive("gossip_rate", u64::from(self.gossip_rate))?;
        if self.mdns && !cfg!(feature = "mdns") {
            return Err(invalid("mdns = true needs peerd built with the mdns feature".into()));
        }
        if self.quic && !cfg!(feature = "quic") {
            return Err(invalid("quic = true needs peerd built with the quic feature".into()));
        }
        Ok(Settings {
            listen,
            quic: self.quic,
            bootstrap,
            max_connections: self.max_connections,
            max_inbound: self.max_inbound,
            max_inbound_per_ip: self.max_inbound_per_ip,
            max_connections_per_peer: self.max_connections_per_peer,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            queue_limit: self.queue_limit,
            gossip_rate: self.gossip_rate,
            mdns: self.mdns,
            discover: self.discover,
            ..Settings::default()
        })
    }
}

/// Builds the transport from its config entry. A relative `identity` path is taken under
/// `data_dir`.
///
/// # Errors
///
/// [`TransportError::Config`] naming the key and value at fault (a bad multiaddr, a
/// bootstrap address without `/p2p/`, a zero limit, a feature not built in, an unreadable
/// identity file).
pub fn build(config: &Config, data_dir: &Path) -> Result<Box<dyn Transport>, TransportError> {
    Ok(Box::new(transport(config, data_dir)?))
}

/// As [`build`], returning the concrete transport.
///
/// # Errors
///
/// As [`build`].
pub fn transport(config: &Config, data_dir: &Path) -> Result<Libp2pTransport, TransportError> {
    let settings = config.settings()?;
    let keypair = match &config.identity {
        Some(path) => {
            let path = data_dir.join(path);
            keys::load(&path).map_err(|e| invalid(format!("identity: {e}")))?
        }
        None => {
            tracing::warn!("no libp2p identity configured; using a new key, so the peer id changes at every start");
            libp2p::identity::Keypair::generate_ed25519()
        }
    };
    Ok(Libp2pTransport::with_settings(keypair, settings))
}

#[cfg(test)]
mod tests;
