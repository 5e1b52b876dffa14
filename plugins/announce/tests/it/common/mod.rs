//! A handler context on a toy chain, a memory store and a paused-time clock.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use bytes::Bytes;
use peerd_announce::{AnnounceHandler, Config};
use peerd_api::{
    HandlerContext, Item, ItemKind, LocalIdentity, NodeRequest, Origin, Registration, Store,
    TokioClock,
};
use peerd_testkit::chain::ToyChain;
use tokio::sync::mpsc;

/// Unix time at the start of every test.
pub const START: u64 = 1_700_000_000;

/// A 32-byte key filled with `b`.
pub fn key(b: u8) -> Bytes {
    Bytes::from(vec![b; 32])
}

/// Listeners naming `b` (opaque to the handler).
pub fn listeners(b: u8) -> Bytes {
    Bytes::from(vec![19, 0x08, 0x54, b])
}

/// Our ZeroMQ identity (key 0x50) and a libp2p one without listeners.
pub fn identities() -> Vec<LocalIdentity> {
    vec![
        LocalIdentity { transport: "zmq".into(), key: key(0x50), listeners: listeners(0x50) },
        LocalIdentity { transport: "libp2p".into(), key: key(0x51), listeners: Bytes::new() },
    ]
}

/// The kernel's side of a context.
pub struct Kernel {
    pub ctx: HandlerContext,
    pub requests: mpsc::Receiver<NodeRequest>,
}

/// A context starting at `unix`, on `store`. Create it inside the (paused) runtime.
pub fn context_at(unix: u64, store: Arc<dyn Store>) -> Kernel {
    let (ctx, requests) = peerd_testkit::handler::context(Arc::new(ToyChain::new()), store);
    let ctx = ctx
        .with_clock(Arc::new(TokioClock::starting_at(unix)))
        .with_identities(identities().into());
    Kernel { ctx, requests }
}

/// A context at [`START`] on a fresh memory store.
pub fn context() -> Kernel {
    context_at(START, Arc::new(peerd_store_memory::Store::new()))
}

/// A handler with the default settings.
pub fn handler() -> AnnounceHandler {
    AnnounceHandler::new(Config::default().validate().expect("defaults are valid"))
}

/// A `peer` item.
pub fn peer_item(k: &Bytes, l: &Bytes, ts: u64) -> Item {
    Item::new(ItemKind::Peer, vec![k.clone(), l.clone(), Bytes::copy_from_slice(&ts.to_be_bytes())])
}

/// An `rpc` item.
pub fn rpc_item(fingerprint: &Bytes, l: &Bytes, ts: u64) -> Item {
    Item::new(
        ItemKind::Rpc,
        vec![fingerprint.clone(), l.clone(), Bytes::copy_from_slice(&ts.to_be_bytes())],
    )
}

/// A remote origin on `transport`.
pub fn remote(transport: &str) -> Origin {
    Origin::Remote { transport: transport.into(), peer: None }
}

/// Requests sent so far, without waiting.
pub fn drain(requests: &mut mpsc::Receiver<NodeRequest>) -> Vec<NodeRequest> {
    std::iter::from_fn(|| requests.try_recv().ok()).collect()
}

/// The keys of the `Connect` requests among `requests`.
pub fn connects(requests: &[NodeRequest]) -> Vec<(String, Bytes)> {
    requests
        .iter()
        .filter_map(|r| match r {
            NodeRequest::Connect(t) => Some((t.transport.clone(), t.key.clone())),
            _ => None,
        })
        .collect()
}

/// The registration of the peer with key and listeners `b`, at [`START`].
pub fn registration(b: u8) -> Registration {
    Registration {
        chain: "local".into(),
        public_key: key(b),
        listeners: listeners(b),
        timestamp: START,
    }
}
