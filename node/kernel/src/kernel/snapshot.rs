//! Answers status queries between two events of the kernel's loop.

use peerd_api::{LocalIdentity, Mode};
use tokio::time::Instant;

use super::shell::Shell;
use crate::connector::UpstreamKind;
use crate::status::{BanStatus, PeerStatus, Snapshot, StatusQuery};

impl Shell<'_> {
    /// Builds a snapshot and sends it to the asker.
    pub(super) fn answer_status(&self, query: StatusQuery) {
        query.answer(self.snapshot());
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        let chain = &self.kernel.chain;
        let height = chain.height().unwrap_or(0);
        let now = Instant::now();
        let standalone = self.kernel.sync.min_upstreams == 0;
        let peers = self
            .connector
            .upstreams()
            .iter()
            .filter_map(|u| {
                let route = self.routes.get(&u.peer)?;
                Some(PeerStatus {
                    transport: self.transports[route.transport].name.clone(),
                    peer: u.peer.clone(),
                    key: route.target.key.clone(),
                    listeners: route.target.listeners.clone(),
                    direction: "outgoing",
                    kind: match u.kind {
                        UpstreamKind::Static => "static",
                        UpstreamKind::Dynamic => "dynamic",
                    },
                    registered: u.registered,
                    remote_height: u.last_response.map(|_| u.remote_height),
                    last_response: u.last_response.map(|t| now.saturating_duration_since(t)),
                    score: self.scores.score(&u.peer, now),
                })
            })
            .collect();
        let identities = self
            .transports
            .iter()
            .map(|t| LocalIdentity {
                transport: t.name.clone(),
                key: t.local_id.as_bytes().to_vec().into(),
                listeners: t.listeners.clone(),
            })
            .collect();
        Snapshot {
            chain: chain.name().to_owned(),
            version: self.kernel.version.clone(),
            mode: self.kernel.mode.get(),
            state: if standalone {
                "Standalone".to_owned()
            } else {
                format!("{:?}", self.connector.state())
            },
            height,
            tip: chain.digest(height).ok().flatten(),
            network_height: match (standalone, self.connector.winner()) {
                (true, _) if self.kernel.mode.get() == Mode::Normal => Some(height),
                (_, Some(winner)) => Some(winner.height.max(height)),
                _ => None,
            },
            uptime: now.saturating_duration_since(self.started),
            min_upstreams: self.kernel.sync.min_upstreams,
            identities,
            peers,
            bans: self
                .scores
                .bans(self.kernel.clock.unix_now())
                .into_iter()
                .map(|(peer, ban)| BanStatus {
                    peer,
                    offence: ban.offence.label(),
                    until_unix: ban.until_unix,
                })
                .collect(),
            dials_in_flight: self.dialer.in_flight(),
            upstream_tasks: self.links.metrics.upstream_tasks(),
            fetch: self.connector.fetch_window(),
            clients: self.clients.as_ref().map(crate::clients::Clients::snapshot),
        }
    }
}
