//! The `Transport` implementation: start-up (listeners bound before `start` returns) and
//! the handle.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::noop_waker_ref;
use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId};
use peerd_api::{
    Addr, GossipMode, Transport, TransportContext, TransportError, TransportHandle,
    CHANNEL_CAPACITY,
};
use tokio::sync::{mpsc, Notify};

use crate::addrs::{announceable, encode_listeners, expand, interfaces};
use crate::behaviour::{swarm, topic, TOPIC_KINDS};
use crate::settings::{default_port, Settings};
use crate::swarm::Node;
use crate::{api_peer, TRANSPORT_NAME};

/// A libp2p transport, configured and ready to start. Made by [`crate::build`] from the
/// config, or directly with [`Libp2pTransport::new`] and the builder methods.
#[derive(Debug)]
pub struct Libp2pTransport {
    keypair: Keypair,
    settings: Settings,
}

impl Libp2pTransport {
    /// A transport with identity `keypair` and the defaults of [`crate::Config`].
    pub fn new(keypair: Keypair) -> Self {
        Self { keypair, settings: Settings::default() }
    }

    pub(crate) fn with_settings(keypair: Keypair, settings: Settings) -> Self {
        Self { keypair, settings }
    }

    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.keypair.public().to_peer_id()
    }

    /// Listen on these multiaddrs (for tests: `/ip4/127.0.0.1/tcp/0`).
    pub fn listen(mut self, addrs: Vec<Multiaddr>) -> Self {
        self.settings.listen = Some(addrs);
        self
    }

    /// Seed the DHT with these peers. The kernel dials them: they are its static
    /// upstreams ([`crate::Config::static_targets`]).
    pub fn bootstrap(mut self, peers: Vec<(PeerId, Multiaddr)>) -> Self {
        self.settings.bootstrap = peers;
        self
    }

    /// Request timeout (60 s unless set).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = timeout;
        self
    }

    /// Gossip messages per second accepted from one peer (100 unless set, at least 1).
    pub fn gossip_rate(mut self, per_second: u32) -> Self {
        self.settings.gossip_rate = per_second.max(1);
        self
    }

    /// Whether peers found by Kademlia or mDNS are passed to the kernel as dial candidates
    /// (true unless set); tests that need an exact topology turn it off.
    pub fn discover(mut self, discover: bool) -> Self {
        self.settings.discover = discover;
        self
    }

    /// Most established inbound connections, in all and from one IP address (96 and 8
    /// unless set). The total grows if needed to keep 32 slots for outbound connections.
    /// Tools that run many nodes on one host raise `per_ip`.
    pub fn inbound_limits(mut self, inbound: u32, per_ip: u32) -> Self {
        self.settings.max_inbound = inbound.max(1);
        self.settings.max_inbound_per_ip = per_ip.max(1);
        let total = self.settings.max_inbound.saturating_add(32);
        self.settings.max_connections = self.settings.max_connections.max(total);
        self
    }

    /// First and longest wait before redialling a lost upstream (0.5 s and 30 s unless set).
    pub fn redial(mut self, first: Duration, longest: Duration) -> Self {
        self.settings.redial = (first, longest.max(first));
        self
    }
}

/// The QUIC address at the UDP port of a TCP address (`/ip4/…/tcp/P` → `/ip4/…/udp/P/quic-v1`).
fn quic_of(tcp: &Multiaddr) -> Option<Multiaddr> {
    let mut parts = tcp.iter();
    let ip = parts.next()?;
    let Some(Protocol::Tcp(port)) = parts.next() else { return None };
    if parts.next().is_some() {
        return None;
    }
    Some(Multiaddr::empty().with(ip).with(Protocol::Udp(port)).with(Protocol::QuicV1))
}

