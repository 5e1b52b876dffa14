//! What goes into the connector ([`Event`], [`LocalChain`]) and what comes out ([`Action`]).

use peerd_api::bytes::Bytes;
use peerd_api::{
    Accepted, Chain, ChainError, Digest, Mode, PeerId, Request, RequestId, Response, TransportError,
};

use crate::misbehaviour::Offence;

/// Whether an upstream comes from the configuration or from peer discovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpstreamKind {
    /// Listed in the configuration; votes before the dynamic ones (bitmarkd's order).
    Static,
    /// Chosen by the rebalance from the peer table.
    Dynamic,
}

/// Something that happened, fed to [`crate::connector::Connector::on_event`].
#[derive(Clone, Debug)]
pub enum Event {
    /// The connector tick (`cycle_interval`, bitmarkd's 15 s): run the state machine.
    Tick,
    /// A timer set from [`crate::connector::Connector::next_deadline`] fired: expire
    /// overdue requests. Any event does this too.
    Wake,
    /// An upstream connection is up and its registration (`R`) succeeded. Sent again after
    /// every reconnect; the upstream's cached poll results are cleared.
    Registered {
        /// The upstream.
        peer: PeerId,
        /// Static or dynamic.
        kind: UpstreamKind,
    },
    /// An upstream connection went down (or its registration failed).
    Lost {
        /// The upstream.
        peer: PeerId,
    },
    /// A poll of an upstream answered: `N` succeeded, and `H(local height)` if `digest` is
    /// set (on an `H` error the old digest stays cached, as in bitmarkd).
    Polled {
        /// The upstream.
        peer: PeerId,
        /// Its height (`N`).
        remote_height: u64,
        /// Its digest of our height, with the local height it was asked for.
        digest: Option<(u64, Digest)>,
    },
    /// The answer to an [`Action::Request`].
    Response {
        /// The request's id.
        id: RequestId,
        /// The reply or the transport's failure.
        result: Result<Response, TransportError>,
    },
    /// The result of an [`Action::Apply`].
    Applied {
        /// The apply's token.
        token: u64,
        /// The stored block, or why it was not stored.
        result: Result<Accepted, ApplyFailure>,
    },
    /// The result of an [`Action::DeleteDown`].
    DeletedDown {
        /// Done, or why the chain could not delete.
        result: Result<(), DeleteFailure>,
    },
}

/// Why [`peerd_api::Chain::accept`] refused a block, as the connector needs to know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyFailure {
    /// The block is invalid: the peer that served it is at fault.
    Invalid(String),
    /// The block does not fit at the local tip: the local chain moved.
    OutOfSequence,
    /// The store failed, or anything else not the sender's fault.
    Local(String),
}

impl From<&ChainError> for ApplyFailure {
    fn from(err: &ChainError) -> Self {
        match err {
            ChainError::Invalid { fault } => ApplyFailure::Invalid(fault.clone()),
            ChainError::OutOfSequence { .. } => ApplyFailure::OutOfSequence,
            other => ApplyFailure::Local(other.to_string()),
        }
    }
}

/// Why [`peerd_api::Chain::delete_down`] failed (the chain's error, as text: events are
/// cloned, chain errors are not).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("delete down failed: {0}")]
pub struct DeleteFailure(pub String);

impl From<&ChainError> for DeleteFailure {
    fn from(err: &ChainError) -> Self {
        DeleteFailure(err.to_string())
    }
}

/// How the shell must obtain the digest of a block it applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyDigest {
    /// Compute and check it ([`peerd_api::DigestSource::Compute`], or
    /// [`peerd_api::Chain::verify_digests`] over a run of such blocks, then `Verified`).
    Compute,
    /// bitmarkd's fast sync: trust this next block's previous-digest field
    /// ([`peerd_api::DigestSource::NextBlock`]).
    NextBlock(Bytes),
}

/// Something the shell must do. Chain-changing actions ([`Action::Apply`],
/// [`Action::DeleteDown`]) must be executed strictly in the order they are emitted, one
/// after the other, each answered with its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Publish the node's mode to handlers.
    SetMode(Mode),
    /// Send `request` to the upstream `peer` and answer with [`Event::Response`].
    Request {
        /// Correlation id.
        id: RequestId,
        /// The upstream.
        peer: PeerId,
        /// What to ask (`H` or `B`).
        request: Request,
    },
    /// Store block `number` with [`peerd_api::Chain::accept`]; answer with [`Event::Applied`].
    Apply {
        /// Correlation token.
        token: u64,
        /// The block's number.
        number: u64,
        /// The packed block.
        block: Bytes,
        /// Where its digest comes from.
        digest: ApplyDigest,
    },
    /// Delete blocks from the tip down to and including `number`; answer with
    /// [`Event::DeletedDown`].
    DeleteDown {
        /// Lowest block deleted.
        number: u64,
    },
    /// Too few registered upstreams: ask the peer layer for more (bitmarkd's `reconnect`).
    Reconnect,
    /// `peer` misbehaved in a fetch (an invalid block, a claimed height it cannot serve);
    /// it has left the fetch group and sits out elections for `exclude_time`. The shell
    /// scores it ([`crate::misbehaviour`]).
    DropPeer {
        /// The offending upstream.
        peer: PeerId,
        /// What it did.
        offence: Offence,
        /// The details (the chain's fault text).
        fault: String,
    },
}

/// The connector's read-only view of the local chain.
pub trait LocalChain {
    /// Number of the highest stored block (1: genesis only).
    fn height(&self) -> u64;
    /// Digest of block `number`; `None` above the height or if it cannot be read.
    fn digest(&self, number: u64) -> Option<Digest>;
    /// The number a packed block claims; `None` if it is not even framed as a block.
    fn block_number(&self, block: &[u8]) -> Option<u64>;
    /// bitmarkd's `candidate.SmallerDigestThan(current)` ([`Chain::prefers`]).
    fn prefers(&self, candidate: &Digest, current: &Digest) -> bool;
}

/// [`LocalChain`] over a chain plugin. Read errors count as "unknown" (`None`, height 1);
/// the connector then falls back to HighestBlock, as bitmarkd does on lookup errors.
#[derive(Clone, Copy)]
pub struct ChainView<'a>(pub &'a dyn Chain);

impl std::fmt::Debug for ChainView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ChainView").field(&self.0.name()).finish()
    }
}

impl LocalChain for ChainView<'_> {
    fn height(&self) -> u64 {
        self.0.height().unwrap_or(1)
    }
    fn digest(&self, number: u64) -> Option<Digest> {
        self.0.digest(number).ok().flatten()
    }
    fn block_number(&self, block: &[u8]) -> Option<u64> {
        self.0.meta(block).ok().map(|m| m.number)
    }
    fn prefers(&self, candidate: &Digest, current: &Digest) -> bool {
        self.0.prefers(candidate, current)
    }
}
