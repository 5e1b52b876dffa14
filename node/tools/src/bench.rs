//! `peerd bench sync`: how fast a fresh node syncs a dev chain from its peers, compared
//! with how fast its store alone ingests the same blocks.
//!
//! The entry point, for the CLI:
//!
//! ```text
//! pub async fn sync(options: SyncBenchOptions) -> Result<SyncBenchReport, BenchError>
//! ```
//!
//! Run it on a multi-threaded tokio runtime; it uses real time and the blocking pool. It
//! 1. builds a `dev` chain of `blocks` blocks with realistic traffic (`bench/chain.rs`:
//!    sixteen signed records per block: assets, issues, transfers) in a memory store;
//! 2. serves that chain from `peers` kernels on the chosen transport (memory, or ZeroMQ or
//!    libp2p on loopback sockets; standalone, sharing the chain read-only) and starts a fresh kernel on an empty store of the chosen kind
//!    with every server as a configured peer (`min_upstreams = peers`,
//!    `min_votes = min(peers, 3)`, a 1 s connector cycle so that the first election does
//!    not wait 15 s); the sync time runs from the fresh kernel's start until its height
//!    reaches `blocks` (registration, polls, election, fork walk and fetch included);
//! 3. applies the same blocks, read from the served chain, to another empty store of the
//!    same kind with [`BitmarkChain::accept`] (digests computed): the store-only ingest.
//!
//! The report ([`SyncBenchReport`]) serialises to the object `peerd bench sync --json`
//! prints. `ratio` = sync rate / ingest rate: 1.0 means networking and coordination cost
//! nothing on top of the store; the goal is at least 0.5.

mod dial;
#[cfg(all(feature = "zmq", feature = "libp2p"))]
mod gossip;
mod net;
mod stores;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use peerd_api::{Chain, ChainError, DigestSource, StoreError, SystemClock, TransportError};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::traffic::Traffic;
use serde::Serialize;

use peerd_kernel::connector::SyncConfig;

pub use dial::{dial, DialBenchReport};
#[cfg(all(feature = "zmq", feature = "libp2p"))]
pub use gossip::{gossip, GossipBenchReport};
pub use stores::StoreKind;

/// A sync stalls when its height has not moved for this long.
const STALL: Duration = Duration::from_secs(60);

/// What to benchmark. [`Default`]: 100,000 blocks, 5 peers, memory transport, memory store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncBenchOptions {
    /// Height of the chain to sync (blocks 2..=`blocks`; block 1 is the genesis).
    pub blocks: u64,
    /// Serving peers.
    pub peers: usize,
    /// Transport name: `memory`, `zmq` or `libp2p`.
    pub transport: String,
    /// Store of the syncing node (and of the ingest run).
    pub store: StoreKind,
}

impl Default for SyncBenchOptions {
    fn default() -> Self {
        Self { blocks: 100_000, peers: 5, transport: "memory".into(), store: StoreKind::Memory }
    }
}

