//! The chain as handlers and the kernel see it: every block stored and every delete-down,
//! whichever path caused it (sync, gossip, local production), becomes a [`NodeEvent`] for
//! the handlers (the reservoir drops confirmed transactions, for example).

use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Accepted, Chain, ChainError, ChainLayer, DigestSource, NodeEvent, MAX_RETURNED_BLOCKS,
    MAX_RETURNED_BYTES,
};
use tokio::sync::broadcast;

/// Delegates to the chain and reports changes on a broadcast channel. A handler that falls
/// behind by more than the channel's capacity misses events and is told how many (logged).
///
/// The kernel wraps its chain in one itself; it is public for tools that want the same
/// events from a chain of their own (`peerd bench gossip` times block arrivals with it).
pub struct Observed {
    inner: Arc<dyn Chain>,
    events: broadcast::Sender<NodeEvent>,
}

impl Observed {
    /// Wraps `inner`; changes are sent on `events`.
    pub fn new(inner: Arc<dyn Chain>, events: broadcast::Sender<NodeEvent>) -> Self {
        Self { inner, events }
    }

    fn emit(&self, event: NodeEvent) {
        // No receivers (no handlers) is fine.
        let _ = self.events.send(event);
    }

    /// Blocks `from..=height`, read before a delete-down so handlers can take back their
    /// contents; empty past [`MAX_RETURNED_BLOCKS`] or [`MAX_RETURNED_BYTES`], or if one
    /// cannot be read (the delete-down goes ahead either way).
    fn doomed(&self, from: u64, height: u64) -> Vec<Bytes> {
        if height - from >= MAX_RETURNED_BLOCKS {
            return Vec::new();
        }
        let mut blocks = Vec::new();
        let mut bytes = 0usize;
        for number in from..=height {
            match self.inner.block(number) {
                Ok(Some(block)) if bytes.saturating_add(block.len()) <= MAX_RETURNED_BYTES => {
                    bytes += block.len();
                    blocks.push(block);
                }
                Ok(_) => return Vec::new(),
                Err(e) => {
                    tracing::warn!(block = number, error = %e, "cannot read a block before deleting it");
                    return Vec::new();
                }
            }
        }
        blocks
    }
}

impl ChainLayer for Observed {
    fn inner(&self) -> &dyn Chain {
        &*self.inner
    }

    fn accept(&self, block: &[u8], digest: DigestSource<'_>) -> Result<Accepted, ChainError> {
        let accepted = self.inner.accept(block, digest)?;
        if self.events.receiver_count() > 0 {
            let block = Bytes::copy_from_slice(block);
            self.emit(NodeEvent::BlockAccepted { number: accepted.number, block });
        }
        Ok(accepted)
    }

    fn delete_down(&self, number: u64) -> Result<(), ChainError> {
        let height = self.inner.height()?;
        let blocks = if number <= height && self.events.receiver_count() > 0 {
            self.doomed(number, height)
        } else {
            Vec::new()
        };
        self.inner.delete_down(number)?;
        if number <= height {
            self.emit(NodeEvent::BlocksDeleted { from: number, blocks });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use peerd_testkit::chain::ToyChain;

    use super::*;

    #[test]
    fn stored_and_deleted_blocks_become_events() {
        let served = ToyChain::build(4, 1);
        let (tx, mut rx) = broadcast::channel(16);
        let observed = Observed::new(Arc::new(ToyChain::new()), tx);
        let chain: &dyn Chain = &observed;
        for n in 2..=4 {
            let block = served.block(n).unwrap().unwrap();
            chain.accept(&block, DigestSource::Compute).unwrap();
        }
        chain.delete_down(9).unwrap(); // above the height: nothing happens
        chain.delete_down(3).unwrap();
        let mut seen = Vec::new();
        while let Ok(event) = rx.try_recv() {
            seen.push(match event {
                NodeEvent::BlockAccepted { number, .. } => format!("+{number}"),
                NodeEvent::BlocksDeleted { from, blocks } => {
                    let numbers: Vec<u64> =
                        blocks.iter().map(|b| chain.meta(b).unwrap().number).collect();
                    assert_eq!(numbers, [3, 4], "the deleted blocks, lowest first");
                    format!("-{from}")
                }
                other => format!("{other:?}"),
            });
        }
        assert_eq!(seen, ["+2", "+3", "+4", "-3"]);
    }
}
