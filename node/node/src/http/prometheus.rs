//! `/metrics` in the Prometheus text exposition format 0.0.4: gauges taken from a
//! [`Snapshot`], then every counter of [`peerd_kernel::status::Metrics`], each metric with its
//! `# HELP` and `# TYPE` lines.

use std::fmt::Write as _;

use peerd_api::Mode;

use super::health::mode_name;
use peerd_kernel::status::{CounterKey, Snapshot};

/// Help text of the counters the kernel keeps (others get a generic line).
const COUNTER_HELP: &[(&str, &str)] = &[
    ("peerd_blocks_fetched_total", "Blocks fetched by sync and stored."),
    ("peerd_blocks_produced_total", "Blocks produced locally."),
    ("peerd_requests_served_total", "Inbound requests answered, by command and result."),
    ("peerd_gossip_received_total", "Gossip items received, by transport and kind."),
    ("peerd_gossip_relayed_total", "Gossip items relayed to peers after deduplication, by kind."),
    ("peerd_gossip_ignored_total", "Gossip items not processed, by kind and reason."),
    ("peerd_gossip_dropped_total", "Gossip pushes not queued, by transport and reason."),
    ("peerd_misbehaviour_total", "Peer offences scored, by offence."),
    ("peerd_bans_total", "Peers banned, by the offence that crossed the threshold."),
    (
        "peerd_dials_total",
        "Outgoing connection attempts, by result (started, failed, timed_out, given_up).",
    ),
];

/// Every mode, for the one-hot `peerd_mode` gauge.
const MODES: [Mode; 3] = [Mode::Stopped, Mode::Resynchronise, Mode::Normal];

/// The whole `/metrics` body.
pub fn render(s: &Snapshot, counters: &[(CounterKey, u64)]) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: &[(Vec<(&str, &str)>, String)]| {
        header(&mut out, name, help, "gauge");
        for (labels, value) in samples {
            sample(&mut out, name, labels, value);
        }
    };
    gauge(
        "peerd_info",
        "Chain and version of this node (always 1).",
        &[(vec![("chain", s.chain.as_str()), ("version", s.version.as_str())], "1".into())],
    );
    gauge("peerd_height", "Height of the highest stored block.", &[(vec![], s.height.to_string())]);
    let network: Vec<_> = s.network_height.map(|h| (vec![], h.to_string())).into_iter().collect();
    gauge(
        "peerd_network_height",
        "Height chosen by the last election (absent before one).",
        &network,
    );
    let modes: Vec<(String, String)> = MODES
        .iter()
        .map(|m| (mode_name(*m), if *m == s.mode { "1" } else { "0" }.to_owned()))
        .collect();
    let modes: Vec<_> =
        modes.iter().map(|(m, v)| (vec![("mode", m.as_str())], v.clone())).collect();
    gauge("peerd_mode", "1 for the current mode (normal, resynchronise, stopped), else 0.", &modes);
    gauge(
        "peerd_sync_state",
        "1 for the connector's current state (Standalone without upstreams).",
        &[(vec![("state", s.state.as_str())], "1".into())],
    );
    let view = super::StatusView::from(s);
    let per = |registered: bool| -> Vec<_> {
        view.peers
            .iter()
            .map(|(t, p)| {
                let n = if registered { p.registered } else { p.connected };
                (vec![("transport", t.as_str())], n.to_string())
            })
            .collect()
    };
    gauge("peerd_peers", "Upstream connections per transport.", &per(false));
    gauge("peerd_peers_registered", "Registered upstreams per transport.", &per(true));
    gauge("peerd_banned_peers", "Bans in force.", &[(vec![], s.bans.len().to_string())]);
    gauge(
        "peerd_upstream_tasks",
        "Upstream tasks alive (one per outgoing connection, ended with it).",
        &[(vec![], s.upstream_tasks.to_string())],
    );
    gauge(
        "peerd_dials_in_flight",
        "Outgoing connection attempts in flight.",
        &[(vec![], s.dials_in_flight.to_string())],
    );
    gauge(
        "peerd_min_upstreams",
        "Registered upstreams needed before an election ([sync] min_upstreams).",
        &[(vec![], s.min_upstreams.to_string())],
    );
    gauge(
        "peerd_uptime_seconds",
        "Seconds since the kernel started.",
        &[(vec![], format!("{:.3}", s.uptime.as_secs_f64()))],
    );
    counters_text(&mut out, counters);
    out
}

/// The counters, grouped by name (they arrive sorted by name then labels).
fn counters_text(out: &mut String, counters: &[(CounterKey, u64)]) {
    let mut last: Option<&str> = None;
    for (key, value) in counters {
        if last != Some(key.name) {
            let help = COUNTER_HELP
                .iter()
                .find(|(n, _)| *n == key.name)
                .map_or("A peerd counter.", |(_, h)| h);
            header(out, key.name, help, "counter");
            last = Some(key.name);
        }
        let labels: Vec<(&str, &str)> = key.labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sample(out, key.name, &labels, &value.to_string());
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {}", help.replace('\\', "\\\\").replace('\n', "\\n"));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    if !labels.is_empty() {
        let inner: Vec<String> =
            labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
        let _ = write!(out, "{{{}}}", inner.join(","));
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
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
        }
    }

    #[test]
    fn gauges_and_counters_have_help_and_type_lines() {
        let m = Metrics::default();
        m.add("peerd_blocks_fetched_total", &[], 5);
        m.inc("peerd_requests_served_total", &[("command", "N"), ("result", "ok")]);
        m.inc("peerd_requests_served_total", &[("command", "B"), ("result", "error")]);
        let text = render(&snapshot(), &m.counters());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.contains(&"peerd_info{chain=\"dev\",version=\"1.2\\\"x\"} 1"), "{text}");
        assert!(lines.contains(&"peerd_height 7"));
        assert!(!text.contains("\npeerd_network_height "), "unknown heights are absent");
        assert!(lines.contains(&"peerd_mode{mode=\"resynchronise\"} 1"));
        assert!(lines.contains(&"peerd_mode{mode=\"normal\"} 0"));
        assert!(lines.contains(&"peerd_sync_state{state=\"FetchBlocks\"} 1"));
        assert!(lines.contains(&"peerd_uptime_seconds 2.500"));
        assert!(lines.contains(&"# TYPE peerd_blocks_fetched_total counter"));
        assert!(lines.contains(&"peerd_blocks_fetched_total 5"));
        let served: Vec<_> =
            lines.iter().filter(|l| l.contains("peerd_requests_served_total")).collect();
        assert_eq!(served.len(), 4, "HELP, TYPE and two samples: {served:?}");
        assert!(served[2].ends_with("{command=\"B\",result=\"error\"} 1"));
        // Every sample's metric has a TYPE line before it.
        for line in lines.iter().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} ")), "{name} has no TYPE");
        }
    }
}
