//! The kernel shell end to end on the memory transport, in paused time: upstream tasks
//! register and poll, the connector elects and fetches, the chain worker applies; dynamic
//! upstreams come and go on handler requests; producers produce only in sync.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    Chain, Mode, ModeCell, NodeLink, NodeRequest, TokioClock, Transport, TransportContext,
    CHANNEL_CAPACITY,
};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::{Kernel, ProducerSwitch, Production, RebalanceRequest};
use peerd_testkit::chain::ToyChain;
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Starts a node named `name` serving `chain` with `sync` settings, dialling `statics`;
/// `setup` may change the kernel before it runs. Cancel the token to stop it.
pub(crate) fn node_with(
    net: &MemoryNet,
    name: &str,
    (chain, sync): (Arc<ToyChain>, SyncConfig),
    statics: &[&str],
    mode: ModeCell,
    setup: impl FnOnce(Kernel) -> Kernel,
) -> CancellationToken {
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let shutdown = CancellationToken::new();
    let ctx = TransportContext {
        chain: "toy".into(),
        version: "test".into(),
        events: events_tx,
        shutdown: shutdown.clone(),
        metrics: Default::default(),
    };
    let handle = Box::new(net.transport(name)).start(ctx).unwrap();
    let kernel = Kernel::new(chain, sync)
        .with_mode(mode)
        .with_seed(3)
        .with_clock(Arc::new(TokioClock::starting_at(1_700_000_000)))
        .with_statics(statics.iter().map(|s| MemoryNet::target(s)).collect());
    let kernel = setup(kernel);
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let transports = vec![handle];
        kernel.run(&transports, &mut events, &shutdown).await.unwrap();
    });
    stop
}

pub(crate) fn sync() -> SyncConfig {
    SyncConfig { fetch_window: 32, ..SyncConfig::default() }
}

pub(crate) fn node(
    net: &MemoryNet,
    name: &str,
    chain: Arc<ToyChain>,
    statics: &[&str],
    mode: ModeCell,
) {
    node_with(net, name, (chain, sync()), statics, mode, |k| k);
}

pub(crate) async fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let step = Duration::from_secs(1);
    peerd_testkit::wait::poll_until(what, limit, step, done).await.unwrap();
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

#[tokio::test(start_paused = true)]
async fn dynamic_upstreams_follow_connect_and_release_least_recently_used() {
    let net = MemoryNet::new(13);
    let source = ToyChain::build(300, 3);
    for name in ["s1", "s2", "s3", "s4", "s5", "s6"] {
        node(&net, name, Arc::new(source.clone()), &[], ModeCell::new(Mode::Stopped));
    }
    let fresh = Arc::new(ToyChain::new());
    let mode = ModeCell::new(Mode::Stopped);
    let (link_tx, requests) = mpsc::channel(16);
    let link = NodeLink::new(link_tx);
    let (rebalance_tx, mut rebalance) = mpsc::channel(4);
    let slots = SyncConfig { max_dynamic_upstreams: 5, ..sync() };
    node_with(&net, "fresh", (fresh.clone(), slots), &[], mode.clone(), |k| {
        k.with_node_requests(requests).with_rebalance(rebalance_tx)
    });
    // Without upstreams the connector asks the peer layer for a rebalance.
    let asked = rebalance.recv().await.unwrap();
    assert_eq!(asked, RebalanceRequest { registered: 0, wanted: 5 });

    let connect = |name: &str| link.send(NodeRequest::Connect(MemoryNet::target(name)));
    for name in ["s1", "s2", "s3", "s4", "s5", "s1", "fresh"] {
        assert!(connect(name)); // s1 again: moves to the back; ourselves: refused
    }
    wait_for("sync", Duration::from_secs(600), || {
        fresh.height().unwrap() == 300 && mode.get() == Mode::Normal
    })
    .await;
    // A sixth target takes the least recently used slot: s2's (s1 was used again).
    assert!(connect("s6"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    net.kill("s2"); // no longer an upstream: nothing changes
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(mode.get(), Mode::Normal, "still five upstreams: s1 and s3 to s6");
    while rebalance.try_recv().is_ok() {}
    // Releasing one leaves four: back to Connecting, which asks for more.
    let released = NodeRequest::Release { transport: "memory".into(), key: "s3".into() };
    assert!(link.send(released));
    let asked = tokio::time::timeout(Duration::from_secs(60), rebalance.recv()).await;
    assert_eq!(asked.unwrap().unwrap(), RebalanceRequest { registered: 4, wanted: 5 });
    assert_eq!(mode.get(), Mode::Resynchronise);
    // A rebalance answer brings it back.
    assert!(connect("s3"));
    wait_for("normal again", Duration::from_secs(120), || mode.get() == Mode::Normal).await;
}

#[tokio::test(start_paused = true)]
async fn a_standalone_producer_produces_from_the_start() {
    let net = MemoryNet::new(14);
    let chain = Arc::new(ToyChain::new());
    let mode = ModeCell::new(Mode::Stopped);
    let switch = ProducerSwitch::new(true);
    let every = Duration::from_secs(10);
    let standalone = SyncConfig { min_upstreams: 0, ..sync() };
    let production = Production::new(every, switch.clone());
    node_with(&net, "solo", (chain.clone(), standalone), &[], mode.clone(), |k| {
        k.with_producer(production)
    });
    tokio::time::sleep(Duration::from_secs(35)).await;
    assert_eq!(mode.get(), Mode::Normal, "standalone nodes are in Normal mode");
    assert_eq!(chain.height().unwrap(), 4, "a block every 10 s");
    switch.set(false);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(chain.height().unwrap(), 4, "switched off");
    switch.set(true);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(chain.height().unwrap(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_producer_that_is_behind_syncs_before_it_produces() {
    let net = MemoryNet::new(15);
    let source = ToyChain::build(1500, 4);
    let names = ["s1", "s2", "s3", "s4", "s5"];
    for name in names {
        node(&net, name, Arc::new(source.clone()), &[], ModeCell::new(Mode::Stopped));
    }
    let fresh = Arc::new(ToyChain::new());
    let mode = ModeCell::new(Mode::Stopped);
    let production = Production::new(Duration::from_secs(1), ProducerSwitch::new(true));
    node_with(&net, "fresh", (fresh.clone(), sync()), &names, mode.clone(), |k| {
        k.with_producer(production)
    });
    wait_for("sync, then production", Duration::from_secs(600), || fresh.height().unwrap() > 1500)
        .await;
    assert_eq!(mode.get(), Mode::Normal);
    for n in [2, 750, 1500] {
        assert_eq!(fresh.digest(n).unwrap(), source.digest(n).unwrap(), "block {n}");
    }
}
