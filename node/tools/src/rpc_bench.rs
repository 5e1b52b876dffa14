//! `peerd bench rpc`: how fast the ZeroMQ listener answers bitmarkd's requests, compared
//! with a plain libzmq echo server on the same machine.
//!
//! The entry point, for the CLI:
//!
//! ```text
//! pub async fn rpc(options: RpcBenchOptions) -> Result<RpcBenchReport, RpcBenchError>
//! ```
//!
//! Run it on a multi-threaded tokio runtime. It
//! 1. builds a `dev` chain of `blocks` blocks in a memory store and serves it with the real
//!    kernel (standalone, so in Normal mode) over the ZeroMQ transport, CURVE on, listening
//!    on 127.0.0.1;
//! 2. starts a plain libzmq CURVE REP server with the listener's socket options, which
//!    sends every request back (`peerd_transport_zmq::bench::EchoServer`);
//! 3. drives each of them with the same client loop
//!    (`peerd_transport_zmq::bench::drive`): `N` and `B(n)` alternately, one request in
//!    flight per connection, first `requests` requests on one connection, then `requests`
//!    requests spread over `parallel` connections; three rounds, the two servers taking
//!    turns, so that load from elsewhere on the machine affects both alike.
//!
//! The report ([`RpcBenchReport`]) serialises to the object `peerd bench rpc --json`
//! prints. A rate is the requests of all runs divided by their summed wall time;
//! `ratio` = peerd rate / echo rate (goal: at least 0.7); the latency percentiles are
//! peerd's, over all runs.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    CancellationToken, Chain, Clock, DigestSource, SystemClock, Transport, TransportContext,
    TransportError, CHANNEL_CAPACITY,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_transport_zmq::bench::{drive, BenchError, DriveOptions, DriveResult, EchoServer};
use peerd_transport_zmq::keys::{KeyError, KeyPair};
use peerd_transport_zmq::ZmqTransport;
use serde::Serialize;
use tokio::sync::mpsc;

use peerd_kernel::connector::SyncConfig;
use peerd_kernel::Kernel;

/// Rounds of (one connection, `parallel` connections) per server.
const ROUNDS: usize = 3;

/// What `peerd bench rpc` runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcBenchOptions {
    /// Requests per run (`--requests N`).
    pub requests: usize,
    /// Connections of the parallel phase.
    pub parallel: usize,
    /// Height of the served dev chain (`B` asks for blocks 2..=blocks in turn).
    pub blocks: u64,
}

impl Default for RpcBenchOptions {
    fn default() -> Self {
        Self { requests: 2000, parallel: 8, blocks: 50 }
    }
}

