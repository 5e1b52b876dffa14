//! `/metrics` in the OpenMetrics text format, encoded by [`prometheus_client`]: the gauges
//! of a [`Snapshot`] (taken for this scrape, so sums such as `peerd_peers_total` never race
//! their parts), then the node's registry — the kernel's counters, the transports' byte
//! counts and `libp2p-metrics`, and whatever plugins registered — then `# EOF`.

use peerd_api::metrics::prometheus_client::encoding::text::{encode_eof, encode_registry};
use peerd_api::metrics::prometheus_client::metrics::family::Family;
use peerd_api::metrics::prometheus_client::metrics::gauge::Gauge;
use peerd_api::metrics::prometheus_client::registry::Registry;
use peerd_api::metrics::Labels;
use peerd_api::{MetricsRegistry, Mode};

use std::sync::atomic::AtomicU64;

use super::health::mode_name;
use peerd_kernel::status::Snapshot;

/// Every mode, for the one-hot `peerd_mode` gauge.
const MODES: [Mode; 3] = [Mode::Stopped, Mode::Resynchronise, Mode::Normal];

/// Gauges registered for one scrape.
struct Gauges(Registry);

impl Gauges {
    fn one(&mut self, name: &str, help: &str, value: u64) {
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        self.0.register(name, help, gauge);
    }

