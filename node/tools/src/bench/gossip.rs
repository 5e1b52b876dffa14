//! `peerd bench gossip`: how fast a produced block reaches every node of a mixed network
//! (issue 6's 3 ZeroMQ + 3 libp2p + 2 bridge nodes, [`crate::mixed`]) on loopback.
//!
//! After the network converged, the producer makes `blocks` more blocks; for each, the
//! latency to a node is the time from its storage at the producer to its storage at that
//! node, and its propagation time is the latency to the last node. The report gives p50 and
//! p99 of both over the run.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::BenchError;
use crate::mixed::{MixedNet, MixedSpec};

/// The measured propagation.
#[derive(Clone, Debug, Serialize)]
pub struct GossipBenchReport {
    /// Nodes in the network.
    pub nodes: usize,
    /// Blocks measured.
    pub blocks: u64,
    /// Time between two produced blocks, ms.
    pub block_interval_ms: u64,
    /// Median time for a block to reach every node, ms.
    pub all_nodes_p50_ms: f64,
    /// 99th percentile of that, ms.
    pub all_nodes_p99_ms: f64,
    /// Median latency to one node (over every node and block), ms.
    pub per_node_p50_ms: f64,
    /// 99th percentile of that, ms.
    pub per_node_p99_ms: f64,
}

/// The lowest height of the running nodes.
fn n_height(net: &MixedNet) -> u64 {
    net.live().map(|n| n.height()).min().unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs the measurement; call on a multi-threaded runtime.
///
/// # Errors
///
/// [`BenchError::Transport`] if a node cannot start; [`BenchError::Stalled`] if the
/// network does not converge and grow within a guard time.
pub async fn gossip(
    blocks: u64,
    block_interval: Duration,
) -> Result<GossipBenchReport, BenchError> {
    let spec = MixedSpec::three_three_two(block_interval);
    let net = MixedNet::start(&spec)?;
    let guard = Duration::from_secs(120) + block_interval * (blocks as u32) * 3;
    let start = Instant::now();
    let wait = |done: &dyn Fn(&MixedNet) -> bool| {
        let ok = done(&net);
        if !ok && start.elapsed() > guard {
            let height = n_height(&net);
            return Err(BenchError::Stalled { height, target: height + 1 });
        }
        Ok(ok)
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    while !wait(&|n: &MixedNet| n.live().all(|x| x.height() >= 5) && n.converged())? {
        tick.tick().await;
    }
    let first = net.nodes[0].height() + 1;
    let last = first + blocks - 1;
    while !wait(&|n: &MixedNet| n.live().all(|x| x.height() >= last))? {
        tick.tick().await;
    }
    net.stop();
    let mut all = Vec::new();
    let mut each = Vec::new();
    for number in first..=last {
        let Some(made) = net.nodes[0].stored(number) else { continue };
        let mut slowest: f64 = 0.0;
        for node in &net.nodes[1..] {
            if let Some(at) = node.stored(number) {
                let ms = at.saturating_duration_since(made).as_secs_f64() * 1000.0;
                each.push(ms);
                slowest = slowest.max(ms);
            }
        }
        all.push(slowest);
    }
    all.sort_by(f64::total_cmp);
    each.sort_by(f64::total_cmp);
    Ok(GossipBenchReport {
        nodes: net.nodes.len(),
        blocks,
        block_interval_ms: block_interval.as_millis() as u64,
        all_nodes_p50_ms: percentile(&all, 50.0),
        all_nodes_p99_ms: percentile(&all, 99.0),
        per_node_p50_ms: percentile(&each, 50.0),
        per_node_p99_ms: percentile(&each, 99.0),
    })
}
