//! Message handlers: what the node does with each gossip item.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{
    Chain, ChainError, Clock, DialTarget, Item, ItemKind, ModeCell, PeerId, Registration, Store,
    StoreError,
};

/// Where an item came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Made on this node (an RPC submission, a self-announcement, a rebroadcast).
    Local,
    /// Received from a peer.
    Remote {
        /// The transport it arrived on (`zmq`, `libp2p`, `memory`).
        transport: String,
        /// The sender, when the transport knows it: the CURVE key of a ZeroMQ client, the
        /// peer id (of the forwarder, on gossipsub) on libp2p.
        peer: Option<PeerId>,
    },
}

impl Origin {
    /// The transport of a remote item; None for local ones.
    pub fn transport(&self) -> Option<&str> {
        match self {
            Origin::Local => None,
            Origin::Remote { transport, .. } => Some(transport),
        }
    }
}

/// This node's identity on one transport, as announced to that transport's peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalIdentity {
    /// The transport's name.
    pub transport: String,
    /// Our public key (ZeroMQ: the 32-byte CURVE key; libp2p: the peer id bytes).
    pub key: Bytes,
    /// Our listeners in the transport's format (ZeroMQ: bitmarkd's packed addresses).
    pub listeners: Bytes,
}

/// What a handler decided about an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted and new: the kernel relays it to every peer (deduplicated).
    Relay,
    /// Accepted, nothing to relay (already known, or local only).
    Accepted,
    /// Accepted; answer the sender with these frames instead of the usual acknowledgement.
    Reply(Vec<Bytes>),
}

/// Most deleted blocks [`NodeEvent::BlocksDeleted`] carries (a fork switch is shallower:
/// bitmarkd's fork protection stops at a few hundred blocks).
pub const MAX_RETURNED_BLOCKS: u64 = 1_000;

/// Most bytes of deleted blocks [`NodeEvent::BlocksDeleted`] carries.
pub const MAX_RETURNED_BYTES: usize = 64 * 1024 * 1024;

/// Something the kernel tells every handler.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum NodeEvent {
    /// A block was stored (from sync, gossip or local production).
    BlockAccepted {
        /// Its number.
        number: u64,
        /// The packed block.
        block: Bytes,
    },
    /// Blocks from `from` upwards were deleted (fork switch or operator delete-down).
    BlocksDeleted {
        /// Lowest deleted number; the height is now `from - 1`.
        from: u64,
        /// The deleted blocks, lowest first, so that handlers can take back what they held
        /// (the reservoir holds their transactions again). Empty when more than
        /// [`crate::MAX_RETURNED_BLOCKS`] blocks or [`crate::MAX_RETURNED_BYTES`] went.
        blocks: Vec<bytes::Bytes>,
    },
    /// An upstream answered a height poll (bitmarkd's `updatetime`: the peer table
    /// refreshes that peer's timestamp).
    UpstreamAlive {
        /// Its transport.
        transport: String,
        /// The key it was dialled with.
        key: Bytes,
    },
    /// An upstream's registration reply introduced a peer (bitmarkd adds it to the table).
    PeerIntroduced {
        /// The transport the reply came on.
        transport: String,
        /// The introduced peer.
        peer: Registration,
    },
}

