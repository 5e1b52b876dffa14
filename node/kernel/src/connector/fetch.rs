//! The pipelined block fetch of state FetchBlocks (peerd's sync beyond bitmarkd).
//!
//! bitmarkd fetches 200 blocks per 15 s tick from the election winner alone. peerd keeps a
//! window of `fetch_window` block numbers in flight across every member of the winning vote
//! group (least-loaded first, round-robin among equals, at most [`MAX_PER_PEER`] each), holds replies in a reorder buffer
//! and releases them to the shell strictly in order. Fetched-but-unapplied bytes (buffer
//! plus blocks handed to the shell) stay under `max_buffered_bytes`: no request is sent
//! while the buffer is full, a reply that does not fit pushes out higher-numbered buffered
//! blocks (they are fetched again later) or is itself dropped and fetched again. A single
//! block larger than the cap is still accepted when nothing else is held, so sync always
//! progresses. A request that times out or fails is retried on another member; a member
//! that serves a block failing validation leaves the group.
//!
//! Safety rules kept from bitmarkd: only the winning group is used; in fast sync (blocks at
//! or below the pivot) the digest of block `n` is taken from block `n + 1`'s header, and
//! every `forgery_check_every` applied blocks a random recent block's digest is checked
//! against the winner's `H`; blocks above the pivot are applied with the digest computed.
//! Checks do not wait for each other: the checker's `H` answers queue behind its block
//! requests, and skipping checks while one is outstanding would check far fewer blocks than
//! bitmarkd's one per `forgery_check_every`. The session ends only when every check passed.
//!
//! Known limit: group members agree on the block at *our* height, not necessarily above
//! it. If one member sits on a short fork above our height, the block after its last one
//! fails linkage and the member that served that next block is blamed; once the group is
//! exhausted the session fails and the next election's fork walk repairs the chain. The
//! same holds in fast sync, where the server of block `n` is blamed even if the bad data
//! came with block `n + 1`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use peerd_api::bytes::Bytes;
use peerd_api::{Accepted, PeerId, Request, RequestId, Response, TransportError};

use crate::misbehaviour::Offence;
use rand::Rng;
use tokio::time::Instant;

use super::upstream::Upstreams;
use super::{Action, ApplyDigest, ApplyFailure, Ids, LocalChain, SyncConfig};

/// Most block requests outstanding at one upstream. Transports run one request at a time
/// per connection (bitmarkd's REQ discipline) and queue the rest in a bounded queue (256 on
/// the memory transport); more than a few dozen queued requests add latency, not speed,
/// and a full queue would fail requests for no fault of the peer.
pub(crate) const MAX_PER_PEER: usize = 64;

/// Who can serve a block.
enum Pick {
    /// This member.
    Peer(PeerId),
    /// Members can, but each has `MAX_PER_PEER` requests outstanding: wait for replies.
    Busy,
    /// Members claim the block, but each failed on it.
    Nobody,
    /// No member left claims a height this high; the highest claim is this (None: the
    /// group is empty).
    Unclaimed(Option<u64>),
}

/// A block request on the wire.
#[derive(Clone, Debug)]
struct Pending {
    number: u64,
    peer: PeerId,
    deadline: Instant,
}

/// A block handed to the shell and not yet confirmed.
#[derive(Clone, Debug)]
struct Applying {
    token: u64,
    number: u64,
    block: Bytes,
    peer: PeerId,
    fast: bool,
}

/// An outstanding forgery check: `H(number)` asked of `peer`.
#[derive(Clone, Debug)]
struct Check {
    id: RequestId,
    number: u64,
    deadline: Instant,
}

/// What a fetch session tells the connector after an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Keep fetching.
    Running,
    /// Every block up to the target is applied.
    Done,
    /// Give up and return to HighestBlock (bitmarkd's "retry").
    Failed(String),
    /// A forgery check failed: delete down from `from`, disable fast sync.
    Forgery {
        /// First block of the fetched run.
        from: u64,
    },
}

