//! `peerd bench dial`: how long a node takes to connect to every answering candidate when
//! half of its candidates are black holes, in units of `dial_timeout`.
//!
//! 50 configured peers on loopback: 25 real nodes (standalone kernels on the chosen
//! transport) and 25 black holes, listed first: 24 listeners that accept a connection and
//! never speak (the security handshake never ends) and one whose accept backlog is full and
//! never drained (SYNs go unanswered). The fresh node dials them all under the kernel's
//! dialer; the clock runs from its start until all 25 real nodes are connected. Dialling one
//! at a time would take about 25 × `dial_timeout` (each black hole its full timeout);
//! `ratio` = time ÷ `dial_timeout`, goal ≤ 1.5.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use peerd_api::bytes::Bytes;
use peerd_api::DialTarget;
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::status::StatusHandle;
use serde::Serialize;

use super::net::Network;
use super::BenchError;

/// Real nodes and black holes.
const ANSWERING: usize = 25;
const BLACK_HOLES: usize = 25;
/// The fresh node's dial timeout.
const DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// The benchmark gives up after this many dial timeouts.
const GIVE_UP: u32 = 30;

/// What `peerd bench dial --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct DialBenchReport {
    /// `zmq` or `libp2p`.
    pub transport: String,
    /// Candidates dialled.
    pub candidates: usize,
    /// Of which answer.
    pub answering: usize,
    /// `[sync] max_concurrent_dials` of the fresh node.
    pub max_concurrent_dials: usize,
    /// `[sync] dial_timeout`, seconds.
    pub dial_timeout_s: f64,
    /// Time until every answering candidate was connected, seconds.
    pub connected_s: f64,
    /// `connected_s ÷ dial_timeout_s`.
    pub ratio: f64,
}

/// Runs the dial benchmark on `transport` (`zmq` or `libp2p`).
///
/// # Errors
///
/// [`BenchError`]: the transport is not compiled in, a socket could not be opened, or the
/// candidates were not all connected within 30 dial timeouts.
pub async fn dial(transport: &str) -> Result<DialBenchReport, BenchError> {
    if transport == "memory" {
        return Err(BenchError::InvalidOption(
            "bench dial needs real sockets: zmq or libp2p".into(),
        ));
    }
    let mut net = Network::new(transport);
    let chain = super::build(2)?;
    net.serve(chain.clone(), ANSWERING)?;
    let holes = BlackHoles::open(BLACK_HOLES).await?;
    let mut targets: Vec<DialTarget> =
        holes.addrs.iter().map(|a| hole_target(transport, *a)).collect();
    targets.extend(net.servers().iter().cloned());
    let sync = SyncConfig {
        min_upstreams: ANSWERING,
        dial_timeout: DIAL_TIMEOUT,
        cycle_interval: Duration::from_secs(1),
        ..SyncConfig::default()
    };
    let max_concurrent_dials = sync.max_concurrent_dials;
    let fresh = super::build(1)?;
    let (status, queries) = StatusHandle::channel();
    let started = Instant::now();
    net.dial(fresh, sync, targets, queries)?;
    let connected = wait_connected(&status, started).await;
    net.shutdown().await;
    drop(holes);
    let connected = connected?;
    Ok(DialBenchReport {
        transport: transport.to_owned(),
        candidates: ANSWERING + BLACK_HOLES,
        answering: ANSWERING,
        max_concurrent_dials,
        dial_timeout_s: DIAL_TIMEOUT.as_secs_f64(),
        connected_s: connected.as_secs_f64(),
        ratio: connected.as_secs_f64() / DIAL_TIMEOUT.as_secs_f64(),
    })
}

async fn wait_connected(status: &StatusHandle, started: Instant) -> Result<Duration, BenchError> {
    let limit = DIAL_TIMEOUT * GIVE_UP;
    loop {
        let connected = match status.snapshot().await {
            Ok(s) => s.peers.len(),
            Err(_) => 0,
        };
        if connected >= ANSWERING {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            return Err(BenchError::InvalidOption(format!(
                "only {connected} of {ANSWERING} candidates connected within {limit:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A dial target for a black hole at `addr`: a fresh identity nobody has.
fn hole_target(transport: &str, addr: SocketAddr) -> DialTarget {
    match transport {
        #[cfg(feature = "libp2p")]
        "libp2p" => {
            use peerd_transport_libp2p::libp2p::{
                identity::Keypair, multiaddr::Protocol, Multiaddr,
            };
            let peer = Keypair::generate_ed25519().public().to_peer_id();
            let multiaddr: Multiaddr = Multiaddr::empty()
                .with(Protocol::Ip4(Ipv4Addr::LOCALHOST))
                .with(Protocol::Tcp(addr.port()));
            peerd_transport_libp2p::dial_target(&peer, &[multiaddr])
        }
        _ => {
            let key: [u8; 32] = rand::random();
            let listener = peerd_wire::address::Connection::new(addr.ip(), addr.port());
            DialTarget {
                transport: transport.to_owned(),
                key: Bytes::copy_from_slice(&key),
                listeners: Bytes::from(listener.pack()),
            }
        }
    }
}

/// Loopback listeners that never complete a handshake; closed when dropped.
struct BlackHoles {
    addrs: Vec<SocketAddr>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    _backlog: Vec<tokio::net::TcpStream>,
    _full: tokio::net::TcpListener,
}

impl BlackHoles {
    /// `count − 1` listeners that accept and hold connections silently, and one with a
    /// backlog of 1, filled and never accepted from.
    async fn open(count: usize) -> Result<Self, BenchError> {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut addrs = Vec::new();
        for _ in 1..count {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            listener.set_nonblocking(true)?;
            addrs.push(listener.local_addr()?);
            let stop = stop.clone();
            std::thread::spawn(move || silent(&listener, &stop));
        }
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        let full = socket.listen(1)?;
        let addr = full.local_addr()?;
        // Fill the backlog: after these, the kernel drops further SYNs.
        let mut backlog = Vec::new();
        for _ in 0..4 {
            let connect = tokio::net::TcpStream::connect(addr);
            if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_millis(200), connect).await
            {
                backlog.push(stream);
            }
        }
        addrs.push(addr);
        Ok(Self { addrs, stop, _backlog: backlog, _full: full })
    }
}

impl Drop for BlackHoles {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Accepts connections and holds them without a byte until `stop`.
fn silent(listener: &TcpListener, stop: &std::sync::atomic::AtomicBool) {
    let mut held = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => held.push(stream),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmark runs on both transports: every answering candidate connects although
    /// the black holes are dialled first (the figure itself is for `peerd bench dial`).
    #[cfg(all(feature = "zmq", feature = "libp2p"))]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_answering_candidate_connects_past_the_black_holes() {
        for transport in ["zmq", "libp2p"] {
            let report = dial(transport).await.unwrap();
            assert_eq!((report.candidates, report.answering), (50, 25));
            assert_eq!(report.transport, transport);
            assert!((report.ratio - report.connected_s / report.dial_timeout_s).abs() < 1e-9);
            let json = serde_json::to_value(&report).unwrap();
            assert!(json["ratio"].is_f64());
        }
    }

    #[tokio::test]
    async fn the_memory_transport_is_refused() {
        assert!(matches!(dial("memory").await, Err(BenchError::InvalidOption(_))));
    }
}