/// A request from a handler to the kernel.
#[derive(Clone, Debug)]
pub enum NodeRequest {
    /// Spread an item to all peers (after dedup), as if a handler had returned [`Outcome::Relay`].
    Broadcast(Item),
    /// Spread an item to the peers of one transport only (peer announcements, whose keys
    /// and addresses only that transport understands).
    BroadcastOn {
        /// Transport name.
        transport: String,
        /// The item.
        item: Item,
    },
    /// Connect one of the dynamic upstreams to this target (the rebalance of protocol §3.5).
    Connect(DialTarget),
    /// Release the dynamic upstream connected to this key (the peer expired).
    Release {
        /// Transport name.
        transport: String,
        /// The expired peer's key.
        key: Bytes,
    },
    /// Evidence that the network is ahead: a gossiped block numbered `height` cannot be
    /// stored because blocks under it are missing. The kernel polls its upstreams at once
    /// (at most once a second), so that the connector fetches the missing range from the
    /// members of the winning group instead of waiting for the next poll.
    Behind {
        /// The number of the block that could not be stored.
        height: u64,
    },
    /// `peer` sent an item that is invalid by the chain's rules: not stale, not a
    /// duplicate, not a race (those are normal), but something no honest node sends. The
    /// kernel scores it like an invalid block served in sync, so a few such items ban a
    /// peer (static peers are only logged). The kernel sends this itself for gossiped
    /// blocks that fail validation; a handler may for its own kinds.
    Misbehaved {
        /// The peer that sent it (the forwarder on a gossipsub transport).
        peer: PeerId,
        /// What was wrong, for the log.
        reason: String,
    },
    /// Give `peer` (an inbound client of `transport`) `amount` credits of positive balance
    /// in the kernel's client pool, raising its priority: a handler rewarding a client that
    /// pays, or that serves us blocks. A negative amount takes credits away (never below
    /// zero). Ignored when the node runs no pool.
    Reward {
        /// The transport the client is known on.
        transport: String,
        /// The client, as that transport names it.
        peer: PeerId,
        /// Credits to add.
        amount: f64,
    },
}

/// The handle a handler uses to ask things of the kernel. Bounded: requests are dropped
/// (and counted by the kernel) when the kernel is saturated, never queued without limit.
#[derive(Clone, Debug)]
pub struct NodeLink {
    tx: mpsc::Sender<NodeRequest>,
}

impl NodeLink {
    /// Wraps the kernel's request channel.
    pub fn new(tx: mpsc::Sender<NodeRequest>) -> Self {
        Self { tx }
    }

    /// Sends a request; returns false if the kernel is saturated or gone.
    pub fn send(&self, request: NodeRequest) -> bool {
        self.tx.try_send(request).is_ok()
    }

    /// Asks the kernel to broadcast an item.
    pub fn broadcast(&self, item: Item) -> bool {
        self.send(NodeRequest::Broadcast(item))
    }

    /// Asks the kernel to broadcast an item on one transport.
    pub fn broadcast_on(&self, transport: &str, item: Item) -> bool {
        self.send(NodeRequest::BroadcastOn { transport: transport.to_owned(), item })
    }

    /// Gives an inbound client `amount` credits in the client pool ([`NodeRequest::Reward`]).
    pub fn reward(&self, transport: &str, peer: PeerId, amount: f64) -> bool {
        self.send(NodeRequest::Reward { transport: transport.to_owned(), peer, amount })
    }

    /// Tells the kernel that the network is at least at `height` ([`NodeRequest::Behind`]).
    pub fn behind(&self, height: u64) -> bool {
        self.send(NodeRequest::Behind { height })
    }

    /// Reports an invalid item from `peer` ([`NodeRequest::Misbehaved`]).
    pub fn misbehaved(&self, peer: PeerId, reason: impl Into<String>) -> bool {
        self.send(NodeRequest::Misbehaved { peer, reason: reason.into() })
    }
}

/// Everything a handler may use. Cloned into each handler's background task. Built with
/// [`HandlerContext::new`] and the `with_*` methods (the fields may grow).
#[derive(Clone)]
#[non_exhaustive]
pub struct HandlerContext {
    /// The chain (read blocks, accept a gossiped block).
    pub chain: Arc<dyn Chain>,
    /// The node's store, for the handler's own columns.
    pub store: Arc<dyn Store>,
    /// The node's mode.
    pub mode: ModeCell,
    /// Wall clock (follows paused tokio time in simulations).
    pub clock: Arc<dyn Clock>,
    /// Requests to the kernel.
    pub node: NodeLink,
    /// This node's identity on each running transport, in configuration order.
    pub identities: Arc<[LocalIdentity]>,
    /// Cancelled at shutdown; background tasks must return promptly.
    pub shutdown: CancellationToken,
    /// The node's metrics registry, encoded on `/metrics`: a handler registers its own
    /// metrics once, at the start of [`Handler::run`], and counts into them lock-free.
    /// Names should start with `peerd_` and the plugin's name.
    pub metrics: crate::MetricsRegistry,
}

