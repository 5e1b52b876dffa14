//! A peer a transport discovers on its own (libp2p's Kademlia or mDNS) is not dialled by the
//! transport: it reaches the kernel as `TransportEvent::Discovered`, and the kernel hands it
//! to the peer layer as `NodeEvent::PeerIntroduced`, from where only the rebalance (through
//! the kernel's dialer) may connect it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::{
    async_trait, DialTarget, Handler, HandlerContext, HandlerError, Item, ItemKind, Mode, ModeCell,
    NodeEvent, Origin, Outcome, Registry, TokioClock, Transport, TransportContext, TransportEvent,
    CHANNEL_CAPACITY,
};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::Kernel;
use peerd_testkit::chain::ToyChain;
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kernel::wait_for;

/// Records the peers introduced to the peer layer.
#[derive(Default)]
struct Introductions(Mutex<Vec<(String, Bytes, Bytes)>>);

#[async_trait]
impl Handler for Introductions {
    fn name(&self) -> &str {
        "introductions"
    }

    fn kinds(&self) -> Vec<ItemKind> {
        vec![ItemKind::Peer]
    }

    async fn handle(
        &self,
        _: &HandlerContext,
        _: &Origin,
        _: &Item,
    ) -> Result<Outcome, HandlerError> {
        Ok(Outcome::Accepted)
    }

    async fn on_event(&self, _: &HandlerContext, event: &NodeEvent) -> Result<(), HandlerError> {
        if let NodeEvent::PeerIntroduced { transport, peer } = event {
            let entry = (transport.clone(), peer.public_key.clone(), peer.listeners.clone());
            self.0.lock().unwrap().push(entry);
        }
        Ok(())
    }
}

fn found(name: &str) -> DialTarget {
    DialTarget {
        transport: peerd_transport_memory::TRANSPORT_NAME.to_owned(),
        key: Bytes::copy_from_slice(name.as_bytes()),
        listeners: Bytes::from(format!("{name}-listeners")),
    }
}

#[tokio::test(start_paused = true)]
async fn a_discovered_peer_goes_to_the_peer_layer_and_is_not_dialled() {
    let net = MemoryNet::new(41);
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let inject = events_tx.clone();
    let shutdown = CancellationToken::new();
    let ctx = TransportContext {
        chain: "toy".into(),
        version: "test".into(),
        events: events_tx,
        shutdown: shutdown.clone(),
        metrics: Default::default(),
    };
    let handle = Box::new(net.transport("me")).start(ctx).unwrap();
    let seen = Arc::new(Introductions::default());
    let mut registry = Registry::new();
    registry.add_handler(seen.clone()).unwrap();
    let sync = SyncConfig { min_upstreams: 0, ..SyncConfig::default() };
    let metrics = Arc::new(peerd_kernel::status::Metrics::default());
    let kernel = Kernel::new(Arc::new(ToyChain::new()), sync)
        .with_mode(ModeCell::new(Mode::Stopped))
        .with_clock(Arc::new(TokioClock::starting_at(1_700_000_000)))
        .with_metrics(metrics.clone())
        .with_handlers(registry, Arc::new(peerd_store_memory::Store::new()));
    let stop = shutdown.clone();
    tokio::spawn(async move { kernel.run(&[handle], &mut events, &shutdown).await.unwrap() });

    inject.send(TransportEvent::Discovered(found("kad-peer"))).await.unwrap();
    let introduced = || seen.0.lock().unwrap().len() == 1;
    wait_for("the discovered peer introduced", Duration::from_secs(5), introduced).await;
    let (transport, key, listeners) = seen.0.lock().unwrap()[0].clone();
    assert_eq!(transport, peerd_transport_memory::TRANSPORT_NAME);
    assert_eq!(key, Bytes::from_static(b"kad-peer"));
    assert_eq!(listeners, Bytes::from_static(b"kad-peer-listeners"));
    tokio::time::sleep(Duration::from_secs(30)).await;
    let started: u64 = metrics
        .counters()
        .into_iter()
        .filter(|(k, _)| k.name == "peerd_dials_total")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(started, 0, "discovery alone dials nobody");
    stop.cancel();
}