/// The result, as `peerd bench rpc --json` prints it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RpcBenchReport {
    /// Requests per run.
    pub requests: usize,
    /// Requests per second answered by the peerd listener (all runs).
    pub peerd_per_s: f64,
    /// Requests per second answered by the echo server (all runs).
    pub echo_per_s: f64,
    /// `peerd_per_s / echo_per_s`.
    pub ratio: f64,
    /// Median round trip to the peerd listener, in microseconds.
    pub p50_us: u64,
    /// 99th percentile round trip to the peerd listener, in microseconds.
    pub p99_us: u64,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcBenchError {
    /// The dev chain could not be built.
    #[error("building the dev chain: {0}")]
    Chain(String),
    /// No CURVE keys (libzmq without CURVE).
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The ZeroMQ transport did not start.
    #[error("starting the zmq transport: {0}")]
    Transport(#[from] TransportError),
    /// The echo server or a client failed.
    #[error(transparent)]
    Client(#[from] BenchError),
    /// A blocking task panicked.
    #[error("benchmark task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Runs the benchmark (see the module docs).
///
/// # Errors
///
/// See [`RpcBenchError`]; everything started is stopped before returning.
pub async fn rpc(options: RpcBenchOptions) -> Result<RpcBenchReport, RpcBenchError> {
    let blocks = options.blocks.max(2);
    let chain = tokio::task::spawn_blocking(move || dev_chain(blocks)).await??;
    let keys = KeyPair::generate()?;
    let shutdown = CancellationToken::new();
    let served = serve(chain, keys.clone(), &shutdown);
    let outcome = match served {
        Ok(addr) => measure(&options, blocks, &keys, addr).await,
        Err(e) => Err(e),
    };
    shutdown.cancel();
    outcome
}

async fn measure(
    options: &RpcBenchOptions,
    blocks: u64,
    keys: &KeyPair,
    peerd: std::net::SocketAddr,
) -> Result<RpcBenchReport, RpcBenchError> {
    let echo = EchoServer::start(keys)?;
    let base = DriveOptions {
        addr: peerd,
        server_key: keys.public,
        chain: ChainParams::DEV.name().to_owned(),
        requests: options.requests.max(1),
        connections: 1,
        top: blocks,
        check_replies: true,
        client_keys: None,
    };
    let echo_opts = DriveOptions { addr: echo.addr(), check_replies: false, ..base.clone() };
    // Interleaved rounds, so that load from elsewhere on the machine hits both alike.
    let (mut peerd_runs, mut echo_runs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for connections in [1, options.parallel.max(1)] {
            peerd_runs.push(run(&base, connections).await?);
            echo_runs.push(run(&echo_opts, connections).await?);
        }
    }
    drop(echo);
    let rate = |runs: &[DriveResult]| {
        let requests: usize = runs.iter().map(|r| r.requests).sum();
        let secs: f64 = runs.iter().map(|r| r.elapsed.as_secs_f64()).sum();
        if secs > 0.0 {
            requests as f64 / secs
        } else {
            0.0
        }
    };
    let (peerd_per_s, echo_per_s) = (rate(&peerd_runs), rate(&echo_runs));
    let mut latencies: Vec<u64> = peerd_runs.iter().flat_map(|r| r.latencies_us.clone()).collect();
    latencies.sort_unstable();
    let percentile = |p: usize| {
        latencies.get((latencies.len().saturating_sub(1)) * p / 100).copied().unwrap_or(0)
    };
    Ok(RpcBenchReport {
        requests: base.requests,
        peerd_per_s,
        echo_per_s,
        ratio: if echo_per_s > 0.0 { peerd_per_s / echo_per_s } else { 0.0 },
        p50_us: percentile(50),
        p99_us: percentile(99),
    })
}

/// One run of `opts.requests` requests over `connections` connections.
async fn run(opts: &DriveOptions, connections: usize) -> Result<DriveResult, RpcBenchError> {
    let opts = DriveOptions { connections, ..opts.clone() };
    Ok(tokio::task::spawn_blocking(move || drive(&opts)).await??)
}

pub(crate) fn dev_chain(blocks: u64) -> Result<Arc<BitmarkChain>, RpcBenchError> {
    let failed = |e: peerd_api::ChainError| RpcBenchError::Chain(e.to_string());
    let store = Arc::new(peerd_store_memory::Store::new());
    let chain =
        BitmarkChain::open(store, ChainParams::DEV, Arc::new(SystemClock)).map_err(failed)?;
    // Block n at `start + n` seconds: all in the past, increasing.
    let start = SystemClock.unix_now().saturating_sub(10 * blocks + 3600);
    for n in 2..=blocks {
        let block = chain.produce(start + 10 * n, &[]).map_err(failed)?;
        chain.accept(&block, DigestSource::Compute).map_err(failed)?;
    }
    Ok(Arc::new(chain))
}

/// Starts the listener on 127.0.0.1 and a standalone kernel serving `chain`; returns the
/// listener's address. Both stop when `shutdown` is cancelled.
fn serve(
    chain: Arc<BitmarkChain>,
    keys: KeyPair,
    shutdown: &CancellationToken,
) -> Result<std::net::SocketAddr, RpcBenchError> {
    serve_with(chain, keys, shutdown, None)
}

/// [`serve`], with the kernel admitting clients through a pool with `clients` if given.
pub(crate) fn serve_with(
    chain: Arc<BitmarkChain>,
    keys: KeyPair,
    shutdown: &CancellationToken,
    clients: Option<peerd_kernel::clients::ValidClients>,
) -> Result<std::net::SocketAddr, RpcBenchError> {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let transport = ZmqTransport::new(keys).listen(vec![any]).timeout(Duration::from_secs(60));
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let ctx = TransportContext {
        chain: chain.name().to_owned(),
        version: crate::VERSION.to_owned(),
        events: events_tx,
        shutdown: shutdown.clone(),
        metrics: Default::default(),
    };
    let handle = Box::new(transport).start(ctx)?;
    let addr = handle
        .listen_addrs
        .first()
        .and_then(|a| a.as_str().strip_prefix("tcp://")?.parse().ok())
        .ok_or_else(|| TransportError::Bind {
            addr: "127.0.0.1:0".into(),
            reason: "the listener reported no address".into(),
        })?;
    let sync = SyncConfig { min_upstreams: 0, ..SyncConfig::default() };
    let mut kernel = Kernel::new(chain, sync).with_version(crate::VERSION);
    if let Some(clients) = clients {
        kernel = kernel.with_clients(clients);
    }
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let transports = vec![handle];
        if let Err(error) = kernel.run(&transports, &mut events, &stop).await {
            tracing::warn!(%error, "kernel stopped");
        }
    });
    Ok(addr)
}