/// One FetchBlocks session: blocks `start..=target` from the winning group.
#[derive(Debug)]
pub(crate) struct Fetch {
    start: u64,
    target: u64,
    pivot: u64,
    fast: bool,
    checker: PeerId,
    group: Vec<PeerId>,
    next_release: u64,
    next_new: u64,
    retry: BTreeSet<u64>,
    outstanding: HashMap<RequestId, Pending>,
    buffer: BTreeMap<u64, (Bytes, PeerId)>,
    applying: VecDeque<Applying>,
    bytes: usize,
    largest: usize,
    failed: HashMap<u64, Vec<PeerId>>,
    applied: u64,
    checks: Vec<Check>,
    /// The highest block whose forgery check passed (0: none yet). Its digest is the
    /// winner's, so by the digest links below it every block under it is the winner's too.
    passed: u64,
    round_robin: usize,
}

impl Fetch {
    /// A session fetching `start..=target` from `group`; `checker` answers forgery checks.
    pub(crate) fn new(
        start: u64,
        target: u64,
        pivot: u64,
        fast: bool,
        checker: PeerId,
        group: Vec<PeerId>,
    ) -> Self {
        Self {
            start,
            target,
            pivot,
            fast,
            checker,
            group,
            next_release: start,
            next_new: start,
            retry: BTreeSet::new(),
            outstanding: HashMap::new(),
            buffer: BTreeMap::new(),
            applying: VecDeque::new(),
            bytes: 0,
            largest: 0,
            failed: HashMap::new(),
            applied: 0,
            checks: Vec::new(),
            passed: 0,
            round_robin: 0,
        }
    }

    /// The highest block whose forgery check passed in this session (0: none yet).
    pub(crate) fn passed(&self) -> u64 {
        self.passed
    }

    /// Block requests on the wire.
    pub(crate) fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    /// Fetched-but-unapplied bytes held (buffer plus blocks handed to the shell).
    pub(crate) fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Blocks held (buffer plus blocks handed to the shell).
    pub(crate) fn held_blocks(&self) -> usize {
        self.buffer.len() + self.applying.len()
    }

    /// The group members still fetched from.
    pub(crate) fn group(&self) -> &[PeerId] {
        &self.group
    }

