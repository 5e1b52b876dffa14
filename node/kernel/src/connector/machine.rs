//! The state transitions of [`Connector`] (protocol §4.3) and the routing of replies.

use peerd_api::{Accepted, Mode, PeerId, RequestId, Response, TransportError};
use tokio::time::Instant;

use super::fetch::{Fetch, Progress};
use super::fork::{ForkWalk, Walk};
use super::vote::Ballot;
use super::{
    Action, AfterDelete, ApplyFailure, Connector, DeleteFailure, LocalChain, State, Winner,
};

/// Bound on state changes per event, against a logic error looping forever.
const MAX_STEPS: usize = 32;

impl Connector {
    /// Runs states until one pauses (bitmarkd's `process`).
    pub(super) fn run(&mut self, now: Instant, local: &dyn LocalChain, out: &mut Vec<Action>) {
        if self.deleting.is_some() {
            return; // the chain is changing under us: wait for DeletedDown
        }
        for _ in 0..MAX_STEPS {
            if !self.step(now, local, out) {
                return;
            }
        }
        tracing::error!(state = ?self.state, "connector did not pause");
    }

    /// One state; true to continue with the next.
    fn step(&mut self, now: Instant, local: &dyn LocalChain, out: &mut Vec<Action>) -> bool {
        match self.state {
            State::Connecting => {
                self.set_mode(Mode::Resynchronise, out);
                let count = self.upstreams.registered_count();
                if count >= self.config.min_upstreams {
                    self.state = State::HighestBlock;
                } else {
                    tracing::info!(count, minimum = self.config.min_upstreams, "too few upstreams");
                    out.push(Action::Reconnect);
                }
                false
            }
            State::HighestBlock => {
                self.catching_up = false;
                if !self.elect(now, local) {
                    self.state = State::Connecting;
                    return false;
                }
                let height = local.height();
                if self.has_better_chain(height, local) {
                    self.state = State::ForkDetect;
                    true
                } else if self.is_same_chain(height, local) {
                    self.state = State::Rebuild;
                    true
                } else {
                    tracing::info!(height, "remote chain invalid, waiting");
                    false
                }
            }
            State::ForkDetect => self.fork_detect(now, local, out),
            State::FetchBlocks => self.fetch_blocks(now, out),
            State::Rebuild => {
                self.catching_up = false;
                self.state = State::Sampling;
                self.samples = 0;
                self.set_mode(Mode::Normal, out);
                false
            }
            State::Sampling => self.sampling(now, local),
        }
    }

    /// In Sampling, an upstream reported a height above ours: elect now rather than at the
    /// next tick, so that a node that joins between two blocks, or missed a gossiped
    /// block, is level within a poll. A failed election here does not count towards the
    /// sampling limit, and a completed fetch returns to Sampling (the other upstreams'
    /// cached heights are still below ours then; an election in HighestBlock would fail
    /// and send an in-sync node through Connecting and Resynchronise for nothing).
    pub(super) fn sample_now(
        &mut self,
        now: Instant,
        local: &dyn LocalChain,
        out: &mut Vec<Action>,
    ) {
        if self.state != State::Sampling || self.deleting.is_some() {
            return;
        }
        if self.elect(now, local) && self.has_better_chain(local.height(), local) {
            self.state = State::ForkDetect;
            self.catching_up = true;
            self.run(now, local, out);
        }
    }

    fn sampling(&mut self, now: Instant, local: &dyn LocalChain) -> bool {
        if self.upstreams.registered_count() < self.config.min_upstreams {
            self.state = State::Connecting;
            return true;
        }
        if self.elect(now, local) {
            if self.has_better_chain(local.height(), local) {
                self.state = State::ForkDetect;
                return true;
            }
            self.samples = 0;
        } else {
            self.samples += 1;
            if self.samples > self.config.sampling_limit {
                tracing::warn!(samples = self.samples, "no winner for too long, resynchronising");
                self.state = State::ForkDetect;
                return true;
            }
        }
        false
    }

    fn fork_detect(&mut self, now: Instant, local: &dyn LocalChain, out: &mut Vec<Action>) -> bool {
        if self.walk.is_some() {
            return false; // waiting for digests
        }
        let height = local.height();
        let better = self.has_better_chain(height, local);
        let Some(winner) = self.winner.as_ref().filter(|_| better) else {
            self.state = State::Rebuild;
            return true;
        };
        let peer = winner.peer.clone();
        self.pivot = winner.height.saturating_sub(self.config.fast_sync_pivot);
        self.start = 2;
        let mut walk = ForkWalk::new(peer, height, self.config.fork_protection);
        walk.ask(&self.config, &mut self.ids, now, out);
        self.walk = Some(walk);
        false
    }

