//! What a transport runs with besides its key, and the default port of each chain.

use std::time::Duration;

use libp2p::{Multiaddr, PeerId};

/// The default TCP port on `bitmark`; other chains add bitmarkd's offsets (`testing`
/// +10000, `local` +20000, `dev` +30000): 2137, 12137, 22137, 32137. It sits next to
/// bitmarkd's peer port 2136, which bitmarkd does not use for anything else.
pub const DEFAULT_PORT: u16 = 2137;

/// The default port of `chain` (see [`DEFAULT_PORT`]).
pub fn default_port(chain: &str) -> u16 {
    let offset = match chain {
        "testing" => 10_000,
        "local" => 20_000,
        "dev" => 30_000,
        _ => 0,
    };
    DEFAULT_PORT + offset
}

/// Everything a transport needs besides its key.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// `None`: `/ip4/0.0.0.0/tcp/<default port of the chain>`.
    pub(crate) listen: Option<Vec<Multiaddr>>,
    /// Also listen on QUIC at the UDP port of each TCP listen address.
    pub(crate) quic: bool,
    pub(crate) bootstrap: Vec<(PeerId, Multiaddr)>,
    pub(crate) max_connections: u32,
    /// Below `max_connections`; the rest is for outbound connections.
    pub(crate) max_inbound: u32,
    pub(crate) max_inbound_per_ip: u32,
    pub(crate) max_connections_per_peer: u32,
    pub(crate) request_timeout: Duration,
    pub(crate) queue_limit: usize,
    pub(crate) gossip_rate: u32,
    #[cfg_attr(not(feature = "mdns"), allow(dead_code))]
    pub(crate) mdns: bool,
    /// First and longest wait before redialling a lost upstream.
    pub(crate) redial: (Duration, Duration),
    /// How long a peer that spammed stays banned.
    pub(crate) ban: Duration,
    /// Dial peers found by Kademlia or mDNS while the node has few connections.
    pub(crate) discover: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: None,
            quic: false,
            bootstrap: Vec::new(),
            max_connections: 128,
            max_inbound: 96,
            max_inbound_per_ip: 8,
            max_connections_per_peer: 2,
            request_timeout: Duration::from_secs(60),
            queue_limit: 256,
            gossip_rate: 100,
            mdns: false,
            redial: (Duration::from_millis(500), Duration::from_secs(30)),
            ban: Duration::from_secs(600),
            discover: true,
        }
    }
}
