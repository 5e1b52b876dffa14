//! The background work (protocol §3.7): restore the cache and rebalance at start; announce,
//! expire, rebalance if changed and save the cache 2 minutes after start and every 11
//! minutes after that; rebalance on request; save the cache at shutdown.

use bytes::Bytes;
use peerd_api::{DialTarget, HandlerContext, HandlerError, Item, ItemKind, NodeRequest};
use tokio::time::{sleep_until, Instant};

use crate::cache;
use crate::handler::AnnounceHandler;
use crate::rebalance::dial_targets;
use crate::table::Source;

fn timestamp(now: u64) -> Bytes {
    Bytes::copy_from_slice(&now.to_be_bytes())
}

impl AnnounceHandler {
    /// The timers of [`peerd_api::Handler::run`]: restore, rebalance, then the announce
    /// cycle until shutdown, and a last save.
    pub(crate) async fn run_timers(&self, ctx: HandlerContext) -> Result<(), HandlerError> {
        self.ensure_self(&ctx);
        self.restore(&ctx);
        self.rebalance(&ctx, false);
        let mut next = Instant::now() + self.settings.initial_delay;
        loop {
            tokio::select! {
                biased;
                () = ctx.shutdown.cancelled() => {
                    self.save(&ctx);
                    return Ok(());
                }
                () = sleep_until(next) => {
                    self.announce_cycle(&ctx);
                    next = Instant::now() + self.settings.broadcast_interval;
                }
                () = self.trigger.requested() => self.rebalance(&ctx, false),
            }
        }
    }

    /// One announce cycle: our `rpc` and `peer` items, expiry (with a `Release` for each
    /// expired peer), a rebalance of each changed table, and a cache save.
    pub(crate) fn announce_cycle(&self, ctx: &HandlerContext) {
        let now = ctx.clock.unix_now();
        if let Some(rpc) = &self.settings.rpc {
            let params = vec![rpc.fingerprint.clone(), rpc.listeners.clone(), timestamp(now)];
            send(ctx, NodeRequest::Broadcast(Item::new(ItemKind::Rpc, params)));
        }
        for id in ctx.identities.iter().filter(|id| !id.listeners.is_empty()) {
            let params = vec![id.key.clone(), id.listeners.clone(), timestamp(now)];
            let item = Item::new(ItemKind::Peer, params);
            send(ctx, NodeRequest::BroadcastOn { transport: id.transport.clone(), item });
        }
        let expiry = self.settings.expiry_secs;
        let expired: Vec<(String, Bytes)> = {
            let mut state = self.lock();
            let gone = state.rpc.expire(now, expiry);
            if gone > 0 {
                tracing::debug!(gone, "rpc entries expired");
            }
            state
                .tables
                .iter_mut()
                .flat_map(|(transport, table)| {
                    table.expire(now, expiry).into_iter().map(|key| (transport.clone(), key))
                })
                .collect()
        };
        for (transport, key) in expired {
            tracing::debug!(%transport, key = %hex::encode(&key), "peer expired");
            send(ctx, NodeRequest::Release { transport, key });
        }
        self.rebalance(ctx, true);
        self.save(ctx);
    }

    /// bitmarkd's `ReBalance` of every table (only the changed ones if `changed_only`):
    /// a `Connect` for each target.
    pub(crate) fn rebalance(&self, ctx: &HandlerContext, changed_only: bool) {
        let pick = |n: usize| rand::Rng::gen_range(&mut rand::thread_rng(), 0..n);
        let targets: Vec<DialTarget> = {
            let mut state = self.lock();
            state
                .tables
                .iter_mut()
                .filter_map(|(transport, table)| {
                    let changed = table.take_changed();
                    (changed || !changed_only).then(|| dial_targets(transport, table, pick))
                })
                .flatten()
                .collect()
        };
        tracing::debug!(targets = targets.len(), "rebalance");
        for target in targets {
            send(ctx, NodeRequest::Connect(target));
        }
    }

    /// Adds the cached peers of our transports through the add rules.
    pub(crate) fn restore(&self, ctx: &HandlerContext) {
        let rows = match cache::load(ctx.store.as_ref()) {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "cannot read the peer cache; starting without it");
                return;
            }
        };
        let now = ctx.clock.unix_now();
        let ours = |t: &str| ctx.identities.iter().any(|id| id.transport == t);
        let restored = rows
            .into_iter()
            .filter(|(transport, _)| ours(transport))
            .filter(|(transport, entry)| {
                // Our own store said this peer had proven itself before we stopped.
                let source = if entry.proven { Source::Proven } else { Source::Unproven };
                self.add_peer(now, transport, entry.clone(), &source)
            })
            .count();
        tracing::info!(restored, "peer cache restored");
    }

    /// Saves every table (ourselves left out) to the peer cache.
    pub(crate) fn save(&self, ctx: &HandlerContext) {
        let tables: Vec<_> = {
            let state = self.lock();
            state
                .tables
                .iter()
                .map(|(transport, table)| {
                    let own = table.own();
                    let others = table.entries().filter(|e| Some(&e.key) != own).collect();
                    (transport.clone(), others, table.len())
                })
                .collect()
        };
        match cache::save(ctx.store.as_ref(), &tables) {
            Ok(saved) => tracing::debug!(saved, "peer cache saved"),
            Err(error) => tracing::warn!(%error, "cannot save the peer cache"),
        }
    }
}

fn send(ctx: &HandlerContext, request: NodeRequest) {
    if !ctx.node.send(request) {
        tracing::debug!("request to the kernel dropped: it is busy or gone");
    }
}
