//! The connector: bitmarkd's sync state machine (protocol §4), as pure transitions.
//!
//! [`Connector::on_event`] takes one [`Event`], the current time and a read-only view of
//! the local chain ([`LocalChain`]) and returns the [`Action`]s the async shell must carry
//! out. It does no I/O, reads no clock and draws randomness only from a seeded generator,
//! so every run is reproducible from its inputs.
//!
//! States (protocol §4.3), run on every [`Event::Tick`] until one pauses:
//!
//! - **Connecting**: mode ← Resynchronise; with `min_upstreams` registered upstreams go to
//!   HighestBlock, else emit [`Action::Reconnect`].
//! - **HighestBlock**: election ([`vote`]); no winner → Connecting; a better chain →
//!   ForkDetect; the same chain → Rebuild; otherwise wait for the next tick.
//! - **ForkDetect**: no better chain → Rebuild. Else walk down from the tip asking the
//!   winner's `H(h)` (`fork.rs`); a common block `fork_protection` or more below the tip is
//!   refused; otherwise delete down to it ([`Action::DeleteDown`]) and fetch from there.
//! - **FetchBlocks**: the pipelined fetch of `fetch.rs` up to the winner's height, then
//!   HighestBlock again. A failed forgery check deletes the fetched run, disables fast sync
//!   and returns to HighestBlock.
//! - **Rebuild**: mode ← Normal, Sampling.
//! - **Sampling**: too few upstreams → Connecting; an election each tick; a better chain →
//!   ForkDetect; more than `sampling_limit` failed elections in a row → ForkDetect (which,
//!   with no winner, goes straight back through Rebuild).
//!
//! Differences from bitmarkd, all on the safe side: after a failed digest lookup, a fetch
//! failure or a refused fork the machine waits for the next tick instead of re-electing at
//! once (bitmarkd loops immediately, which with a refused fork repeats the walk without
//! pause); fast sync's next-block digest is only used at or below the pivot (bitmarkd uses
//! it for every block while fast sync is on); the random forgery check only picks blocks
//! already stored (bitmarkd's `r = 0` can pick the block not yet stored and abort).

mod config;
mod event;
mod fetch;
mod fork;
mod machine;
mod upstream;
pub mod vote;

use peerd_api::{Digest, Mode, PeerId, RequestId};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::time::Instant;

pub use config::SyncConfig;
pub use event::{
    Action, ApplyDigest, ApplyFailure, ChainView, DeleteFailure, Event, LocalChain, UpstreamKind,
};
pub use upstream::Upstream;

/// A fetch session's window: what is asked and what waits to be applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchWindow {
    /// Block requests on the wire.
    pub in_flight: usize,
    /// Blocks fetched and not applied yet.
    pub held_blocks: usize,
    /// Their bytes (bounded by `[sync] max_buffered_bytes`).
    pub buffered_bytes: usize,
}

use fetch::Fetch;
use fork::ForkWalk;
use upstream::Upstreams;

/// The connector's states (protocol §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for enough registered upstreams.
    Connecting,
    /// Electing the chain to follow.
    HighestBlock,
    /// Looking for the fork point with the winner.
    ForkDetect,
    /// Fetching and applying blocks.
    FetchBlocks,
    /// Caught up: switching to Normal mode.
    Rebuild,
    /// In sync: watching for a better chain.
    Sampling,
}

/// The chain the last election chose.
///
/// The election is bitmarkd's (grouping by digest of our height, the tie rule and its
/// quirk), but the sync target is not: bitmarkd syncs to the height of the winning group's
/// *first voter*; peerd syncs to the highest height any member of the winning group claims,
/// fetched from the members that claim it. With bitmarkd's rule two nodes that are each
/// other's first voter and both behind never move, whatever the rest of their group
/// offers (ARCHITECTURE.md, "Sync target"). A member that then cannot serve what it
/// claimed is dropped from the session and excluded for `exclude_time`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Winner {
    /// The group member the sync follows: the one claiming the highest height (the first in
    /// voting order among equals). It is asked for the fork walk and the forgery checks.
    pub peer: PeerId,
    /// The sync target: the highest height a member of the winning group claims.
    pub height: u64,
    /// bitmarkd's elected voter: the first voter of the winning group.
    pub voter: PeerId,
    /// The elected voter's cached remote height (bitmarkd's sync target).
    pub voter_height: u64,
    /// The elected voter's digest of our height (the winning group's key).
    pub digest: Digest,
    /// Our height the elected voter's digest refers to.
    pub local_height: u64,
    /// Every voter of the winning group, in voting order (the fetch group).
    pub group: Vec<PeerId>,
}

