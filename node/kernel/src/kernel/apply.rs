//! The chain worker: executes the connector's `Apply` and `DeleteDown` actions, and local
//! block production, strictly in order on a blocking thread (or inline, for single-threaded
//! simulations) and reports each result.
//!
//! Consecutive blocks whose digest must be computed are verified together with
//! [`Chain::verify_digests`] (parallel where the digest is expensive, Argon2d on bitmark),
//! then stored with the verified digests. If the batch fails verification, each block is
//! stored with [`DigestSource::Compute`] instead so that the failing one gets its own error.

use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{Chain, DigestSource, Item, ItemKind, NodeRequest};
use tokio::sync::mpsc;

use crate::connector::{Action, ApplyDigest, ApplyFailure, DeleteFailure, Event};
use crate::status::Metrics;

/// Most operations executed in one blocking call.
const BATCH: usize = 64;

/// One chain-changing operation.
#[derive(Debug)]
pub(crate) enum Op {
    /// A connector [`Action::Apply`] or [`Action::DeleteDown`].
    Chain(Action),
    /// Build a block on the tip at this Unix time and store it.
    Produce {
        /// The block's timestamp (at least the tip's).
        now_unix: u64,
        /// Verified transactions to include, from the reservoir (may be empty).
        transactions: Vec<Bytes>,
    },
}

/// Runs until `ops` closes or the kernel stops listening. With `inline` the chain is
/// called on the runtime thread (simulations on a current-thread runtime stay
/// deterministic); otherwise on the blocking pool. Produced blocks are gossiped through
/// `relay`, as bitmarkd broadcasts the blocks it mines.
pub(crate) async fn worker(
    chain: Arc<dyn Chain>,
    mut ops: mpsc::Receiver<Op>,
    events: mpsc::Sender<Event>,
    relay: mpsc::Sender<NodeRequest>,
    metrics: Arc<Metrics>,
    inline: bool,
) {
    while let Some(first) = ops.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match ops.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let (results, produced) = if inline {
            execute(chain.as_ref(), batch)
        } else {
            let chain = chain.clone();
            match tokio::task::spawn_blocking(move || execute(chain.as_ref(), batch)).await {
                Ok(results) => results,
                Err(e) => {
                    tracing::error!(error = %e, "chain worker task failed");
                    return;
                }
            }
        };
        for block in produced {
            metrics.inc("peerd_blocks_produced_total", &[]);
            let item = Item::new(ItemKind::Block, vec![block]);
            let _ = relay.send(NodeRequest::Broadcast(item)).await;
        }
        for event in results {
            if events.send(event).await.is_err() {
                return;
            }
        }
    }
}

/// Executes a batch in order: the connector's events, and the blocks produced.
fn execute(chain: &dyn Chain, batch: Vec<Op>) -> (Vec<Event>, Vec<Bytes>) {
    let computed: Vec<Bytes> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Chain(Action::Apply { block, digest: ApplyDigest::Compute, .. }) => {
                Some(block.clone())
            }
            _ => None,
        })
        .collect();
    let mut verified = match computed.len() {
        0 | 1 => None,
        _ => chain.verify_digests(&computed).ok().map(Vec::into_iter),
    };
    let mut out = Vec::with_capacity(batch.len());
    let mut produced = Vec::new();
    for op in batch {
        let action = match op {
            Op::Chain(action) => action,
            Op::Produce { now_unix, transactions } => {
                produced.extend(produce(chain, now_unix, &transactions));
                continue;
            }
        };
        match action {
            Action::Apply { token, block, digest, .. } => {
                let result = match &digest {
                    ApplyDigest::NextBlock(next) => {
                        chain.accept(&block, DigestSource::NextBlock(next))
                    }
                    ApplyDigest::Compute => match verified.as_mut().and_then(Iterator::next) {
                        Some(d) => chain.accept(&block, DigestSource::Verified(d)),
                        None => chain.accept(&block, DigestSource::Compute),
                    },
                };
                out.push(Event::Applied {
                    token,
                    result: result.map_err(|e| ApplyFailure::from(&e)),
                });
            }
            Action::DeleteDown { number } => {
                let result = chain.delete_down(number).map_err(|e| DeleteFailure::from(&e));
                out.push(Event::DeletedDown { result });
            }
            other => tracing::error!(action = ?other, "not a chain action"),
        }
    }
    (out, produced)
}