    /// The earliest request deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let blocks = self.outstanding.values().map(|p| p.deadline);
        blocks.chain(self.checks.iter().map(|c| c.deadline)).min()
    }

    /// True if `id` is one of this session's requests.
    pub(crate) fn owns(&self, id: RequestId) -> bool {
        self.outstanding.contains_key(&id) || self.checks.iter().any(|c| c.id == id)
    }

    /// Sends requests until the window or the byte budget is full.
    pub(crate) fn fill(
        &mut self,
        cfg: &SyncConfig,
        ups: &Upstreams,
        ids: &mut Ids,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Progress {
        while self.outstanding.len() + self.held_blocks() < cfg.fetch_window {
            let projected = self.bytes + (self.outstanding.len() + 1) * self.largest;
            let nothing_held = self.bytes == 0 && self.outstanding.is_empty();
            if projected > cfg.max_buffered_bytes && !nothing_held {
                break;
            }
            let number = match self.retry.first() {
                Some(&n) => n,
                None if self.next_new <= self.target => self.next_new,
                None => break,
            };
            let peer = match self.pick(number, ups) {
                Pick::Peer(peer) => peer,
                Pick::Busy => break,
                Pick::Nobody => {
                    return Progress::Failed(format!(
                        "no upstream of the group can serve block {number}"
                    ))
                }
                Pick::Unclaimed(None) => {
                    return Progress::Failed("every upstream of the group left".into())
                }
                Pick::Unclaimed(Some(highest)) => {
                    self.lower_target(highest, cfg);
                    continue;
                }
            };
            if !self.retry.remove(&number) {
                self.next_new += 1;
            }
            let id = ids.request();
            let deadline = now + cfg.request_timeout;
            out.push(Action::Request { id, peer: peer.clone(), request: Request::Block(number) });
            self.outstanding.insert(id, Pending { number, peer, deadline });
        }
        self.progress()
    }

    /// The least-loaded group member that may serve `number`, round-robin among equals.
    fn pick(&mut self, number: u64, ups: &Upstreams) -> Pick {
        let failed = self.failed.get(&number);
        let n = self.group.len();
        let mut best: Option<(usize, usize)> = None;
        for k in 0..n {
            let i = (self.round_robin + k) % n;
            let peer = &self.group[i];
            let usable = ups.get(peer).is_some_and(|u| u.registered && u.remote_height >= number)
                && !failed.is_some_and(|f| f.contains(peer));
            if !usable {
                continue;
            }
            let load = self.outstanding.values().filter(|p| &p.peer == peer).count();
            if best.is_none_or(|(_, l)| load < l) {
                best = Some((i, load));
            }
        }
        match best {
            None => {
                let claims = self.group.iter().filter_map(|p| ups.get(p)).filter(|u| u.registered);
                match claims.map(|u| u.remote_height).max() {
                    Some(highest) if highest >= number => Pick::Nobody,
                    highest => Pick::Unclaimed(highest),
                }
            }
            Some((_, load)) if load >= MAX_PER_PEER => Pick::Busy,
            Some((i, _)) => {
                self.round_robin = i + 1;
                Pick::Peer(self.group[i].clone())
            }
        }
    }

    /// The members still in the group claim at most `highest`: the session ends there
    /// (the member that claimed more was dropped, or lost). Fast sync keeps its pivot
    /// distance below the new target.
    fn lower_target(&mut self, highest: u64, cfg: &SyncConfig) {
        tracing::info!(
            from = self.target,
            to = highest,
            "the group claims less now; lowering the fetch target"
        );
        self.target = highest;
        self.pivot = self.pivot.min(highest.saturating_sub(cfg.fast_sync_pivot));
        self.retry.retain(|n| *n <= highest);
        self.next_new = self.next_new.min(highest + 1);
        let above: Vec<u64> = self.buffer.range(highest + 1..).map(|(n, _)| *n).collect();
        for n in above {
            if let Some((b, _)) = self.buffer.remove(&n) {
                self.bytes -= b.len();
            }
        }
    }

    /// The fetch target (lowered when the members claiming the highest blocks leave).
    pub(crate) fn target(&self) -> u64 {
        self.target
    }

    fn progress(&self) -> Progress {
        let finished = self.next_release > self.target && self.outstanding.is_empty();
        if finished && self.held_blocks() == 0 && self.checks.is_empty() {
            Progress::Done
        } else {
            Progress::Running
        }
    }

    /// Handles the answer to one of this session's requests.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_response(
        &mut self,
        id: RequestId,
        result: Result<Response, TransportError>,
        local: &dyn LocalChain,
        ups: &Upstreams,
        cfg: &SyncConfig,
        ids: &mut Ids,
        out: &mut Vec<Action>,
    ) -> Progress {
        if let Some(at) = self.checks.iter().position(|c| c.id == id) {
            let check = self.checks.swap_remove(at);
            return self.on_check(check, result, local);
        }
        let Some(pending) = self.outstanding.remove(&id) else { return self.progress() };
        let Pending { number, peer, .. } = pending;
        match result {
            Ok(Response::Block(block)) if local.block_number(&block) == Some(number) => {
                self.store(number, block, peer, cfg);
                self.release(ids, out);
            }
            Ok(Response::Block(_)) => {
                let fault = format!("served a block that is not block {number}");
                self.drop_peer(&peer, Offence::InvalidBlock, fault, out);
                self.retry.insert(number);
            }
            Ok(other) if ups.get(&peer).is_some_and(|u| u.remote_height >= number) => {
                // It answered, but not with a block it still claims to have: drop it from
                // the session (a liar about its height must not stall the fetch).
                let claimed = ups.get(&peer).map_or(0, |u| u.remote_height);
                let fault =
                    format!("claimed height {claimed} but cannot serve block {number}: {other:?}");
                self.drop_peer(&peer, Offence::UnservedClaim, fault, out);
                self.retry.insert(number);
            }
            Ok(other) => {
                tracing::debug!(%peer, number, reply = ?other, "block no longer claimed; retrying");
                self.failed.entry(number).or_default().push(peer);
                self.retry.insert(number);
            }
            Err(error) => {
                tracing::debug!(%peer, number, %error, "block request failed; retrying");
                self.failed.entry(number).or_default().push(peer);
                self.retry.insert(number);
            }
        }
        self.progress()
    }

    fn on_check(
        &mut self,
        check: Check,
        result: Result<Response, TransportError>,
        local: &dyn LocalChain,
    ) -> Progress {
        let remote = match result {
            Ok(Response::Digest(d)) => d,
            other => {
                return Progress::Failed(format!(
                    "forgery check of block {} failed: {other:?}",
                    check.number
                ))
            }
        };
        match local.digest(check.number) {
            None => Progress::Failed(format!("local digest of block {} unavailable", check.number)),
            Some(d) if d != remote => {
                let number = check.number;
                tracing::warn!(number, local = %d, %remote, "potential block forgery");
                Progress::Forgery { from: self.start }
            }
            Some(_) => {
                tracing::debug!(number = check.number, "forgery check passed");
                self.passed = self.passed.max(check.number);
                self.progress()
            }
        }
    }

    /// Puts a fetched block in the reorder buffer, within the byte budget.
    fn store(&mut self, number: u64, block: Bytes, peer: PeerId, cfg: &SyncConfig) {
        if number < self.next_release || number > self.target || self.buffer.contains_key(&number) {
            return;
        }
        let len = block.len();
        self.largest = self.largest.max(len);
        while self.bytes + len > cfg.max_buffered_bytes {
            match self.buffer.last_key_value() {
                Some((&hi, _)) if hi > number => {
                    if let Some((b, _)) = self.buffer.remove(&hi) {
                        self.bytes -= b.len();
                    }
                    self.retry.insert(hi);
                }
                _ => break,
            }
        }
        if self.bytes + len > cfg.max_buffered_bytes && self.bytes > 0 {
            self.retry.insert(number);
            return;
        }
        self.bytes += len;
        self.buffer.insert(number, (block, peer));
    }

    /// Hands in-order blocks to the shell.
    fn release(&mut self, ids: &mut Ids, out: &mut Vec<Action>) {
        while let Some((block, peer)) = self.buffer.get(&self.next_release).cloned() {
            let number = self.next_release;
            let fast = self.fast && number <= self.pivot && number < self.target;
            let digest = if fast {
                match self.buffer.get(&(number + 1)) {
                    Some((next, _)) => ApplyDigest::NextBlock(next.clone()),
                    None => break,
                }
            } else {
                ApplyDigest::Compute
            };
            self.buffer.remove(&number);
            let token = ids.token();
            out.push(Action::Apply { token, number, block: block.clone(), digest });
            self.applying.push_back(Applying { token, number, block, peer, fast });
            self.next_release += 1;
        }
    }

    /// Handles the result of one of this session's applies (stale tokens are ignored).
    pub(crate) fn on_applied(
        &mut self,
        token: u64,
        result: Result<Accepted, ApplyFailure>,
        cfg: &SyncConfig,
        ids: &mut Ids,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Progress {
        let Some(pos) = self.applying.iter().position(|a| a.token == token) else {
            return self.progress();
        };
        let Some(done) = self.applying.remove(pos) else { return self.progress() };
        self.bytes -= done.block.len();
        match result {
            Ok(accepted) => {
                self.applied += 1;
                let every = cfg.forgery_check_every.max(1);
                if done.fast && self.fast && self.applied.is_multiple_of(every) {
                    self.start_check(accepted.number, every, cfg, ids, now, out);
                }
            }
            Err(ApplyFailure::Invalid(fault)) => {
                let (peer, number) = (&done.peer, done.number);
                tracing::warn!(%peer, number, %fault, "block failed validation");
                self.drop_peer(&done.peer, Offence::InvalidBlock, fault, out);
                self.unwind(done.number);
            }
            Err(other) => {
                return Progress::Failed(format!(
                    "storing block {} failed: {other:?}",
                    done.number
                ));
            }
        }
        self.release(ids, out);
        self.progress()
    }

    /// Asks the checker for the digest of a random recent block.
    fn start_check(
        &mut self,
        tip: u64,
        every: u64,
        cfg: &SyncConfig,
        ids: &mut Ids,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let back = ids.rng.gen_range(0..every);
        let number = tip.saturating_sub(back).max(self.start).max(2);
        let peer = if self.group.contains(&self.checker) {
            Some(&self.checker)
        } else {
            self.group.first()
        };
        let Some(peer) = peer.cloned() else { return };
        tracing::debug!(number, %peer, "forgery check");
        let id = ids.request();
        out.push(Action::Request { id, peer, request: Request::Digest(number) });
        self.checks.push(Check { id, number, deadline: now + cfg.request_timeout });
    }

    /// After block `number` failed: everything from it on is fetched or released again.
    fn unwind(&mut self, number: u64) {
        for entry in std::mem::take(&mut self.applying) {
            if entry.number > number && self.group.contains(&entry.peer) {
                self.buffer.insert(entry.number, (entry.block, entry.peer));
            } else {
                self.bytes -= entry.block.len();
                self.retry.insert(entry.number);
            }
        }
        self.retry.insert(number);
        self.next_release = number;
    }

    /// Removes `peer` from the group: its requests and buffered blocks go back to the queue.
    fn drop_peer(&mut self, peer: &PeerId, offence: Offence, fault: String, out: &mut Vec<Action>) {
        if self.leave(peer) {
            out.push(Action::DropPeer { peer: peer.clone(), offence, fault });
        }
    }

    /// Removes `peer` from the group (lost or dropped); true if it was a member.
    pub(crate) fn leave(&mut self, peer: &PeerId) -> bool {
        let member = self.group.contains(peer);
        self.group.retain(|p| p != peer);
        let mut requeue = Vec::new();
        self.outstanding.retain(|_, p| {
            let keep = &p.peer != peer;
            if !keep {
                requeue.push(p.number);
            }
            keep
        });
        let theirs: Vec<u64> =
            self.buffer.iter().filter(|(_, (_, p))| p == peer).map(|(n, _)| *n).collect();
        for n in theirs {
            if let Some((b, _)) = self.buffer.remove(&n) {
                self.bytes -= b.len();
            }
            requeue.push(n);
        }
        self.retry.extend(requeue);
        member
    }

    /// Expires overdue requests: blocks are retried elsewhere, a forgery check fails.
    pub(crate) fn expire(&mut self, now: Instant) -> Progress {
        if self.checks.iter().any(|c| c.deadline <= now) {
            return Progress::Failed("forgery check timed out".into());
        }
        let overdue: Vec<RequestId> =
            self.outstanding.iter().filter(|(_, p)| p.deadline <= now).map(|(id, _)| *id).collect();
        for id in overdue {
            if let Some(p) = self.outstanding.remove(&id) {
                tracing::debug!(peer = %p.peer, number = p.number, "block request timed out");
                self.failed.entry(p.number).or_default().push(p.peer);
                self.retry.insert(p.number);
            }
        }
        self.progress()
    }
}
