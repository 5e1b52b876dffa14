//! The kernel's counters, registered in the node's [`MetricsRegistry`] as
//! [`prometheus_client`] families and encoded with everything else on `/metrics`.
//!
//! Every label value the network can influence comes from a bounded set: commands are the
//! protocol's (`I N H B R` or a handled gossip kind), gossip kinds no handler takes are
//! labelled `other`, results and reasons are fixed words. A peer inventing kinds cannot
//! grow the label set.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use peerd_api::metrics::prometheus_client::metrics::counter::Counter;
use peerd_api::metrics::prometheus_client::metrics::family::Family;
use peerd_api::metrics::Labels;
use peerd_api::MetricsRegistry;

/// Every counter the kernel keeps: full name (with `_total`), label names, help text.
pub const COUNTERS: &[(&str, &[&str], &str)] = &[
    ("peerd_blocks_fetched_total", &[], "Blocks fetched by sync and stored"),
    ("peerd_blocks_produced_total", &[], "Blocks produced locally"),
    (
        "peerd_requests_served_total",
        &["command", "result"],
        "Inbound requests answered, by command (I N H B R or the gossip kind) and result (ok, error)",
    ),
    (
        "peerd_requests_sent_total",
        &["command", "result"],
        "Outbound requests to upstreams, by command and result (ok, error, timeout, failed)",
    ),
    (
        "peerd_gossip_received_total",
        &["transport", "kind"],
        "Gossip items received, by transport and kind (other for kinds no handler takes)",
    ),
    ("peerd_gossip_relayed_total", &["kind"], "Gossip items relayed to peers after deduplication"),
    (
        "peerd_gossip_ignored_total",
        &["kind", "reason"],
        "Gossip items not processed, by kind and reason (duplicate, resynchronising, rejected_before, \
         unknown_kind, queue_full, rejected)",
    ),
    (
        "peerd_gossip_dropped_total",
        &["transport", "reason"],
        "Gossip pushes to peers not queued, by transport and reason (queue_full)",
    ),
    ("peerd_misbehaviour_total", &["offence"], "Peer offences scored, by offence"),
    ("peerd_bans_total", &["offence"], "Peers banned, by the offence that crossed the threshold"),
    (
        "peerd_score_disconnects_total",
        &["offence"],
        "Connections closed because the peer's score crossed the ban threshold",
    ),
    (
        "peerd_dials_total",
        &["result"],
        "Outgoing connection attempts, by result (started, failed, timed_out, given_up)",
    ),
    (
        "peerd_dial_failures_total",
        &["transport", "reason"],
        "Failed outgoing connection attempts, by transport and reason (refused, unreachable, \
         handshake, wrong_peer, ourselves, timed_out, other)",
    ),
    (
        "peerd_clients_admitted_total",
        &["transport"],
        "Inbound clients admitted to the client pool, by transport",
    ),
    (
        "peerd_clients_evicted_total",
        &["reason"],
        "Inbound clients evicted from the client pool, by reason (newcomer: for a client of \
         higher priority; debt: past evict_below)",
    ),
    (
        "peerd_clients_refused_total",
        &["transport", "reason"],
        "Inbound clients refused by the client pool, by transport and reason (pool_full, \
         capacity, indebted)",
    ),
];

/// A registered counter: a plain one for counters without labels (encoded without `{}`).
enum Slot {
    Plain(Counter),
    Labelled(Family<Labels, Counter>),
}

/// A counter's identity: a metric name and its label values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CounterKey {
    /// Prometheus metric name, e.g. `peerd_requests_served_total`.
    pub name: &'static str,
    /// Label names and values, in a fixed order per metric.
    pub labels: Vec<(&'static str, String)>,
}

/// The kernel's counters (see [`COUNTERS`]), shared by the kernel and whoever reads them.
pub struct Metrics {
    registry: MetricsRegistry,
    /// One per entry of [`COUNTERS`], in that order.
    families: Vec<Slot>,
    /// Counters seen so far, by a hash of name and labels: counting allocates only for a
    /// new label set, and [`Metrics::counters`] can list them.
    seen: Mutex<HashMap<u64, Vec<(CounterKey, Counter)>>>,
    /// Upstream tasks alive (one per outgoing connection: registration, polls, pushes).
    upstream_tasks: AtomicUsize,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("upstream_tasks", &self.upstream_tasks()).finish()
    }
}

impl Default for Metrics {
    /// Counters in a registry of their own (tests, tools).
    fn default() -> Self {
        Self::new(&MetricsRegistry::new())
    }
}

