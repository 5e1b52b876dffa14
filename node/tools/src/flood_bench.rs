//! `peerd bench flood`: what a handshake flood costs an honest client.
//!
//! One run, on loopback: a dev chain served over ZeroMQ/CURVE by the real kernel with its
//! client pool (`max_inbound` 50). An honest client (one key, connected first) asks `N` and
//! `B` alternately, one request in flight: first on a quiet node, then while 8 threads open
//! 1,000 connections under fresh keys, each asking one `N` (the pool admits the first that
//! fit; ZAP refuses the rest at the handshake, `400 pool full`). The report gives the
//! honest client's p50 and p99 round trip in both phases and `ratio` = flood p99 ÷ quiet
//! p99 (goal: at most 10, and the flood p99 at most 250 ms).

use std::time::Duration;

use peerd_bitmark::params::ChainParams;
use peerd_kernel::clients::ClientsConfig;
use peerd_transport_zmq::bench::{drive, DriveOptions, DriveResult, Flood};
use peerd_transport_zmq::keys::KeyPair;
use serde::Serialize;

use crate::rpc_bench::{dev_chain, serve_with, RpcBenchError};

/// Connections the flood opens.
pub const FLOOD_CONNECTIONS: usize = 1000;

/// The pool's `max_inbound`.
pub const MAX_INBOUND: usize = 50;

/// Threads opening flood connections.
const FLOOD_THREADS: usize = 8;

/// Honest requests per measured batch.
const BATCH: usize = 500;

/// The result, as `peerd bench flood --json` prints it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FloodBenchReport {
    /// Honest requests measured on the quiet node.
    pub quiet_requests: usize,
    /// Median honest round trip, quiet, in microseconds.
    pub quiet_p50_us: u64,
    /// 99th percentile, quiet.
    pub quiet_p99_us: u64,
    /// Honest requests measured during the flood.
    pub flood_requests: usize,
    /// Median honest round trip during the flood.
    pub flood_p50_us: u64,
    /// 99th percentile during the flood.
    pub flood_p99_us: u64,
    /// Flood connections opened (under fresh keys).
    pub flood_connections: usize,
    /// Flood connections whose `N` was answered (admitted while the pool had room).
    pub flood_answered: usize,
    /// The pool's `max_inbound`.
    pub max_inbound: usize,
    /// `flood_p99_us / quiet_p99_us`.
    pub ratio: f64,
}

/// Runs the benchmark (see the module docs).
///
/// # Errors
///
/// See [`RpcBenchError`]; everything started is stopped before returning.
pub async fn flood() -> Result<FloodBenchReport, RpcBenchError> {
    let blocks = 50;
    let chain = tokio::task::spawn_blocking(move || dev_chain(blocks)).await??;
    let keys = KeyPair::generate()?;
    let config = ClientsConfig { max_inbound: MAX_INBOUND, ..ClientsConfig::default() };
    let clients = config.validate().map_err(|e| RpcBenchError::Chain(e.to_string()))?;
    let shutdown = peerd_api::CancellationToken::new();
    let outcome = match serve_with(chain, keys.clone(), &shutdown, Some(clients)) {
        Ok(addr) => measure(&keys, addr, blocks).await,
        Err(e) => Err(e),
    };
    shutdown.cancel();
    outcome
}

async fn measure(
    keys: &KeyPair,
    addr: std::net::SocketAddr,
    top: u64,
) -> Result<FloodBenchReport, RpcBenchError> {
    let honest = DriveOptions {
        addr,
        server_key: keys.public,
        chain: ChainParams::DEV.name().to_owned(),
        requests: BATCH,
        connections: 1,
        top,
        check_replies: true,
        client_keys: Some(KeyPair::generate()?),
    };
    let mut quiet = Vec::new();
    for _ in 0..4 {
        quiet.extend(run(&honest).await?.latencies_us);
    }
    let flood = Flood::start(addr, keys.public, FLOOD_THREADS, FLOOD_CONNECTIONS);
    let mut flooded = Vec::new();
    // Measure while the flood lasts (at least one batch, at most a bounded number).
    for _ in 0..200 {
        flooded.extend(run(&honest).await?.latencies_us);
        if flood.opened() >= FLOOD_CONNECTIONS {
            break;
        }
    }
    let (opened, answered) = tokio::task::spawn_blocking(move || flood.finish()).await?;
    let (quiet_p50_us, quiet_p99_us) = percentiles(&mut quiet);
    let (flood_p50_us, flood_p99_us) = percentiles(&mut flooded);
    Ok(FloodBenchReport {
        quiet_requests: quiet.len(),
        quiet_p50_us,
        quiet_p99_us,
        flood_requests: flooded.len(),
        flood_p50_us,
        flood_p99_us,
        flood_connections: opened,
        flood_answered: answered,
        max_inbound: MAX_INBOUND,
        ratio: if quiet_p99_us > 0 { flood_p99_us as f64 / quiet_p99_us as f64 } else { 0.0 },
    })
}

async fn run(opts: &DriveOptions) -> Result<DriveResult, RpcBenchError> {
    let opts = opts.clone();
    let result = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::task::spawn_blocking(move || drive(&opts)),
    )
    .await
    .map_err(|_| RpcBenchError::Chain("the honest client got no answers for 120 s".into()))?;
    Ok(result??)
}

/// (p50, p99) of `latencies`, sorting them.
fn percentiles(latencies: &mut [u64]) -> (u64, u64) {
    latencies.sort_unstable();
    let at = |p: usize| latencies.get(latencies.len().saturating_sub(1) * p / 100).copied();
    (at(50).unwrap_or(0), at(99).unwrap_or(0))
}
