//! The `block` handler: a gossiped block is stored only if it extends the local tip by one,
//! and relayed when it was (spec §3.1: bitmarkd's `StoreIncoming` from the blockstore
//! queue, then a re-broadcast). Blocks at or below the tip are known already: accepted
//! without a relay, which is also what stops relay loops. A block further ahead means we
//! are behind: the connector's sync fetches it, this handler does not.
//!
//! The kernel only calls this handler in Normal mode (bitmarkd ignores gossiped blocks
//! while resynchronising).

use std::sync::Arc;

use async_trait::async_trait;
use peerd_api::{
    ChainError, DigestSource, Handler, HandlerContext, HandlerError, Item, ItemKind, Origin,
    Outcome, Plugin, PluginConfig, PluginError, Registry,
};
use serde::Deserialize;

/// bitmarkd's text for a block that does not follow the tip.
pub const OUT_OF_SEQUENCE: &str = "height out of sequence";

/// bitmarkd's text for an item with too few parameter frames.
pub const MISSING_PARAMETERS: &str = "missing parameters";

/// Stores gossiped blocks that extend the tip.
#[derive(Debug, Default)]
pub struct BlockHandler;

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
        let chain = ctx.chain.clone();
        let stored = tokio::task::spawn_blocking(move || {
            let number = chain.meta(&block)?.number;
            let height = chain.height()?;
            if number <= height {
                return Ok(false);
            }
            if number != height + 1 {
                return Err(ChainError::invalid(OUT_OF_SEQUENCE));
            }
            chain.accept(&block, DigestSource::Compute).map(|_| true)
        })
        .await
        .map_err(|e| HandlerError::Internal(format!("block task failed: {e}")))?;
        match stored {
            Ok(true) => Ok(Outcome::Relay),
            Ok(false) => Ok(Outcome::Accepted),
            Err(ChainError::Invalid { fault }) => Err(HandlerError::Rejected(fault)),
            Err(other) => Err(HandlerError::Chain(other)),
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
        registry.add_handler(Arc::new(BlockHandler))
    }
}
