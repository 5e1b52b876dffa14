//! Carrying out misbehaviour scores: what the shell does when a peer misbehaves, and
//! when its ban ends ([`crate::misbehaviour`] holds the pure rules).

use std::sync::Arc;

use peerd_api::{DialTarget, PeerId, Response, Store, TransportCommand, TransportError};
use tokio::time::Instant;

use super::Shell;
use crate::misbehaviour::{persist, Offence, Verdict};

/// The offence a failed sync request shows, if any. A peer that is merely gone
/// (`NotConnected`, a stopped transport, a full queue) has done nothing wrong.
pub(super) fn offence_of(result: &Result<Response, TransportError>) -> Option<Offence> {
    match result {
        Err(TransportError::Timeout { .. }) => Some(Offence::Timeout),
        Err(TransportError::InvalidResponse { .. }) => Some(Offence::InvalidResponse),
        _ => None,
    }
}

impl Shell<'_> {
    /// Restores the bans kept in `store` and keeps it for new ones.
    pub(crate) fn load_bans(&mut self, store: Arc<dyn Store>) {
        let now_unix = self.kernel.clock.unix_now();
        match persist::load(store.as_ref(), now_unix) {
            Ok(bans) => {
                if !bans.is_empty() {
                    tracing::info!(count = bans.len(), "bans restored from the store");
                }
                for (peer, ban) in bans {
                    let left = ban.until_unix.saturating_sub(now_unix);
                    let until = Instant::now() + std::time::Duration::from_secs(left);
                    self.connector.ban(&peer, until);
                    self.tell_transports(&peer, std::time::Duration::from_secs(left));
                    self.scores.restore(peer, ban, now_unix);
                }
            }
            Err(error) => tracing::error!(%error, "cannot read the bans from the store"),
        }
        self.bans_store = Some(store);
    }

    /// `peer` did `offence`: score it; past the threshold ban and disconnect it (never a
    /// static peer).
    pub(super) async fn penalize(&mut self, peer: &PeerId, offence: Offence, detail: &str) {
        let protected = self.is_static(peer);
        let now_unix = self.kernel.clock.unix_now();
        let verdict = self.scores.record(peer, offence, protected, Instant::now(), now_unix);
        let label = offence.label();
        self.links.metrics.inc("peerd_misbehaviour_total", &[("offence", label)]);
        match verdict {
            Verdict::Scored(score) => {
                tracing::info!(%peer, offence = label, score, detail, "peer misbehaved");
            }
            Verdict::Spared(score) => {
                tracing::warn!(%peer, offence = label, score, detail,
                    "static peer misbehaved past the ban threshold; not banned (configured)");
            }
            Verdict::Banned(ban) => {
                let secs = ban.until_unix.saturating_sub(now_unix);
                tracing::warn!(%peer, offence = label, detail, secs, "peer banned");
                self.links.metrics.inc("peerd_bans_total", &[("offence", label)]);
                if let Some(store) = &self.bans_store {
                    if let Err(error) = persist::save(store.as_ref(), peer, &ban) {
                        tracing::error!(%peer, %error, "cannot store the ban; it ends at restart");
                    }
                }
                let until = Instant::now() + std::time::Duration::from_secs(secs);
                self.connector.ban(peer, until);
                self.tell_transports(peer, std::time::Duration::from_secs(secs));
                if self.disconnect_banned(peer).await {
                    self.links.metrics.inc("peerd_score_disconnects_total", &[("offence", label)]);
                }
            }
        }
    }

    /// Asks every transport to refuse `peer` for `duration` (`TransportCommand::Ban`): an
    /// inbound client is known only to the transport it came in on, and a peer id of
    /// another transport's form is ignored by the rest. A full command queue loses the
    /// command, not the ban: the kernel still refuses to dial the peer and answers its requests with `banned`.
    fn tell_transports(&self, peer: &PeerId, duration: std::time::Duration) {
        for transport in self.transports.iter() {
            let command = TransportCommand::Ban { peer: peer.clone(), duration };
            if transport.commands.try_send(command).is_err() {
                tracing::debug!(%peer, transport = %transport.name, "ban not passed to a busy transport");
            }
        }
    }

    /// True if `peer` is banned now.
    pub(crate) fn is_banned(&self, peer: &PeerId) -> bool {
        self.scores.ban(peer, self.kernel.clock.unix_now()).is_some()
    }

    /// True if dialling `target` would reach a banned peer (a transport names a peer by
    /// the key it is dialled with).
    pub(crate) fn target_banned(&self, target: &DialTarget) -> bool {
        self.is_banned(&PeerId::new(target.key.clone()))
    }

    /// Forgets ended bans (in the store too). Called on every connector tick.
    pub(crate) fn expire_bans(&mut self) {
        let ended = self.scores.expire(Instant::now(), self.kernel.clock.unix_now());
        for peer in ended {
            tracing::info!(%peer, "ban ended");
            if let Some(store) = &self.bans_store {
                if let Err(error) = persist::remove(store.as_ref(), &peer) {
                    tracing::warn!(%peer, %error, "cannot delete an ended ban from the store");
                }
            }
        }
    }

    fn is_static(&self, peer: &PeerId) -> bool {
        let Some(route) = self.routes.get(peer) else { return false };
        let (transport, key) = (&route.target.transport, &route.target.key);
        self.kernel.statics.iter().any(|s| super::same_peer(s, transport, key))
    }

    /// Closes the banned peer's connection and releases its dynamic slot; false if it had
    /// no connection.
    async fn disconnect_banned(&mut self, peer: &PeerId) -> bool {
        let Some(target) = self.routes.get(peer).map(|r| r.target.clone()) else { return false };
        if self.slots.release(&target.transport, &target.key).is_some() {
            tracing::info!(%peer, "dynamic upstream slot released (banned)");
        }
        self.close(&target).await;
        true
    }
}