/// Request ids, apply tokens and the seeded generator.
#[derive(Debug)]
pub(crate) struct Ids {
    request: u64,
    token: u64,
    pub(crate) rng: StdRng,
}

impl Ids {
    pub(crate) fn request(&mut self) -> RequestId {
        self.request += 1;
        RequestId(self.request)
    }

    pub(crate) fn token(&mut self) -> u64 {
        self.token += 1;
        self.token
    }
}

/// What a pending [`Action::DeleteDown`] was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterDelete {
    /// Deleting down to the fork point; fetch after it.
    Fork,
    /// Removing a forged run; elect again at the next tick.
    Forgery,
}

/// bitmarkd's connector as a pure state machine. See the module docs.
#[derive(Debug)]
pub struct Connector {
    config: SyncConfig,
    state: State,
    mode: Mode,
    upstreams: Upstreams,
    ids: Ids,
    fast_sync: bool,
    samples: u32,
    winner: Option<Winner>,
    start: u64,
    pivot: u64,
    walk: Option<ForkWalk>,
    deleting: Option<AfterDelete>,
    fetch: Option<Fetch>,
    /// The fetch under way was started by an early election in Sampling
    /// (`machine.rs`, `sample_now`); it returns to Sampling when done.
    catching_up: bool,
    /// Fetch sessions that ended with every block applied and every forgery check passed.
    fetches_done: u64,
}

impl Connector {
    /// A connector in state Connecting; `seed` drives its random choices.
    pub fn new(config: SyncConfig, seed: u64) -> Self {
        Self {
            fast_sync: config.fast_sync,
            config,
            state: State::Connecting,
            mode: Mode::Stopped,
            upstreams: Upstreams::default(),
            ids: Ids { request: 0, token: 0, rng: StdRng::seed_from_u64(seed) },
            samples: 0,
            winner: None,
            start: 2,
            pivot: 0,
            walk: None,
            deleting: None,
            fetch: None,
            catching_up: false,
            fetches_done: 0,
        }
    }

    /// Fetch sessions so far that ended with every block applied and every forgery check
    /// passed (the shell then knows its fast-synced blocks are checked).
    pub fn fetches_done(&self) -> u64 {
        self.fetches_done
    }

    /// The highest block whose forgery check passed in the fetch session under way (0:
    /// none, or no session).
    pub fn forgery_checked(&self) -> u64 {
        self.fetch.as_ref().map_or(0, fetch::Fetch::passed)
    }

    /// The configuration.
    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The mode last announced with [`Action::SetMode`] (Stopped before the first tick).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The last election's winner, if it had one.
    pub fn winner(&self) -> Option<&Winner> {
        self.winner.as_ref()
    }

    /// True while fast sync is enabled (until a forgery check fails).
    pub fn fast_sync(&self) -> bool {
        self.fast_sync
    }

    /// Failed elections in a row in Sampling.
    pub fn samples(&self) -> u32 {
        self.samples
    }

    /// The fast-sync pivot of the current sync.
    pub fn pivot(&self) -> u64 {
        self.pivot
    }

    /// The fetch session's window now (all zero outside FetchBlocks).
    pub fn fetch_window(&self) -> FetchWindow {
        self.fetch.as_ref().map_or_else(FetchWindow::default, |f| FetchWindow {
            in_flight: f.outstanding(),
            held_blocks: f.held_blocks(),
            buffered_bytes: f.buffered_bytes(),
        })
    }

    /// Every known upstream, in voting order.
    pub fn upstreams(&self) -> &[Upstream] {
        self.upstreams.all()
    }

    /// Upstreams left out of elections and fetches, with the time each exclusion ends.
    pub fn excluded(&self) -> Vec<(PeerId, Instant)> {
        self.upstreams.exclusions().map(|(p, t)| (p.clone(), t)).collect()
    }

