//! The connector's table of upstreams and their cached poll results (protocol §4.6).

use std::collections::HashMap;
use std::time::Duration;

use peerd_api::{Digest, PeerId};
use tokio::time::Instant;

use super::UpstreamKind;

/// What the connector knows of one upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// The upstream's identity.
    pub peer: PeerId,
    /// Static (configured) or dynamic.
    pub kind: UpstreamKind,
    /// True after a successful `R` on the current connection.
    pub registered: bool,
    /// Its height from the last `N` (0 if never polled since registration).
    pub remote_height: u64,
    /// Our height when its digest below was asked for.
    pub local_height: u64,
    /// Its digest of our height `local_height` (all zero if never polled: bitmarkd's key).
    pub digest_of_local: Digest,
    /// When it last answered a poll.
    pub last_response: Option<Instant>,
}

impl Upstream {
    /// bitmarkd's `ActiveInThePast(d)`: answered a poll within `d` before `now`.
    pub fn active(&self, now: Instant, within: Duration) -> bool {
        self.last_response.is_some_and(|t| now.saturating_duration_since(t) <= within)
    }
}

/// Upstreams in bitmarkd's voting order: static ones in configuration order (their rank,
/// see [`Upstreams::rank`]; unranked ones after the ranked, in registration order), then
/// dynamic ones in the order they first registered.
#[derive(Clone, Debug, Default)]
pub(crate) struct Upstreams {
    list: Vec<Upstream>,
    ranks: HashMap<PeerId, usize>,
    /// Upstreams left out of elections and fetches until the given time (they served an
    /// invalid block, claimed a height they could not serve, or left a walk unanswered).
    /// Kept across reconnects, so a misbehaving peer cannot clear it by reconnecting.
    excluded: HashMap<PeerId, Instant>,
}

impl Upstreams {
    /// Marks `peer` registered, clearing its cache (a new connection starts afresh).
    pub(crate) fn register(&mut self, peer: PeerId, kind: UpstreamKind) {
        let fresh = Upstream {
            peer: peer.clone(),
            kind,
            registered: true,
            remote_height: 0,
            local_height: 0,
            digest_of_local: Digest::ZERO,
            last_response: None,
        };
        match self.list.iter_mut().find(|u| u.peer == peer) {
            Some(u) if u.kind == kind => *u = fresh,
            Some(_) => {
                self.list.retain(|u| u.peer != peer);
                self.insert(fresh);
            }
            None => self.insert(fresh),
        }
    }

    fn insert(&mut self, upstream: Upstream) {
        let at = match upstream.kind {
            UpstreamKind::Static => {
                let rank = self.rank_of(&upstream.peer);
                self.list
                    .iter()
                    .position(|u| u.kind == UpstreamKind::Dynamic || self.rank_of(&u.peer) > rank)
                    .unwrap_or(self.list.len())
            }
            UpstreamKind::Dynamic => self.list.len(),
        };
        self.list.insert(at, upstream);
    }

    fn rank_of(&self, peer: &PeerId) -> usize {
        self.ranks.get(peer).copied().unwrap_or(usize::MAX)
    }

    /// Sets the configuration position of the static upstream `peer` (bitmarkd votes its
    /// static upstreams in `peering.connect` order) and re-sorts the static ones.
    pub(crate) fn rank(&mut self, peer: PeerId, rank: usize) {
        self.ranks.insert(peer, rank);
        let statics = self.list.iter().take_while(|u| u.kind == UpstreamKind::Static).count();
        let ranks = &self.ranks;
        // Stable: unranked statics keep their registration order.
        self.list[..statics].sort_by_key(|u| ranks.get(&u.peer).copied().unwrap_or(usize::MAX));
    }

    /// Marks `peer` unregistered and forgets its height (bitmarkd's `ResetServer`).
    pub(crate) fn lose(&mut self, peer: &PeerId) {
        if let Some(u) = self.list.iter_mut().find(|u| &u.peer == peer) {
            u.registered = false;
            u.remote_height = 0;
            u.last_response = None;
        }
    }

    /// Records a poll result; ignored for unknown or unregistered upstreams.
    pub(crate) fn polled(
        &mut self,
        peer: &PeerId,
        now: Instant,
        remote_height: u64,
        digest: Option<(u64, Digest)>,
    ) {
        if let Some(u) = self.list.iter_mut().find(|u| &u.peer == peer && u.registered) {
            u.remote_height = remote_height;
            u.last_response = Some(now);
            if let Some((local_height, digest)) = digest {
                u.local_height = local_height;
                u.digest_of_local = digest;
            }
        }
    }

    /// The upstream `peer`, registered or not.
    pub(crate) fn get(&self, peer: &PeerId) -> Option<&Upstream> {
        self.list.iter().find(|u| &u.peer == peer)
    }

    /// True if `peer` is registered.
    pub(crate) fn is_registered(&self, peer: &PeerId) -> bool {
        self.get(peer).is_some_and(|u| u.registered)
    }

    /// Number of registered upstreams.
    pub(crate) fn registered_count(&self) -> usize {
        self.list.iter().filter(|u| u.registered).count()
    }

    /// Registered upstreams that answered within `active_time` and are not excluded: the
    /// voters.
    pub(crate) fn voters(
        &self,
        now: Instant,
        active_time: Duration,
    ) -> impl Iterator<Item = &Upstream> {
        self.list.iter().filter(move |u| {
            u.registered && u.active(now, active_time) && !self.is_excluded(&u.peer, now)
        })
    }

    /// Leaves `peer` out of elections and fetches until `until`.
    pub(crate) fn exclude(&mut self, peer: &PeerId, until: Instant) {
        let entry = self.excluded.entry(peer.clone()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// True if `peer` is excluded at `now`.
    pub(crate) fn is_excluded(&self, peer: &PeerId, now: Instant) -> bool {
        self.excluded.get(peer).is_some_and(|until| *until > now)
    }

    /// Forgets exclusions that ended before `now`.
    pub(crate) fn expire_exclusions(&mut self, now: Instant) {
        self.excluded.retain(|_, until| *until > now);
    }

    /// Excluded upstreams and when each exclusion ends.
    pub(crate) fn exclusions(&self) -> impl Iterator<Item = (&PeerId, Instant)> {
        self.excluded.iter().map(|(p, t)| (p, *t))
    }

    /// All upstreams in voting order.
    pub(crate) fn all(&self) -> &[Upstream] {
        &self.list
    }
}