/// For an unspecified IP with TCP port 0, picks a free port now, so that every interface
/// address can be announced before `start` returns.
fn fix_port(addr: Multiaddr) -> Result<Multiaddr, TransportError> {
    let mut parts = addr.iter();
    let ip = match parts.next() {
        Some(Protocol::Ip4(ip)) if ip.is_unspecified() => IpAddr::V4(ip),
        Some(Protocol::Ip6(ip)) if ip.is_unspecified() => IpAddr::V6(ip),
        _ => return Ok(addr),
    };
    if !matches!(parts.next(), Some(Protocol::Tcp(0))) {
        return Ok(addr);
    }
    let bind =
        |e: std::io::Error| TransportError::Bind { addr: addr.to_string(), reason: e.to_string() };
    let port = TcpListener::bind(SocketAddr::new(ip, 0))
        .and_then(|l| l.local_addr())
        .map_err(bind)?
        .port();
    Ok(addr.replace(1, |_| Some(Protocol::Tcp(port))).unwrap_or(addr))
}

impl Transport for Libp2pTransport {
    fn name(&self) -> &str {
        TRANSPORT_NAME
    }

    fn start(self: Box<Self>, ctx: TransportContext) -> Result<TransportHandle, TransportError> {
        let Self { keypair, settings } = *self;
        let local = keypair.public().to_peer_id();
        let mut swarm = swarm(&keypair, &ctx.chain, &ctx.version, &settings, &ctx.metrics)?;
        let mut listen = settings.listen.clone().unwrap_or_else(|| {
            let port = default_port(&ctx.chain);
            vec![Multiaddr::empty()
                .with(Protocol::Ip4([0, 0, 0, 0].into()))
                .with(Protocol::Tcp(port))]
        });
        if settings.quic {
            let quic: Vec<Multiaddr> = listen.iter().filter_map(quic_of).collect();
            listen.extend(quic);
        }
        let mut concrete = Vec::new();
        let interfaces = interfaces();
        for addr in listen {
            let addr = fix_port(addr)?;
            swarm.listen_on(addr.clone()).map_err(|e| TransportError::Bind {
                addr: addr.to_string(),
                reason: e.to_string(),
            })?;
            concrete.extend(expand(&addr, &interfaces));
        }
        // Listeners on a given IP report their address (with the port chosen) at once.
        let mut early = Vec::new();
        let mut cx = Context::from_waker(noop_waker_ref());
        while let Poll::Ready(Some(event)) = swarm.poll_next_unpin(&mut cx) {
            match event {
                SwarmEvent::NewListenAddr { address, .. } => early.push(address),
                SwarmEvent::ListenerError { error, .. }
                | SwarmEvent::ListenerClosed { reason: Err(error), .. } => {
                    return Err(TransportError::Bind {
                        addr: format!("{concrete:?}"),
                        reason: error.to_string(),
                    });
                }
                _ => {}
            }
        }
        // Port 0 on a given IP: the listener's report carries the port chosen.
        concrete.retain(|a| !a.iter().any(|p| matches!(p, Protocol::Tcp(0) | Protocol::Udp(0))));
        for addr in &early {
            if !concrete.contains(addr) {
                concrete.push(addr.clone());
            }
        }
        for kind in &TOPIC_KINDS {
            swarm
                .behaviour_mut()
                .gossip
                .subscribe(&topic(&ctx.chain, kind))
                .map_err(|e| TransportError::io("gossipsub subscription", e))?;
        }
        let announced = announceable(&concrete);
        tracing::info!(
            peer_id = %local,
            listen = ?concrete.iter().map(ToString::to_string).collect::<Vec<_>>(),
            announced = ?announced.iter().map(ToString::to_string).collect::<Vec<_>>(),
            chain = %ctx.chain,
            "libp2p transport started"
        );
        let (commands, command_rx) = mpsc::channel(CHANNEL_CAPACITY);
        let stopped = Arc::new(Notify::new());
        let listen_addrs = concrete.iter().map(|a| Addr::new(a.to_string())).collect();
        let handle = TransportHandle::new(
            TRANSPORT_NAME,
            commands,
            GossipMode::Broadcast,
            api_peer(&local),
            stopped.clone(),
        )
        .with_listeners(encode_listeners(&announced))
        .with_listen_addrs(listen_addrs);
        let node = Node::new(swarm, ctx, settings);
        tokio::spawn(node.run(early, command_rx, stopped));
        Ok(handle)
    }
}
