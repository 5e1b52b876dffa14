//! The libp2p behaviours a node runs, their protocol names and the swarm that carries them.

use std::time::Duration;

use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    allow_block_list, connection_limits, identify, kad, noise, ping, tcp, yamux, StreamProtocol,
    Swarm, SwarmBuilder,
};
use peerd_api::{ItemKind, MetricsRegistry, TransportError, TransportMeters};
use sha2::{Digest as _, Sha256};

use crate::codec::SyncCodec;
use crate::settings::Settings;
use crate::wire::MAX_FRAME_BYTES;
use crate::TRANSPORT_NAME;

/// The chain-independent protocol that only tells nodes of another chain they are wrong:
/// offered after `/peerd/<chain>/sync/1`, so a node of the same chain never lands on it.
pub const CHAIN_CHECK_PROTOCOL: &str = "/peerd/sync/1";

/// Connections without traffic (no request, no gossip mesh) close after this.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Gossipsub heartbeats a received message is held for the kernel's relay decision.
const HOLD_HEARTBEATS: usize = 30;

/// The gossip kinds that travel on gossipsub; every other kind travels by request.
pub(crate) const TOPIC_KINDS: [ItemKind; 7] = [
    ItemKind::Block,
    ItemKind::Assets,
    ItemKind::Issues,
    ItemKind::Transfer,
    ItemKind::Proof,
    ItemKind::Rpc,
    ItemKind::Peer,
];

/// `/peerd/<chain>/sync/1`: requests and replies between nodes of `chain`.
pub fn sync_protocol(chain: &str) -> String {
    format!("/peerd/{chain}/sync/1")
}

/// `/peerd/<chain>/kad/1`: the chain's own Kademlia DHT.
pub fn kad_protocol(chain: &str) -> String {
    format!("/peerd/{chain}/kad/1")
}

/// The identify protocol version of nodes of `chain`.
pub fn identify_version(chain: &str) -> String {
    format!("/peerd/{chain}/1")
}

/// `peerd/<chain>/<kind>`: the gossipsub topic of one item kind.
pub fn topic(chain: &str, kind: &ItemKind) -> IdentTopic {
    IdentTopic::new(format!("peerd/{chain}/{kind}"))
}

/// Gossipsub message ids are content hashes, so that the same item published by two nodes
/// (a bridge and its origin) is one message: SHA-256 of topic, a zero byte and the data,
/// first 20 bytes.
pub(crate) fn message_id(message: &gossipsub::Message) -> MessageId {
    let mut hash = Sha256::new();
    hash.update(message.topic.as_str().as_bytes());
    hash.update([0]);
    hash.update(&message.data);
    MessageId::new(&hash.finalize()[..20])
}

#[cfg(feature = "mdns")]
type Mdns = libp2p::swarm::behaviour::toggle::Toggle<libp2p::mdns::tokio::Behaviour>;
#[cfg(not(feature = "mdns"))]
type Mdns = libp2p::swarm::dummy::Behaviour;

/// Everything a node speaks. Limits and the block list come first, so that they refuse
/// connections before the others see them.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) per_ip: crate::ip_limit::PerIpLimit,
    pub(crate) blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub(crate) sync: request_response::Behaviour<SyncCodec>,
    pub(crate) gossip: gossipsub::Behaviour,
    pub(crate) identify: identify::Behaviour,
    pub(crate) kad: kad::Behaviour<kad::store::MemoryStore>,
    pub(crate) ping: ping::Behaviour,
    pub(crate) mdns: Mdns,
}

fn config_error(reason: impl std::fmt::Display) -> TransportError {
    TransportError::Config { transport: TRANSPORT_NAME, reason: reason.to_string() }
}

fn protocol(name: String) -> Result<StreamProtocol, TransportError> {
    StreamProtocol::try_from_owned(name).map_err(config_error)
}