/// Builds a block on the tip and stores it; the outcome is logged (a failure leaves the
/// chain as it was and the next interval tries again). Returns the stored block.
fn produce(chain: &dyn Chain, now_unix: u64, transactions: &[Bytes]) -> Option<Bytes> {
    let stored = chain.produce(now_unix, transactions).and_then(|block| {
        let accepted = chain.accept(&block, DigestSource::Compute)?;
        Ok((accepted, block))
    });
    match stored {
        Ok((accepted, block)) => {
            let (bytes, offered) = (block.len(), transactions.len());
            tracing::info!(number = accepted.number, digest = %accepted.digest, bytes, offered, "block produced");
            Some(block)
        }
        Err(error) => {
            tracing::warn!(%error, "block production failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use peerd_testkit::chain::ToyChain;

    use super::*;

    fn apply(token: u64, chain: &ToyChain, n: u64) -> Op {
        let block = chain.block(n).unwrap().unwrap();
        Op::Chain(Action::Apply { token, number: n, block, digest: ApplyDigest::Compute })
    }

    #[test]
    fn applies_in_order_with_verified_digests_and_reports_each() {
        let served = ToyChain::build(6, 1);
        served.make_invalid(5);
        let local = ToyChain::new();
        let batch = vec![
            apply(1, &served, 2),
            apply(2, &served, 3),
            Op::Chain(Action::DeleteDown { number: 3 }),
            apply(3, &served, 3),
            apply(4, &served, 4),
            apply(5, &served, 5),
        ];
        let (events, produced) = execute(&local, batch);
        assert!(produced.is_empty());
        let summary: Vec<String> = events
            .iter()
            .map(|e| match e {
                Event::Applied { token, result: Ok(a) } => format!("{token}:ok{}", a.number),
                Event::Applied { token, result: Err(f) } => format!("{token}:{f:?}"),
                Event::DeletedDown { result } => format!("del:{}", result.is_ok()),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            summary,
            [
                "1:ok2",
                "2:ok3",
                "del:true",
                "3:ok3",
                "4:ok4",
                "5:Invalid(\"toy block marked invalid\")"
            ]
        );
        assert_eq!(local.digest(4).unwrap(), served.digest(4).unwrap());
    }

    #[test]
    fn production_is_ordered_with_the_other_operations() {
        use peerd_bitmark::bitmark_chain::BitmarkChain;
        use peerd_bitmark::params::ChainParams;

        let t0 = 1_700_000_000;
        let store = Arc::new(peerd_store_memory::Store::new());
        let clock = Arc::new(peerd_api::TokioClock::starting_at(t0));
        let chain = BitmarkChain::open(store, ChainParams::DEV, clock).unwrap();
        let produce = |now_unix| Op::Produce { now_unix, transactions: Vec::new() };
        let ops = vec![
            produce(t0),
            produce(t0 + 1),
            Op::Chain(Action::DeleteDown { number: 3 }),
            produce(t0 + 2),
        ];
        let (events, produced) = execute(&chain, ops);
        assert!(matches!(events[..], [Event::DeletedDown { result: Ok(()) }]));
        assert_eq!(produced.len(), 3, "every produced block is handed back for gossip");
        assert_eq!(produced[2], chain.block(3).unwrap().unwrap());
        assert_eq!(chain.height().unwrap(), 3);
        let block = chain.block(3).unwrap().unwrap();
        let header_time = u64::from_le_bytes(block[76..84].try_into().unwrap());
        assert_eq!(header_time, t0 + 2, "block 3 is the one produced after the delete");
        // A block the chain refuses (stamped an hour ahead of its clock) is not stored.
        let (events, produced) = execute(&chain, vec![produce(t0 + 3600)]);
        assert!(events.is_empty() && produced.is_empty());
        assert_eq!(chain.height().unwrap(), 3);
    }
}
