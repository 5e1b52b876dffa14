//! What a running node reports about itself: a [`Snapshot`] taken by the kernel on demand
//! (through a [`StatusHandle`]) and the [`Metrics`] counters it keeps as it goes.
//!
//! The HTTP API (`/status`, `/peers`, `/metrics`, `/healthz`, `/readyz`) and the progress
//! display read these; nothing here blocks the kernel: a snapshot is built between two
//! events of its loop, and counters are plain increments.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::{Digest, LocalIdentity, Mode, PeerId};
use tokio::sync::{mpsc, oneshot};

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

/// A counter's identity: a metric name and its label values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CounterKey {
    /// Prometheus metric name, e.g. `peerd_requests_served_total`.
    pub name: &'static str,
    /// Label names and values, in a fixed order per metric.
    pub labels: Vec<(&'static str, String)>,
}

/// Monotonic counters, shared by the kernel and whoever renders them.
///
/// Names used by the kernel (all `_total` counters):
/// - `peerd_blocks_fetched_total`: blocks fetched by sync and stored;
/// - `peerd_blocks_produced_total`: blocks produced locally;
/// - `peerd_requests_served_total{command, result}`: inbound requests (`I N H B R` or the
///   gossip kind), result `ok` or `error`;
/// - `peerd_gossip_received_total{transport, kind}`: gossip items received;
/// - `peerd_gossip_relayed_total{kind}`: items relayed (after dedup);
/// - `peerd_gossip_ignored_total{kind, reason}`: items not processed (`resynchronising`,
///   `unknown_kind`, `duplicate`, `queue_full`, `rejected`);
/// - `peerd_gossip_dropped_total{transport, reason}`: pushes not queued (`queue_full`);
/// - `peerd_misbehaviour_total{offence}`: peer offences scored ([`crate::misbehaviour`]);
/// - `peerd_bans_total{offence}`: peers banned;
/// - `peerd_dials_total{result}`: connection attempts (`started`, `failed`, `timed_out`,
///   `given_up`).
#[derive(Debug, Default)]
pub struct Metrics {
    /// By a hash of name and labels, so that counting allocates only for a new label set.
    counters: Mutex<HashMap<u64, Vec<(CounterKey, u64)>>>,
    /// Upstream tasks alive (one per outgoing connection: registration, polls, pushes).
    upstream_tasks: std::sync::atomic::AtomicUsize,
}

/// Counts one live upstream task in [`Metrics::upstream_tasks`] until dropped: held by the
/// task itself, so the count falls when the task ends, however it ends.
#[derive(Debug)]
pub struct TaskGuard(std::sync::Arc<Metrics>);

impl TaskGuard {
    /// Counts a task that starts now.
    pub fn new(metrics: std::sync::Arc<Metrics>) -> Self {
        metrics.upstream_tasks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(metrics)
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.upstream_tasks.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Hashes a counter's identity without building its key.
fn counter_hash(name: &str, labels: &[(&'static str, &str)]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut hasher);
    for (label, value) in labels {
        label.hash(&mut hasher);
        value.hash(&mut hasher);
    }
    hasher.finish()
}

impl CounterKey {
    fn is(&self, name: &str, labels: &[(&'static str, &str)]) -> bool {
        self.name == name
            && self.labels.len() == labels.len()
            && self.labels.iter().zip(labels).all(|((a, b), (c, d))| a == c && b == d)
    }
}

impl Metrics {
    /// Upstream tasks alive now: one per outgoing connection, ended with it.
    pub fn upstream_tasks(&self) -> usize {
        self.upstream_tasks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Adds `n` to a counter.
    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], n: u64) {
        let hash = counter_hash(name, labels);
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = counters.entry(hash).or_default();
        match bucket.iter_mut().find(|(key, _)| key.is(name, labels)) {
            Some((_, value)) => *value += n,
            None => {
                let labels = labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
                bucket.push((CounterKey { name, labels }, n));
            }
        }
    }

    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1);
    }

    /// Every counter, ordered by name then labels.
    pub fn counters(&self) -> Vec<(CounterKey, u64)> {
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<(CounterKey, u64)> = counters.values().flatten().cloned().collect();
        drop(counters);
        all.sort();
        all
    }

    /// The sum of a metric over all its label values.
    pub fn total(&self, name: &str) -> u64 {
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        counters.values().flatten().filter(|(k, _)| k.name == name).map(|(_, v)| v).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_per_label_set() {
        let m = Metrics::default();
        m.inc("peerd_requests_served_total", &[("command", "N"), ("result", "ok")]);
        m.inc("peerd_requests_served_total", &[("command", "N"), ("result", "ok")]);
        m.inc("peerd_requests_served_total", &[("command", "B"), ("result", "error")]);
        assert_eq!(m.total("peerd_requests_served_total"), 3);
        let all = m.counters();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].1, 2, "N/ok sorts after B/error and counts twice");
    }
}