impl HandlerContext {
    /// A context on `chain` and `store` that sends requests on `node`: in Normal mode, on
    /// the system clock, with no transport identities and its own shutdown token.
    pub fn new(chain: Arc<dyn Chain>, store: Arc<dyn Store>, node: NodeLink) -> Self {
        Self {
            chain,
            store,
            mode: ModeCell::new(crate::Mode::Normal),
            clock: Arc::new(crate::SystemClock),
            node,
            identities: Arc::from(Vec::new()),
            shutdown: CancellationToken::new(),
            metrics: crate::MetricsRegistry::new(),
        }
    }

    /// The node's mode cell.
    pub fn with_mode(mut self, mode: ModeCell) -> Self {
        self.mode = mode;
        self
    }

    /// The wall clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// This node's identity on each running transport.
    pub fn with_identities(mut self, identities: Arc<[LocalIdentity]>) -> Self {
        self.identities = identities;
        self
    }

    /// The token cancelled at shutdown.
    pub fn with_shutdown(mut self, shutdown: CancellationToken) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// The node's metrics registry (a fresh, unshared one by default).
    pub fn with_metrics(mut self, metrics: crate::MetricsRegistry) -> Self {
        self.metrics = metrics;
        self
    }
}

impl std::fmt::Debug for HandlerContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerContext").field("mode", &self.mode.get()).finish_non_exhaustive()
    }
}

/// Handles gossip items of one or more kinds.
///
/// The kernel calls [`Handler::handle`] for every received item of the handler's kinds,
/// in Normal mode always and in Resynchronise mode only for kinds that are not
/// [`ItemKind::gated_by_mode`].
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// The handler's name, used in logs and metrics.
    fn name(&self) -> &str;

    /// The item kinds this handler takes. Two handlers may not share a kind.
    fn kinds(&self) -> Vec<ItemKind>;

    /// Processes one item from `origin`. The kernel calls it for one item at a time per
    /// handler, in arrival order.
    ///
    /// # Errors
    ///
    /// [`HandlerError::Rejected`] with bitmarkd's fault text when the item is invalid; the
    /// sender is still acknowledged, as bitmarkd does.
    async fn handle(
        &self,
        ctx: &HandlerContext,
        origin: &Origin,
        item: &Item,
    ) -> Result<Outcome, HandlerError>;

    /// A peer registered (`R`) on `transport`. Called only on the handler of the `peer`
    /// kind: it records the registrant (bitmarkd's `AddPeer`) and returns one other peer
    /// of the same transport to introduce in the reply. `None` (the default) makes the
    /// kernel introduce this node itself.
    async fn on_registration(
        &self,
        _ctx: &HandlerContext,
        _transport: &str,
        _registrant: &Registration,
    ) -> Result<Option<Registration>, HandlerError> {
        Ok(None)
    }

    /// Reacts to a node event. The default ignores it.
    async fn on_event(
        &self,
        _ctx: &HandlerContext,
        _event: &NodeEvent,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    /// Background work (timers, expiry, announcements) until `ctx.shutdown` is cancelled.
    /// Called once per node at start (items may arrive before it runs), so this is where a
    /// handler registers its metrics on `ctx.metrics`, as meters it already owns and counts
    /// into from [`Handler::handle`]. The default has none.
    async fn run(&self, _ctx: HandlerContext) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// Errors of the handler boundary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The item is invalid; the text is bitmarkd's fault text (`transaction already exists`, …).
    #[error("{0}")]
    Rejected(String),
    /// The handler's store failed.
    #[error("handler store: {0}")]
    Store(#[from] StoreError),
    /// The chain failed.
    #[error("handler chain: {0}")]
    Chain(#[from] ChainError),
    /// A bug or unexpected state in the handler.
    #[error("handler internal error: {0}")]
    Internal(String),
}

impl HandlerError {
    /// Builds [`HandlerError::Rejected`].
    pub fn rejected(fault: impl Into<String>) -> Self {
        HandlerError::Rejected(fault.into())
    }
}
