//! The chain worker: executes the connector's `Apply` and `DeleteDown` actions strictly in
//! order on a blocking thread and reports each result.
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

/// Most actions executed in one blocking call.
const BATCH: usize = 64;

/// Runs until `ops` closes or the kernel stops listening.
pub(crate) async fn worker(
    chain: Arc<dyn Chain>,
    mut ops: mpsc::Receiver<Action>,
    events: mpsc::Sender<Event>,
) {
    while let Some(first) = ops.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match ops.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let chain = chain.clone();
        let results =
            match tokio::task::spawn_blocking(move || execute(chain.as_ref(), batch)).await {
                Ok(results) => results,
                Err(e) => {
                    tracing::error!(error = %e, "chain worker task failed");
                    return;
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
fn execute(chain: &dyn Chain, batch: Vec<Action>) -> Vec<Event> {
    let computed: Vec<Bytes> = batch
        .iter()
        .filter_map(|a| match a {
            Action::Apply { block, digest: ApplyDigest::Compute, .. } => Some(block.clone()),
            _ => None,
        })
        .collect();
    let mut verified = match computed.len() {
        0 | 1 => None,
        _ => chain.verify_digests(&computed).ok().map(Vec::into_iter),
    };
    let mut out = Vec::with_capacity(batch.len());
    for action in batch {
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

#[cfg(test)]
mod tests {
    use peerd_testkit::chain::ToyChain;

    use super::*;

    fn apply(token: u64, chain: &ToyChain, n: u64) -> Action {
        let block = chain.block(n).unwrap().unwrap();
        Action::Apply { token, number: n, block, digest: ApplyDigest::Compute }
    }

    #[test]
    fn applies_in_order_with_verified_digests_and_reports_each() {
        let served = ToyChain::build(6, 1);
        served.make_invalid(5);
        let local = ToyChain::new();
        let batch = vec![
            apply(1, &served, 2),
            apply(2, &served, 3),
            Action::DeleteDown { number: 3 },
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
}
