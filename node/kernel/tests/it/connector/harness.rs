//! Scripted peers around a [`Connector`]: the test plays the shell, answering requests
//! from each peer's `ToyChain` and applying blocks to a local `ToyChain`.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use peerd_api::{Chain, DigestSource, Mode, PeerId, Request, RequestId, Response, TransportError};
use peerd_kernel::connector::{
    Action, ApplyDigest, ApplyFailure, ChainView, Connector, DeleteFailure, Event, State,
    SyncConfig, UpstreamKind,
};
use peerd_testkit::chain::ToyChain;
use tokio::time::Instant;

/// A scripted upstream.
pub(crate) struct Peer {
    /// What it serves.
    pub(crate) chain: ToyChain,
    /// A mute peer never answers requests (they time out).
    pub(crate) mute: bool,
    /// The height it claims in polls, if not its chain's (a liar).
    pub(crate) claim: Option<u64>,
}

/// The connector, its local chain, its peers and everything it asked for.
pub(crate) struct Net {
    pub(crate) c: Connector,
    pub(crate) local: ToyChain,
    pub(crate) peers: BTreeMap<PeerId, Peer>,
    pub(crate) now: Instant,
    /// Requests not answered yet, in the order they were sent.
    pub(crate) pending: Vec<(RequestId, PeerId, Request)>,
    /// Apply / DeleteDown not executed yet, in order.
    pub(crate) chain_ops: VecDeque<Action>,
    /// Every action ever emitted.
    pub(crate) log: Vec<Action>,
    /// Numbers applied successfully, in order.
    pub(crate) applied: Vec<u64>,
}

pub(crate) fn id(name: &str) -> PeerId {
    PeerId::new(name.as_bytes().to_vec())
}

/// A config for tests: small window and fast sync off unless a test says otherwise.
pub(crate) fn config() -> SyncConfig {
    SyncConfig { fast_sync: false, fetch_window: 16, ..SyncConfig::default() }
}

impl Net {
    pub(crate) fn new(config: SyncConfig, local: ToyChain) -> Self {
        Self {
            c: Connector::new(config, 7),
            local,
            peers: BTreeMap::new(),
            now: Instant::now(),
            pending: Vec::new(),
            chain_ops: VecDeque::new(),
            log: Vec::new(),
            applied: Vec::new(),
        }
    }

    /// Registers a static peer serving `chain`.
    pub(crate) fn add(&mut self, name: &str, chain: ToyChain) {
        self.peers.insert(id(name), Peer { chain, mute: false, claim: None });
        self.feed(Event::Registered { peer: id(name), kind: UpstreamKind::Static });
    }

    /// Every registered peer answers its poll (`N`, then `H(local height)`).
    pub(crate) fn poll(&mut self) {
        let local_height = self.local.height().unwrap();
        let names: Vec<PeerId> = self.peers.keys().cloned().collect();
        for peer in names {
            let chain = &self.peers[&peer].chain;
            let remote_height = self.peers[&peer].claim.unwrap_or_else(|| chain.height().unwrap());
            let digest = chain.digest(local_height).unwrap().map(|d| (local_height, d));
            self.feed(Event::Polled { peer, remote_height, digest });
        }
    }

    pub(crate) fn advance(&mut self, secs: u64) {
        self.now += Duration::from_secs(secs);
    }

    pub(crate) fn tick(&mut self) -> Vec<Action> {
        self.feed(Event::Tick)
    }

    /// Feeds one event and files its actions.
    pub(crate) fn feed(&mut self, event: Event) -> Vec<Action> {
        let out = self.c.on_event(event, self.now, &ChainView(&self.local));
        for action in &out {
            match action {
                Action::Request { id, peer, request } => {
                    self.pending.push((*id, peer.clone(), request.clone()));
                }
                Action::Apply { .. } | Action::DeleteDown { .. } => {
                    self.chain_ops.push_back(action.clone())
                }
                _ => {}
            }
        }
        self.log.extend(out.iter().cloned());
        out
    }

    /// What `peer` answers to `request`.
    pub(crate) fn reply(
        &self,
        peer: &PeerId,
        request: &Request,
    ) -> Result<Response, TransportError> {
        let chain = &self.peers.get(peer).ok_or(TransportError::NotConnected(peer.clone()))?.chain;
        let not_found = || Response::Error("block not found".into());
        Ok(match request {
            Request::Block(n) => chain.block(*n).unwrap().map_or_else(not_found, Response::Block),
            Request::Digest(n) => {
                chain.digest(*n).unwrap().map_or_else(not_found, Response::Digest)
            }
            other => panic!("connector sent an unexpected request {other:?}"),
        })
    }

    /// Answers the pending request at `index` (if its peer is not mute).
    pub(crate) fn answer_at(&mut self, index: usize) {
        let (rid, peer, request) = self.pending.remove(index);
        let result = self.reply(&peer, &request);
        self.feed(Event::Response { id: rid, result });
    }

    /// Executes the next chain operation on the local chain and feeds its result.
    pub(crate) fn run_chain_op(&mut self) -> bool {
        match self.chain_op_event() {
            Some(event) => {
                self.feed(event);
                true
            }
            None => false,
        }
    }

    /// Executes the next chain operation on the local chain; returns the event to feed.
    pub(crate) fn chain_op_event(&mut self) -> Option<Event> {
        let op = self.chain_ops.pop_front()?;
        let event = match op {
            Action::Apply { token, number, block, digest } => {
                let source = match &digest {
                    ApplyDigest::Compute => DigestSource::Compute,
                    ApplyDigest::NextBlock(next) => DigestSource::NextBlock(next),
                };
                let result = self.local.accept(&block, source).map_err(|e| ApplyFailure::from(&e));
                if result.is_ok() {
                    self.applied.push(number);
                }
                Event::Applied { token, result }
            }
            Action::DeleteDown { number } => {
                let result = self.local.delete_down(number).map_err(|e| DeleteFailure::from(&e));
                Event::DeletedDown { result }
            }
            other => unreachable!("{other:?}"),
        };
        Some(event)
    }

    /// Answers every request of non-mute peers (oldest first) and runs every chain
    /// operation, until nothing is left to do.
    pub(crate) fn settle(&mut self) {
        for _ in 0..1_000_000 {
            if self.run_chain_op() {
                continue;
            }
            let mute = |net: &Net, p: &PeerId| net.peers.get(p).is_some_and(|x| x.mute);
            match (0..self.pending.len()).find(|&i| !mute(self, &self.pending[i].1)) {
                Some(i) => self.answer_at(i),
                None => return,
            }
        }
        panic!("network did not settle");
    }

    /// Ticks (polling first) until the connector is in `state`, at most `ticks` times.
    pub(crate) fn tick_until(&mut self, state: State, ticks: usize) -> bool {
        for _ in 0..ticks {
            if self.c.state() == state {
                return true;
            }
            self.poll();
            self.tick();
            self.settle();
            self.advance(15);
        }
        self.c.state() == state
    }

    pub(crate) fn modes(&self) -> Vec<Mode> {
        self.log
            .iter()
            .filter_map(|a| if let Action::SetMode(m) = a { Some(*m) } else { None })
            .collect()
    }

    pub(crate) fn requests_to(&self, peer: &PeerId) -> usize {
        self.log
            .iter()
            .filter(|a| matches!(a, Action::Request { peer: p, .. } if p == peer))
            .count()
    }
}
