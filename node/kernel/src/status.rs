//! What a running node reports about itself: a [`Snapshot`] taken by the kernel on demand
//! (through a [`StatusHandle`]) and the [`Metrics`] counters it keeps as it goes.
//!
//! The HTTP API (`/status`, `/peers`, `/metrics`, `/healthz`, `/readyz`) and the progress
//! display read these; nothing here blocks the kernel: a snapshot is built between two
//! events of its loop, and counters are plain increments.

use std::collections::BTreeMap;
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::{Digest, LocalIdentity, Mode, PeerId};
use tokio::sync::{mpsc, oneshot};

mod metrics;

pub use metrics::{CounterKey, Metrics, TaskGuard, COUNTERS};

/// The kernel's state at one moment.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Chain name.
    pub chain: String,
    /// Software version.
    pub version: String,
    /// Normal or Resynchronise.
    pub mode: Mode,
    /// The connector's state (`Connecting`, `HighestBlock`, …, `Sampling`; `Standalone`
    /// for a node with `min_upstreams = 0`).
    pub state: String,
    /// Height of the highest stored block.
    pub height: u64,
    /// Digest of that block (None only if the chain could not be read).
    pub tip: Option<Digest>,
    /// The height the last election chose (None before the first election).
    pub network_height: Option<u64>,
    /// Time since the kernel started.
    pub uptime: Duration,
    /// Registered upstreams needed before the node syncs (`[sync] min_upstreams`).
    pub min_upstreams: usize,
    /// This node's identity on each transport.
    pub identities: Vec<LocalIdentity>,
    /// Every outgoing connection the kernel has.
    pub peers: Vec<PeerStatus>,
    /// Every ban in force, soonest to end first ([`crate::misbehaviour`]).
    pub bans: Vec<BanStatus>,
    /// Outgoing connection attempts in flight (at most `[sync] max_concurrent_dials`).
    pub dials_in_flight: usize,
    /// Upstream tasks alive: one per outgoing connection, ended with it.
    pub upstream_tasks: usize,
    /// The fetch session's window (all zero outside a fetch).
    pub fetch: crate::connector::FetchWindow,
    /// The inbound client pool (None when the node runs none).
    pub clients: Option<crate::clients::PoolSnapshot>,
}

/// A banned peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanStatus {
    /// The peer's identity.
    pub peer: PeerId,
    /// The offence that crossed the ban threshold (`invalid_block`, `unserved_claim`, …).
    pub offence: &'static str,
    /// Unix time (seconds) at which the ban ends.
    pub until_unix: u64,
}

impl Snapshot {
    /// Registered upstreams per transport name.
    pub fn registered_per_transport(&self) -> BTreeMap<String, usize> {
        let mut counts: BTreeMap<String, usize> =
            self.identities.iter().map(|i| (i.transport.clone(), 0)).collect();
        for peer in self.peers.iter().filter(|p| p.registered) {
            *counts.entry(peer.transport.clone()).or_default() += 1;
        }
        counts
    }
}

/// One outgoing connection (an upstream).
#[derive(Clone, Debug)]
pub struct PeerStatus {
    /// Transport name.
    pub transport: String,
    /// The peer's identity on that transport.
    pub peer: PeerId,
    /// The key it was dialled with.
    pub key: Bytes,
    /// Its listeners as dialled, in the transport's format.
    pub listeners: Bytes,
    /// Always `outgoing`: inbound requesters are not tracked as peers.
    pub direction: &'static str,
    /// `static` (configured) or `dynamic` (from the peer table).
    pub kind: &'static str,
    /// True after a successful registration on the current connection.
    pub registered: bool,
    /// Its height at the last poll (None if never polled).
    pub remote_height: Option<u64>,
    /// Time since it last answered a poll (None if never).
    pub last_response: Option<Duration>,
    /// Its misbehaviour score now (0 for a well-behaved peer; banned at `ban_threshold`).
    pub score: f64,
}

/// A request for a snapshot, answered by the kernel's loop.
#[derive(Debug)]
pub struct StatusQuery(oneshot::Sender<Snapshot>);

impl StatusQuery {
    /// Answers the query (the asker may have given up: then nothing happens). The kernel
    /// answers its queries itself; this is for stand-ins in tests.
    pub fn answer(self, snapshot: Snapshot) {
        let _ = self.0.send(snapshot);
    }
}

/// Asks the running kernel for snapshots. Cheap to clone.
#[derive(Clone, Debug)]
pub struct StatusHandle {
    tx: mpsc::Sender<StatusQuery>,
}

/// The kernel has stopped (or is too busy to answer: the query queue is full).
#[derive(Debug, thiserror::Error)]
#[error("the node is not answering status queries")]
pub struct StatusUnavailable;

impl StatusHandle {
    /// A handle and the receiving end for [`crate::Kernel::with_status`].
    pub fn channel() -> (Self, mpsc::Receiver<StatusQuery>) {
        let (tx, rx) = mpsc::channel(64);
        (Self { tx }, rx)
    }

    /// The kernel's current state.
    ///
    /// # Errors
    ///
    /// [`StatusUnavailable`] when the kernel has stopped or its queue is full.
    pub async fn snapshot(&self) -> Result<Snapshot, StatusUnavailable> {
        let (tx, rx) = oneshot::channel();
        self.tx.try_send(StatusQuery(tx)).map_err(|_| StatusUnavailable)?;
        rx.await.map_err(|_| StatusUnavailable)
    }
}
