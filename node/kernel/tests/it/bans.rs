//! Misbehaviour scores and bans in running kernels (memory transport, paused time): a
//! dynamic upstream that serves invalid blocks is banned, disconnected and never dialled
//! again; the ban is in the store, survives a restart and ends on time; a static peer that
//! does the same is scored but not banned.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{Chain, Mode, ModeCell, NodeLink, NodeRequest, PeerId, Registry, Store};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::misbehaviour::{persist, Offence};
use peerd_kernel::status::{Metrics, Snapshot, StatusHandle};
use peerd_testkit::chain::ToyChain;
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;

use crate::kernel::{node, node_with, sync, wait_for};

const HEIGHT: u64 = 80;
const BAN: Duration = Duration::from_secs(3600);
const HONEST: [&str; 5] = ["s1", "s2", "s3", "s4", "s5"];

/// Five honest servers of one chain and a liar that votes with them (same digests) but
/// serves every block invalid.
fn servers(net: &MemoryNet) -> ToyChain {
    let source = ToyChain::build(HEIGHT, 7);
    for name in HONEST {
        node(net, name, Arc::new(source.clone()), &[], ModeCell::new(Mode::Stopped));
    }
    let liar = source.clone();
    for n in 2..=HEIGHT {
        assert!(liar.make_invalid(n));
    }
    node(net, "liar", Arc::new(liar), &[], ModeCell::new(Mode::Stopped));
    source
}

fn settings() -> SyncConfig {
    SyncConfig { ban_duration: BAN, ..sync() }
}

struct Fresh {
    chain: Arc<ToyChain>,
    status: StatusHandle,
    link: NodeLink,
    metrics: Arc<Metrics>,
    stop: tokio_util::sync::CancellationToken,
}

/// A node named `name` with the five honest statics (and `extra` statics), keeping its
/// bans in `store`.
fn fresh(net: &MemoryNet, name: &str, store: &Arc<dyn Store>, extra: &[&str]) -> Fresh {
    let chain = Arc::new(ToyChain::new());
    let (status, queries) = StatusHandle::channel();
    let (link_tx, requests) = mpsc::channel(16);
    let statics: Vec<&str> = HONEST.iter().chain(extra).copied().collect();
    let store = store.clone();
    let mode = ModeCell::new(Mode::Stopped);
    let metrics = Arc::new(Metrics::default());
    let counted = metrics.clone();
    let stop = node_with(net, name, (chain.clone(), settings()), &statics, mode, |k| {
        k.with_status(queries)
            .with_node_requests(requests)
            .with_handlers(Registry::new(), store)
            .with_metrics(counted)
    });
    Fresh { chain, status, link: NodeLink::new(link_tx), metrics, stop }
}

async fn snapshot(node: &Fresh) -> Snapshot {
    node.status.snapshot().await.unwrap()
}

fn liar() -> PeerId {
    PeerId::new(&b"liar"[..])
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_liar_is_banned_kept_banned_across_a_restart_and_released_on_time() {
    let net = MemoryNet::new(21);
    let source = servers(&net);
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let a = fresh(&net, "fresh", &store, &[]);
    assert!(a.link.send(NodeRequest::Connect(MemoryNet::target("liar"))));
    let chain = a.chain.clone();
    wait_for("sync past the liar", Duration::from_secs(900), || chain.height().unwrap() == HEIGHT)
        .await;
    assert_eq!(a.chain.digest(HEIGHT).unwrap(), source.digest(HEIGHT).unwrap());
    let s = snapshot(&a).await;
    assert_eq!(s.bans.len(), 1, "{:?}", s.bans);
    assert_eq!((s.bans[0].peer.clone(), s.bans[0].offence), (liar(), "invalid_block"));
    assert!(s.peers.iter().all(|p| p.peer != liar()), "the liar is disconnected");
    let counts = a.metrics.counters();
    let count = |name: &str| {
        let labels = [("offence", "invalid_block".to_owned())];
        counts.iter().find(|(k, _)| k.name == name && k.labels == labels).map(|(_, n)| *n)
    };
    assert!(count("peerd_misbehaviour_total") >= Some(1));
    assert_eq!(count("peerd_bans_total"), Some(1));
    assert_eq!(count("peerd_score_disconnects_total"), Some(1));
    let stored = persist::load(store.as_ref(), 0).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((&stored[0].0, stored[0].1.offence), (&liar(), Offence::InvalidBlock));
    // Asked to connect to it again (a rebalance would): refused.
    assert!(a.link.send(NodeRequest::Connect(MemoryNet::target("liar"))));
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(snapshot(&a).await.peers.iter().all(|p| p.peer != liar()));
    a.stop.cancel();

    // A restart on the same store (another name on the memory net) knows the ban at once.
    let b = fresh(&net, "restarted", &store, &[]);
    let s = snapshot(&b).await;
    assert_eq!(s.bans.iter().map(|b| b.peer.clone()).collect::<Vec<_>>(), [liar()]);
    assert!(b.link.send(NodeRequest::Connect(MemoryNet::target("liar"))));
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(snapshot(&b).await.peers.iter().all(|p| p.peer != liar()), "still refused");

    // The ban ends on time, in the store too, and the peer may be dialled again.
    tokio::time::sleep(BAN).await;
    let s = snapshot(&b).await;
    assert!(s.bans.is_empty(), "{:?}", s.bans);
    assert!(persist::load(store.as_ref(), 0).unwrap().is_empty());
    assert!(b.link.send(NodeRequest::Connect(MemoryNet::target("liar"))));
    let status = b.status.clone();
    let mut connected = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if status.snapshot().await.unwrap().peers.iter().any(|p| p.peer == liar()) {
            connected = true;
            break;
        }
    }
    assert!(connected, "dialled again once the ban ended");
}

