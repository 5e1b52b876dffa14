//! Six peerd nodes on 127.0.0.1 over ZeroMQ (CURVE), each the real kernel over the dev
//! chain in its own sled store, every node statically connected to the five others. One
//! node holds a 300-block chain and produces more once in sync; the others sync it and all
//! reach Normal mode with the same height and tip.
//!
//! Real time with short intervals (poll and cycle 1 s); the test watches the nodes every
//! 100 ms and has a generous overall guard.

#![allow(clippy::unwrap_used)]

use crate::common;
use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    CancellationToken, Chain, DialTarget, Mode, ModeCell, SystemClock, Transport, TransportContext,
    CHANNEL_CAPACITY,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::{Kernel, ProducerSwitch, Production};
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;
use tokio::sync::mpsc;

const NODES: usize = 6;
const TEMPLATE: u64 = 300;
const GUARD: Duration = Duration::from_secs(240);

struct Node {
    chain: Arc<BitmarkChain>,
    mode: ModeCell,
}

fn summary(nodes: &[Node]) -> String {
    let line = |(i, n): (usize, &Node)| {
        let height = n.chain.height().unwrap_or(0);
        let tip = n.chain.digest(height).ok().flatten().map(|d| d.to_string()).unwrap_or_default();
        format!("node {i}: height {height} mode {:?} tip {tip}", n.mode.get())
    };
    nodes.iter().enumerate().map(line).collect::<Vec<_>>().join("\n")
}

fn converged(nodes: &[Node]) -> bool {
    let height = nodes[0].chain.height().unwrap();
    let tip = nodes[0].chain.digest(height).unwrap();
    nodes.iter().all(|n| {
        n.mode.get() == Mode::Normal
            && n.chain.height().unwrap() == height
            && n.chain.digest(height).unwrap() == tip
    })
}

/// Checks `done` every 100 ms until it holds.
async fn until(nodes: &[Node], mut done: impl FnMut(&[Node]) -> bool) {
    let mut every = tokio::time::interval(Duration::from_millis(100));
    while !done(nodes) {
        every.tick().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_nodes_sync_a_dev_chain_over_zmq() {
    let filter = tracing_subscriber::EnvFilter::from_default_env();
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    let shutdown = CancellationToken::new();
    let dirs: Vec<tempfile::TempDir> = (0..NODES).map(|_| tempfile::tempdir().unwrap()).collect();
    // Transports first: every node's dial target needs its bound port.
    let mut started = Vec::new();
    for _ in 0..NODES {
        let transport = ZmqTransport::new(KeyPair::generate().unwrap())
            .listen(vec!["127.0.0.1:0".parse().unwrap()])
            .reconnect(Duration::from_millis(500))
            .timeout(Duration::from_secs(10));
        let (events, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let ctx = TransportContext {
            chain: "dev".into(),
            version: "zmq-six".into(),
            events,
            shutdown: shutdown.clone(),
            metrics: Default::default(),
        };
        started.push((Box::new(transport).start(ctx).unwrap(), rx));
    }
    let targets: Vec<DialTarget> = started
        .iter()
        .map(|(h, _)| DialTarget {
            transport: h.name.clone(),
            key: h.local_id.as_bytes().to_vec().into(),
            listeners: h.listeners.clone(),
        })
        .collect();
    let sync = SyncConfig {
        cycle_interval: Duration::from_secs(1),
        poll_interval: Duration::from_secs(1),
        request_timeout: Duration::from_secs(10),
        ..SyncConfig::default()
    };
    let switch = ProducerSwitch::new(true);
    let mut nodes = Vec::new();
    for (i, ((handle, mut events), dir)) in started.into_iter().zip(&dirs).enumerate() {
        let store = peerd_store_sled::Store::open(dir.path(), &Default::default()).unwrap();
        let chain =
            BitmarkChain::open(Arc::new(store), ChainParams::DEV, Arc::new(SystemClock)).unwrap();
        if i == 0 {
            common::grow(&chain, TEMPLATE);
        }
        let chain = Arc::new(chain);
        let mode = ModeCell::new(Mode::Stopped);
        // The chain's holder first: it is the winning group's first voter (protocol §4.4).
        let statics = (0..NODES).filter(|j| *j != i).map(|j| targets[j].clone()).collect();
        let mut kernel = Kernel::new(chain.clone(), sync.clone())
            .with_mode(mode.clone())
            .with_seed(i as u64)
            .with_statics(statics);
        if i == 0 {
            kernel = kernel.with_producer(Production::new(Duration::from_secs(1), switch.clone()));
        }
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let transports = vec![handle];
            kernel.run(&transports, &mut events, &stop).await.unwrap();
        });
        nodes.push(Node { chain, mode });
    }

    let run = async {
        // Everyone syncs the template, and the holder produces on top of it once in sync.
        until(&nodes, |n| {
            n[0].chain.height().unwrap() > TEMPLATE + 2
                && n.iter().all(|x| x.chain.height().unwrap() >= TEMPLATE)
        })
        .await;
        switch.set(false);
        until(&nodes, converged).await;
    };
    if tokio::time::timeout(GUARD, run).await.is_err() {
        panic!("the six nodes did not converge in time:\n{}", summary(&nodes));
    }
    let height = nodes[0].chain.height().unwrap();
    assert!(height > TEMPLATE + 2, "live production on top of the template: {height}");
    for node in &nodes[1..] {
        for n in [2, TEMPLATE, height] {
            assert_eq!(node.chain.digest(n).unwrap(), nodes[0].chain.digest(n).unwrap());
        }
    }
    shutdown.cancel();
}
