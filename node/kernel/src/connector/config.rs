//! `[sync]`: every connector constant of protocol §4.1, as config keys with bitmarkd's defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The `[sync]` section. Defaults are bitmarkd's constants (protocol §4.1) unless noted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// Registered upstreams needed before an election (bitmarkd `minimumClients`).
    pub min_upstreams: usize,
    /// Votes a winning group needs (bitmarkd: (1 + minimumClients) / 2 = 3).
    pub min_votes: usize,
    /// Refuse forks whose common block is this far or further below the tip.
    pub fork_protection: u64,
    /// Failed elections tolerated in Sampling before a resync.
    pub sampling_limit: u32,
    /// Connector tick.
    #[serde(with = "humantime_secs")]
    pub cycle_interval: Duration,
    /// Upstream poll period (`N` and `H`).
    #[serde(with = "humantime_secs")]
    pub poll_interval: Duration,
    /// Request timeout.
    #[serde(with = "humantime_secs")]
    pub request_timeout: Duration,
    /// A voter must have answered a poll within this.
    #[serde(with = "humantime_secs")]
    pub active_time: Duration,
    /// Dynamic upstream slots (bitmarkd `maximumDynamicClients`).
    pub max_dynamic_upstreams: usize,
    /// Fetch with bitmarkd's fast sync (digest from the next block's header).
    pub fast_sync: bool,
    /// Fast sync stops this far below the target (bitmarkd `fastSyncPivotBlocks`).
    pub fast_sync_pivot: u64,
    /// Random forgery check period in fast sync (bitmarkd `fastSyncSkipPerBlocks`).
    pub forgery_check_every: u64,
    /// peerd only: blocks requested at once across all upstreams of the winning group.
    pub fetch_window: usize,
    /// peerd only: upper bound on fetched-but-unapplied block bytes held in memory.
    pub max_buffered_bytes: usize,
    /// peerd only: digests asked at once while walking down to a fork point.
    pub fork_walk_batch: usize,
    /// peerd only: how long an upstream that served an invalid block, claimed a height it
    /// could not serve or left a fork walk unanswered is left out of elections and fetches.
    #[serde(with = "humantime_secs")]
    pub exclude_time: Duration,
    /// peerd only: the misbehaviour score at which a peer is banned (an invalid block
    /// scores 100, a claimed height it cannot serve or an invalid reply 50, a timeout 10).
    pub ban_threshold: u32,
    /// peerd only: how long a ban lasts; bans are kept in the store across restarts.
    #[serde(with = "humantime_secs")]
    pub ban_duration: Duration,
    /// peerd only: the time in which a misbehaviour score halves.
    #[serde(with = "humantime_secs")]
    pub score_half_life: Duration,
    /// peerd only: outgoing connection attempts in flight at once (static peers and
    /// dynamic upstreams together); the rest wait in order.
    pub max_concurrent_dials: usize,
    /// peerd only: how long a connection attempt may take (up to the security handshake)
    /// before it counts as failed and is retried after a backoff (1 s doubling to 60 s;
    /// a dynamic target is given up after 5 failures).
    #[serde(with = "humantime_secs")]
    pub dial_timeout: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            min_upstreams: 5,
            min_votes: 3,
            fork_protection: 60,
            sampling_limit: 6,
            cycle_interval: Duration::from_secs(15),
            poll_interval: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            active_time: Duration::from_secs(60),
            max_dynamic_upstreams: 25,
            fast_sync: true,
            fast_sync_pivot: 1000,
            forgery_check_every: 100,
            fetch_window: 256,
            max_buffered_bytes: 64 * 1024 * 1024,
            fork_walk_batch: 8,
            exclude_time: Duration::from_secs(600),
            ban_threshold: 100,
            ban_duration: Duration::from_secs(24 * 60 * 60),
            score_half_life: Duration::from_secs(600),
            max_concurrent_dials: 50,
            dial_timeout: Duration::from_secs(10),
        }
    }
}

/// Durations as whole seconds in config files (`cycle_interval = 15`).
mod humantime_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs(u64::deserialize(d)?))
    }
}
