//! A user's handler plugin in running kernels: the `notes` plugin of `plugins/example`,
//! registered next to the built-in `block` handler, on three nodes of the memory
//! transport (a → b → c). A note submitted at `a` is stored there, relayed to `b` and on
//! to `c`, where a `note-query` finds it; an invalid note is acknowledged (as bitmarkd
//! acknowledges every item) but goes nowhere. Paused time.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    DialTarget, Item, Mode, ModeCell, Plugin, PluginConfig, Registry, Request, RequestId, Response,
    TokioClock, Transport, TransportCommand, TransportContext, TransportEvent, CHANNEL_CAPACITY,
};
use peerd_example::ed25519_dalek::SigningKey;
use peerd_example::{decode_reply, signed_note, NotePlugin, NoteQuery};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::Kernel;
use peerd_testkit::chain::ToyChain;
use peerd_transport_memory::MemoryNet;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

const T0: u64 = 1_700_000_000;

/// Starts node `name`; returns the node's metrics registry.
fn start(net: &MemoryNet, name: &str, statics: &[&str]) -> peerd_api::MetricsRegistry {
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
    let mut registry = Registry::new();
    NotePlugin.register(&PluginConfig::default(), &mut registry).unwrap();
    let store = Arc::new(peerd_store_memory::Store::new());
    // Standalone (no sync needed): Normal mode from the start.
    let sync = SyncConfig { min_upstreams: 0, ..SyncConfig::default() };
    let metrics = Arc::new(peerd_kernel::status::Metrics::default());
    let registry_of_node = metrics.registry().clone();
    let kernel = Kernel::new(Arc::new(ToyChain::new()), sync)
        .with_metrics(metrics)
        .with_mode(ModeCell::new(Mode::Stopped))
        .with_clock(Arc::new(TokioClock::starting_at(T0)))
        .with_statics(statics.iter().map(|s| MemoryNet::target(s)).collect())
        .with_handlers(registry, store);
    tokio::spawn(async move {
        kernel.run(&[handle], &mut events, &shutdown).await.unwrap();
    });
    registry_of_node
}

/// A bare client on the memory network.
struct Client {
    commands: mpsc::Sender<TransportCommand>,
    events: mpsc::Receiver<TransportEvent>,
    peers: std::collections::HashMap<String, peerd_api::PeerId>,
    next: u64,
}

impl Client {
    fn new(net: &MemoryNet) -> Self {
        let (tx, events) = mpsc::channel(CHANNEL_CAPACITY);
        let ctx = TransportContext {
            chain: "toy".into(),
            version: "client".into(),
            events: tx,
            shutdown: CancellationToken::new(),
            metrics: Default::default(),
        };
        let handle = Box::new(net.transport("client")).start(ctx).unwrap();
        Self { commands: handle.commands.clone(), events, peers: Default::default(), next: 1 }
    }

    async fn ask(&mut self, to: &str, request: Request) -> Response {
        if !self.peers.contains_key(to) {
            let target: DialTarget = MemoryNet::target(to);
            self.commands.send(TransportCommand::Dial(target)).await.unwrap();
            let peer = loop {
                if let Some(TransportEvent::Connected { peer, .. }) = self.events.recv().await {
                    break peer;
                }
            };
            self.peers.insert(to.to_owned(), peer);
        }
        let peer = self.peers[to].clone();
        let (reply, answer) = oneshot::channel();
        let id = RequestId(self.next);
        self.next += 1;
        self.commands.send(TransportCommand::Request { id, peer, request, reply }).await.unwrap();
        answer.await.unwrap().unwrap()
    }
}

async fn query(client: &mut Client, node: &str, author: [u8; 32]) -> usize {
    let item: Item = NoteQuery { author, since: 0, limit: 10 }.to_item();
    match client.ask(node, Request::Gossip(item)).await {
        Response::Reply(frames) => decode_reply(&frames, 280).unwrap().len(),
        other => panic!("note-query answered {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_user_plugin_stores_relays_and_answers_queries() {
    let net = MemoryNet::new(5);
    let metrics_of_a = start(&net, "a", &["b"]);
    start(&net, "b", &["c"]);
    start(&net, "c", &[]);
    tokio::time::sleep(Duration::from_secs(2)).await; // upstreams register
    let mut client = Client::new(&net);
    let key = SigningKey::from_bytes(&[7; 32]);
    let author = key.verifying_key().to_bytes();

    let note = signed_note(&key, T0, "hello from a user plugin");
    assert_eq!(client.ask("a", Request::Gossip(note)).await, Response::Ack);
    let mut waited = 0;
    while query(&mut client, "c", author).await == 0 {
        assert!(waited < 30, "the note never reached c");
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += 1;
    }
    assert_eq!(query(&mut client, "a", author).await, 1);
    assert_eq!(query(&mut client, "b", author).await, 1);

    // A forged note (signed by another key) is acknowledged but not stored or relayed.
    let mut forged = signed_note(&SigningKey::from_bytes(&[8; 32]), T0 + 1, "forged");
    forged.params[0] = author.to_vec().into();
    assert_eq!(client.ask("a", Request::Gossip(forged)).await, Response::Ack);
    tokio::time::sleep(Duration::from_secs(5)).await;
    for node in ["a", "b", "c"] {
        assert_eq!(query(&mut client, node, author).await, 1, "{node} kept only the real note");
    }

    // The plugin counts on the node's own registry, the one `/metrics` encodes.
    let mut text = String::new();
    metrics_of_a.encode(&mut text).unwrap();
    for line in [
        "peerd_notes_items_total{result=\"stored\"} 1",
        "peerd_notes_items_total{result=\"refused\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in a's metrics:\n{text}");
    }
}
