//! Helpers shared by the memory transport's own tests.

#![allow(dead_code, unreachable_pub)]

use peerd_api::{Digest, PeerId, Request, Response};
use peerd_testkit::transport::{TestNode, CHAIN};
use peerd_transport_memory::{MemoryNet, MemoryTransport};
use tokio::sync::mpsc;

/// Starts the node `name` on `net` with default settings.
pub fn start(net: &MemoryNet, name: &str) -> TestNode {
    start_with(net.transport(name), name)
}

/// Starts a configured memory transport as the node `name`.
pub fn start_with(transport: MemoryTransport, name: &str) -> TestNode {
    TestNode::launch(Box::new(transport), name, CHAIN)
}

/// The id of the node `name`.
pub fn id(name: &str) -> PeerId {
    MemoryNet::peer_id(name)
}

/// A digest that encodes `n`, so that an answer shows which request it belongs to.
pub fn digest_of(n: u64) -> Digest {
    let mut raw = [0u8; 32];
    raw[..8].copy_from_slice(&n.to_be_bytes());
    Digest(raw)
}

/// Answers `Digest(n)` with [`digest_of`]`(n)`, `Height` with 1; reports every request.
pub fn serve_digests(node: &mut TestNode) -> mpsc::Receiver<(Option<PeerId>, Request)> {
    node.serve(|request| match request {
        Request::Digest(n) => Some(Response::Digest(digest_of(*n))),
        _ => Some(Response::Height(1)),
    })
}
