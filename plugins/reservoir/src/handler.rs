//! [`ReservoirHandler`]: the `assets`, `issues`, `transfer` and `proof` gossip items.
//!
//! | kind | frames | accepted | rejected with |
//! |---|---|---|---|
//! | `assets` | concatenated AssetData | relayed if at least one is new | `no new transactions`, `transaction is not an asset`, `assets already registered`, a decode fault |
//! | `issues` | concatenated BitmarkIssue (RPC adds a 2nd frame, ignored) | frame 0 relayed | `transaction is not an issue`, `too many items to process`, `asset not found`, `transaction already exists`, `wrong network for public key`, `invalid signature`, `buffer capacity limit` |
//! | `transfer` | one transfer, share, grant or swap | relayed | `transaction is not a transfer`, `link to invalid or unconfirmed transaction`, `transaction links to self`, `double transfer attempt`, `transaction already exists`, `insufficient shares`, `buffer capacity limit` |
//! | `proof` | pay id (48) ‖ nonce (8…64) | relayed | `invalid nonce`, `pay id already used` |
//!
//! Every kind also answers `missing parameters` to an item without data.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use peerd_api::{
    Handler, HandlerContext, HandlerError, Item, ItemKind, NodeEvent, Origin, Outcome,
};
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use crate::error::ReservoirFault;
use crate::reservoir::Reservoir;
use crate::view::LedgerView;

/// The handler of the reservoir's four kinds; all share one [`Reservoir`].
#[derive(Clone, Debug)]
pub struct ReservoirHandler {
    reservoir: Arc<Reservoir>,
}

impl ReservoirHandler {
    /// A handler over `reservoir`.
    pub fn new(reservoir: Arc<Reservoir>) -> Self {
        Self { reservoir }
    }

    /// The reservoir.
    pub fn reservoir(&self) -> &Arc<Reservoir> {
        &self.reservoir
    }
}

#[async_trait]
impl Handler for ReservoirHandler {
    fn name(&self) -> &str {
        "reservoir"
    }

    fn kinds(&self) -> Vec<ItemKind> {
        vec![ItemKind::Assets, ItemKind::Issues, ItemKind::Transfer, ItemKind::Proof]
    }

    async fn handle(
        &self,
        ctx: &HandlerContext,
        _origin: &Origin,
        item: &Item,
    ) -> Result<Outcome, HandlerError> {
        let Some(data) = item.params.first() else {
            return Err(HandlerError::rejected(ReservoirFault::MissingParameters.to_string()));
        };
        let view = LedgerView::new(ctx.chain.as_ref(), ctx.store.as_ref());
        let now = ctx.clock.unix_now();
        let reservoir = &self.reservoir;
        match item.kind {
            ItemKind::Assets => {
                if reservoir.store_assets(&view, data, now)? == 0 {
                    return Err(HandlerError::rejected(
                        peerd_bitmark::Fault::NoNewTransactions.to_string(),
                    ));
                }
            }
            ItemKind::Issues => {
                if reservoir.store_issues(&view, data, now)?.duplicate {
                    return Err(already_exists());
                }
            }
            ItemKind::Transfer => {
                if reservoir.store_transfer(&view, data, now)?.duplicate {
                    return Err(already_exists());
                }
            }
            ItemKind::Proof => {
                reservoir.try_proof(&view, data)?;
            }
            _ => {
                return Err(HandlerError::Internal(format!(
                    "unexpected kind {}",
                    item.kind.as_str()
                )))
            }
        }
        if item.params.len() == 1 {
            Ok(Outcome::Relay)
        } else {
            // Relay only the data frame (an RPC submission adds a second one).
            ctx.node.broadcast(Item::new(item.kind.clone(), vec![data.clone()]));
            Ok(Outcome::Accepted)
        }
    }

    async fn on_event(&self, ctx: &HandlerContext, event: &NodeEvent) -> Result<(), HandlerError> {
        match event {
            NodeEvent::BlockAccepted { number, block } => {
                let testnet = ctx.chain.name() != "bitmark";
                let dropped = self.reservoir.block_accepted(block, testnet);
                tracing::trace!(block = number, dropped, "reservoir saw a block");
            }
            NodeEvent::BlocksDeleted { from, blocks } => {
                // The deleted blocks' transactions are held again (`returned.rs`), then
                // everything held is rescanned against the new tip: groups it no longer
                // accepts (their link or asset went with the deleted blocks) are dropped.
                let view = LedgerView::new(ctx.chain.as_ref(), ctx.store.as_ref());
                let now = ctx.clock.unix_now();
                let returned = self.reservoir.blocks_deleted(blocks, &view, now)?;
                tracing::debug!(from, ?returned, "blocks deleted: reservoir rescanned");
            }
            _ => {}
        }
        Ok(())
    }

    async fn run(&self, ctx: HandlerContext) -> Result<(), HandlerError> {
        let config = self.reservoir.config();
        let every = |seconds: u64| {
            let period = Duration::from_secs(seconds.max(1));
            let mut timer = interval_at(Instant::now() + period, period);
            timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
            timer
        };
        let mut expiry = every(config.expiry_check_seconds);
        let mut rebroadcast = every(config.rebroadcast_seconds);
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return Ok(()),
                _ = expiry.tick() => {
                    self.reservoir.expire(ctx.clock.unix_now());
                    let view = LedgerView::new(ctx.chain.as_ref(), ctx.store.as_ref());
                    if let Err(e) = self.reservoir.rescan(&view) {
                        tracing::warn!(error = %e, "reservoir rescan failed");
                    }
                }
                _ = rebroadcast.tick() => {
                    let items = self.reservoir.rebroadcast_items();
                    let count = items.len();
                    let sent = items.into_iter().filter(|item| ctx.node.broadcast(item.clone())).count();
                    tracing::debug!(count, sent, "reservoir re-broadcast verified transactions");
                }
            }
        }
    }
}

fn already_exists() -> HandlerError {
    HandlerError::rejected(peerd_bitmark::Fault::TransactionAlreadyExists.to_string())
}