/// Counts one live upstream task in [`Metrics::upstream_tasks`] until dropped: held by the
/// task itself, so the count falls when the task ends, however it ends.
#[derive(Debug)]
pub struct TaskGuard(Arc<Metrics>);

impl TaskGuard {
    /// Counts a task that starts now.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        metrics.upstream_tasks.fetch_add(1, Ordering::Relaxed);
        Self(metrics)
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.upstream_tasks.fetch_sub(1, Ordering::Relaxed);
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
    /// The kernel's counters, registered in `registry`.
    pub fn new(registry: &MetricsRegistry) -> Self {
        let families = COUNTERS
            .iter()
            .map(|(name, labels, help)| {
                let base = name.strip_suffix("_total").unwrap_or(name);
                if labels.is_empty() {
                    let counter = Counter::default();
                    registry.register(base, help, counter.clone());
                    Slot::Plain(counter)
                } else {
                    let family = Family::<Labels, Counter>::default();
                    registry.register(base, help, family.clone());
                    Slot::Labelled(family)
                }
            })
            .collect();
        Self {
            registry: registry.clone(),
            families,
            seen: Mutex::default(),
            upstream_tasks: AtomicUsize::new(0),
        }
    }

    /// The registry the counters are in (the node's, for `/metrics`).
    pub fn registry(&self) -> &MetricsRegistry {
        &self.registry
    }

    /// Upstream tasks alive now: one per outgoing connection, ended with it.
    pub fn upstream_tasks(&self) -> usize {
        self.upstream_tasks.load(Ordering::Relaxed)
    }

    /// Adds `n` to a counter of [`COUNTERS`] (labels in the table's order). An unknown
    /// name is a bug in the kernel: it is logged and not counted.
    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], n: u64) {
        let hash = counter_hash(name, labels);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = seen.entry(hash).or_default();
        if let Some((_, counter)) = bucket.iter().find(|(key, _)| key.is(name, labels)) {
            counter.inc_by(n);
            return;
        }
        let Some(index) = COUNTERS.iter().position(|(known, _, _)| *known == name) else {
            debug_assert!(false, "unknown counter {name}");
            tracing::error!(name, "bug: a counter that is not registered");
            return;
        };
        let labels: Labels = labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        let counter = match &self.families[index] {
            Slot::Plain(counter) => counter.clone(),
            Slot::Labelled(family) => family.get_or_create(&labels).clone(),
        };
        counter.inc_by(n);
        bucket.push((CounterKey { name, labels }, counter));
    }

    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1);
    }

    /// Every counter counted so far, ordered by name then labels.
    pub fn counters(&self) -> Vec<(CounterKey, u64)> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<(CounterKey, u64)> =
            seen.values().flatten().map(|(key, counter)| (key.clone(), counter.get())).collect();
        drop(seen);
        all.sort();
        all
    }

    /// The sum of a counter over all its label values.
    pub fn total(&self, name: &str) -> u64 {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.values().flatten().filter(|(k, _)| k.name == name).map(|(_, c)| c.get()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_per_label_set_and_are_encoded() {
        let m = Metrics::default();
        m.inc("peerd_requests_served_total", &[("command", "N"), ("result", "ok")]);
        m.inc("peerd_requests_served_total", &[("command", "N"), ("result", "ok")]);
        m.inc("peerd_requests_served_total", &[("command", "B"), ("result", "error")]);
        assert_eq!(m.total("peerd_requests_served_total"), 3);
        let all = m.counters();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].1, 2, "N/ok sorts after B/error and counts twice");
        let mut text = String::new();
        m.registry().encode(&mut text).unwrap();
        assert!(text.contains("peerd_requests_served_total{command=\"N\",result=\"ok\"} 2\n"));
        assert!(text.contains("# TYPE peerd_blocks_fetched counter\n"), "{text}");
        assert!(text.contains("\npeerd_blocks_fetched_total 0\n"), "plain counters show 0");
        assert!(!text.contains("peerd_bans_total"), "a family shows once it has counted");
    }

    #[test]
    fn every_counter_has_its_labels_documented() {
        for (name, labels, help) in COUNTERS {
            assert!(name.starts_with("peerd_") && name.ends_with("_total"), "{name}");
            assert!(!help.ends_with('.'), "{name}: the encoder adds the full stop");
            assert!(labels.iter().all(|l| !l.is_empty()));
        }
    }
}
