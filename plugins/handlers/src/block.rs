//! The `block` handler: a gossiped block is stored only if it extends the local tip by one,
//! and relayed when it was (protocol §3.1: bitmarkd's `StoreIncoming` from the blockstore
//! queue, then a re-broadcast). Blocks at or below the tip are known already: accepted
//! without a relay, which is also what stops relay loops.
//!
//! A block a little ahead (at most [`MAX_AHEAD`] above the tip) means we are one or a few
//! blocks behind, usually because sync is fetching the missing ones right now. bitmarkd
//! drops it; then a node that polls about as often as blocks are made stays one block
//! behind for good, each gossiped block arriving just before the one under it. peerd holds
//! up to [`MAX_HELD`] such blocks and stores each as soon as the block under it is stored
//! (by sync or gossip), still only as an extension of the tip by one, and relays it then.
//!
//! A held block whose predecessor has not arrived within [`HOLD_PATIENCE`] means the
//! missing blocks are not on their way (the gossip that carried them was lost, for example
//! before a new node joined the gossipsub mesh): the handler tells the kernel
//! ([`peerd_api::NodeRequest::Behind`]), which polls its upstreams at once so that the
//! connector fetches the missing range, instead of holding blocks until they are too far
//! ahead to keep.
//!
//! The kernel only calls this handler in Normal mode (bitmarkd ignores gossiped blocks
//! while resynchronising).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use peerd_api::{
    ChainError, DigestSource, Handler, HandlerContext, HandlerError, Item, ItemKind, NodeEvent,
    Origin, Outcome, Plugin, PluginConfig, PluginError, Registry,
};
use serde::Deserialize;
use tokio::time::Instant;

/// bitmarkd's text for a block that does not follow the tip.
pub const OUT_OF_SEQUENCE: &str = "height out of sequence";

/// bitmarkd's text for an item with too few parameter frames.
pub const MISSING_PARAMETERS: &str = "missing parameters";

/// How far above the tip a gossiped block may be to be held for later.
pub const MAX_AHEAD: u64 = 16;

/// Most blocks held at once (the lowest numbers are kept).
pub const MAX_HELD: usize = 16;

/// How long a held block waits for the block under it before the handler reports that the
/// node is behind.
pub const HOLD_PATIENCE: Duration = Duration::from_secs(1);

/// Stores gossiped blocks that extend the tip.
#[derive(Debug, Default)]
pub struct BlockHandler {
    /// Blocks a little above the tip, by number, with when each was first held.
    held: Mutex<BTreeMap<u64, (Bytes, Instant)>>,
}

/// What to do with a gossiped block.
enum Fit {
    /// At or below the tip.
    Known,
    /// Stored now.
    Stored,
    /// A little ahead: held.
    Ahead(u64),
}

/// Stores `block` if it extends the tip; says how it fits otherwise.
fn store(ctx: &HandlerContext, block: &Bytes) -> Result<Fit, ChainError> {
    let number = ctx.chain.meta(block)?.number;
    let height = ctx.chain.height()?;
    if number <= height {
        Ok(Fit::Known)
    } else if number == height + 1 {
        ctx.chain.accept(block, DigestSource::Compute).map(|_| Fit::Stored)
    } else if number <= height + MAX_AHEAD {
        Ok(Fit::Ahead(number))
    } else {
        Err(ChainError::invalid(OUT_OF_SEQUENCE))
    }
}

impl BlockHandler {
    /// A handler holding no blocks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Numbers of the blocks held for later.
    pub fn held(&self) -> Vec<u64> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner).keys().copied().collect()
    }

    fn hold(&self, number: u64, block: Bytes) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.entry(number).or_insert((block, Instant::now()));
        while held.len() > MAX_HELD {
            held.pop_last();
        }
    }

    /// The highest held block number if some block has been held for [`HOLD_PATIENCE`].
    fn stale(&self, now: Instant) -> Option<u64> {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let waited =
            held.values().any(|(_, since)| now.saturating_duration_since(*since) >= HOLD_PATIENCE);
        waited.then(|| held.keys().next_back().copied()).flatten()
    }

    /// Block `number` was stored: the held block above it, if any, goes on the chain.
    async fn stored(&self, ctx: &HandlerContext, number: u64) -> Result<(), HandlerError> {
        let next = {
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            held.retain(|n, _| *n > number);
            held.remove(&(number + 1)).map(|(block, _)| block)
        };
        let Some(block) = next else { return Ok(()) };
        let (task_ctx, task_block) = (ctx.clone(), block.clone());
        let stored = tokio::task::spawn_blocking(move || store(&task_ctx, &task_block))
            .await
            .map_err(|e| HandlerError::Internal(format!("block task failed: {e}")))?;
        match stored {
            // Its own stored event releases the next held block.
            Ok(Fit::Stored) => {
                ctx.node.broadcast(Item::new(ItemKind::Block, vec![block]));
            }
            Ok(_) => {}
            Err(error) => tracing::debug!(number = number + 1, %error, "held block dropped"),
        }
        Ok(())
    }
}

#[async_trait]
impl Handler for BlockHandler {
    fn name(&self) -> &str {
        "block"
    }

    fn kinds(&self) -> Vec<ItemKind> {
        vec![ItemKind::Block]
    }

    async fn handle(
        &self,
        ctx: &HandlerContext,
        _origin: &Origin,
        item: &Item,
    ) -> Result<Outcome, HandlerError> {
        let Some(block) = item.params.first().cloned() else {
            return Err(HandlerError::rejected(MISSING_PARAMETERS));
        };
        let task_ctx = ctx.clone();
        let task_block = block.clone();
        let stored = tokio::task::spawn_blocking(move || store(&task_ctx, &task_block))
            .await
            .map_err(|e| HandlerError::Internal(format!("block task failed: {e}")))?;
        match stored {
            Ok(Fit::Stored) => Ok(Outcome::Relay),
            Ok(Fit::Known) => Ok(Outcome::Accepted),
            Ok(Fit::Ahead(number)) => {
                self.hold(number, block);
                Ok(Outcome::Accepted)
            }
            Err(ChainError::Invalid { fault }) => Err(HandlerError::Rejected(fault)),
            Err(other) => Err(HandlerError::Chain(other)),
        }
    }

    async fn on_event(&self, ctx: &HandlerContext, event: &NodeEvent) -> Result<(), HandlerError> {
        match event {
            NodeEvent::BlockAccepted { number, .. } => self.stored(ctx, *number).await,
            NodeEvent::BlocksDeleted { .. } => {
                self.held.lock().unwrap_or_else(PoisonError::into_inner).clear();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn run(&self, ctx: HandlerContext) -> Result<(), HandlerError> {
        let mut ticks = tokio::time::interval(HOLD_PATIENCE / 2);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                _ = ticks.tick() => {}
            }
            if let Some(height) = self.stale(Instant::now()) {
                tracing::debug!(height, "held gossip block does not connect; asking for a fetch");
                ctx.node.behind(height);
            }
        }
    }
}

/// Options of `[handlers.block]`: none besides `enabled`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockOptions {}

/// Registers [`BlockHandler`] (`[handlers.block]`).
#[derive(Debug, Default)]
pub struct BlockPlugin;

impl Plugin for BlockPlugin {
    fn name(&self) -> &str {
        "block"
    }

    fn register(&self, config: &PluginConfig, registry: &mut Registry) -> Result<(), PluginError> {
        let _: BlockOptions = config.parse(self.name())?;
        registry.add_handler(Arc::new(BlockHandler::new()))
    }
}
