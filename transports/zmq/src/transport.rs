//! The `Transport` implementation: configuration, binding and start-up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use peerd_api::{
    Addr, DialTarget, GossipMode, PeerId, Transport, TransportContext, TransportError,
    TransportHandle, CHANNEL_CAPACITY,
};
use peerd_wire::address::{pack_list, Connection};
use tokio::sync::{mpsc, Notify};

use crate::answers::Answers;
use crate::commands::{self, Waker};
use crate::keys::KeyPair;
use crate::socket;
use crate::socket_thread::{bind_all, Io};
use crate::upstream::Limits;

/// The transport's name: the `kind` of its config section and of its dial targets.
pub const TRANSPORT_NAME: &str = "zmq";
/// How long a request waits for its reply unless configured otherwise (bitmarkd's 60 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Time between reconnection attempts unless configured otherwise (bitmarkd's 2 min).
pub const DEFAULT_RECONNECT: Duration = Duration::from_secs(120);
/// How many requests may wait on one connection unless configured otherwise.
pub const DEFAULT_QUEUE_LIMIT: usize = 256;
/// Idle time after which the publisher sends `heart`/`beat` (bitmarkd: 60 s).
pub const HEARTBEAT: Duration = Duration::from_secs(60);

/// The ZeroMQ transport, configured and ready to start. Made by [`crate::build`] from a
/// [`crate::Config`], or directly with the builder methods.
#[derive(Debug)]
pub struct ZmqTransport {
    keys: KeyPair,
    listen: Vec<SocketAddr>,
    announce: Option<Bytes>,
    peers: Vec<DialTarget>,
    publish: Vec<SocketAddr>,
    prefer_ipv6: bool,
    timeout: Duration,
    reconnect: Duration,
    queue_limit: usize,
    heartbeat: Duration,
    per_ip: usize,
}

impl ZmqTransport {
    /// A transport with this key pair, listening nowhere, with bitmarkd's defaults.
    pub fn new(keys: KeyPair) -> Self {
        Self {
            keys,
            listen: Vec::new(),
            announce: None,
            peers: Vec::new(),
            publish: Vec::new(),
            prefer_ipv6: true,
            timeout: DEFAULT_TIMEOUT,
            reconnect: DEFAULT_RECONNECT,
            queue_limit: DEFAULT_QUEUE_LIMIT,
            heartbeat: HEARTBEAT,
            per_ip: usize::MAX,
        }
    }

    /// Most inbound clients counted as connected from one IP address (pinned clients
    /// excepted); unlimited unless set. The config's `max_inbound_per_ip` defaults to 8.
    pub fn inbound_per_ip(mut self, limit: usize) -> Self {
        self.per_ip = limit.max(1);
        self
    }

    /// Listen addresses (port 0 takes a free port; `[::]` is dual-stack).
    pub fn listen(mut self, addrs: Vec<SocketAddr>) -> Self {
        self.listen = addrs;
        self
    }

    /// The packed listener list announced in registrations; `None`: the bound listen
    /// addresses that are not wildcards.
    pub fn announce(mut self, packed: Option<Bytes>) -> Self {
        self.announce = packed;
        self
    }

    /// Peers dialled as soon as the transport starts.
    pub fn peers(mut self, peers: Vec<DialTarget>) -> Self {
        self.peers = peers;
        self
    }

    /// Local publisher addresses; empty: no publisher.
    pub fn publish(mut self, addrs: Vec<SocketAddr>) -> Self {
        self.publish = addrs;
        self
    }

    /// Dial IPv6 listeners when a peer has one (default true).
    pub fn prefer_ipv6(mut self, prefer: bool) -> Self {
        self.prefer_ipv6 = prefer;
        self
    }

    /// The request timeout, counted from the moment the request is sent.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time between reconnection attempts (libzmq's `RECONNECT_IVL`, no back-off).
    pub fn reconnect(mut self, interval: Duration) -> Self {
        self.reconnect = interval;
        self
    }

    /// Requests that may wait on one connection (at least 1).
    pub fn queue_limit(mut self, limit: usize) -> Self {
        self.queue_limit = limit.max(1);
        self
    }

    /// The publisher's idle heartbeat period ([`HEARTBEAT`] unless set).
    pub fn heartbeat(mut self, period: Duration) -> Self {
        self.heartbeat = period;
        self
    }

