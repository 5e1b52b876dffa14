//! Gossip through the kernel of a bridge: two transports (`a`, `b`, driven by the test
//! through their handles), a recording handler. Checks dispatch, bridging relay with
//! dedup, per-transport `peer` relay and registration, unknown kinds and mode gating.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::{
    async_trait, GossipMode, Handler, HandlerContext, HandlerError, InboundRequest, Item, ItemKind,
    Origin, Outcome, PeerId, Registration, Registry, Request, Response, TransportCommand,
    TransportEvent, TransportHandle,
};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::status::Metrics;
use peerd_kernel::Kernel;
use peerd_testkit::chain::ToyChain;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_util::sync::CancellationToken;

/// Reports each call; rejects items whose first parameter starts with `forged`, relays the
/// rest.
struct Recorder(mpsc::Sender<(Origin, Item)>);

#[async_trait]
impl Handler for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn kinds(&self) -> Vec<ItemKind> {
        vec![ItemKind::Peer, ItemKind::Block, "note".parse().unwrap()]
    }
    async fn handle(
        &self,
        _ctx: &HandlerContext,
        origin: &Origin,
        item: &Item,
    ) -> Result<Outcome, HandlerError> {
        let _ = self.0.send((origin.clone(), item.clone())).await;
        if item.params.first().is_some_and(|p| p.starts_with(b"forged")) {
            return Err(HandlerError::Rejected("forged".into()));
        }
        Ok(Outcome::Relay)
    }
}

struct Bridge {
    commands: Vec<mpsc::Receiver<TransportCommand>>,
    events: mpsc::Sender<TransportEvent>,
    calls: mpsc::Receiver<(Origin, Item)>,
    metrics: Arc<Metrics>,
}

fn handle(name: &str, commands: mpsc::Sender<TransportCommand>) -> TransportHandle {
    let local_id = PeerId::new(Bytes::from(format!("{name}-key")));
    TransportHandle::new(name, commands, GossipMode::Broadcast, local_id, Arc::new(Notify::new()))
        .with_listeners(Bytes::from(format!("{name}-listeners")))
}

/// A kernel on transports `a` and `b`; `min_upstreams` 0 is a standalone (Normal) node.
fn bridge(min_upstreams: usize) -> Bridge {
    let (tx_a, rx_a) = mpsc::channel(64);
    let (tx_b, rx_b) = mpsc::channel(64);
    let (events, mut events_rx) = mpsc::channel(64);
    let (calls_tx, calls) = mpsc::channel(64);
    let mut registry = Registry::new();
    registry.add_handler(Arc::new(Recorder(calls_tx))).unwrap();
    let metrics = Arc::new(Metrics::default());
    let sync = SyncConfig { min_upstreams, min_votes: 1, ..SyncConfig::default() };
    let kernel = Kernel::new(Arc::new(ToyChain::new()), sync)
        .with_handlers(registry, Arc::new(peerd_store_memory::Store::new()))
        .with_metrics(metrics.clone());
    let shutdown = CancellationToken::new();
    tokio::spawn(async move {
        let transports = [handle("a", tx_a), handle("b", tx_b)];
        kernel.run(&transports, &mut events_rx, &shutdown).await.unwrap();
    });
    Bridge { commands: vec![rx_a, rx_b], events, calls, metrics }
}

impl Bridge {
    async fn push(&self, transport: &str, item: Item) -> Response {
        let (reply, answer) = oneshot::channel();
        let request = Request::Gossip(item);
        let inbound = InboundRequest { transport: transport.into(), peer: None, request, reply };
        self.events.send(TransportEvent::Inbound(inbound)).await.unwrap();
        answer.await.unwrap()
    }

    async fn register(&self, transport: &str) -> Response {
        self.register_from(transport, None).await
    }

    /// A registration for key `them` from the connection of `peer`, if the transport knows it.
    async fn register_from(&self, transport: &str, peer: Option<PeerId>) -> Response {
        let (reply, answer) = oneshot::channel();
        let them = Registration {
            chain: "toy".into(),
            public_key: Bytes::from_static(b"them"),
            listeners: Bytes::new(),
            timestamp: 1,
        };
        let request = Request::Register(them);
        let inbound = InboundRequest { transport: transport.into(), peer, request, reply };
        self.events.send(TransportEvent::Inbound(inbound)).await.unwrap();
        answer.await.unwrap()
    }

    /// The broadcasts transport `index` received so far.
    fn broadcasts(&mut self, index: usize) -> Vec<Item> {
        let mut out = Vec::new();
        while let Ok(command) = self.commands[index].try_recv() {
            if let TransportCommand::Broadcast(item) = command {
                out.push(item);
            }
        }
        out
    }
}

fn item(kind: &str, text: &'static str) -> Item {
    Item::new(kind.parse().unwrap(), vec![Bytes::from_static(text.as_bytes())])
}

