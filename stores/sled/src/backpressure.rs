//! Backpressure for writers: a workaround for a deadlock in sled 0.34.7.
//!
//! sled writes its log in buffers of up to one segment (512 KiB). A sealed buffer is
//! written by a task on sled's global I/O thread pool, and that task ends by taking the
//! segment accountant's lock. A writer that needs a fresh segment takes the same lock and,
//! if the file was just shortened, waits — holding the lock — for the truncation, itself
//! a task queued on the same pool. The pool has 7 permanent threads and in 0.34.7 does not
//! grow once they are all busy (its count of waiting threads underflows). So once 7 or
//! more buffer writes are in flight, every pool thread waits for the writer's lock while
//! the writer waits for a task that no thread will run: a deadlock (compare
//! spacejam/sled#1412). sled itself puts no bound on the buffers in flight: a writer
//! faster than the disk piles them up.
//!
//! [`Backpressure`] bounds them: after each batch the store adds an estimate of the log
//! bytes the batch produced, and once [`LIMIT`] have accumulated the writer waits for
//! sled's log to reach the disk (`Db::flush`) before it returns. Between two such waits
//! a writer seals at most one full buffer (plus the partial ones of flushes), so a single
//! writer keeps at most a handful of buffer writes in flight and a pool thread is always
//! free for the truncation. This adds durability (writes reach the disk sooner), never
//! removes it, and costs a wait for the disk every [`LIMIT`] bytes, which a writer
//! outpacing the disk would have to pay anyway.

use std::sync::atomic::{AtomicU64, Ordering};

use peerd_api::BatchOp;

/// Estimated log bytes a writer may add before it waits for the disk: half a segment of
/// sled's default 512 KiB, so at most one buffer fills between two waits.
pub(crate) const LIMIT: u64 = 256 << 10;

/// Log bytes counted per operation on top of its key and value: sled's message header
/// and the page's delta framing are a few dozen bytes.
const PER_OP: u64 = 64;

/// The estimated log bytes written since the last flush.
#[derive(Debug, Default)]
pub(crate) struct Backpressure {
    unflushed: AtomicU64,
}

impl Backpressure {
    /// Counts a written batch; true if the writer must now flush.
    pub(crate) fn wrote(&self, ops: &[BatchOp]) -> bool {
        let bytes = ops.iter().map(estimate).fold(0u64, u64::saturating_add);
        let before = self.unflushed.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) < LIMIT {
            return false;
        }
        // Whoever crosses the limit flushes; concurrent writers start counting afresh.
        self.unflushed.store(0, Ordering::Relaxed);
        true
    }

    /// Records a flush: everything counted so far is on disk.
    pub(crate) fn flushed(&self) {
        self.unflushed.store(0, Ordering::Relaxed);
    }
}

/// Log bytes an operation may produce. sled appends the key and value as a delta to the
/// page and, every 10 deltas, rewrites the whole page (at most 17 entries); counting each
/// operation twice covers the rewrite for pages whose entries are of similar size.
fn estimate(op: &BatchOp) -> u64 {
    let payload = match op {
        BatchOp::Put { key, value, .. } => key.len() + value.len(),
        BatchOp::Delete { key, .. } => key.len(),
    };
    2 * u64::try_from(payload).unwrap_or(u64::MAX / 4) + PER_OP
}

#[cfg(test)]
mod tests {
    use peerd_api::{Column, WriteBatch};

    use super::*;

    const A: Column = Column::new("a");

    fn batch(value_len: usize) -> Vec<BatchOp> {
        let mut batch = WriteBatch::new();
        batch.put(A, "k", vec![0u8; value_len]);
        batch.into_ops()
    }

    #[test]
    fn flushes_once_the_estimate_reaches_the_limit() {
        let bp = Backpressure::default();
        // Each batch counts 2 * (1 + 8191) + 64 = 16_448 bytes: the 16th reaches 256 KiB.
        let flushes: Vec<bool> = (0..40).map(|_| bp.wrote(&batch(8191))).collect();
        let at: Vec<usize> = (0..40).filter(|&i| flushes[i]).collect();
        assert_eq!(at, vec![15, 31]);
    }

    #[test]
    fn an_explicit_flush_resets_the_count() {
        let bp = Backpressure::default();
        for _ in 0..15 {
            assert!(!bp.wrote(&batch(8191)));
        }
        bp.flushed();
        for _ in 0..15 {
            assert!(!bp.wrote(&batch(8191)));
        }
        assert!(bp.wrote(&batch(8191)));
    }

    #[test]
    fn one_big_batch_flushes_at_once() {
        let bp = Backpressure::default();
        assert!(bp.wrote(&batch(usize::try_from(LIMIT).unwrap())));
        assert!(!bp.wrote(&batch(0)));
    }
}