    /// The target of the fetch session under way (it can be lower than the winner's
    /// height once members that claimed more have been dropped).
    pub fn fetch_target(&self) -> Option<u64> {
        self.fetch.as_ref().map(Fetch::target)
    }

    /// Sets the configuration position of the static upstream `peer`: static upstreams
    /// vote in configuration order, as in bitmarkd, whatever order they register in. The
    /// shell calls this when a configured peer connects; unranked static upstreams vote
    /// after the ranked ones.
    pub fn rank_static(&mut self, peer: PeerId, rank: usize) {
        self.upstreams.rank(peer, rank);
    }

    /// Block requests on the wire.
    pub fn outstanding_blocks(&self) -> usize {
        self.fetch.as_ref().map_or(0, Fetch::outstanding)
    }

    /// Fetched-but-unapplied bytes held.
    pub fn buffered_bytes(&self) -> usize {
        self.fetch.as_ref().map_or(0, Fetch::buffered_bytes)
    }

    /// Fetched-but-unapplied blocks held.
    pub fn held_blocks(&self) -> usize {
        self.fetch.as_ref().map_or(0, Fetch::held_blocks)
    }

    /// The upstreams the current fetch uses.
    pub fn fetch_group(&self) -> &[PeerId] {
        self.fetch.as_ref().map_or(&[], Fetch::group)
    }

    /// When the shell should send [`Event::Wake`] at the latest (the earliest request
    /// deadline), if any request is outstanding.
    pub fn next_deadline(&self) -> Option<Instant> {
        let walk = self.walk.as_ref().and_then(ForkWalk::next_deadline);
        let fetch = self.fetch.as_ref().and_then(Fetch::next_deadline);
        walk.into_iter().chain(fetch).min()
    }

    /// Handles one event at time `now` and returns what the shell must do, in order.
    pub fn on_event(&mut self, event: Event, now: Instant, local: &dyn LocalChain) -> Vec<Action> {
        let mut out = Vec::new();
        self.upstreams.expire_exclusions(now);
        self.expire(now, local, &mut out);
        match event {
            Event::Tick => self.run(now, local, &mut out),
            Event::Wake => {}
            Event::Registered { peer, kind } => self.upstreams.register(peer, kind),
            Event::Lost { peer } => self.on_lost(&peer, now, local, &mut out),
            Event::Polled { peer, remote_height, digest } => {
                self.upstreams.polled(&peer, now, remote_height, digest);
                if remote_height > local.height() {
                    self.sample_now(now, local, &mut out);
                }
            }
            Event::Response { id, result } => self.on_response(id, result, now, local, &mut out),
            Event::Applied { token, result } => {
                self.on_applied(token, result, now, local, &mut out)
            }
            Event::DeletedDown { result } => self.on_deleted(result, now, local, &mut out),
        }
        for action in &out {
            if let Action::DropPeer { peer, .. } = action {
                self.exclude(peer, now);
            }
        }
        out
    }

    /// Leaves `peer` out of elections and fetches until `until`, whatever remains: a
    /// banned peer ([`crate::misbehaviour`]). The shell also disconnects it.
    pub fn ban(&mut self, peer: &PeerId, until: Instant) {
        self.upstreams.exclude(peer, until);
    }

    /// Leaves `peer` out of elections and fetches for `exclude_time`, unless that would
    /// leave fewer voters than an election needs: when most upstreams serve what this
    /// node refuses, the fault is more likely this node's (a clock far off, say).
    fn exclude(&mut self, peer: &PeerId, now: Instant) {
        let others = self
            .upstreams
            .all()
            .iter()
            .filter(|u| u.registered && &u.peer != peer)
            .filter(|u| !self.upstreams.is_excluded(&u.peer, now))
            .count();
        if others < self.config.min_votes {
            tracing::warn!(%peer, others, "not excluding: too few other upstreams would be left");
            return;
        }
        self.upstreams.exclude(peer, now + self.config.exclude_time);
    }

    /// Announces `mode` if it changed.
    fn set_mode(&mut self, mode: Mode, out: &mut Vec<Action>) {
        if self.mode != mode {
            self.mode = mode;
            out.push(Action::SetMode(mode));
        }
    }
}

#[cfg(test)]
mod tests;
