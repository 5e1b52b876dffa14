//! The kernel's dialer in running kernels (memory transport, paused time): a target that
//! never answers (a memory name nobody has: a black hole) holds one dial slot only until
//! `dial_timeout`, never the others; a dynamic black hole is given up after five attempts
//! and its upstream slot released; a static one is retried for good.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{Mode, ModeCell, NodeLink, NodeRequest};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::status::{Metrics, StatusHandle};
use peerd_testkit::chain::ToyChain;
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;

use crate::kernel::{node, node_with, sync, wait_for};

const SERVERS: [&str; 5] = ["s1", "s2", "s3", "s4", "s5"];

fn dials(metrics: &Metrics, result: &str) -> u64 {
    metrics
        .counters()
        .into_iter()
        .filter(|(k, _)| k.name == "peerd_dials_total")
        .filter(|(k, _)| k.labels.iter().any(|(_, v)| v == result))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(start_paused = true)]
async fn black_holes_hold_one_slot_until_the_timeout_and_dynamic_ones_are_given_up() {
    let net = MemoryNet::new(31);
    let source = ToyChain::build(50, 5);
    for name in SERVERS {
        node(&net, name, Arc::new(source.clone()), &[], ModeCell::new(Mode::Stopped));
    }
    let fresh = Arc::new(ToyChain::new());
    let mode = ModeCell::new(Mode::Stopped);
    let (status, queries) = StatusHandle::channel();
    let (link_tx, requests) = mpsc::channel(16);
    let link = NodeLink::new(link_tx);
    let metrics = Arc::new(Metrics::default());
    // Two slots; the black hole is dialled first.
    let settings =
        SyncConfig { max_concurrent_dials: 2, dial_timeout: Duration::from_secs(10), ..sync() };
    let statics = ["ghost", "s1", "s2", "s3", "s4", "s5"];
    let kernel_metrics = metrics.clone();
    node_with(&net, "fresh", (fresh.clone(), settings), &statics, mode.clone(), |k| {
        k.with_status(queries).with_node_requests(requests).with_metrics(kernel_metrics)
    });
    // The five servers come up through the other slot long before the ghost times out.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s = status.snapshot().await.unwrap();
    assert_eq!(s.peers.len(), 5, "{:?}", s.peers);
    assert_eq!(s.dials_in_flight, 1, "only the ghost is still being dialled");
    wait_for("sync", Duration::from_secs(300), || mode.get() == Mode::Normal).await;

    // A dynamic black hole: five attempts (about 10 + 1, 10 + 2, 10 + 4, 10 + 8, 10 s), then
    // its upstream slot is released.
    assert!(link.send(NodeRequest::Connect(MemoryNet::target("phantom"))));
    let given_up = || dials(&metrics, "given_up") == 1;
    wait_for("the phantom given up", Duration::from_secs(200), given_up).await;
    assert!(dials(&metrics, "timed_out") > 5, "five for the phantom, more for the ghost");
    // The static ghost is still retried (backoff at most 60 s) and never given up.
    let before = dials(&metrics, "started");
    tokio::time::sleep(Duration::from_secs(300)).await;
    assert!(dials(&metrics, "started") > before, "the static ghost is dialled again");
    assert_eq!(dials(&metrics, "given_up"), 1);
    let s = status.snapshot().await.unwrap();
    assert!(s.dials_in_flight <= 2);
    assert_eq!(s.peers.len(), 5);
}

/// A connection's task (registration, polls, gossip pushes) ends when the connection ends,
/// and only then: the count of live upstream tasks follows the connections.
#[tokio::test(start_paused = true)]
async fn a_connection_s_task_ends_with_the_connection() {
    let net = MemoryNet::new(32);
    let source = ToyChain::build(20, 6);
    for name in SERVERS {
        node(&net, name, Arc::new(source.clone()), &[], ModeCell::new(Mode::Stopped));
    }
    let metrics = Arc::new(Metrics::default());
    let mode = ModeCell::new(Mode::Stopped);
    let kernel_metrics = metrics.clone();
    let stop = node_with(
        &net,
        "fresh",
        (Arc::new(ToyChain::new()), sync()),
        &SERVERS,
        mode.clone(),
        |k| k.with_metrics(kernel_metrics),
    );
    wait_for("sync", Duration::from_secs(300), || mode.get() == Mode::Normal).await;
    assert_eq!(metrics.upstream_tasks(), 5);
    net.kill("s1");
    let tasks = || metrics.upstream_tasks();
    wait_for("s1's task ended", Duration::from_secs(10), || tasks() == 4).await;
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(tasks(), 4, "no task for a connection that is down");
    net.revive("s1");
    wait_for("a task for the new connection", Duration::from_secs(120), || tasks() == 5).await;
    stop.cancel();
    wait_for("every task ended", Duration::from_secs(10), || tasks() == 0).await;
}