/// Lets the kernel's loop and the handler task run.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test(start_paused = true)]
async fn a_bridge_relays_between_transports_once() {
    let mut node = bridge(0);
    settle().await;
    let note = item("note", "hello");
    assert_eq!(node.push("a", note.clone()).await, Response::Ack);
    let (origin, seen) = node.calls.recv().await.unwrap();
    assert_eq!(origin, Origin::Remote { transport: "a".into(), peer: None });
    assert_eq!(seen, note);
    settle().await;
    assert_eq!(node.broadcasts(0), std::slice::from_ref(&note), "relayed on its own transport");
    assert_eq!(node.broadcasts(1), std::slice::from_ref(&note), "and across the bridge");

    // Coming back from the other side: a duplicate, acknowledged, not handled again.
    assert_eq!(node.push("b", note.clone()).await, Response::Ack);
    settle().await;
    assert!(node.calls.try_recv().is_err());
    assert!(node.broadcasts(0).is_empty() && node.broadcasts(1).is_empty());

    // A peer announcement stays on the transport it came from.
    let peer = item("peer", "announcement");
    node.push("b", peer.clone()).await;
    settle().await;
    assert!(node.broadcasts(0).is_empty());
    assert_eq!(node.broadcasts(1), [peer]);

    // An unknown kind is acknowledged and counted.
    assert_eq!(node.push("a", item("mystery", "?")).await, Response::Ack);
    let unknown = node.metrics.counters().into_iter().find(|(k, _)| {
        k.name == "peerd_gossip_ignored_total" && k.labels.iter().any(|(_, v)| v == "unknown_kind")
    });
    assert_eq!(unknown.map(|(_, n)| n), Some(1));
    // Under one label, whatever kinds a peer invents.
    assert_eq!(node.push("a", item("mystery-2", "?")).await, Response::Ack);
    let received = counted(&node, "peerd_gossip_received_total");
    assert!(received
        .iter()
        .any(|(labels, n)| labels.contains(&("kind", "other".into())) && *n == 2));
    assert!(received
        .iter()
        .all(|(labels, _)| !labels.iter().any(|(_, v)| v.starts_with("mystery"))));
}

/// The label sets and values of counter `name`.
fn counted(node: &Bridge, name: &str) -> Vec<(Vec<(&'static str, String)>, u64)> {
    let all = node.metrics.counters().into_iter();
    all.filter(|(k, _)| k.name == name).map(|(k, n)| (k.labels, n)).collect()
}

#[tokio::test(start_paused = true)]
async fn an_item_rejected_once_is_refused_again_without_its_handler() {
    let mut node = bridge(0);
    settle().await;
    let forged = item("note", "forged 1");
    for _ in 0..5 {
        assert_eq!(node.push("a", forged.clone()).await, Response::Ack, "acknowledged anyway");
    }
    settle().await;
    assert!(node.calls.try_recv().is_ok(), "the handler saw it once");
    assert!(node.calls.try_recv().is_err(), "and only once");
    let counts = counted(&node, "peerd_gossip_ignored_total");
    let reason =
        |r: &str| counts.iter().find(|(l, _)| l.contains(&("reason", r.into()))).map(|(_, n)| *n);
    assert_eq!(reason("rejected"), Some(1));
    assert_eq!(reason("rejected_before"), Some(4));
    assert!(node.broadcasts(0).is_empty() && node.broadcasts(1).is_empty(), "never relayed");

    // Another item is handled as usual, and the rejection is forgotten after a while.
    node.push("a", item("note", "forged 2")).await;
    assert!(node.calls.recv().await.is_some());
    tokio::time::sleep(Duration::from_secs(601)).await;
    node.push("a", forged).await;
    assert!(node.calls.recv().await.is_some(), "handled again once the rejection expired");
}

#[tokio::test(start_paused = true)]
async fn registrations_are_answered_with_the_identity_of_their_transport() {
    let node = bridge(0);
    for name in ["a", "b"] {
        let Response::Register(me) = node.register(name).await else { panic!("no registration") };
        assert_eq!(me.public_key, Bytes::from(format!("{name}-key")));
        assert_eq!(me.listeners, Bytes::from(format!("{name}-listeners")));
    }
}

/// An `R` naming a key other than the one its connection proved (the CURVE key from ZAP,
/// the libp2p peer id) is refused with bitmarkd's `invalid public key`; one naming its own
/// key, or from a transport that cannot tell, is answered.
#[tokio::test(start_paused = true)]
async fn a_registration_must_name_the_key_it_came_from() {
    let node = bridge(0);
    let liar = Some(PeerId::new(Bytes::from_static(b"someone-else")));
    assert_eq!(node.register_from("a", liar).await, Response::Error("invalid public key".into()));
    let honest = Some(PeerId::new(Bytes::from_static(b"them")));
    assert!(matches!(node.register_from("a", honest).await, Response::Register(_)));
    assert!(matches!(node.register_from("a", None).await, Response::Register(_)));
}

#[tokio::test(start_paused = true)]
async fn blocks_are_ignored_while_resynchronising_but_announcements_are_not() {
    let mut node = bridge(1); // no upstreams: stays in Resynchronise
    settle().await;
    assert_eq!(node.push("a", item("block", "b")).await, Response::Ack);
    node.push("a", item("peer", "p")).await;
    let (_, seen) = node.calls.recv().await.unwrap();
    assert_eq!(seen.kind, ItemKind::Peer, "the block never reached its handler");
    settle().await;
    assert!(node.calls.try_recv().is_err());
}
