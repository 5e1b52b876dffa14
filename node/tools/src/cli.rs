//! The `peerd bench …` subcommands: their command line and what each prints.

use std::time::Duration;

use clap::Subcommand;

use crate::bench::{BenchError, SyncBenchOptions};

/// `peerd bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Sync a fresh node from P peers serving an N-block dev chain, and ingest the same
    /// blocks straight into an empty store of the same kind; report both rates.
    Sync {
        /// Chain height to sync.
        #[arg(long, default_value_t = 100_000)]
        blocks: u64,
        /// Serving peers.
        #[arg(long, default_value_t = 5)]
        peers: usize,
        /// Transport between the nodes.
        #[arg(long, default_value = "memory", value_parser = ["memory", "zmq", "libp2p"])]
        transport: String,
        /// Store of the syncing node: memory, sled or rocksdb.
        #[arg(long, default_value = "memory")]
        store: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Start a mixed network on loopback (3 ZeroMQ, 3 libp2p, 2 bridge nodes), produce
    /// N blocks and report how long each takes to reach every node (p50, p99).
    Gossip {
        /// Blocks to measure.
        #[arg(long, default_value_t = 100)]
        blocks: u64,
        /// Time between two blocks, in milliseconds.
        #[arg(long, default_value_t = 500)]
        interval_ms: u64,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Dial 50 loopback candidates, half of them black holes (listed first), and report
    /// the time until every answering one is connected, in units of `dial_timeout`.
    Dial {
        /// Transport to dial over.
        #[arg(long, default_value = "zmq", value_parser = ["zmq", "libp2p"])]
        transport: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Serve a dev chain over ZeroMQ/CURVE with a client pool of 50; measure an honest
    /// client's round trips on the quiet node and while 1,000 fresh keys flood it.
    Flood {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Serve a dev chain over ZeroMQ/CURVE and, in the same run, a plain libzmq CURVE echo
    /// server; drive both with `N` and `B` requests (one connection, then 8 in parallel).
    Rpc {
        /// Requests per run.
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Why a `peerd bench` command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchCliError {
    /// `bench sync` or `bench gossip` failed.
    #[error(transparent)]
    Bench(#[from] BenchError),
    /// `bench rpc` failed.
    #[cfg(feature = "zmq")]
    #[error(transparent)]
    Rpc(#[from] crate::rpc_bench::RpcBenchError),
    /// The async runtime did not start.
    #[error("starting the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The report could not be encoded.
    #[error("encoding the report: {0}")]
    Json(#[from] serde_json::Error),
    /// The command needs cargo features this build lacks.
    #[error("peerd bench {command} needs the {features} cargo feature(s)")]
    NotCompiled {
        /// The subcommand.
        command: &'static str,
        /// The features it needs.
        features: &'static str,
    },
}

/// Runs a `peerd bench` command on its own multi-threaded runtime; returns what to print.
///
/// # Errors
///
/// [`BenchCliError`].
pub fn bench(command: BenchCommand) -> Result<String, BenchCliError> {
    let runtime = tokio::runtime::Runtime::new().map_err(BenchCliError::Runtime)?;
    match command {
        BenchCommand::Sync { blocks, peers, transport, store, json } => {
            let options = SyncBenchOptions { blocks, peers, transport, store: store.parse()? };
            let report = runtime.block_on(crate::bench::sync(options))?;
            Ok(if json {
                serde_json::to_string(&report)? + "\n"
            } else {
                format!(
                    "synced {} blocks from {} {} peers into {}: {:.0} blocks/s; store-only \
                     ingest {:.0} blocks/s; ratio {:.2}\n",
                    report.blocks,
                    report.peers,
                    report.transport,
                    report.store,
                    report.sync_blocks_per_s,
                    report.ingest_blocks_per_s,
                    report.ratio
                )
            })
        }
        BenchCommand::Rpc { requests, json } => rpc(&runtime, requests, json),
        BenchCommand::Flood { json } => flood(&runtime, json),
        BenchCommand::Dial { transport, json } => {
            let r = runtime.block_on(crate::bench::dial(&transport))?;
            Ok(if json {
                serde_json::to_string(&r)? + "\n"
            } else {
                format!(
                    "{} of {} {} candidates connected in {:.2} s with {} dials at once; \
                     dial_timeout {:.0} s; ratio {:.2}\n",
                    r.answering,
                    r.candidates,
                    r.transport,
                    r.connected_s,
                    r.max_concurrent_dials,
                    r.dial_timeout_s,
                    r.ratio
                )
            })
        }
        BenchCommand::Gossip { blocks, interval_ms, json } => {
            gossip(&runtime, blocks, Duration::from_millis(interval_ms.max(1)), json)
        }
    }
}

#[cfg(feature = "zmq")]
fn rpc(
    runtime: &tokio::runtime::Runtime,
    requests: usize,
    json: bool,
) -> Result<String, BenchCliError> {
    let options = crate::rpc_bench::RpcBenchOptions { requests, ..Default::default() };
    let r = runtime.block_on(crate::rpc_bench::rpc(options))?;
    Ok(if json {
        serde_json::to_string(&r)? + "\n"
    } else {
        format!(
            "{} requests: peerd {:.0}/s, libzmq echo {:.0}/s, ratio {:.2}; p50 {} us, p99 {} us\n",
            r.requests, r.peerd_per_s, r.echo_per_s, r.ratio, r.p50_us, r.p99_us
        )
    })
}

#[cfg(feature = "zmq")]
fn flood(runtime: &tokio::runtime::Runtime, json: bool) -> Result<String, BenchCliError> {
    let r = runtime.block_on(crate::flood_bench::flood())?;
    Ok(if json {
        serde_json::to_string(&r)? + "\n"
    } else {
        format!(
            "honest N/B round trips: quiet p50 {} us, p99 {} us ({} requests); under a flood of \
             {} connections ({} answered, pool of {}): p50 {} us, p99 {} us ({} requests); \
             ratio {:.2}\n",
            r.quiet_p50_us,
            r.quiet_p99_us,
            r.quiet_requests,
            r.flood_connections,
            r.flood_answered,
            r.max_inbound,
            r.flood_p50_us,
            r.flood_p99_us,
            r.flood_requests,
            r.ratio
        )
    })
}

#[cfg(not(feature = "zmq"))]
fn flood(_: &tokio::runtime::Runtime, _: bool) -> Result<String, BenchCliError> {
    Err(BenchCliError::NotCompiled { command: "flood", features: "zmq" })
}

#[cfg(not(feature = "zmq"))]
fn rpc(_: &tokio::runtime::Runtime, _: usize, _: bool) -> Result<String, BenchCliError> {
    Err(BenchCliError::NotCompiled { command: "rpc", features: "zmq" })
}

#[cfg(all(feature = "zmq", feature = "libp2p"))]
fn gossip(
    runtime: &tokio::runtime::Runtime,
    blocks: u64,
    interval: Duration,
    json: bool,
) -> Result<String, BenchCliError> {
    let r = runtime.block_on(crate::bench::gossip(blocks, interval))?;
    Ok(if json {
        serde_json::to_string(&r)? + "\n"
    } else {
        format!(
            "{} blocks over {} nodes: every node reached in p50 {:.1} ms, p99 {:.1} ms; \
             one node in p50 {:.1} ms, p99 {:.1} ms\n",
            r.blocks,
            r.nodes,
            r.all_nodes_p50_ms,
            r.all_nodes_p99_ms,
            r.per_node_p50_ms,
            r.per_node_p99_ms
        )
    })
}

#[cfg(not(all(feature = "zmq", feature = "libp2p")))]
fn gossip(
    _: &tokio::runtime::Runtime,
    _: u64,
    _: Duration,
    _: bool,
) -> Result<String, BenchCliError> {
    Err(BenchCliError::NotCompiled { command: "gossip", features: "zmq and libp2p" })
}
