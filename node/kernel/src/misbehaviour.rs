//! Misbehaviour scores and bans, as pure logic with time passed in (like the connector).
//!
//! Every upstream has one score, whatever its transport. Each [`Offence`] adds its weight;
//! the score halves every `score_half_life`, so an honest peer's rare timeout fades while a
//! liar's offences add up. At `ban_threshold` the peer is banned for `ban_duration`: the
//! kernel disconnects it, the election and every fetch leave it out, it is not dialled
//! again, and the ban is kept in the store ([`persist`]) so a restart does not forgive it.
//! Static peers (the operator chose them) are scored and logged but never banned.
//!
//! Bans are kept by Unix time, the only time that survives a restart; scores by the
//! monotonic clock. Both tables are bounded ([`MAX_TRACKED`]).

use std::collections::HashMap;
use std::time::Duration;

use peerd_api::PeerId;
use tokio::time::Instant;

pub mod persist;

/// Most peers with a score, and most bans, kept at once. Past it the weakest entry goes
/// (the lowest score; the ban that ends first).
pub const MAX_TRACKED: usize = 10_000;

/// Every offence.
const ALL: [Offence; 5] = [
    Offence::InvalidBlock,
    Offence::UnservedClaim,
    Offence::InvalidResponse,
    Offence::Timeout,
    Offence::InvalidItem,
];

/// What a peer did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Offence {
    /// Served a block that failed validation, or not the block asked for.
    InvalidBlock,
    /// Claimed a height, then could not serve a block below it.
    UnservedClaim,
    /// Answered with something that is not a reply to the request.
    InvalidResponse,
    /// Did not answer within the request timeout.
    Timeout,
    /// Sent an item invalid by the chain's rules: a gossiped block that fails validation,
    /// or what a handler reports ([`peerd_api::NodeRequest::Misbehaved`]).
    InvalidItem,
}

impl Offence {
    /// How much it adds to the score (the default ban threshold is 100: one invalid block,
    /// two unserved claims, ten timeouts in quick succession).
    pub fn weight(self) -> f64 {
        match self {
            Offence::InvalidBlock | Offence::InvalidItem => 100.0,
            Offence::UnservedClaim | Offence::InvalidResponse => 50.0,
            Offence::Timeout => 10.0,
        }
    }

    /// Its name in logs, metrics and `/peers`.
    pub fn label(self) -> &'static str {
        match self {
            Offence::InvalidBlock => "invalid_block",
            Offence::UnservedClaim => "unserved_claim",
            Offence::InvalidResponse => "invalid_response",
            Offence::Timeout => "timeout",
            Offence::InvalidItem => "invalid_item",
        }
    }

    /// The offence of a label written by [`Offence::label`].
    pub fn from_label(label: &str) -> Option<Self> {
        ALL.into_iter().find(|o| o.label() == label)
    }
}

/// How scores turn into bans (from `[sync]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// The score at which a peer is banned.
    pub threshold: f64,
    /// How long a ban lasts.
    pub ban_duration: Duration,
    /// The time in which a score halves.
    pub half_life: Duration,
}

/// A ban in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ban {
    /// Unix time (seconds) at which it ends.
    pub until_unix: u64,
    /// The offence that crossed the threshold.
    pub offence: Offence,
}

/// What recording an offence led to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Scored; below the threshold.
    Scored(f64),
    /// At or over the threshold, but a static peer: logged, not banned.
    Spared(f64),
    /// Banned now.
    Banned(Ban),
}

#[derive(Clone, Copy, Debug)]
struct Score {
    value: f64,
    at: Instant,
}

/// Scores and bans of every peer.
#[derive(Debug)]
pub struct Scores {
    policy: Policy,
    scores: HashMap<PeerId, Score>,
    bans: HashMap<PeerId, Ban>,
}

impl Scores {
    /// No scores, no bans.
    pub fn new(policy: Policy) -> Self {
        Self { policy, scores: HashMap::new(), bans: HashMap::new() }
    }

