//! The transport conformance suite: one set of checks that every [`Transport`] runs.
//!
//! A transport crate implements [`TransportHarness`] (how to make nodes on fresh
//! addresses, and how to bring a stopped node back at the same address) and invokes
//! [`transport_suite!`](crate::transport_suite) in its `tests/it/compliance.rs`. Each check
//! becomes its own test, with the test attribute the crate chooses: in-process transports
//! use paused time, socket transports real time.
//!
//! ```ignore
//! // transports/memory/tests/it/compliance.rs
//! use peerd_api::{Transport, TransportHandle};
//! use peerd_transport_memory::MemoryNet;
//!
//! struct Harness(MemoryNet);
//!
//! impl peerd_testkit::transport::TransportHarness for Harness {
//!     fn node(&mut self, label: &str) -> Box<dyn Transport> {
//!         Box::new(self.0.transport(label))
//!     }
//!     fn restart(&mut self, label: &str, _previous: &TransportHandle) -> Box<dyn Transport> {
//!         Box::new(self.0.transport(label))
//!     }
//! }
//!
//! peerd_testkit::transport_suite!(Harness(MemoryNet::new(1)); #[tokio::test(start_paused = true)]);
//! ```
//!
//! What the checks assert, in the kernel's words (see [`checks`] for each one):
//!
//! - start-up: a `Listening` event for one of the handle's `listen_addrs`; dialling a node
//!   (its target built from its handle: `local_id` and `listeners`) gives `Connected` with
//!   its identity;
//! - requests: every request kind, custom gossip kinds and 4.9 MB payloads arrive intact
//!   and their answers come back intact; error replies pass verbatim; a dropped reply slot
//!   is answered with an error reply; a request for another chain gets bitmarkd's exact
//!   `invalid chain: actual: "<got>"  expect: <chain>` without reaching the kernel;
//! - flow: requests queued on one connection are answered in order with one in flight; a
//!   peer never dialled (or disconnected) gives `NotConnected`; a request above
//!   `MAX_MESSAGE_BYTES` is refused with `TooLarge` and the next one is served;
//! - life cycle: a server that stops makes its clients see `Disconnected` and fails their
//!   pending requests; when it comes back they see `Connected` again and are served; a
//!   cancelled shutdown token stops the transport, notifies `stopped` and closes its events.
//!
//! Checks never sleep: they wait on events and answers, each step bounded by [`GUARD`] so
//! that a broken transport fails instead of hanging. Socket transports should make their
//! harness's nodes reconnect quickly (seconds, not bitmarkd's two minutes).

// The checks are test code: a failed `unwrap` is a failed check, with the value in the message.
#![allow(clippy::unwrap_used)]

use peerd_api::{Transport, TransportHandle};

mod exchange;
mod flow;
mod lifecycle;
mod node;

pub use node::{answer_of, pattern, within, TestNode, CHAIN, GUARD};

/// Makes the nodes the checks run on. One harness value serves one check.
pub trait TransportHarness: Send + 'static {
    /// A transport for a new node on a fresh address and identity. `label` is unique
    /// within the check (`server`, `client`, …); a transport may use it as a name.
    fn node(&mut self, label: &str) -> Box<dyn Transport>;

    /// A transport for the node `label` that ran before with `previous` and has stopped:
    /// same identity and same listen address, so that the nodes that dialled it reconnect.
    fn restart(&mut self, label: &str, previous: &TransportHandle) -> Box<dyn Transport>;
}

/// Every check of the suite, one `async fn(harness)` each.
pub mod checks {
    pub use super::exchange::{
        dropped_reply_slot_is_an_error, error_replies_pass_through, large_payloads_round_trip,
        requests_round_trip, wrong_chain_refused,
    };
    pub use super::flow::{
        disconnect_closes_connection, oversize_request_refused, requests_in_order_one_in_flight,
        undialled_peer_not_connected,
    };
    pub use super::lifecycle::{
        dial_reports_connected, listening_reported, server_restart_reconnects, shutdown_completes,
    };
}

/// Generates one test per conformance check.
///
/// The arguments are an expression that makes a fresh [`TransportHarness`] (evaluated once
/// per test), a semicolon, then the test attribute(s) to put on each test, for example
/// `#[tokio::test(start_paused = true)]`.
#[macro_export]
macro_rules! transport_suite {
    ($harness:expr; $(#[$attr:meta])+) => {
        $crate::transport_suite!(@each [$(#[$attr])*] $harness;
            listening_reported,
            dial_reports_connected,
            requests_round_trip,
            large_payloads_round_trip,
            error_replies_pass_through,
            dropped_reply_slot_is_an_error,
            wrong_chain_refused,
            requests_in_order_one_in_flight,
            undialled_peer_not_connected,
            disconnect_closes_connection,
            oversize_request_refused,
            server_restart_reconnects,
            shutdown_completes
        );
    };
    (@each $attrs:tt $harness:expr; $($check:ident),+) => {
        $( $crate::transport_suite!(@one $attrs $harness; $check); )+
    };
    (@one [$($attr:tt)*] $harness:expr; $check:ident) => {
        $($attr)*
        async fn $check() {
            $crate::transport::checks::$check($harness).await;
        }
    };
}
