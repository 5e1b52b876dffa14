//! Message handlers: what the node does with each gossip item.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{
    Chain, ChainError, Clock, DialTarget, Item, ItemKind, ModeCell, PeerId, Store, StoreError,
};

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

/// Something the kernel tells every handler.
#[derive(Clone, Debug)]
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
    },
}

/// A request from a handler to the kernel.
#[derive(Clone, Debug)]
pub enum NodeRequest {
    /// Spread an item to all peers (after dedup), as if a handler had returned [`Outcome::Relay`].
    Broadcast(Item),
    /// Connect one of the dynamic upstreams to this target (the rebalance of spec §3.5).
    Connect(DialTarget),
    /// Release the dynamic upstream connected to this key (the peer expired).
    Release {
        /// Transport name.
        transport: String,
        /// The expired peer's key.
        key: Bytes,
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
}

/// Everything a handler may use. Cloned into each handler's background task.
#[derive(Clone)]
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
    /// Cancelled at shutdown; background tasks must return promptly.
    pub shutdown: CancellationToken,
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

    /// Processes one item from `from` (None for items produced locally).
    ///
    /// # Errors
    ///
    /// [`HandlerError::Rejected`] with bitmarkd's fault text when the item is invalid; the
    /// sender is still acknowledged, as bitmarkd does.
    async fn handle(
        &self,
        ctx: &HandlerContext,
        from: Option<&PeerId>,
        item: &Item,
    ) -> Result<Outcome, HandlerError>;

    /// Reacts to a node event. The default ignores it.
    async fn on_event(
        &self,
        _ctx: &HandlerContext,
        _event: &NodeEvent,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    /// Background work (timers, expiry, announcements) until `ctx.shutdown` is cancelled.
    /// The default has none.
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