    /// Adds `offence` to `peer`'s score. `protected` peers (static) are never banned.
    pub fn record(
        &mut self,
        peer: &PeerId,
        offence: Offence,
        protected: bool,
        now: Instant,
        now_unix: u64,
    ) -> Verdict {
        let value = self.score(peer, now) + offence.weight();
        if value < self.policy.threshold {
            self.bound_scores(peer);
            self.scores.insert(peer.clone(), Score { value, at: now });
            return Verdict::Scored(value);
        }
        if protected {
            self.scores.insert(peer.clone(), Score { value, at: now });
            return Verdict::Spared(value);
        }
        self.scores.remove(peer);
        let until_unix = now_unix.saturating_add(self.policy.ban_duration.as_secs());
        let ban = Ban { until_unix, offence };
        self.insert_ban(peer.clone(), ban, now_unix);
        Verdict::Banned(ban)
    }

    /// `peer`'s score at `now`, decayed.
    pub fn score(&self, peer: &PeerId, now: Instant) -> f64 {
        let Some(score) = self.scores.get(peer) else { return 0.0 };
        let half_life = self.policy.half_life.as_secs_f64();
        if half_life <= 0.0 {
            return 0.0;
        }
        let age = now.saturating_duration_since(score.at).as_secs_f64();
        score.value * 0.5f64.powf(age / half_life)
    }

    /// The ban on `peer` at `now_unix`, if one is in force.
    pub fn ban(&self, peer: &PeerId, now_unix: u64) -> Option<Ban> {
        self.bans.get(peer).filter(|b| b.until_unix > now_unix).copied()
    }

    /// Every ban in force at `now_unix`, soonest to end first.
    pub fn bans(&self, now_unix: u64) -> Vec<(PeerId, Ban)> {
        let mut bans: Vec<_> = self
            .bans
            .iter()
            .filter(|(_, b)| b.until_unix > now_unix)
            .map(|(p, b)| (p.clone(), *b))
            .collect();
        bans.sort_by(|a, b| {
            (a.1.until_unix, a.0.as_bytes()).cmp(&(b.1.until_unix, b.0.as_bytes()))
        });
        bans
    }

    /// Restores a ban read from the store (skipped if it has ended).
    pub fn restore(&mut self, peer: PeerId, ban: Ban, now_unix: u64) {
        if ban.until_unix > now_unix {
            self.insert_ban(peer, ban, now_unix);
        }
    }

    /// Forgets ended bans and scores that have decayed to nothing; returns the peers whose
    /// bans ended.
    pub fn expire(&mut self, now: Instant, now_unix: u64) -> Vec<PeerId> {
        let ended: Vec<PeerId> = self
            .bans
            .iter()
            .filter(|(_, b)| b.until_unix <= now_unix)
            .map(|(p, _)| p.clone())
            .collect();
        for peer in &ended {
            self.bans.remove(peer);
        }
        let faded: Vec<PeerId> =
            self.scores.keys().filter(|p| self.score(p, now) < 1.0).cloned().collect();
        for peer in faded {
            self.scores.remove(&peer);
        }
        ended
    }

    fn insert_ban(&mut self, peer: PeerId, ban: Ban, now_unix: u64) {
        if !self.bans.contains_key(&peer) && self.bans.len() >= MAX_TRACKED {
            self.bans.retain(|_, b| b.until_unix > now_unix);
            if self.bans.len() >= MAX_TRACKED {
                let first =
                    self.bans.iter().min_by_key(|(_, b)| b.until_unix).map(|(p, _)| p.clone());
                if let Some(first) = first {
                    self.bans.remove(&first);
                }
            }
        }
        let entry = self.bans.entry(peer).or_insert(ban);
        if ban.until_unix >= entry.until_unix {
            *entry = ban;
        }
    }

    fn bound_scores(&mut self, incoming: &PeerId) {
        if self.scores.len() < MAX_TRACKED || self.scores.contains_key(incoming) {
            return;
        }
        let lowest = self
            .scores
            .iter()
            .min_by(|a, b| a.1.value.total_cmp(&b.1.value))
            .map(|(p, _)| p.clone());
        if let Some(lowest) = lowest {
            self.scores.remove(&lowest);
        }
    }
}

#[cfg(test)]
mod tests;
