//! # peerd-announce — peer announcement
//!
//! bitmarkd's `announce` package as a peerd plugin (protocol §3.3–§3.7): the handler of the
//! `peer`, `rpc` and `heart` gossip items and of registrations (`R`).
//!
//! - **Peer tables**, one per transport, ordered by public key (compared as bytes) and
//!   including this node. Keys and listeners are the transport's own (ZeroMQ: 32-byte CURVE
//!   key and packed listeners; libp2p: peer id bytes and its multiaddr list) and opaque here
//!   except for size bounds ([`MAX_KEY_BYTES`], [`MAX_LISTENER_BYTES`]). Add rules: future
//!   timestamps clamped to now, expired announcements (older than 55 minutes) ignored,
//!   updates less than 7 minutes newer than the stored one ignored. Fed by `peer` items,
//!   registrations, introduced peers ([`peerd_api::NodeEvent::PeerIntroduced`]) and
//!   refreshed by live upstreams ([`peerd_api::NodeEvent::UpstreamAlive`]).
//! - **The `R` hook** records the registrant and answers with a random third peer of the
//!   same transport. With none known it returns `None` and the kernel introduces this node
//!   itself, where bitmarkd would answer `invalid public key`.
//! - **The rpc table** of RPC services by certificate fingerprint.
//! - **Self-announcement** 2 minutes after start, then every 11 minutes, with expiry (a
//!   [`peerd_api::NodeRequest::Release`] per expired peer) and a **rebalance** of changed
//!   tables: [`NodeRequest::Connect`](peerd_api::NodeRequest::Connect) for the 11 targets
//!   of [`targets`]. A rebalance also runs at start and whenever the
//!   [`RebalanceTrigger`] is requested (the kernel's "too few upstreams").
//! - **The peer cache** lives in the node's store (column [`CACHE_COLUMN`]) instead of
//!   bitmarkd's `peers.json`; saved after each cycle and at shutdown, restored at start
//!   through the add rules.
//! - Every table is capped ([`Config::max_entries`], 10,000 by default).
//!
//! ## Wiring into a node
//!
//! ```
//! use peerd_announce::AnnouncePlugin;
//! use peerd_api::{Plugin, PluginConfig};
//!
//! let plugin = AnnouncePlugin::new();
//! let trigger = plugin.rebalance_trigger();
//! // The kernel's rebalance channel (`Kernel::with_rebalance(tx)`) feeds the trigger:
//! // `tokio::spawn(trigger.forward(rx));`
//! # let _ = trigger;
//! let mut registry = peerd_api::Registry::new();
//! plugin.register(&PluginConfig::default(), &mut registry).unwrap();
//! ```

mod cache;
mod config;
mod handler;
mod plugin;
mod reach;
mod rebalance;
mod rpc;
mod table;
mod timers;

pub use cache::{load as load_cache, COLUMN as CACHE_COLUMN};
pub use config::{Config, ConfigError, RpcSelf, Settings};
pub use handler::AnnounceHandler;
pub use plugin::AnnouncePlugin;
pub use rebalance::{targets, RebalanceTrigger, LABELS};
pub use rpc::RpcEntry;
pub use table::PeerEntry;

/// Longest peer key accepted (libp2p peer ids are about 40 bytes, ZeroMQ keys 32).
pub const MAX_KEY_BYTES: usize = 128;
/// Longest peer listener list accepted (the libp2p transport sends at most 16 addresses of
/// 128 bytes in CBOR; bitmarkd's packed lists are a few 19-byte records).
pub const MAX_LISTENER_BYTES: usize = 4096;
/// Size of an RPC certificate fingerprint (SHA3-256).
pub const RPC_FINGERPRINT_BYTES: usize = 32;
/// Longest packed RPC listener list bitmarkd accepts.
pub const MAX_RPC_LISTENER_BYTES: usize = 100;
