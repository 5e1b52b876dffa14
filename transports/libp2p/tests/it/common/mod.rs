//! Helpers shared by the integration tests: nodes on 127.0.0.1 with quick redials.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use peerd_transport_libp2p::libp2p::identity::Keypair;
use peerd_transport_libp2p::libp2p::Multiaddr;
use peerd_transport_libp2p::Libp2pTransport;

/// A fresh loopback address with a port chosen by the system.
pub fn loopback() -> Multiaddr {
    "/ip4/127.0.0.1/tcp/0".parse().unwrap()
}

/// A transport for `key` listening on `addrs`, redialling within a second, dialling only
/// the peers it is told to (no discovery dials: tests choose their topology).
pub fn transport(key: Keypair, addrs: Vec<Multiaddr>) -> Libp2pTransport {
    Libp2pTransport::new(key)
        .listen(addrs)
        .discover(false)
        .redial(Duration::from_millis(100), Duration::from_secs(1))
}

/// Log output for a failing test: `RUST_LOG=peerd_transport_libp2p=debug`.
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

pub mod full;
pub mod raw;

use peerd_api::{Item, PeerId, Request, Response, TransportCommand, TransportEvent};
use peerd_testkit::transport::TestNode;
use tokio::sync::mpsc;

/// A libp2p node on loopback with a fresh identity, on `chain`.
pub fn node(label: &str, chain: &str) -> TestNode {
    let transport = transport(Keypair::generate_ed25519(), vec![loopback()]);
    TestNode::launch(Box::new(transport), label, chain)
}

/// What the emulated kernel of [`relaying_kernel`] saw.
#[derive(Debug)]
pub enum Seen {
    /// A gossipsub item, and who forwarded it.
    Gossip(Option<PeerId>, Item),
    /// A request (gossip pushes of custom kinds arrive so).
    Request(Option<PeerId>, Request),
}

/// Takes over `node`'s events as a kernel would for gossip: every gossiped item is reported
/// and, when `relay` says so (the handler's `Relay`), broadcast back to the transport; every
/// request is acknowledged.
pub fn relaying_kernel(node: &mut TestNode, relay: fn(&Item) -> bool) -> mpsc::Receiver<Seen> {
    let (seen_tx, seen) = mpsc::channel(1024);
    let (_, closed) = mpsc::channel(1);
    let mut events = std::mem::replace(&mut node.events, closed);
    let commands = node.handle.commands.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                TransportEvent::Gossip { peer, item, .. } => {
                    if relay(&item) {
                        let _ = commands.send(TransportCommand::Broadcast(item.clone())).await;
                    }
                    let _ = seen_tx.send(Seen::Gossip(peer, item)).await;
                }
                TransportEvent::Inbound(inbound) => {
                    let _ = inbound.reply.send(Response::Ack);
                    let _ = seen_tx.send(Seen::Request(inbound.peer, inbound.request)).await;
                }
                _ => {}
            }
        }
    });
    seen
}
