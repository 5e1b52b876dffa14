//! The node's one metrics registry, shared by the kernel, the transports and the handlers.
//!
//! Metrics are [`prometheus_client`] types (re-exported here, so every plugin names the
//! version the node encodes with): a plugin registers its own with
//! [`MetricsRegistry::register`] (or hands [`MetricsRegistry::with_registry`]'s registry to
//! a library that registers many, as the libp2p transport does with `libp2p-metrics`), and
//! records into them without locks. `/metrics` encodes the whole registry in the OpenMetrics
//! text format.
//!
//! What every transport reports the same way (bytes moved, inbound connections) lives in
//! [`TransportMeters`], one per transport name, so two transports never register the same
//! metric twice.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

pub use prometheus_client;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Metric, Registry};

/// Label sets of the shared families: `(name, value)` pairs in a fixed order.
pub type Labels = Vec<(&'static str, String)>;

/// The node-wide registry. Cheap to clone: clones share it.
#[derive(Clone)]
pub struct MetricsRegistry {
    registry: Arc<Mutex<Registry>>,
    bytes: Family<Labels, Counter>,
    transports: Arc<Mutex<BTreeMap<String, TransportMeters>>>,
}

impl fmt::Debug for MetricsRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsRegistry").finish_non_exhaustive()
    }
}

impl Default for MetricsRegistry {
    fn default() -> Self {
        let mut registry = Registry::default();
        let bytes = Family::<Labels, Counter>::default();
        registry.register(
            "peerd_transport_bytes",
            "Payload bytes moved by each transport (request, response and gossip frames), \
             by transport and direction (in, out)",
            bytes.clone(),
        );
        Self { registry: Arc::new(Mutex::new(registry)), bytes, transports: Arc::default() }
    }
}

/// What every transport reports about its traffic, the same way.
#[derive(Clone, Debug, Default)]
pub struct TransportMeters {
    /// Payload bytes received.
    pub bytes_in: Counter,
    /// Payload bytes sent.
    pub bytes_out: Counter,
    /// Inbound connections open now (peers that dialled us). Outgoing connections are the
    /// kernel's upstreams, counted by the kernel.
    pub inbound: Gauge,
}

impl MetricsRegistry {
    /// An empty registry holding only the shared transport families.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `metric` as `name` (counters get the `_total` suffix when encoded). Help
    /// text ends without a full stop: the encoder adds one.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.with_registry(|r| r.register(name, help, metric));
    }

    /// Runs `f` on the registry itself, for libraries that register many metrics at once.
    pub fn with_registry<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        f(&mut self.registry.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The meters of transport `name` (the same meters on every call for one name).
    pub fn transport(&self, name: &str) -> TransportMeters {
        let mut transports = self.transports.lock().unwrap_or_else(PoisonError::into_inner);
        transports
            .entry(name.to_owned())
            .or_insert_with(|| {
                let labels = |direction: &str| {
                    vec![("transport", name.to_owned()), ("direction", direction.to_owned())]
                };
                // One statement per lookup: `get_or_create` returns a read guard, and a
                // second lookup while it lives would wait for it forever.
                let bytes_in = self.bytes.get_or_create(&labels("in")).clone();
                let bytes_out = self.bytes.get_or_create(&labels("out")).clone();
                TransportMeters { bytes_in, bytes_out, inbound: Gauge::default() }
            })
            .clone()
    }

    /// Inbound connections now, per transport that asked for its meters.
    pub fn inbound_peers(&self) -> Vec<(String, i64)> {
        let transports = self.transports.lock().unwrap_or_else(PoisonError::into_inner);
        transports.iter().map(|(name, m)| (name.clone(), m.inbound.get().max(0))).collect()
    }

    /// Appends every registered metric in the OpenMetrics text format, without the final
    /// `# EOF` line (the caller may append more before it).
    ///
    /// # Errors
    ///
    /// Only when writing to `out` fails.
    pub fn encode(&self, out: &mut String) -> fmt::Result {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        prometheus_client::encoding::text::encode_registry(out, &registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_meters_are_shared_per_name_and_encoded_once() {
        let registry = MetricsRegistry::new();
        registry.transport("zmq").bytes_in.inc_by(10);
        registry.transport("zmq").bytes_in.inc_by(5);
        registry.transport("libp2p").bytes_out.inc_by(7);
        registry.transport("libp2p").inbound.set(3);
        let mut text = String::new();
        registry.encode(&mut text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.contains(&"peerd_transport_bytes_total{transport=\"zmq\",direction=\"in\"} 15"),
            "{text}"
        );
        assert!(lines
            .contains(&"peerd_transport_bytes_total{transport=\"libp2p\",direction=\"out\"} 7"));
        assert_eq!(text.matches("# TYPE peerd_transport_bytes counter").count(), 1);
        assert_eq!(registry.inbound_peers(), vec![("libp2p".into(), 3), ("zmq".into(), 0)]);
    }
}