impl Behaviour {
    fn new(
        key: &Keypair,
        chain: &str,
        version: &str,
        settings: &Settings,
        meters: TransportMeters,
    ) -> Result<Self, TransportError> {
        let local = key.public().to_peer_id();
        let limits = connection_limits::ConnectionLimits::default()
            .with_max_established(Some(settings.max_connections))
            .with_max_established_incoming(Some(settings.max_inbound))
            .with_max_established_per_peer(Some(settings.max_connections_per_peer))
            .with_max_pending_incoming(Some(settings.max_inbound));
        let mut limits = connection_limits::Behaviour::new(limits);
        // The operator chose the bootstrap peers: never refused for lack of room.
        for (peer, _) in &settings.bootstrap {
            limits.bypass_peer_id(peer);
        }
        let sync = request_response::Behaviour::with_codec(
            SyncCodec { meters },
            [
                (protocol(sync_protocol(chain))?, ProtocolSupport::Full),
                (StreamProtocol::new(CHAIN_CHECK_PROTOCOL), ProtocolSupport::Full),
            ],
            request_response::Config::default()
                .with_request_timeout(settings.request_timeout)
                .with_max_concurrent_streams(64),
        );
        let gossip_config = gossipsub::ConfigBuilder::default()
            .max_transmit_size(MAX_FRAME_BYTES)
            .validation_mode(ValidationMode::Strict)
            .validate_messages()
            .message_id_fn(message_id)
            .history_length(HOLD_HEARTBEATS)
            .duplicate_cache_time(Duration::from_secs(120))
            .build()
            .map_err(config_error)?;
        let gossip =
            gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), gossip_config)
                .map_err(config_error)?;
        let identify = identify::Behaviour::new(
            identify::Config::new(identify_version(chain), key.public())
                .with_agent_version(format!("peerd/{version}")),
        );
        let mut kad = kad::Behaviour::with_config(
            local,
            kad::store::MemoryStore::new(local),
            kad::Config::new(protocol(kad_protocol(chain))?),
        );
        kad.set_mode(Some(kad::Mode::Server));
        Ok(Self {
            limits,
            per_ip: crate::ip_limit::PerIpLimit::new(settings.max_inbound_per_ip),
            blocked: Default::default(),
            sync,
            gossip,
            identify,
            kad,
            ping: ping::Behaviour::default(),
            mdns: mdns(settings, local)?,
        })
    }
}

#[cfg(feature = "mdns")]
fn mdns(settings: &Settings, local: libp2p::PeerId) -> Result<Mdns, TransportError> {
    let inner = if settings.mdns {
        Some(
            libp2p::mdns::tokio::Behaviour::new(Default::default(), local)
                .map_err(|e| TransportError::io("mDNS", e))?,
        )
    } else {
        None
    };
    Ok(inner.into())
}

#[cfg(not(feature = "mdns"))]
fn mdns(_settings: &Settings, _local: libp2p::PeerId) -> Result<Mdns, TransportError> {
    Ok(libp2p::swarm::dummy::Behaviour)
}

/// Builds the swarm: TCP (+ QUIC with the `quic` feature) with noise and yamux.
pub(crate) fn swarm(
    key: &Keypair,
    chain: &str,
    version: &str,
    settings: &Settings,
    metrics: &MetricsRegistry,
) -> Result<Swarm<Behaviour>, TransportError> {
    let meters = metrics.transport(TRANSPORT_NAME);
    let behaviour = Behaviour::new(key, chain, version, settings, meters)?;
    let builder = SwarmBuilder::with_existing_identity(key.clone())
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(config_error)?;
    #[cfg(feature = "quic")]
    let builder = builder.with_quic();
    // Wire bytes per protocol: `libp2p_bandwidth_bytes_total{protocols, direction}`. The
    // builder borrows the registry until the swarm is built.
    metrics.with_registry(|registry| {
        let swarm = builder
            .with_bandwidth_metrics(registry)
            .with_behaviour(|_| behaviour)
            .map_err(config_error)?
            .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_TIMEOUT))
            .build();
        Ok(swarm)
    })
}
