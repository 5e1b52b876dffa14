//! The JSON bodies of `/status` and `/peers`, built from a [`Snapshot`].
//! Keys and digests are hex; durations are seconds.

use std::collections::BTreeMap;

use serde::Serialize;

use super::health::mode_name;
use peerd_kernel::status::{PeerStatus, Snapshot};

/// `GET /status`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusView {
    /// Chain name (`bitmark`, `testing`, `local`, `dev`).
    pub chain: String,
    /// Software version.
    pub version: String,
    /// `normal`, `resynchronise` or `stopped`.
    pub mode: String,
    /// The connector's state (`Standalone` without upstreams).
    pub state: String,
    /// Height of the highest stored block.
    pub height: u64,
    /// The height the last election chose (null before the first one).
    pub network_height: Option<u64>,
    /// Digest of the tip block, as bitmarkd prints it (byte-reversed hex).
    pub tip: Option<String>,
    /// How far the node is through catching up.
    pub sync: SyncView,
    /// Seconds since the kernel started.
    pub uptime_secs: u64,
    /// Registered upstreams needed before an election (`[sync] min_upstreams`).
    pub min_upstreams: usize,
    /// Upstreams per transport name (every running transport is listed).
    pub peers: BTreeMap<String, TransportPeers>,
    /// This node's identity on each transport.
    pub identities: Vec<IdentityView>,
}

/// Sync progress in `/status`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncView {
    /// True in Resynchronise mode.
    pub syncing: bool,
    /// The network height being synced to (null when unknown).
    pub target: Option<u64>,
    /// Blocks still to fetch (null when the target is unknown).
    pub remaining: Option<u64>,
    /// `height / target`, 0.0 to 1.0 (null when the target is unknown).
    pub progress: Option<f64>,
}

/// Upstream counts of one transport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TransportPeers {
    /// Upstream connections.
    pub connected: usize,
    /// Of those, registered on their current connection.
    pub registered: usize,
}

/// This node on one transport.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdentityView {
    /// Transport name.
    pub transport: String,
    /// Public key (ZeroMQ: the CURVE key; libp2p: the peer id bytes), hex.
    pub public_key: String,
    /// Listeners in the transport's format, hex.
    pub listeners: String,
}

/// `GET /peers`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeersView {
    /// Every upstream, in the connector's order.
    pub peers: Vec<PeerView>,
    /// Every ban in force, soonest to end first.
    pub bans: Vec<BanView>,
}

/// A banned peer (`[sync] ban_threshold`, `ban_duration`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BanView {
    /// The peer's identity as logged.
    pub peer: String,
    /// What crossed the threshold: `invalid_block`, `unserved_claim`, `invalid_response` or
    /// `timeout`.
    pub offence: String,
    /// Unix time (seconds) at which the ban ends.
    pub until_unix: u64,
}

/// One upstream.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeerView {
    /// Transport name.
    pub transport: String,
    /// The peer's identity as logged (a memory node's name, else hex).
    pub peer: String,
    /// The key it was dialled with, hex.
    pub public_key: String,
    /// Its listeners as dialled, hex.
    pub listeners: String,
    /// Its listeners decoded where the format is known (ZeroMQ `ip:port`, memory names).
    pub addresses: Vec<String>,
    /// `outgoing` (inbound requesters are not tracked as peers).
    pub direction: String,
    /// `static` (configured) or `dynamic` (from the peer table).
    pub kind: String,
    /// Registered on the current connection.
    pub registered: bool,
    /// Its height at the last poll (null if never polled).
    pub remote_height: Option<u64>,
    /// Seconds since it last answered a poll (null if never).
    pub last_response_secs: Option<f64>,
    /// Its misbehaviour score (0 when well-behaved; banned at `[sync] ban_threshold`).
    pub score: f64,
}

