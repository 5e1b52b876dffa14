//! # peerd-transport-memory — an in-process transport with fault injection
//!
//! Many nodes in one process talk through a [`MemoryNet`]: an explicit, cheaply cloned
//! handle (there is no global state, so tests are isolated). Each node starts a
//! [`MemoryTransport`] made by [`MemoryNet::transport`] and is addressed by its name:
//! its [`peerd_api::PeerId`] is the name's bytes, and [`MemoryNet::target`] gives the
//! [`peerd_api::DialTarget`] (`transport = "memory"`, key and listeners = the name).
//!
//! The transport behaves like the ZeroMQ one, so that kernel tests on it carry over:
//!
//! - one request in flight per outgoing connection; the rest wait in order in a bounded
//!   queue ([`MemoryTransport::queue_limit`]); a request gets [`TransportError::Timeout`]
//!   after [`MemoryTransport::timeout`] (60 s by default);
//! - the server forwards requests as [`peerd_api::TransportEvent::Inbound`]; a dropped
//!   reply slot is answered with an error reply reading [`UNANSWERED`]; a request for another
//!   chain is answered by the transport itself with bitmarkd's exact
//!   `invalid chain: actual: "<got>"  expect: <chain>`;
//! - messages above [`peerd_api::MAX_MESSAGE_BYTES`] (counted as bitmarkd's frames) are
//!   refused: a request with [`TransportError::TooLarge`] when sent (and, should one arrive,
//!   dropped by the server, so its requester times out); a reply on receipt, failing its
//!   request with `TooLarge`; other traffic goes on;
//! - connections report `Connected`/`Disconnected` as their link comes and goes and redial
//!   by themselves; gossip is pushed per peer ([`peerd_api::GossipMode::PerPeer`]).
//!
//! The net injects faults, changeable at run time: drop, delay, duplicate and reorder
//! ([`Faults`], net-wide or per direction of a link), [`MemoryNet::partition`] /
//! [`MemoryNet::heal`], [`MemoryNet::kill`] / [`MemoryNet::revive`], and it counts
//! messages ([`NetStats`]). Decisions come from one generator seeded by
//! [`MemoryNet::new`]; delays use `tokio::time`, so paused-time tests advance by themselves.
//!
//! ## Example
//!
//! ```
//! use std::time::Duration;
//! use peerd_api::{Request, RequestId, Response, Transport, TransportCommand, TransportContext,
//!                 TransportEvent, CHANNEL_CAPACITY};
//! use peerd_transport_memory::{Faults, MemoryNet};
//! use tokio::sync::{mpsc, oneshot};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let net = MemoryNet::new(42);
//! let start = |name: &str| {
//!     let (events, rx) = mpsc::channel(CHANNEL_CAPACITY);
//!     let ctx = TransportContext { chain: "dev".into(), version: "0".into(), events,
//!                                  shutdown: Default::default(),
//!                                  metrics: Default::default() };
//!     (Box::new(net.transport(name)).start(ctx).unwrap(), rx)
//! };
//! let (_server, mut server_events) = start("server");
//! let (client, mut client_events) = start("client");
//! // The server answers every request with height 7.
//! tokio::spawn(async move {
//!     while let Some(event) = server_events.recv().await {
//!         if let TransportEvent::Inbound(inbound) = event {
//!             let _ = inbound.reply.send(Response::Height(7));
//!         }
//!     }
//! });
//! net.set_faults(Faults::default().with_delay(Duration::from_secs(2), Duration::from_secs(2)));
//! client.commands.send(TransportCommand::Dial(MemoryNet::target("server"))).await.unwrap();
//! while !matches!(client_events.recv().await, Some(TransportEvent::Connected { .. })) {}
//! let (reply, answer) = oneshot::channel();
//! let peer = MemoryNet::peer_id("server");
//! let asked = tokio::time::Instant::now();
//! client.commands.send(TransportCommand::Request { id: RequestId(1), peer, request: Request::Height, reply })
//!     .await.unwrap();
//! assert_eq!(answer.await.unwrap().unwrap(), Response::Height(7));
//! assert!(asked.elapsed() >= Duration::from_secs(4)); // 2 s there, 2 s back, in paused time
//! # }
//! ```

mod connection;
mod faults;
mod net;
mod server;
mod transport;
mod wire;

use std::time::Duration;

use peerd_api::TransportError;
use serde::{Deserialize, Serialize};

pub use faults::Faults;
pub use net::{MemoryNet, NetStats};
pub use server::UNANSWERED;
pub use transport::{MemoryTransport, DEFAULT_QUEUE_LIMIT, DEFAULT_TIMEOUT};

/// The transport's name: the `kind` of its config section and of its dial targets.
pub const TRANSPORT_NAME: &str = "memory";

/// The `[[transports]]` entry with `kind = "memory"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// This node's name on the in-process network (defaults to `[node] name`).
    pub name: Option<String>,
    /// Names of nodes on the same in-process network to connect to.
    pub peers: Vec<String>,
    /// Seconds a request waits for its reply (60 when unset).
    pub request_timeout_secs: Option<u64>,
    /// Requests that may wait on one connection ([`DEFAULT_QUEUE_LIMIT`] when unset).
    pub queue_limit: Option<usize>,
}

/// Builds the transport of the node `node_name` (used when `config.name` is unset) on `net`.
///
/// # Errors
///
/// [`TransportError::Config`] if the name is empty or a limit is zero.
pub fn build(
    net: &MemoryNet,
    config: &Config,
    node_name: &str,
) -> Result<MemoryTransport, TransportError> {
    let invalid = |reason: &str| TransportError::Config {
        transport: TRANSPORT_NAME,
        reason: reason.to_owned(),
    };
    let name = config.name.as_deref().unwrap_or(node_name);
    if name.is_empty() {
        return Err(invalid("the node name is empty"));
    }
    if config.peers.iter().any(String::is_empty) {
        return Err(invalid("a peer name is empty"));
    }
    let mut transport = net.transport(name).peers(config.peers.iter().cloned());
    match config.request_timeout_secs {
        Some(0) => return Err(invalid("request_timeout_secs must be at least 1")),
        Some(secs) => transport = transport.timeout(Duration::from_secs(secs)),
        None => {}
    }
    match config.queue_limit {
        Some(0) => return Err(invalid("queue_limit must be at least 1")),
        Some(limit) => transport = transport.queue_limit(limit),
        None => {}
    }
    Ok(transport)
}
