//! The inbound client pool in a running kernel (paused time, a stand-in transport that
//! records its commands): the kernel hands every transport its gate, the gate admits up to
//! `max_inbound` and refuses the rest, a handler's reward lets a newcomer evict the client
//! of lowest priority (the transport is told), pinned static peers always get in, the
//! decisions are counted, and the balances survive a restart on the same store.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    DialTarget, Gate, GossipMode, NodeLink, NodeRequest, PeerId, Refused, Registry, Store,
    TokioClock, TransportCommand, TransportHandle, CHANNEL_CAPACITY,
};
use peerd_kernel::clients::{ClientsConfig, PoolSnapshot};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::status::{Metrics, StatusHandle};
use peerd_kernel::Kernel;
use peerd_testkit::chain::ToyChain;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

struct Running {
    commands: mpsc::Receiver<TransportCommand>,
    status: StatusHandle,
    link: NodeLink,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
    done: tokio::task::JoinHandle<()>,
}

fn key(n: u8) -> PeerId {
    PeerId::new(vec![n; 32])
}

fn config() -> ClientsConfig {
    ClientsConfig {
        max_inbound: 4,
        max_capacity: 10,
        pinned: vec![format!("zmq:{}", hex::encode([9u8; 32]))],
        ..ClientsConfig::default()
    }
}

/// A standalone kernel with one stand-in `zmq` transport, a pool and `store`; `static_key`
/// is a configured peer (pinned by the kernel).
fn start(store: &Arc<dyn Store>, static_key: u8) -> Running {
    let (commands_tx, commands) = mpsc::channel(CHANNEL_CAPACITY);
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let handle = TransportHandle::new(
        "zmq",
        commands_tx,
        GossipMode::PerPeer,
        PeerId::new(vec![0; 32]),
        Arc::new(tokio::sync::Notify::new()),
    );
    let (status, queries) = StatusHandle::channel();
    let (link_tx, requests) = mpsc::channel(16);
    let metrics = Arc::new(Metrics::default());
    let statics = vec![DialTarget {
        transport: "zmq".into(),
        key: vec![static_key; 32].into(),
        listeners: Default::default(),
    }];
    let sync = SyncConfig { min_upstreams: 0, ..SyncConfig::default() };
    let kernel = Kernel::new(Arc::new(ToyChain::new()), sync)
        .with_clock(Arc::new(TokioClock::starting_at(1_700_000_000)))
        .with_statics(statics)
        .with_status(queries)
        .with_node_requests(requests)
        .with_handlers(Registry::new(), store.clone())
        .with_metrics(metrics.clone())
        .with_clients(config().validate().unwrap());
    let stop = CancellationToken::new();
    let shutdown = stop.clone();
    let done = tokio::spawn(async move {
        let _events = events_tx; // the transport stays up while the test runs
        kernel.run(&[handle], &mut events, &shutdown).await.unwrap();
    });
    Running { commands, status, link: NodeLink::new(link_tx), metrics, stop, done }
}

/// The next command that is not a dial, within a minute.
async fn command(node: &mut Running) -> TransportCommand {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(60), node.commands.recv()).await;
        match next.expect("a command within a minute").expect("the kernel is running") {
            TransportCommand::Dial(_) | TransportCommand::Serve(_) => continue,
            other => return other,
        }
    }
}

async fn gate_of(node: &mut Running) -> Arc<dyn Gate> {
    match command(node).await {
        TransportCommand::Admit(gate) => gate,
        other => panic!("expected the pool's gate first, got {other:?}"),
    }
}

async fn pool(node: &Running) -> PoolSnapshot {
    node.status.snapshot().await.unwrap().clients.expect("the kernel runs a pool")
}

fn count(node: &Running, name: &str, labels: &[(&str, &str)]) -> u64 {
    node.metrics
        .counters()
        .iter()
        .filter(|(k, _)| {
            k.name == name
                && labels.iter().all(|(l, v)| k.labels.iter().any(|(a, b)| a == l && b == v))
        })
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(start_paused = true)]
async fn the_pool_admits_refuses_evicts_for_a_rewarded_newcomer_and_survives_a_restart() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let mut node = start(&store, 8);
    let gate = gate_of(&mut node).await;
    assert_eq!(gate.admit(&key(8)), Ok(()), "the static peer is pinned");
    assert_eq!(gate.admit(&key(9)), Ok(()), "the config's pinned client too");
    assert_eq!(gate.admit(&key(1)), Ok(()));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(gate.admit(&key(2)), Ok(()));
    assert_eq!(gate.admit(&key(3)), Err(Refused::PoolFull), "four is the limit");
    assert_eq!(gate.admit(&key(1)), Ok(()), "a connected client stays connected");

    // A handler rewards client 3: now it outranks 1 and 2, even with their connected bias,
    // and takes the place of the lower: 1, which has paid for a second more.
    assert!(node.link.send(NodeRequest::Reward {
        transport: "zmq".into(),
        peer: key(3),
        amount: 500.0
    }));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(gate.admit(&key(3)), Ok(()));
    match command(&mut node).await {
        TransportCommand::Evict(peer) => assert_eq!(peer, key(1)),
        other => panic!("expected an eviction, got {other:?}"),
    }
    let snapshot = pool(&node).await;
    assert_eq!((snapshot.connected, snapshot.connected_max), (4, 4), "{snapshot:?}");
    let first = &snapshot.clients[0];
    assert_eq!(first.id, format!("zmq:{}", hex::encode([3u8; 32])), "highest priority first");
    assert!(first.connected && first.positive > 499.0 && first.positive <= 500.0, "{first:?}");
    assert_eq!(count(&node, "peerd_clients_admitted_total", &[("transport", "zmq")]), 5);
    assert_eq!(count(&node, "peerd_clients_refused_total", &[("reason", "pool_full")]), 1);
    assert_eq!(count(&node, "peerd_clients_evicted_total", &[("reason", "newcomer")]), 1);
    gate.served(&key(3), 100);
    gate.left(&key(2));
    assert_eq!(pool(&node).await.connected, 3);

    // Stopped: the balances are saved; a restart on the store knows client 3's credit.
    node.stop.cancel();
    node.done.await.unwrap();
    let mut again = start(&store, 8);
    let _gate = gate_of(&mut again).await;
    let restored = pool(&again).await;
    let three = restored.clients.iter().find(|c| c.id.ends_with(&hex::encode([3u8; 32])));
    let three = three.expect("client 3 is remembered across the restart");
    assert!(!three.connected);
    assert!(
        three.positive > 490.0 && three.positive < 500.0,
        "paid for its time and requests: {three:?}"
    );
}