    fn fetch_blocks(&mut self, now: Instant, out: &mut Vec<Action>) -> bool {
        if self.fetch.is_none() {
            let Some(winner) = self.winner.as_ref() else {
                self.state = State::HighestBlock;
                return true;
            };
            if self.start > winner.height {
                self.state = State::HighestBlock;
                return true;
            }
            let group: Vec<PeerId> =
                winner.group.iter().filter(|p| self.upstreams.is_registered(p)).cloned().collect();
            tracing::info!(
                start = self.start,
                target = winner.height,
                peers = group.len(),
                "fetching blocks"
            );
            self.fetch = Some(Fetch::new(
                self.start,
                winner.height,
                self.pivot,
                self.fast_sync,
                winner.peer.clone(),
                group,
            ));
        }
        self.drive(Progress::Running, now, out)
    }

    /// Acts on a fetch session's progress; true if the machine should run on.
    fn drive(&mut self, progress: Progress, now: Instant, out: &mut Vec<Action>) -> bool {
        let progress = match (progress, self.fetch.as_mut()) {
            (Progress::Running, Some(fetch)) => {
                fetch.fill(&self.config, &self.upstreams, &mut self.ids, now, out)
            }
            (p, _) => p,
        };
        match progress {
            Progress::Running => false,
            Progress::Done if self.catching_up => {
                // An early election's fetch: back to Sampling, where a failed election
                // counts towards the sampling limit instead of forcing a resync.
                self.fetches_done += 1;
                self.fetch = None;
                self.catching_up = false;
                self.state = State::Sampling;
                false
            }
            Progress::Done => {
                self.fetches_done += 1;
                self.fetch = None;
                self.state = State::HighestBlock;
                true
            }
            Progress::Failed(reason) => {
                tracing::warn!(%reason, "fetch stopped, electing again at the next tick");
                self.fetch = None;
                self.state = State::HighestBlock;
                false
            }
            Progress::Forgery { from } => {
                self.fetch = None;
                self.fast_sync = false;
                self.state = State::HighestBlock;
                self.deleting = Some(AfterDelete::Forgery);
                out.push(Action::DeleteDown { number: from });
                false
            }
        }
    }

    /// bitmarkd's `updateHeightAndClient`: an election; true if it has a usable winner.
    fn elect(&mut self, now: Instant, local: &dyn LocalChain) -> bool {
        let mut ballot = Ballot::new(local.height(), self.config.min_votes);
        for u in self.upstreams.voters(now, self.config.active_time) {
            ballot.vote((u.peer.clone(), u.local_height), u.remote_height, u.digest_of_local);
        }
        self.winner = match ballot.elect(|a, b| local.prefers(a, b)) {
            Ok(e) if e.height > 0 && self.upstreams.is_registered(&e.voter.0) => {
                let group: Vec<PeerId> =
                    ballot.voters_of(&e.digest).into_iter().map(|(p, _)| p).collect();
                let (peer, height) =
                    self.highest_claim(&group).unwrap_or((e.voter.0.clone(), e.height));
                Some(Winner {
                    peer,
                    height,
                    voter: e.voter.0,
                    voter_height: e.height,
                    digest: e.digest,
                    local_height: e.voter.1,
                    group,
                })
            }
            Ok(_) => None,
            Err(err) => {
                tracing::info!(%err, "election without winner");
                None
            }
        };
        self.winner.is_some()
    }

    /// The registered member of `group` claiming the highest height, the first in voting
    /// order among equals, with that height.
    fn highest_claim(&self, group: &[PeerId]) -> Option<(PeerId, u64)> {
        let mut best: Option<(PeerId, u64)> = None;
        for peer in group {
            let Some(u) = self.upstreams.get(peer).filter(|u| u.registered) else { continue };
            if best.as_ref().is_none_or(|(_, h)| u.remote_height > *h) {
                best = Some((peer.clone(), u.remote_height));
            }
        }
        best
    }

    /// bitmarkd's `hasBetterChain`.
    fn has_better_chain(&self, height: u64, local: &dyn LocalChain) -> bool {
        let Some(w) = &self.winner else { return false };
        if w.height < height {
            return false;
        }
        if w.height == height {
            return w.local_height == height
                && local.digest(height).is_some_and(|d| local.prefers(&w.digest, &d));
        }
        true
    }

    /// bitmarkd's `isSameChain`.
    fn is_same_chain(&self, height: u64, local: &dyn LocalChain) -> bool {
        self.winner
            .as_ref()
            .is_some_and(|w| w.height == height && local.digest(height) == Some(w.digest))
    }

