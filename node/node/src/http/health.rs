//! `/healthz` and `/readyz`: one verdict each, with the reason when it is no.

use peerd_api::Mode;
use serde::Serialize;

use peerd_kernel::status::Snapshot;

/// The body of `/healthz` and `/readyz` (200 when `ok`, else 503).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HealthView {
    /// The verdict.
    pub ok: bool,
    /// Why not (None when `ok`).
    pub reason: Option<String>,
    /// `normal`, `resynchronise` or `stopped`.
    pub mode: String,
    /// Registered upstreams, all transports together.
    pub registered: usize,
    /// Registered upstreams the node needs (`[sync] min_upstreams`).
    pub min_upstreams: usize,
    /// Local height.
    pub height: u64,
    /// The elected network height (None before the first election).
    pub network_height: Option<u64>,
}

/// Why a node is not healthy or not ready (the `reason` of the JSON).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unwell {
    /// Shutdown has begun.
    #[error("the node is stopping")]
    Stopping,
    /// Fewer registered upstreams than `[sync] min_upstreams`.
    #[error(
        "{registered} of the {required} required upstreams are registered ([sync] min_upstreams)"
    )]
    TooFewUpstreams {
        /// Registered now.
        registered: usize,
        /// Needed.
        required: usize,
    },
    /// Too far below the network height.
    #[error("height {height} is {} blocks below the network height {network} (ready within {within})", network - height)]
    Behind {
        /// Local height.
        height: u64,
        /// Elected network height.
        network: u64,
        /// `[http] ready_within`.
        within: u64,
    },
    /// No election has had a winner yet.
    #[error("no network height elected yet")]
    NoNetworkHeight,
    /// Not in Normal mode.
    #[error("mode is {0}, not normal")]
    NotNormal(String),
}

impl HealthView {
    fn new(s: &Snapshot, verdict: Result<(), Unwell>) -> Self {
        Self {
            ok: verdict.is_ok(),
            reason: verdict.err().map(|e| e.to_string()),
            mode: mode_name(s.mode),
            registered: s.peers.iter().filter(|p| p.registered).count(),
            min_upstreams: s.min_upstreams,
            height: s.height,
            network_height: s.network_height,
        }
    }
}

/// A mode as shown in JSON and metrics labels: `normal`, `resynchronise`, `stopped`.
pub(crate) fn mode_name(mode: Mode) -> String {
    format!("{mode:?}").to_lowercase()
}

/// Healthy: the node runs (not stopping) with at least `min_upstreams` registered
/// upstreams; a standalone node (`min_upstreams = 0`) is healthy on its own.
pub fn health(s: &Snapshot) -> HealthView {
    let registered = s.peers.iter().filter(|p| p.registered).count();
    let verdict = if s.mode == Mode::Stopped {
        Err(Unwell::Stopping)
    } else if registered < s.min_upstreams {
        Err(Unwell::TooFewUpstreams { registered, required: s.min_upstreams })
    } else {
        Ok(())
    };
    HealthView::new(s, verdict)
}

/// Ready: Normal mode, a known network height, and at most `within` blocks below it.
pub fn readiness(s: &Snapshot, within: u64) -> HealthView {
    let verdict = match (s.mode, s.network_height) {
        (Mode::Normal, Some(network)) if s.height.saturating_add(within) >= network => Ok(()),
        (Mode::Normal, Some(network)) => Err(Unwell::Behind { height: s.height, network, within }),
        (Mode::Normal, None) => Err(Unwell::NoNetworkHeight),
        (mode, _) => Err(Unwell::NotNormal(mode_name(mode))),
    };
    HealthView::new(s, verdict)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use peerd_api::PeerId;

    use super::*;
    use peerd_kernel::status::PeerStatus;

    fn snapshot(
        mode: Mode,
        height: u64,
        network: Option<u64>,
        min: usize,
        reg: &[bool],
    ) -> Snapshot {
        let peer = |registered: bool| PeerStatus {
            transport: "memory".into(),
            peer: PeerId::new(&b"p"[..]),
            key: "p".into(),
            listeners: "p".into(),
            direction: "outgoing",
            kind: "static",
            registered,
            remote_height: None,
            last_response: None,
            score: 0.0,
        };
        Snapshot {
            chain: "dev".into(),
            version: "0".into(),
            mode,
            state: "Sampling".into(),
            height,
            tip: None,
            network_height: network,
            uptime: Duration::from_secs(1),
            min_upstreams: min,
            identities: Vec::new(),
            peers: reg.iter().map(|r| peer(*r)).collect(),
            bans: Vec::new(),
            dials_in_flight: 0,
            upstream_tasks: 0,
            fetch: Default::default(),
            clients: None,
        }
    }

    #[test]
    fn health_counts_only_registered_upstreams() {
        let view = health(&snapshot(Mode::Normal, 5, Some(5), 2, &[true, false]));
        assert!(!view.ok);
        assert_eq!(view.registered, 1);
        let reason = view.reason.unwrap();
        assert!(reason.contains("1 of the 2 required"), "{reason}");
        assert!(health(&snapshot(Mode::Resynchronise, 0, None, 2, &[true, true])).ok);
        assert!(health(&snapshot(Mode::Normal, 0, None, 0, &[])).ok, "standalone is healthy");
        let stopping = health(&snapshot(Mode::Stopped, 0, None, 0, &[]));
        assert_eq!(stopping.reason.as_deref(), Some("the node is stopping"));
    }

    #[test]
    fn readiness_needs_normal_mode_and_a_height_near_the_network() {
        assert!(readiness(&snapshot(Mode::Normal, 8, Some(10), 1, &[true]), 2).ok);
        let behind = readiness(&snapshot(Mode::Normal, 7, Some(10), 1, &[true]), 2);
        assert!(!behind.ok);
        assert!(behind.reason.unwrap().contains("3 blocks below the network height 10"));
        let syncing = readiness(&snapshot(Mode::Resynchronise, 10, Some(10), 1, &[true]), 2);
        assert_eq!(syncing.reason.as_deref(), Some("mode is resynchronise, not normal"));
        let unknown = readiness(&snapshot(Mode::Normal, 10, None, 1, &[true]), 2);
        assert_eq!(unknown.reason.as_deref(), Some("no network height elected yet"));
    }
}
