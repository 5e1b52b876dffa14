//! Fork detection (state ForkDetect): walk down from the local tip comparing the winner's
//! `H(h)` with local digests until they agree.
//!
//! bitmarkd asks one digest per round trip all the way down to the genesis and then
//! refuses a common block `fork_protection` or more below the tip. peerd only asks for the
//! heights that could be accepted (`tip − fork_protection + 1 ..= tip`), a batch of
//! `fork_walk_batch` at a time (reads are harmless), and evaluates them from the top: the
//! outcome is the same as bitmarkd's, with fewer round trips.

use std::collections::{BTreeMap, HashMap};

use peerd_api::{Digest, PeerId, Request, RequestId, Response, TransportError};
use tokio::time::Instant;

use super::{Action, Ids, LocalChain, SyncConfig};

/// How a walk ended (or not yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Waiting for more digests.
    Pending,
    /// The highest block both chains share.
    Common(u64),
    /// No common block within the fork protection: refuse the fork.
    Refused,
    /// A local digest could not be read.
    Failed(String),
    /// The peer answered with an error or not at all: it is at fault.
    PeerFailed(String),
}

/// An ongoing fork-detection walk against one upstream.
#[derive(Debug)]
pub(crate) struct ForkWalk {
    peer: PeerId,
    lowest: u64,
    next_check: u64,
    next_ask: u64,
    asked: HashMap<RequestId, (u64, Instant)>,
    remote: BTreeMap<u64, Digest>,
}

impl ForkWalk {
    /// A walk from `tip` down against `peer`.
    pub(crate) fn new(peer: PeerId, tip: u64, fork_protection: u64) -> Self {
        let lowest = tip.saturating_sub(fork_protection.saturating_sub(1)).max(1);
        Self {
            peer,
            lowest,
            next_check: tip,
            next_ask: tip,
            asked: HashMap::new(),
            remote: BTreeMap::new(),
        }
    }

    /// The upstream asked.
    pub(crate) fn peer(&self) -> &PeerId {
        &self.peer
    }

    /// True if `id` is one of this walk's requests.
    pub(crate) fn owns(&self, id: RequestId) -> bool {
        self.asked.contains_key(&id)
    }

    /// The earliest request deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.asked.values().map(|(_, d)| *d).min()
    }

    /// Asks for digests until `fork_walk_batch` are outstanding.
    pub(crate) fn ask(
        &mut self,
        cfg: &SyncConfig,
        ids: &mut Ids,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let batch = cfg.fork_walk_batch.max(1);
        while self.asked.len() < batch && self.next_ask >= self.lowest && self.next_ask >= 1 {
            let id = ids.request();
            let number = self.next_ask;
            out.push(Action::Request {
                id,
                peer: self.peer.clone(),
                request: Request::Digest(number),
            });
            self.asked.insert(id, (number, now + cfg.request_timeout));
            self.next_ask -= 1;
        }
    }

    /// Takes a digest reply and evaluates as far down as the replies allow.
    pub(crate) fn on_reply(
        &mut self,
        id: RequestId,
        result: Result<Response, TransportError>,
        local: &dyn LocalChain,
    ) -> Walk {
        let Some((number, _)) = self.asked.remove(&id) else { return Walk::Pending };
        match result {
            Ok(Response::Digest(d)) => {
                self.remote.insert(number, d);
            }
            Err(TransportError::NotConnected(_) | TransportError::Stopped) => {
                return Walk::Failed(format!("digest of block {number}: connection lost"))
            }
            other => return Walk::PeerFailed(format!("digest of block {number}: {other:?}")),
        }
        while let Some(remote) = self.remote.get(&self.next_check) {
            let h = self.next_check;
            match local.digest(h) {
                None => return Walk::Failed(format!("local digest of block {h} unavailable")),
                Some(d) if d == *remote => return Walk::Common(h),
                Some(_) if h <= self.lowest => return Walk::Refused,
                Some(_) => self.next_check -= 1,
            }
        }
        Walk::Pending
    }

    /// Fails the walk if a request is overdue.
    pub(crate) fn expire(&self, now: Instant) -> Walk {
        match self.asked.values().find(|(_, d)| *d <= now) {
            Some((number, _)) => Walk::PeerFailed(format!("digest of block {number} timed out")),
            None => Walk::Pending,
        }
    }
}
