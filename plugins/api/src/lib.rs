//! # peerd-api — the plugin contract of peerd
//!
//! peerd is a small kernel (connector state machine and voting) plus plugins. This crate
//! is the only thing plugins depend on. It defines:
//!
//! - [`Transport`]: moves [`Request`]s, [`Response`]s and gossip [`Item`]s between peers
//!   (ZeroMQ byte-compatible with bitmarkd, libp2p, in-memory). A transport runs as its
//!   own task and talks to the kernel over bounded channels.
//! - [`Store`]: an ordered key-value store with named [`Column`]s and atomic
//!   [`WriteBatch`]es (sled, RocksDB, memory).
//! - [`Chain`]: the seam between the kernel and the block format (height, digest of block
//!   N, packed block N, accept, delete down).
//! - [`Handler`] and [`Plugin`]: what the node does with each gossip item, registered in a
//!   [`Registry`] at start-up.
//!
//! Each boundary has one error enum: [`TransportError`], [`StoreError`], [`ChainError`],
//! [`HandlerError`], [`PluginError`].
//!
//! ## Implementing a handler plugin
//!
//! ```
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use peerd_api::{Handler, HandlerContext, HandlerError, Item, ItemKind, Origin, Outcome,
//!                 Plugin, PluginConfig, PluginError, Registry};
//!
//! /// Relays `hello` items that are at most 64 bytes long.
//! struct Hello;
//!
//! #[async_trait]
//! impl Handler for Hello {
//!     fn name(&self) -> &str { "hello" }
//!     fn kinds(&self) -> Vec<ItemKind> { vec!["hello".parse().expect("valid kind")] }
//!     async fn handle(&self, _ctx: &HandlerContext, _origin: &Origin, item: &Item)
//!         -> Result<Outcome, HandlerError>
//!     {
//!         if item.payload_len() > 64 {
//!             return Err(HandlerError::rejected("hello too long"));
//!         }
//!         Ok(Outcome::Relay)
//!     }
//! }
//!
//! struct HelloPlugin;
//!
//! impl Plugin for HelloPlugin {
//!     fn name(&self) -> &str { "hello" }
//!     fn register(&self, _config: &PluginConfig, registry: &mut Registry) -> Result<(), PluginError> {
//!         registry.add_handler(Arc::new(Hello))
//!     }
//! }
//!
//! let mut registry = Registry::new();
//! HelloPlugin.register(&PluginConfig::default(), &mut registry).unwrap();
//! assert!(registry.handler_for(&"hello".parse().unwrap()).is_some());
//! // A second registration of the same kind is a start-up error.
//! assert!(HelloPlugin.register(&PluginConfig::default(), &mut registry).is_err());
//! ```
//!
//! ## Implementing a store
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::RwLock;
//! use peerd_api::{BatchOp, Column, ColumnStats, KeyRange, ScanIter, Store, StoreError, WriteBatch};
//!
//! /// A toy store: one map keyed by (column, key).
//! #[derive(Default)]
//! struct Toy(RwLock<BTreeMap<(&'static str, Vec<u8>), Vec<u8>>>);
//!
//! impl Store for Toy {
//!     fn kind(&self) -> &'static str { "toy" }
//!     fn get(&self, c: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
//!         Ok(self.0.read().unwrap().get(&(c.name(), key.to_vec())).cloned())
//!     }
//!     fn scan(&self, c: Column, range: KeyRange) -> Result<ScanIter<'_>, StoreError> {
//!         let map = self.0.read().unwrap();
//!         let mut rows: Vec<_> = map.iter()
//!             .filter(|((col, k), _)| *col == c.name() && range.contains(k))
//!             .map(|((_, k), v)| Ok((k.clone(), v.clone())))
//!             .collect();
//!         if range.reverse { rows.reverse(); }
//!         Ok(Box::new(rows.into_iter()))
//!     }
//!     fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
//!         let mut map = self.0.write().unwrap(); // one lock: all or nothing
//!         for op in batch.into_ops() {
//!             match op {
//!                 BatchOp::Put { column, key, value } => { map.insert((column.name(), key), value); }
//!                 BatchOp::Delete { column, key } => { map.remove(&(column.name(), key)); }
//!             }
//!         }
//!         Ok(())
//!     }
//!     fn flush(&self) -> Result<(), StoreError> { Ok(()) }
//!     fn stats(&self) -> Result<Vec<ColumnStats>, StoreError> { Ok(vec![]) }
//! }
//!
//! const BLOCKS: Column = Column::new("blocks");
//! let store = Toy::default();
//! store.put(BLOCKS, &2u64.to_be_bytes(), b"two").unwrap();
//! store.put(BLOCKS, &10u64.to_be_bytes(), b"ten").unwrap();
//! let (last, _) = store.last(BLOCKS).unwrap().unwrap();
//! assert_eq!(last, 10u64.to_be_bytes()); // big-endian keys sort numerically
//! ```
//!
//! ## Implementing a transport
//!
//! A transport answers inbound requests by forwarding them to the kernel as
//! [`TransportEvent::Inbound`] and executes the kernel's [`TransportCommand`]s:
//!
//! ```
//! use std::sync::Arc;
//! use tokio::sync::{mpsc, Notify};
//! use peerd_api::{Addr, GossipMode, PeerId, Response, Transport, TransportCommand,
//!                 TransportContext, TransportError, TransportHandle, CHANNEL_CAPACITY};
//!
//! /// A transport with no peers: every request fails with `NotConnected`.
//! struct Loner;
//!
//! impl Transport for Loner {
//!     fn name(&self) -> &str { "loner" }
//!     fn start(self: Box<Self>, ctx: TransportContext) -> Result<TransportHandle, TransportError> {
//!         let (tx, mut rx) = mpsc::channel(CHANNEL_CAPACITY);
//!         let stopped = Arc::new(Notify::new());
//!         let done = stopped.clone();
//!         tokio::spawn(async move {
//!             loop {
//!                 tokio::select! {
//!                     _ = ctx.shutdown.cancelled() => break,
//!                     cmd = rx.recv() => match cmd {
//!                         Some(TransportCommand::Request { peer, reply, .. }) => {
//!                             let _ = reply.send(Err(TransportError::NotConnected(peer)));
//!                         }
//!                         Some(_) => {}
//!                         None => break,
//!                     },
//!                 }
//!             }
//!             done.notify_waiters();
//!         });
//!         let me = PeerId::new(&b"me"[..]);
//!         Ok(TransportHandle::new("loner", tx, GossipMode::PerPeer, me, stopped)
//!             .with_listen_addrs(vec![Addr::new("loner://me")]))
//!     }
//! }
//! # let rt = tokio::runtime::Runtime::new().unwrap();
//! # rt.block_on(async {
//! let (events, _rx) = mpsc::channel(CHANNEL_CAPACITY);
//! let ctx = TransportContext { chain: "dev".into(), version: "0".into(), events,
//!                              shutdown: Default::default(),
//!                              metrics: Default::default() };
//! let handle = Box::new(Loner).start(ctx).unwrap();
//! let (reply, answer) = tokio::sync::oneshot::channel();
//! handle.commands.send(TransportCommand::Request {
//!     id: peerd_api::RequestId(1), peer: PeerId::new(&b"x"[..]),
//!     request: peerd_api::Request::Height, reply,
//! }).await.unwrap();
//! assert!(matches!(answer.await.unwrap(), Err(TransportError::NotConnected(_))));
//! # });
//! ```
//!
//! The chain seam, [`Chain`], is implemented by `peerd-bitmark`; see its docs.

mod chain;
mod digest;
pub mod gate;
mod handler;
mod message;
pub mod metrics;
mod mode;
mod peer;
mod plugin;
mod store;
mod transport;
mod wire;

pub use chain::{Accepted, BlockMeta, Chain, ChainError, ChainLayer, DigestSource};
pub use digest::{Digest, DigestParseError};
pub use gate::{Gate, Refused};
pub use handler::{
    Handler, HandlerContext, HandlerError, LocalIdentity, NodeEvent, NodeLink, NodeRequest, Origin,
    Outcome, MAX_RETURNED_BLOCKS, MAX_RETURNED_BYTES,
};
pub use message::{
    Item, ItemKind, ItemKindError, NodeInfo, Registration, Request, Response, MAX_KIND_LEN,
    MAX_MESSAGE_BYTES,
};
pub use metrics::{prometheus_client, MetricsRegistry, TransportMeters};
pub use mode::{Clock, Mode, ModeCell, SystemClock, TokioClock};
pub use peer::{Addr, DialTarget, Direction, PeerId};
/// bitmarkd's `invalid chain` text ([`peerd_wire::quote`]), which every transport sends.
pub use peerd_wire::quote::invalid_chain_text;
pub use plugin::{Plugin, PluginConfig, PluginError, Registry, TransactionPool};
pub use store::{
    open_patiently, prefix_successor, BatchOp, Column, ColumnStats, KeyRange, KeyValue, ScanIter,
    Store, StoreError, WriteBatch, LOCK_PATIENCE,
};
pub use transport::{
    DialFailure, GossipMode, InboundRequest, RequestId, Server, Transport, TransportCommand,
    TransportContext, TransportError, TransportEvent, TransportHandle, CHANNEL_CAPACITY,
};

/// Re-exported so plugins name the same versions as the kernel.
pub use async_trait::async_trait;
pub use bytes;
pub use tokio_util::sync::CancellationToken;
