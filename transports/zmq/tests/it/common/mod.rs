//! Helpers shared by the ZeroMQ transport's socket tests: a dev chain served by the real
//! kernel over the transport, and an independent raw libzmq client.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use peerd_api::CancellationToken;
use peerd_api::{
    Chain, Clock, DigestSource, Transport, TransportContext, TransportHandle, CHANNEL_CAPACITY,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::Kernel;
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::socket::event;
use peerd_transport_zmq::ZmqTransport;
use tokio::sync::mpsc;

/// Guard on every blocking receive of the raw client: a broken transport fails the test
/// instead of hanging it. Never reached by a passing test.
pub const GUARD_MS: i32 = 30_000;

/// Unix time of block `n` of a test chain is `CHAIN_START + 10 n`.
pub const CHAIN_START: u64 = 1_740_000_000;

/// A clock standing still after every test block.
#[derive(Clone, Copy, Debug)]
pub struct Still;

impl Clock for Still {
    fn unix_now(&self) -> u64 {
        1_750_000_000
    }
}

/// A dev chain of height `height` in a memory store.
pub fn dev_chain(height: u64) -> Arc<BitmarkChain> {
    let store = Arc::new(peerd_store_memory::Store::new());
    let chain = BitmarkChain::open(store, ChainParams::DEV, Arc::new(Still)).unwrap();
    grow(&chain, height);
    Arc::new(chain)
}

/// Produces blocks on `chain` until its height is `height`.
pub fn grow(chain: &BitmarkChain, height: u64) {
    for n in chain.height().unwrap() + 1..=height {
        let block = chain.produce(CHAIN_START + 10 * n, &[]).unwrap();
        chain.accept(&block, DigestSource::Compute).unwrap();
    }
}

/// A listener on 127.0.0.1 answering from `chain` through a standalone kernel.
pub struct Served {
    pub addr: SocketAddr,
    pub keys: KeyPair,
    pub handle_listeners: peerd_api::bytes::Bytes,
    pub shutdown: CancellationToken,
    /// The registry the transport counts in.
    pub metrics: peerd_api::MetricsRegistry,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts a transport listening on 127.0.0.1:0 and a standalone kernel (Normal mode) that
/// answers its requests from `chain`.
pub fn serve(chain: Arc<dyn Chain>) -> Served {
    let keys = KeyPair::generate().unwrap();
    let transport = ZmqTransport::new(keys.clone()).listen(vec!["127.0.0.1:0".parse().unwrap()]);
    let shutdown = CancellationToken::new();
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let metrics = peerd_api::MetricsRegistry::new();
    let ctx = TransportContext {
        chain: chain.name().to_owned(),
        version: "peerd-test 1.0".into(),
        events: events_tx,
        shutdown: shutdown.clone(),
        metrics: metrics.clone(),
    };
    let handle: TransportHandle = Box::new(transport).start(ctx).unwrap();
    let addr = handle.listen_addrs[0].as_str().trim_start_matches("tcp://").parse().unwrap();
    let listeners = handle.listeners.clone();
    let sync = SyncConfig { min_upstreams: 0, ..SyncConfig::default() };
    let kernel = Kernel::new(chain, sync).with_version("peerd-test 1.0");
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let transports = vec![handle];
        kernel.run(&transports, &mut events, &stop).await.unwrap();
    });
    Served { addr, keys, handle_listeners: listeners, shutdown, metrics }
}

/// An independent libzmq REQ client, as bitmarkd's upstreams and third-party clients use,
/// with a monitor on its socket. Blocking: use it from `spawn_blocking`.
pub struct RawClient {
    pub socket: zmq::Socket,
    pub monitor: zmq::Socket,
    /// The client's CURVE public key (none for NULL).
    pub public: Option<[u8; 32]>,
    _ctx: zmq::Context,
}

impl RawClient {
    /// A CURVE client (fresh key pair) of the server with key `server_key`.
    pub fn curve(addr: SocketAddr, server_key: &[u8; 32]) -> Self {
        Self::open(addr, Some(server_key))
    }

    /// A client without CURVE (the NULL mechanism).
    pub fn null(addr: SocketAddr) -> Self {
        Self::open(addr, None)
    }

    /// A CURVE client with this key pair (another socket under a known key).
    pub fn curve_as(addr: SocketAddr, server_key: &[u8; 32], mine: zmq::CurveKeyPair) -> Self {
        Self::open_as(addr, Some((server_key, mine)))
    }