    /// This node's public key: its identity on this transport.
    pub fn public_key(&self) -> [u8; 32] {
        self.keys.public
    }
}

impl Transport for ZmqTransport {
    fn name(&self) -> &str {
        TRANSPORT_NAME
    }

    fn start(self: Box<Self>, ctx: TransportContext) -> Result<TransportHandle, TransportError> {
        let this = *self;
        let zctx = zmq::Context::new();
        // Bound before any listener, so that no handshake happens without it.
        let zap = crate::zap::bind(&zctx).map_err(|e| TransportError::io("zmq ZAP handler", e))?;
        let (routers, bound) = bind_all(&zctx, zmq::ROUTER, &this.keys, "listen", &this.listen)?;
        let (publishers, published) =
            bind_all(&zctx, zmq::PUB, &this.keys, "broadcaster", &this.publish)?;
        let listeners = this.announce.clone().unwrap_or_else(|| {
            let dialable: Vec<Connection> = bound
                .iter()
                .filter(|a| !a.ip().is_unspecified())
                .map(|a| Connection::new(to_mapped(a.ip()), a.port()))
                .collect();
            Bytes::from(pack_list(&dialable))
        });
        let listen_addrs: Vec<Addr> =
            bound.iter().map(|a| Addr::new(socket::endpoint(*a))).collect();
        for addr in &published {
            tracing::info!(%addr, "zmq publisher bound");
        }
        let io_error = |e: std::io::Error| TransportError::io("zmq wake-up pipe", e);
        let (waker, wake) = Waker::pair().map_err(io_error)?;
        let waker = Arc::new(waker);
        let (inbox_tx, inbox) = mpsc::channel(CHANNEL_CAPACITY);
        let (commands, command_rx) = mpsc::channel(CHANNEL_CAPACITY);
        let stop = ctx.shutdown.child_token();
        let mut io = Io {
            ctx: zctx,
            chain: ctx.chain.clone(),
            keys: this.keys.clone(),
            limits: Limits {
                timeout: this.timeout,
                reconnect: this.reconnect,
                queue_limit: this.queue_limit,
                meters: ctx.metrics.transport(TRANSPORT_NAME),
            },
            prefer_ipv6: this.prefer_ipv6,
            heartbeat: this.heartbeat,
            zap,
            bans: Default::default(),
            admitted: crate::admit::Admitted::new(this.per_ip),
            routers,
            listener_monitors: Vec::new(),
            publishers,
            upstreams: Default::default(),
            inbox,
            events: ctx.events,
            backlog: Default::default(),
            answers: Answers::new(waker.clone()),
            wake,
            waker: waker.clone(),
            stop: stop.clone(),
            last_publish: Instant::now(),
            monitor_seq: 0,
            retired: crate::retire::Retired::default(),
            server: None,
        };
        // Before the handle is returned, so no connection is accepted uncounted.
        io.monitor_listeners();
        let (done_tx, done) = tokio::sync::oneshot::channel::<()>();
        let (addrs, peers) = (listen_addrs.clone(), this.peers.clone());
        std::thread::Builder::new()
            .name("peerd-zmq".into())
            .spawn(move || {
                io.run(addrs, peers);
                let _ = done_tx.send(());
            })
            .map_err(|e| TransportError::io("cannot start the zmq thread", e))?;
        let stopped = Arc::new(Notify::new());
        let command_task =
            tokio::spawn(commands::run(command_rx, inbox_tx, waker, ctx.chain, stop));
        let notify = stopped.clone();
        tokio::spawn(async move {
            let _ = command_task.await;
            let _ = done.await;
            tracing::debug!("zmq transport stopped");
            notify.notify_waiters();
            notify.notify_one();
        });
        let local_id = PeerId::new(Bytes::copy_from_slice(&this.keys.public));
        Ok(TransportHandle::new(TRANSPORT_NAME, commands, GossipMode::PerPeer, local_id, stopped)
            .with_listeners(listeners)
            .with_listen_addrs(listen_addrs))
    }
}

/// IPv4 as Go stores parsed text: IPv4-mapped, so that records are 19 bytes (protocol §1.6).
fn to_mapped(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V4(v4) => std::net::IpAddr::V6(v4.to_ipv6_mapped()),
        v6 => v6,
    }
}