    fn labelled(&mut self, name: &str, help: &str, samples: &[(Labels, u64)]) {
        let family = Family::<Labels, Gauge>::default();
        for (labels, value) in samples {
            family.get_or_create(labels).set(i64::try_from(*value).unwrap_or(i64::MAX));
        }
        self.0.register(name, help, family);
    }
}

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// The whole `/metrics` body.
pub fn render(s: &Snapshot, registry: &MetricsRegistry) -> String {
    let mut g = Gauges(Registry::default());
    let info = labels(&[("chain", &s.chain), ("version", &s.version)]);
    g.labelled("peerd_info", "Chain and version of this node (always 1)", &[(info, 1)]);
    g.one("peerd_height", "Height of the highest stored block", s.height);
    if let Some(network) = s.network_height {
        g.one("peerd_network_height", "Height chosen by the last election", network);
    }
    let modes: Vec<_> = MODES
        .iter()
        .map(|m| (labels(&[("mode", &mode_name(*m))]), u64::from(*m == s.mode)))
        .collect();
    g.labelled(
        "peerd_mode",
        "1 for the current mode (normal, resynchronise, stopped), else 0",
        &modes,
    );
    g.labelled(
        "peerd_sync_state",
        "1 for the connector's current state (Standalone without upstreams)",
        &[(labels(&[("state", &s.state)]), 1)],
    );
    let view = super::StatusView::from(s);
    let mut peers = Vec::new();
    let mut registered = Vec::new();
    for (transport, p) in &view.peers {
        peers.push((
            labels(&[("transport", transport), ("direction", "outgoing")]),
            p.connected as u64,
        ));
        registered.push((labels(&[("transport", transport)]), p.registered as u64));
    }
    for (transport, inbound) in registry.inbound_peers() {
        let n = u64::try_from(inbound).unwrap_or(0);
        peers.push((labels(&[("transport", &transport), ("direction", "inbound")]), n));
    }
    let total = peers.iter().map(|(_, n)| n).sum();
    g.one(
        "peerd_peers_total",
        "Connections to peers, inbound and outgoing, on every transport",
        total,
    );
    g.labelled("peerd_peers", "Connections to peers, by transport and direction", &peers);
    g.labelled("peerd_peers_registered", "Registered upstreams, by transport", &registered);
    g.one("peerd_banned_peers", "Bans in force", s.bans.len() as u64);
    g.one(
        "peerd_upstream_tasks",
        "Upstream tasks alive (one per outgoing connection, ended with it)",
        s.upstream_tasks as u64,
    );
    g.one(
        "peerd_dials_in_flight",
        "Outgoing connection attempts in flight",
        s.dials_in_flight as u64,
    );
    g.one(
        "peerd_fetch_in_flight",
        "Block requests of the fetch session on the wire",
        s.fetch.in_flight as u64,
    );
    g.one(
        "peerd_fetch_held_blocks",
        "Blocks fetched and not applied yet",
        s.fetch.held_blocks as u64,
    );
    g.one(
        "peerd_fetch_buffered_bytes",
        "Bytes of the blocks fetched and not applied yet ([sync] max_buffered_bytes bounds them)",
        s.fetch.buffered_bytes as u64,
    );
    g.one(
        "peerd_min_upstreams",
        "Registered upstreams needed before an election ([sync] min_upstreams)",
        s.min_upstreams as u64,
    );
    let uptime = Gauge::<f64, AtomicU64>::default();
    uptime.set(s.uptime.as_secs_f64());
    g.0.register("peerd_uptime_seconds", "Seconds since the kernel started", uptime);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = encode_registry(&mut out, &g.0);
    let _ = registry.encode(&mut out);
    let _ = encode_eof(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use peerd_kernel::status::Metrics;

    fn snapshot() -> Snapshot {
        Snapshot {
            chain: "dev".into(),
            version: "1.2\"x".into(),
            mode: Mode::Resynchronise,
            state: "FetchBlocks".into(),
            height: 7,
            tip: None,
            network_height: None,
            uptime: Duration::from_millis(2500),
            min_upstreams: 1,
            identities: Vec::new(),
            peers: Vec::new(),
            bans: Vec::new(),
            dials_in_flight: 0,
            upstream_tasks: 0,
            fetch: peerd_kernel::connector::FetchWindow {
                in_flight: 3,
                held_blocks: 2,
                buffered_bytes: 4096,
            },
            clients: None,
        }
    }

    #[test]
    fn gauges_and_counters_are_encoded_once_each_with_help_and_type() {
        let registry = MetricsRegistry::new();
        let m = Metrics::new(&registry);
        m.add("peerd_blocks_fetched_total", &[], 5);
        m.inc("peerd_requests_served_total", &[("command", "N"), ("result", "ok")]);
        m.inc("peerd_requests_served_total", &[("command", "B"), ("result", "error")]);
        registry.transport("zmq").inbound.set(4);
        let text = render(&snapshot(), &registry);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.contains(&"peerd_info{chain=\"dev\",version=\"1.2\\\"x\"} 1"), "{text}");
        assert!(lines.contains(&"peerd_height 7"));
        assert!(!text.contains("\npeerd_network_height "), "unknown heights are absent");
        assert!(lines.contains(&"peerd_mode{mode=\"resynchronise\"} 1"));
        assert!(lines.contains(&"peerd_mode{mode=\"normal\"} 0"));
        assert!(lines.contains(&"peerd_sync_state{state=\"FetchBlocks\"} 1"));
        assert!(lines.contains(&"peerd_peers{transport=\"zmq\",direction=\"inbound\"} 4"));
        assert!(lines.contains(&"peerd_peers_total 4"));
        assert!(lines.contains(&"peerd_fetch_in_flight 3"));
        assert!(lines.contains(&"peerd_fetch_buffered_bytes 4096"));
        assert!(lines.contains(&"peerd_uptime_seconds 2.5"), "{text}");
        assert!(lines.contains(&"# TYPE peerd_blocks_fetched counter"));
        assert!(lines.contains(&"peerd_blocks_fetched_total 5"), "{text}");
        let served: Vec<_> =
            lines.iter().filter(|l| l.starts_with("peerd_requests_served_total{")).collect();
        assert_eq!(served.len(), 2, "{served:?}");
        assert_eq!(lines.last(), Some(&"# EOF"));
        // Every family is declared once, with HELP before TYPE.
        let mut seen = std::collections::HashSet::new();
        for (i, line) in lines.iter().enumerate() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap();
                assert!(seen.insert(name.to_owned()), "{name} declared twice");
                assert!(lines[i - 1].starts_with(&format!("# HELP {name} ")), "{name}");
            }
        }
    }
}