    fn open(addr: SocketAddr, server_key: Option<&[u8; 32]>) -> Self {
        Self::open_as(addr, server_key.map(|k| (k, zmq::CurveKeyPair::new().unwrap())))
    }

    fn open_as(addr: SocketAddr, curve: Option<(&[u8; 32], zmq::CurveKeyPair)>) -> Self {
        let ctx = zmq::Context::new();
        let socket = ctx.socket(zmq::REQ).unwrap();
        let mut public = None;
        if let Some((server_key, mine)) = curve {
            public = Some(mine.public_key);
            socket.set_curve_publickey(&mine.public_key).unwrap();
            socket.set_curve_secretkey(&mine.secret_key).unwrap();
            socket.set_curve_serverkey(server_key).unwrap();
        }
        socket.set_req_correlate(true).unwrap();
        socket.set_req_relaxed(true).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_rcvtimeo(GUARD_MS).unwrap();
        socket.set_sndtimeo(GUARD_MS).unwrap();
        socket.set_maxmsgsize(-1).unwrap();
        socket.monitor("inproc://raw-client-monitor", event::ALL).unwrap();
        let monitor = ctx.socket(zmq::PAIR).unwrap();
        monitor.set_rcvtimeo(GUARD_MS).unwrap();
        monitor.connect("inproc://raw-client-monitor").unwrap();
        socket.connect(&format!("tcp://{addr}")).unwrap();
        Self { socket, monitor, public, _ctx: ctx }
    }

    /// Sends `frames` and returns the reply's frames.
    pub fn ask(&self, frames: &[&[u8]]) -> Vec<Vec<u8>> {
        self.socket.send_multipart(frames, 0).unwrap();
        match self.socket.recv_multipart(0) {
            Ok(reply) => reply,
            Err(e) => panic!("no reply to {:?}: {e}", printable(frames)),
        }
    }

    /// Reads monitor events until one satisfies `wanted`; returns every event read.
    pub fn events_until(&self, wanted: impl Fn(u16) -> bool) -> Vec<u16> {
        let mut seen = Vec::new();
        loop {
            let frames = self.monitor.recv_multipart(0).expect("a monitor event in time");
            let code = u16::from_le_bytes([frames[0][0], frames[0][1]]);
            seen.push(code);
            if wanted(code) {
                return seen;
            }
        }
    }
}

fn printable(frames: &[&[u8]]) -> Vec<String> {
    frames.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()
}

/// Frames as text, for readable assertions.
pub fn text(frames: &[Vec<u8>]) -> Vec<String> {
    frames.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()
}

/// Runs a blocking closure on the blocking pool.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::time::timeout(Duration::from_secs(120), tokio::task::spawn_blocking(f))
        .await
        .expect("blocking step in time")
        .unwrap()
}

/// A started ZeroMQ transport on the `dev` chain with no kernel behind it: the test plays
/// the kernel on `events`. Keep `handle` alive: dropping it hangs up and stops the transport.
pub struct Bare {
    pub handle: peerd_api::TransportHandle,
    pub addr: SocketAddr,
    pub events: mpsc::Receiver<peerd_api::TransportEvent>,
    pub shutdown: CancellationToken,
}

/// Starts `transport` (already given its listen address) as a [`Bare`] node.
pub fn bare(transport: ZmqTransport, version: &str) -> Bare {
    use peerd_api::Transport as _;
    let (events_tx, events) = mpsc::channel(peerd_api::CHANNEL_CAPACITY);
    let shutdown = CancellationToken::new();
    let ctx = peerd_api::TransportContext {
        chain: "dev".into(),
        version: version.into(),
        events: events_tx,
        shutdown: shutdown.clone(),
        metrics: Default::default(),
    };
    let handle = Box::new(transport).start(ctx).unwrap();
    let addr = handle.listen_addrs[0].as_str().trim_start_matches("tcp://").parse().unwrap();
    Bare { handle, addr, events, shutdown }
}

/// Plays a kernel that answers every inbound request with height 5.
pub fn answer_heights(mut events: mpsc::Receiver<peerd_api::TransportEvent>) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let peerd_api::TransportEvent::Inbound(inbound) = event {
                let _ = inbound.reply.send(peerd_api::Response::Height(5));
            }
        }
    });
}