    pub(super) fn on_lost(
        &mut self,
        peer: &PeerId,
        now: Instant,
        local: &dyn LocalChain,
        out: &mut Vec<Action>,
    ) {
        self.upstreams.lose(peer);
        if let Some(fetch) = self.fetch.as_mut() {
            fetch.leave(peer);
            if self.drive(Progress::Running, now, out) {
                self.run(now, local, out);
            }
        }
    }

    pub(super) fn on_response(
        &mut self,
        id: RequestId,
        result: Result<Response, TransportError>,
        now: Instant,
        local: &dyn LocalChain,
        out: &mut Vec<Action>,
    ) {
        if let Some(walk) = self.walk.as_mut().filter(|w| w.owns(id)) {
            let outcome = walk.on_reply(id, result, local);
            self.after_walk(outcome, now, local, out);
        } else if let Some(fetch) = self.fetch.as_mut().filter(|f| f.owns(id)) {
            let progress = fetch.on_response(
                id,
                result,
                local,
                &self.upstreams,
                &self.config,
                &mut self.ids,
                out,
            );
            if self.drive(progress, now, out) {
                self.run(now, local, out);
            }
        }
    }

    fn after_walk(
        &mut self,
        outcome: Walk,
        now: Instant,
        local: &dyn LocalChain,
        out: &mut Vec<Action>,
    ) {
        let height = local.height();
        match outcome {
            Walk::Pending => {
                if let Some(walk) = self.walk.as_mut() {
                    walk.ask(&self.config, &mut self.ids, now, out);
                }
            }
            Walk::Common(h) if height.saturating_sub(h) >= self.config.fork_protection => {
                self.walk_failed(format!(
                    "fork protection: {height} - {h} >= {}",
                    self.config.fork_protection
                ));
            }
            Walk::Common(h) => {
                let peer = self.walk.take().map(|w| w.peer().clone());
                tracing::info!(common = h, ?peer, "fork point found");
                self.start = h + 1;
                if h < height {
                    self.deleting = Some(AfterDelete::Fork);
                    out.push(Action::DeleteDown { number: h + 1 });
                } else {
                    self.state = State::FetchBlocks;
                    self.run(now, local, out);
                }
            }
            Walk::Refused => self.walk_failed(format!(
                "no common block within {} of {height}: fork refused",
                self.config.fork_protection
            )),
            Walk::Failed(reason) => self.walk_failed(reason),
            Walk::PeerFailed(reason) => self.walk_peer_failed(reason, now),
        }
    }

    /// The walk's peer failed to answer: it sits out elections for `exclude_time`, so the
    /// next election follows another member.
    fn walk_peer_failed(&mut self, reason: String, now: Instant) {
        if let Some(peer) = self.walk.as_ref().map(|w| w.peer().clone()) {
            tracing::warn!(%peer, %reason, "fork walk peer failed; excluding it for a while");
            self.exclude(&peer, now);
        }
        self.walk_failed(reason);
    }

    fn walk_failed(&mut self, reason: String) {
        tracing::warn!(%reason, "fork detection stopped, electing again at the next tick");
        self.walk = None;
        self.state = State::HighestBlock;
    }

    pub(super) fn on_applied(
        &mut self,
        token: u64,
        result: Result<Accepted, ApplyFailure>,
        now: Instant,
        local: &dyn LocalChain,
        out: &mut Vec<Action>,
    ) {
        if let Some(fetch) = self.fetch.as_mut() {
            let progress = fetch.on_applied(token, result, &self.config, &mut self.ids, now, out);
            if self.drive(progress, now, out) {
                self.run(now, local, out);
            }
        }
    }

    pub(super) fn on_deleted(
        &mut self,
        result: Result<(), DeleteFailure>,
        now: Instant,
        local: &dyn LocalChain,
        out: &mut Vec<Action>,
    ) {
        match (self.deleting.take(), result) {
            (Some(AfterDelete::Fork), Ok(())) => {
                self.state = State::FetchBlocks;
                self.run(now, local, out);
            }
            (Some(_), Err(reason)) => {
                tracing::error!(%reason, "delete down failed");
                self.state = State::HighestBlock;
            }
            (Some(AfterDelete::Forgery), Ok(())) => self.state = State::HighestBlock,
            (None, _) => {}
        }
    }

    /// Expires overdue requests of the walk and the fetch.
    pub(super) fn expire(&mut self, now: Instant, local: &dyn LocalChain, out: &mut Vec<Action>) {
        if let Some(Walk::PeerFailed(reason)) = self.walk.as_ref().map(|w| w.expire(now)) {
            self.walk_peer_failed(reason, now);
        }
        if let Some(fetch) = self.fetch.as_mut() {
            let progress = fetch.expire(now);
            if self.drive(progress, now, out) {
                self.run(now, local, out);
            }
        }
    }
}
