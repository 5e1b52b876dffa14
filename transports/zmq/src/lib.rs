//! # peerd-transport-zmq — ZeroMQ, byte-compatible with bitmarkd
//!
//! A node running this transport looks like bitmarkd to bitmarkd peers and to bitmarkd's
//! third-party clients (`docs/protocol.md` §1–§3, §6):
//!
//! - **Listener**: CURVE server ROUTER sockets (one per address family; `*` is the
//!   dual-stack `::`) with bitmarkd's options (§1.4: `MAXMSGSIZE` 5,000,000, keepalive,
//!   `LINGER` 100 ms, `IMMEDIATE`, routing id = public key). Any client key is accepted, as
//!   bitmarkd's ZAP with `CURVE_ALLOW_ANY` does; our ZAP handler (`zap.rs`) records each client's
//!   key, so inbound requests name their sender, and refuses the keys the kernel banned and,
//!   once the kernel has handed over its client pool ([`peerd_api::TransportCommand::Admit`],
//!   `admit.rs`), the clients the pool has no room for. Each client may have at most 64
//!   requests and 16 MiB waiting for answers (`answers.rs`); past that it is answered
//!   `node busy` at once, so its backlog never delays another client.
//!   REQ clients (with or without `REQ_CORRELATE`/`REQ_RELAXED`) see REP semantics: the
//!   envelope is echoed. Unlike bitmarkd's REP, requests from different clients are
//!   answered independently, so one slow answer never holds up the others. Frames are
//!   decoded as `peer/listener.go` does ([`wire`]); requests go to the kernel as
//!   [`peerd_api::TransportEvent::Inbound`] and the answers are encoded back, errors as
//!   `["E", text]` with bitmarkd's texts.
//! - **Upstreams**: one CURVE REQ socket per dialled peer (`REQ_CORRELATE`, `REQ_RELAXED`,
//!   random identity, the chain-name prefix frame), one request in flight and the rest
//!   queued, a request timeout, a socket monitor that reports `Connected` after the CURVE
//!   handshake and `Disconnected` when the connection drops, after which the socket is
//!   closed and reopened to the same address (bitmarkd's `Reconnect`).
//! - **Gossip**: [`peerd_api::GossipMode::PerPeer`]: the kernel pushes items as requests on
//!   the upstreams. [`peerd_api::TransportCommand::Broadcast`] publishes an item on the
//!   optional local publisher only (a CURVE PUB socket for monitoring services, §3.2), which
//!   also sends `[chain, "heart", "beat"]` after 60 s without items.
//! - **Keys**: [`keys`] reads and writes bitmarkd's `PUBLIC:`/`PRIVATE:` key files.
//!
//! All sockets live on one dedicated thread that only ever blocks in `zmq_poll`. It sends
//! events and inbound requests to the kernel with `try_send` (holding back when the kernel
//! has no room), receives commands over a bounded channel, and is woken through a socket
//! pair, also by the kernel's answers: their reply slots are polled with a waker that
//! writes to that pair, so an answer reaches the socket with one thread switch.
//!
//! ## Deviations from bitmarkd (all on the safe side)
//!
//! - An `R` whose timestamp frame is not 8 bytes is answered `["E", "invalid timestamp"]`
//!   (bitmarkd panics). A command that cannot name an item kind (not UTF-8, too long,
//!   reserved) is acknowledged `[cmd, "A"]` without reaching the kernel.
//! - Inbound requests the kernel drops or does not answer within 120 s are answered
//!   `["E", "request not answered"]` (bitmarkd has no such case).
//! - Requests above 5,000,000 bytes in total are refused before sending
//!   ([`peerd_api::TransportError::TooLarge`]); inbound ones are dropped without a reply
//!   (libzmq's `MAXMSGSIZE` applies per frame and disconnects the sender).
//! - Requests are failed with `NotConnected` while the connection is down instead of
//!   blocking until the 60 s timeout.
//!
//! ## Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use peerd_api::{Transport, TransportContext, CHANNEL_CAPACITY};
//! use peerd_transport_zmq::{build, keys::KeyPair, Config};
//!
//! let pair = KeyPair::generate()?;
//! let config = Config {
//!     listen: vec!["127.0.0.1:0".into()],
//!     private_key: Some(peerd_transport_zmq::keys::format_key(
//!         peerd_transport_zmq::keys::KeyKind::Private,
//!         &pair.private,
//!     )),
//!     ..Config::default()
//! };
//! let transport = build(&config, "bitmark")?;
//! let (events, _rx) = tokio::sync::mpsc::channel(CHANNEL_CAPACITY);
//! let ctx = TransportContext {
//!     chain: "bitmark".into(),
//!     version: "0.1".into(),
//!     events,
//!     shutdown: Default::default(),
//!     metrics: Default::default(),
//! };
//! let handle = Box::new(transport).start(ctx)?;
//! println!("listening on {:?}", handle.listen_addrs);
//! # Ok(()) }
//! ```

mod admit;
mod answers;
mod commands;
mod config;
pub mod keys;
mod listener;
mod publish;
mod retire;
mod serve;
pub mod socket;
mod socket_thread;
mod transport;
mod upstream;
pub mod wire;
mod zap;

pub mod bench;

pub use config::{build, default_port, Config, PeerConfig};
pub use transport::{
    ZmqTransport, DEFAULT_QUEUE_LIMIT, DEFAULT_RECONNECT, DEFAULT_TIMEOUT, HEARTBEAT,
    TRANSPORT_NAME,
};
