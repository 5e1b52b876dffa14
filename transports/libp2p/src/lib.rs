//! # peerd-transport-libp2p — the libp2p transport
//!
//! A [`peerd_api::Transport`] on rust-libp2p: TCP with noise and yamux (QUIC with the `quic`
//! feature), identify (agent `peerd/<version>`), ping, request-response for the kernel's
//! requests, gossipsub for gossip items, and peer discovery with Kademlia fed by identify
//! (mDNS with the `mdns` feature).
//!
//! ## Protocols
//!
//! - `/peerd/<chain>/sync/1` (request-response): every [`peerd_api::Request`] and its
//!   [`peerd_api::Response`], in CBOR (layout in [`wire`]), each prefixed by its length as a
//!   big-endian `u32`. A node of another chain cannot negotiate it. The requester's chain also
//!   travels inside each request and is checked.
//! - `/peerd/sync/1` ([`CHAIN_CHECK_PROTOCOL`]): the same codec, offered after the chain's
//!   protocol, so that a node of another chain lands here and is told bitmarkd's exact
//!   `invalid chain: actual: "<got>"  expect: <chain>` instead of a bare negotiation failure.
//! - gossipsub topics `peerd/<chain>/<kind>` for `block`, `assets`, `issues`, `transfer`,
//!   `proof`, `rpc` and `peer`; the message data is the CBOR array of the item's parameter
//!   frames. Other kinds (custom ones, `heart`) travel by request to every upstream.
//! - `/peerd/<chain>/kad/1` (Kademlia), identify protocol version `/peerd/<chain>/1`.
//!
//! ## Behaviour the kernel relies on
//!
//! - Only peers the kernel dialled are reported as `Connected`/`Disconnected` (the
//!   configured bootstrap peers are the kernel's static upstreams,
//!   [`Config::static_targets`]), and they are redialled after a loss (0.5 s, doubling up to
//!   30 s). A failed attempt the kernel started is reported as `DialFailed` and left to the
//!   kernel's dialer to retry. Peers found by Kademlia or mDNS are reported as
//!   `Discovered`, never dialled here. Requests to upstreams run one at a time, the rest queued in order
//!   ([`Config::queue_limit`]); the timeout is [`Config::request_timeout_secs`].
//! - Inbound requests are checked (CBOR, chain, size) before the kernel sees them; a dropped
//!   reply slot is answered with [`UNANSWERED`].
//! - Gossip is [`peerd_api::GossipMode::Broadcast`]: received items arrive as
//!   [`peerd_api::TransportEvent::Gossip`]; gossipsub forwards one only once the kernel
//!   broadcasts it back (its handler decided `Relay`), so invalid items stop at the first
//!   node. A broadcast of an item this node did not receive is published.
//! - Sizes are limited as on the ZeroMQ transport: [`peerd_api::MAX_MESSAGE_BYTES`] counted
//!   as bitmarkd's frames, plus [`wire::FRAME_ALLOWANCE`] for CBOR framing. Gossip is
//!   rate-limited per peer ([`Config::gossip_rate`]); peers that keep misbehaving (gossip
//!   over the rate, undecodable or oversized messages) are disconnected and banned.
//!
//! Dial targets and listener lists are described in [`addrs`]; identity files in [`keys`].

pub mod addrs;
mod behaviour;
mod codec;
mod config;
mod ip_limit;
pub mod keys;
mod settings;
mod swarm;
mod transport;
pub mod wire;

pub use behaviour::{identify_version, kad_protocol, sync_protocol, topic, CHAIN_CHECK_PROTOCOL};
pub use config::{build, transport, Config};
pub use settings::{default_port, DEFAULT_PORT};
pub use transport::Libp2pTransport;

/// Re-exported so that callers (the node's `peerd keys libp2p`, tests) name the same version.
pub use libp2p;

/// The transport's name: the `kind` of its config section and of its dial targets.
pub const TRANSPORT_NAME: &str = "libp2p";

/// The error text sent when the kernel drops an inbound request's reply slot.
pub const UNANSWERED: &str = "request not answered";

/// The kernel's name for a libp2p peer: the bytes of its `PeerId`.
pub fn api_peer(peer: &libp2p::PeerId) -> peerd_api::PeerId {
    peerd_api::PeerId::new(peer.to_bytes())
}

/// The dial target of a libp2p peer at `addrs` (see [`addrs`] for the encoding).
pub fn dial_target(peer: &libp2p::PeerId, addrs: &[libp2p::Multiaddr]) -> peerd_api::DialTarget {
    peerd_api::DialTarget {
        transport: TRANSPORT_NAME.to_owned(),
        key: peer.to_bytes().into(),
        listeners: addrs::encode_listeners(addrs),
    }
}
