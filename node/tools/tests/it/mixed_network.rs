//! Issue 6's mixed network on real loopback sockets: 3 ZeroMQ-only nodes, 3 libp2p-only
//! nodes and 2 bridges running both, the producer on the ZeroMQ side. Every node reaches
//! the same height and tip; blocks produced on the ZeroMQ side reach the libp2p-only nodes
//! by gossip (through a bridge: their only path); with one bridge killed the network stays
//! connected through the other.
//!
//! Real time with second-scale timers; conditions are polled, with a generous guard.

use std::time::Duration;

use peerd_api::Chain;
use peerd_tools::mixed::{MixedNet, MixedSpec, Role};

const GUARD: Duration = Duration::from_secs(240);

fn spec() -> MixedSpec {
    MixedSpec::three_three_two(Duration::from_millis(1500))
}

fn summary(net: &MixedNet) -> String {
    let line = |n: &peerd_tools::mixed::MixedNode| {
        format!("{}: height {} mode {:?} tip {}", n.label, n.height(), n.mode.get(), n.tip())
    };
    net.nodes.iter().map(line).collect::<Vec<_>>().join("\n")
}

/// Polls `done` every 50 ms; panics with the network's state after [`GUARD`].
async fn until(net: &MixedNet, what: &str, mut done: impl FnMut(&MixedNet) -> bool) {
    let wait = async {
        let mut every = tokio::time::interval(Duration::from_millis(50));
        while !done(net) {
            every.tick().await;
        }
    };
    if tokio::time::timeout(GUARD, wait).await.is_err() {
        panic!("timed out waiting for {what}:\n{}", summary(net));
    }
}

fn counter(node: &peerd_tools::mixed::MixedNode, name: &str, labels: &[(&str, &str)]) -> u64 {
    node.metrics
        .counters()
        .into_iter()
        .filter(|(k, _)| {
            k.name == name
                && labels.iter().all(|(l, v)| k.labels.iter().any(|(a, b)| a == l && b == v))
        })
        .map(|(_, v)| v)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmq_and_libp2p_networks_meet_through_bridges() {
    let filter = tracing_subscriber::EnvFilter::from_default_env();
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    let net = MixedNet::start(&spec()).unwrap();

    // 1. Everyone follows the producer, then converges once it stops.
    until(&net, "every node at height 12", |n| n.live().all(|x| x.height() >= 12)).await;
    net.producer.set(false);
    until(&net, "convergence", MixedNet::converged).await;
    let height = net.nodes[0].height();
    for node in &net.nodes {
        assert_eq!(node.chain.digest(2).unwrap(), net.nodes[0].chain.digest(2).unwrap());
    }

    // 2. Gossip crossed the bridges: the libp2p-only nodes received blocks on libp2p and
    //    stored some straight from gossip (their handler relays only what it stored), and
    //    the bridges relayed blocks they received.
    let gossiped = |n: &peerd_tools::mixed::MixedNode| {
        counter(n, "peerd_gossip_received_total", &[("transport", "libp2p"), ("kind", "block")])
    };
    let relayed = |n: &peerd_tools::mixed::MixedNode| {
        counter(n, "peerd_gossip_relayed_total", &[("kind", "block")])
    };
    for node in net.nodes.iter().filter(|n| n.role == Role::Libp2p) {
        assert!(gossiped(node) > 0, "{} received no block gossip", node.label);
        assert!(relayed(node) > 0, "{} stored no block from gossip", node.label);
    }
    // On the ZeroMQ side blocks are pushed to upstreams as bitmarkd pushes them.
    for node in net.nodes.iter().filter(|n| n.role == Role::Zmq).skip(1) {
        let pushed = counter(
            node,
            "peerd_gossip_received_total",
            &[("transport", "zmq"), ("kind", "block")],
        );
        assert!(pushed > 0, "{} received no block pushed over ZeroMQ", node.label);
    }
    let bridged: u64 = net.nodes.iter().filter(|n| n.role == Role::Bridge).map(relayed).sum();
    assert!(bridged > 0, "the bridges relayed no block");

    // 3. Kill one bridge: the two sides still meet through the other.
    let bridge = net.nodes.iter().find(|n| n.role == Role::Bridge).unwrap();
    bridge.stop();
    net.producer.set(true);
    until(&net, "growth without the first bridge", |n| n.live().all(|x| x.height() >= height + 6))
        .await;
    net.producer.set(false);
    until(&net, "convergence without the first bridge", MixedNet::converged).await;
    assert!(net.nodes[0].height() >= height + 6);
    net.stop();
}