impl From<&Snapshot> for StatusView {
    fn from(s: &Snapshot) -> Self {
        let mut peers: BTreeMap<String, TransportPeers> =
            s.identities.iter().map(|i| (i.transport.clone(), TransportPeers::default())).collect();
        for p in &s.peers {
            let entry = peers.entry(p.transport.clone()).or_default();
            entry.connected += 1;
            entry.registered += usize::from(p.registered);
        }
        let target = s.network_height;
        Self {
            chain: s.chain.clone(),
            version: s.version.clone(),
            mode: mode_name(s.mode),
            state: s.state.clone(),
            height: s.height,
            network_height: s.network_height,
            tip: s.tip.map(|d| d.to_string()),
            sync: SyncView {
                syncing: s.mode == peerd_api::Mode::Resynchronise,
                target,
                remaining: target.map(|t| t.saturating_sub(s.height)),
                progress: target.map(|t| progress(s.height, t)),
            },
            uptime_secs: s.uptime.as_secs(),
            min_upstreams: s.min_upstreams,
            peers,
            identities: s
                .identities
                .iter()
                .map(|i| IdentityView {
                    transport: i.transport.clone(),
                    public_key: hex::encode(&i.key),
                    listeners: hex::encode(&i.listeners),
                })
                .collect(),
        }
    }
}

/// `height / target`, capped at 1.
fn progress(height: u64, target: u64) -> f64 {
    if target == 0 || height >= target {
        return 1.0;
    }
    // Heights stay far below 2^52, where the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let ratio = height as f64 / target as f64;
    ratio
}

impl From<&Snapshot> for PeersView {
    fn from(s: &Snapshot) -> Self {
        let bans = s
            .bans
            .iter()
            .map(|b| BanView {
                peer: b.peer.to_string(),
                offence: b.offence.to_owned(),
                until_unix: b.until_unix,
            })
            .collect();
        Self { peers: s.peers.iter().map(PeerView::from).collect(), bans }
    }
}

impl From<&PeerStatus> for PeerView {
    fn from(p: &PeerStatus) -> Self {
        Self {
            transport: p.transport.clone(),
            peer: p.peer.to_string(),
            public_key: hex::encode(&p.key),
            listeners: hex::encode(&p.listeners),
            addresses: addresses(&p.transport, &p.key, &p.listeners),
            direction: p.direction.to_owned(),
            kind: p.kind.to_owned(),
            registered: p.registered,
            remote_height: p.remote_height,
            last_response_secs: p.last_response.map(|d| d.as_secs_f64()),
            score: (p.score * 10.0).round() / 10.0,
        }
    }
}

/// Listeners decoded for the transports whose format the node knows.
#[cfg_attr(not(feature = "libp2p"), allow(unused_variables))]
fn addresses(transport: &str, key: &[u8], listeners: &[u8]) -> Vec<String> {
    match transport {
        #[cfg(feature = "libp2p")]
        "libp2p" => {
            use peerd_transport_libp2p::addrs::{decode_key, decode_listeners};
            decode_key(key)
                .and_then(|peer| decode_listeners(listeners, &peer))
                .map(|addrs| addrs.iter().map(ToString::to_string).collect())
                .unwrap_or_default()
        }
        "zmq" => {
            peerd_wire::address::unpack_list(listeners).0.iter().map(ToString::to_string).collect()
        }
        "memory" => std::str::from_utf8(listeners).map(|s| vec![s.to_owned()]).unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_a_capped_fraction() {
        assert!((progress(25, 100) - 0.25).abs() < 1e-12);
        assert!((progress(120, 100) - 1.0).abs() < 1e-12);
        assert!((progress(0, 0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn zmq_listeners_are_decoded_to_socket_addresses() {
        let packed = hex::decode("0704d27f000001").unwrap();
        assert_eq!(addresses("zmq", b"", &packed), ["127.0.0.1:1234"]);
        assert_eq!(addresses("memory", b"", b"alpha"), ["alpha"]);
        assert!(addresses("libp2p", b"", b"\x81").is_empty());
    }

    #[cfg(feature = "libp2p")]
    #[test]
    fn libp2p_listeners_are_decoded_to_multiaddrs() {
        use peerd_transport_libp2p::libp2p::{identity::Keypair, Multiaddr};
        let peer = Keypair::generate_ed25519().public().to_peer_id();
        let addr: Multiaddr = "/ip4/127.0.0.1/tcp/4001".parse().unwrap();
        let target = peerd_transport_libp2p::dial_target(&peer, std::slice::from_ref(&addr));
        let shown = addresses("libp2p", &target.key, &target.listeners);
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(shown[0].starts_with("/ip4/127.0.0.1/tcp/4001"), "{shown:?}");
    }
}
