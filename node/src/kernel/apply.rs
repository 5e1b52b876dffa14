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
use peerd_api::{Chain, DigestSource};
use tokio::sync::mpsc;

use crate::connector::{Action, ApplyDigest, ApplyFailure, Event};

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
    },
}

/// Runs until `ops` closes or the kernel stops listening. With `inline` the chain is
/// called on the runtime thread (simulations on a current-thread runtime stay
/// deterministic); otherwise on the blocking pool.
pub(crate) async fn worker(
    chain: Arc<dyn Chain>,
    mut ops: mpsc::Receiver<Op>,
    events: mpsc::Sender<Event>,
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
        let results = if inline {
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
        for event in results {
            if events.send(event).await.is_err() {
                return;
            }
        }
    }
}

/// Executes a batch in order.
fn execute(chain: &dyn Chain, batch: Vec<Op>) -> Vec<Event> {
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
    for op in batch {
        let action = match op {
            Op::Chain(action) => action,
            Op::Produce { now_unix } => {
                produce(chain, now_unix);
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
                let result = chain.delete_down(number).map_err(|e| e.to_string());
                out.push(Event::DeletedDown { result });
            }
            other => tracing::error!(action = ?other, "not a chain action"),
        }
    }
    out
}

/// Builds a block on the tip and stores it; the outcome is only logged (a failure leaves
/// the chain as it was and the next interval tries again).
fn produce(chain: &dyn Chain, now_unix: u64) {
    let stored = chain.produce(now_unix).and_then(|block| {
        let accepted = chain.accept(&block, DigestSource::Compute)?;
        Ok((accepted, block.len()))
    });
    match stored {
        Ok((accepted, bytes)) => {
            tracing::info!(number = accepted.number, digest = %accepted.digest, bytes, "block produced");
        }
        Err(error) => tracing::warn!(%error, "block production failed"),
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
        let events = execute(&local, batch);
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
        use peerd_bitmark::chain::ChainParams;

        let t0 = 1_700_000_000;
        let store = Arc::new(peerd_store_memory::Store::new());
        let clock = Arc::new(peerd_api::TokioClock::starting_at(t0));
        let chain = BitmarkChain::open(store, ChainParams::DEV, clock).unwrap();
        let ops = vec![
            Op::Produce { now_unix: t0 },
            Op::Produce { now_unix: t0 + 1 },
            Op::Chain(Action::DeleteDown { number: 3 }),
            Op::Produce { now_unix: t0 + 2 },
        ];
        let events = execute(&chain, ops);
        assert!(matches!(events[..], [Event::DeletedDown { result: Ok(()) }]));
        assert_eq!(chain.height().unwrap(), 3);
        let block = chain.block(3).unwrap().unwrap();
        let header_time = u64::from_le_bytes(block[76..84].try_into().unwrap());
        assert_eq!(header_time, t0 + 2, "block 3 is the one produced after the delete");
        // A block the chain refuses (stamped an hour ahead of its clock) is not stored.
        assert!(execute(&chain, vec![Op::Produce { now_unix: t0 + 3600 }]).is_empty());
        assert_eq!(chain.height().unwrap(), 3);
    }
}