/// The measured rates, printed by `peerd bench sync --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncBenchReport {
    /// Height of the synced chain.
    pub blocks: u64,
    /// Serving peers.
    pub peers: usize,
    /// Transport name.
    pub transport: String,
    /// Store kind.
    pub store: String,
    /// Blocks stored per second by the sync.
    pub sync_blocks_per_s: f64,
    /// Blocks stored per second by the store-only ingest.
    pub ingest_blocks_per_s: f64,
    /// `sync_blocks_per_s / ingest_blocks_per_s`.
    pub ratio: f64,
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// An option is out of range.
    #[error("invalid benchmark option: {0}")]
    InvalidOption(String),
    /// `--store` names no store.
    #[error("unknown store kind {0:?} (memory, sled or rocksdb)")]
    UnknownStore(String),
    /// `--transport` names a transport the benchmark cannot run, or one not compiled in.
    #[error(
        "transport {0:?} is not available to the benchmark in this build (memory, zmq, libp2p)"
    )]
    UnsupportedTransport(String),
    /// The store's cargo feature is off in this build.
    #[error("store {0} is not compiled into this build (cargo feature `{0}`)")]
    NotCompiled(StoreKind),
    /// Building the benchmark chain failed.
    #[error("building the benchmark chain: {0}")]
    Build(String),
    /// The chain refused a block or failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A transport failed to start.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A temporary directory could not be made.
    #[error("temporary directory: {0}")]
    Io(#[from] std::io::Error),
    /// The sync stopped making progress.
    #[error("the sync stalled at height {height} of {target} for {} s", STALL.as_secs())]
    Stalled {
        /// Height reached.
        height: u64,
        /// Height wanted.
        target: u64,
    },
    /// A blocking task panicked.
    #[error("benchmark task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Runs the sync benchmark; see the module docs.
///
/// # Errors
///
/// [`BenchError`]: a bad option, a store not compiled in, or a failure while building,
/// syncing or ingesting.
pub async fn sync(options: SyncBenchOptions) -> Result<SyncBenchReport, BenchError> {
    let SyncBenchOptions { blocks, peers, transport, store } = options;
    if blocks < 3 {
        return Err(BenchError::InvalidOption(format!("--blocks {blocks}: at least 3")));
    }
    if peers == 0 {
        return Err(BenchError::InvalidOption("--peers 0: at least 1".into()));
    }
    let compiled =
        [("memory", true), ("zmq", cfg!(feature = "zmq")), ("libp2p", cfg!(feature = "libp2p"))];
    if !compiled.contains(&(transport.as_str(), true))
        || !net::TRANSPORTS.contains(&transport.as_str())
    {
        return Err(BenchError::UnsupportedTransport(transport));
    }
    drop(tokio::task::spawn_blocking(move || stores::open(store)).await??); // fail early
    tracing::info!(blocks, "building the benchmark chain");
    let served = tokio::task::spawn_blocking(move || build(blocks)).await??;

    tracing::info!(blocks, peers, %store, "syncing");
    let sync = measure_sync(served.clone(), blocks, peers, &transport, store).await?;
    tracing::info!(blocks, %store, "ingesting");
    let ingest = tokio::task::spawn_blocking(move || ingest(&served, blocks, store)).await??;

    let rate = |d: Duration| (blocks - 1) as f64 / d.as_secs_f64().max(1e-9);
    let (sync_blocks_per_s, ingest_blocks_per_s) = (rate(sync), rate(ingest));
    Ok(SyncBenchReport {
        blocks,
        peers,
        transport,
        store: store.to_string(),
        sync_blocks_per_s,
        ingest_blocks_per_s,
        ratio: sync_blocks_per_s / ingest_blocks_per_s,
    })
}

/// The benchmark chain in a memory store, stamped in the recent past.
fn build(blocks: u64) -> Result<Arc<BitmarkChain>, BenchError> {
    let store = Arc::new(peerd_store_memory::Store::new());
    let chain = BitmarkChain::open(store, ChainParams::DEV, Arc::new(SystemClock))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let first = now.saturating_sub(blocks + 60);
    let grown = Traffic::new().and_then(|mut traffic| traffic.grow(&chain, blocks, first));
    grown.map_err(|e| BenchError::Build(e.to_string()))?;
    Ok(Arc::new(chain))
}

/// Syncs a fresh node of `store` kind from `peers` servers; returns the time it took.
async fn measure_sync(
    served: Arc<BitmarkChain>,
    blocks: u64,
    peers: usize,
    transport: &str,
    store: StoreKind,
) -> Result<Duration, BenchError> {
    let opened = tokio::task::spawn_blocking(move || stores::open(store)).await??;
    let chain = Arc::new(BitmarkChain::open(
        opened.store.clone(),
        ChainParams::DEV,
        Arc::new(SystemClock),
    )?);
    let mut network = net::Network::new(transport);
    network.serve(served, peers)?;
    let config = SyncConfig {
        min_upstreams: peers,
        min_votes: peers.min(3),
        cycle_interval: Duration::from_secs(1),
        ..SyncConfig::default()
    };
    let started = Instant::now();
    network.sync(chain.clone(), config)?;
    let reached = wait_for_height(chain.as_ref(), blocks).await;
    let took = started.elapsed();
    network.shutdown().await;
    // Closing an on-disk store flushes it: not part of the measurement, and blocking.
    tokio::task::spawn_blocking(move || drop((chain, opened))).await?;
    reached.map(|()| took)
}

/// Waits until `chain` reaches `target`, or fails once it stops moving for [`STALL`].
async fn wait_for_height(chain: &dyn Chain, target: u64) -> Result<(), BenchError> {
    let (mut last, mut moved) = (0, Instant::now());
    let mut logged = Instant::now();
    loop {
        let height = chain.height()?;
        if height >= target {
            return Ok(());
        }
        if height != last {
            (last, moved) = (height, Instant::now());
        } else if moved.elapsed() > STALL {
            return Err(BenchError::Stalled { height, target });
        }
        if logged.elapsed() > Duration::from_secs(5) {
            tracing::info!(height, target, "syncing");
            logged = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Applies blocks 2..=`blocks` of `served` to an empty store of `store` kind; returns the
/// time it took. Blocking.
fn ingest(served: &BitmarkChain, blocks: u64, store: StoreKind) -> Result<Duration, BenchError> {
    let opened = stores::open(store)?;
    let chain = BitmarkChain::open(opened.store.clone(), ChainParams::DEV, Arc::new(SystemClock))?;
    let started = Instant::now();
    for number in 2..=blocks {
        let block = served
            .block(number)?
            .ok_or_else(|| BenchError::Build(format!("block {number} is missing")))?;
        chain.accept(&block, DigestSource::Compute)?;
    }
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_sync_benchmark_reports_both_rates() {
        let options = SyncBenchOptions { blocks: 60, peers: 3, ..SyncBenchOptions::default() };
        let report = sync(options).await.unwrap();
        assert_eq!((report.blocks, report.peers), (60, 3));
        assert_eq!((report.transport.as_str(), report.store.as_str()), ("memory", "memory"));
        assert!(report.sync_blocks_per_s > 0.0 && report.ingest_blocks_per_s > 0.0);
        let ratio = report.sync_blocks_per_s / report.ingest_blocks_per_s;
        assert!((report.ratio - ratio).abs() < 1e-9);
        let json = serde_json::to_value(&report).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let expected = [
            "blocks",
            "peers",
            "transport",
            "store",
            "sync_blocks_per_s",
            "ingest_blocks_per_s",
            "ratio",
        ];
        assert_eq!(keys, expected);
    }

    #[cfg(all(feature = "zmq", feature = "libp2p"))]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sync_benchmark_runs_over_real_sockets() {
        for transport in ["zmq", "libp2p"] {
            let options = SyncBenchOptions {
                blocks: 40,
                peers: 2,
                transport: transport.into(),
                ..SyncBenchOptions::default()
            };
            let report = sync(options).await.unwrap();
            assert_eq!((report.blocks, report.transport.as_str()), (40, transport));
            assert!(report.sync_blocks_per_s > 0.0);
        }
    }

    #[tokio::test]
    async fn bad_options_are_refused_before_any_work() {
        let run = |o: SyncBenchOptions| sync(o);
        let base = SyncBenchOptions::default();
        let err = run(SyncBenchOptions { blocks: 2, ..base.clone() }).await.unwrap_err();
        assert!(matches!(err, BenchError::InvalidOption(_)), "{err}");
        let err = run(SyncBenchOptions { peers: 0, ..base.clone() }).await.unwrap_err();
        assert!(matches!(err, BenchError::InvalidOption(_)), "{err}");
        let carrier = SyncBenchOptions { transport: "pigeon".into(), ..base.clone() };
        let err = run(carrier).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "transport \"pigeon\" is not available to the benchmark in this build (memory, zmq, libp2p)"
        );
        #[cfg(not(feature = "rocksdb"))]
        {
            let rocks = SyncBenchOptions { store: StoreKind::Rocksdb, ..base };
            let err = run(rocks).await.unwrap_err();
            assert!(matches!(err, BenchError::NotCompiled(StoreKind::Rocksdb)), "{err}");
        }
    }
}
