//! The kernel shell end to end on the memory transport, in paused time: upstream tasks
//! register and poll, the connector elects and fetches, the chain worker applies.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{Chain, Mode, ModeCell, TokioClock, Transport, TransportContext, CHANNEL_CAPACITY};
use peerd_node::connector::SyncConfig;
use peerd_node::kernel::Kernel;
use peerd_testkit::chain::ToyChain;
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Starts a node named `name` serving `chain`, dialling `statics`.
fn node(net: &MemoryNet, name: &str, chain: Arc<ToyChain>, statics: &[&str], mode: ModeCell) {
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let shutdown = CancellationToken::new();
    let ctx = TransportContext {
        chain: "toy".into(),
        version: "test".into(),
        events: events_tx,
        shutdown: shutdown.clone(),
    };
    let handle = Box::new(net.transport(name)).start(ctx).unwrap();
    let kernel = Kernel::new(chain, SyncConfig { fetch_window: 32, ..SyncConfig::default() })
        .with_mode(mode)
        .with_seed(3)
        .with_clock(Arc::new(TokioClock::starting_at(1_700_000_000)))
        .with_statics(statics.iter().map(|s| MemoryNet::target(s)).collect());
    tokio::spawn(async move {
        let transports = vec![handle];
        kernel.run(&transports, &mut events, &shutdown).await;
    });
}

async fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let give_up = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < give_up, "{what} did not happen within {limit:?}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_fresh_node_syncs_from_five_peers_and_reaches_normal() {
    let net = MemoryNet::new(11);
    let source = ToyChain::build(1500, 1);
    let names = ["s1", "s2", "s3", "s4", "s5"];
    for name in names {
        node(&net, name, Arc::new(source.clone()), &[], ModeCell::new(Mode::Stopped));
    }
    let fresh = Arc::new(ToyChain::new());
    let mode = ModeCell::new(Mode::Stopped);
    node(&net, "fresh", fresh.clone(), &names, mode.clone());
    let started = Instant::now();
    wait_for("sync", Duration::from_secs(600), || fresh.height().unwrap() == 1500).await;
    // Continuous fetch: far faster than bitmarkd's 200 (or 2000) blocks per 15 s tick.
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
    assert_eq!(fresh.digest(1500).unwrap(), source.digest(1500).unwrap());
    wait_for("normal mode", Duration::from_secs(120), || mode.get() == Mode::Normal).await;
}

#[tokio::test(start_paused = true)]
async fn a_peer_serving_invalid_blocks_does_not_stop_the_sync() {
    let net = MemoryNet::new(12);
    let source = ToyChain::build(400, 2);
    let names = ["s1", "s2", "s3", "s4", "s5"];
    for name in names {
        let chain = source.clone();
        if name == "s2" {
            for n in 100..=400 {
                chain.make_invalid(n);
            }
        }
        node(&net, name, Arc::new(chain), &[], ModeCell::new(Mode::Stopped));
    }
    let fresh = Arc::new(ToyChain::new());
    node(&net, "fresh", fresh.clone(), &names, ModeCell::new(Mode::Stopped));
    wait_for("sync", Duration::from_secs(600), || fresh.height().unwrap() == 400).await;
    assert_eq!(fresh.digest(400).unwrap(), source.digest(400).unwrap());
}