#[tokio::test(start_paused = true)]
async fn a_static_liar_is_scored_and_logged_but_never_banned() {
    let net = MemoryNet::new(22);
    servers(&net);
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let a = fresh(&net, "fresh", &store, &["liar"]);
    let chain = a.chain.clone();
    wait_for("sync past the liar", Duration::from_secs(900), || chain.height().unwrap() == HEIGHT)
        .await;
    let s = snapshot(&a).await;
    assert!(s.bans.is_empty(), "{:?}", s.bans);
    let liar = s.peers.iter().find(|p| p.peer == liar()).expect("still connected");
    assert!(liar.score >= 50.0, "scored: {}", liar.score);
    assert!(persist::load(store.as_ref(), 0).unwrap().is_empty());
}

/// Asks `node` for its height from a bare memory client named `name`.
async fn height_from(net: &MemoryNet, name: &str, node: &str) -> peerd_api::Response {
    use peerd_api::{Request, RequestId, Transport, TransportCommand, TransportContext};
    use peerd_api::{TransportEvent, CHANNEL_CAPACITY};
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let ctx = TransportContext {
        chain: "toy".into(),
        version: "client".into(),
        events: events_tx,
        shutdown: tokio_util::sync::CancellationToken::new(),
        metrics: Default::default(),
    };
    let handle = Box::new(net.transport(name)).start(ctx).unwrap();
    handle.commands.send(TransportCommand::Dial(MemoryNet::target(node))).await.unwrap();
    let peer = loop {
        if let Some(TransportEvent::Connected { peer, .. }) = events.recv().await {
            break peer;
        }
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    let ask = TransportCommand::Request { id: RequestId(1), peer, request: Request::Height, reply };
    handle.commands.send(ask).await.unwrap();
    answer.await.unwrap().unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_banned_inbound_client_is_answered_banned() {
    let net = MemoryNet::new(23);
    servers(&net);
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let a = fresh(&net, "fresh", &store, &[]);
    let chain = a.chain.clone();
    wait_for("sync", Duration::from_secs(900), || chain.height().unwrap() == HEIGHT).await;
    let asked = height_from(&net, "mallory-1", "fresh").await;
    assert_eq!(asked, peerd_api::Response::Height(HEIGHT), "served before the ban");

    // A handler reports the client (an invalid item scores past the threshold at once).
    let mallory = PeerId::new(&b"mallory-2"[..]);
    let reason = "invalid note".to_owned();
    assert!(a.link.send(NodeRequest::Misbehaved { peer: mallory.clone(), reason }));
    let status = a.status.clone();
    let mut banned = false;
    for _ in 0..60 {
        if status.snapshot().await.unwrap().bans.iter().any(|b| b.peer == mallory) {
            banned = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(banned, "the report bans the client");
    let refused = height_from(&net, "mallory-2", "fresh").await;
    assert_eq!(refused, peerd_api::Response::Error("banned".into()));
    a.stop.cancel();
}
