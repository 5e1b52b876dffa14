//! Delete down to a block (bitmarkd's `DeleteDownToBlock`, protocol §5.5).
//!
//! Blocks are removed from the tip down to and including `number`, one batch per block:
//! each batch replays the block's undo log (restoring owners, shares, payments, indexes,
//! and removing the block, its digest and its foundation record) and deletes the log. A
//! crash between two batches leaves a valid shorter chain.

use peerd_api::{ChainError, Store, WriteBatch};

use super::columns::{number_key, UNDO};
use super::tip::Tip;
use super::undo;
use crate::params::ChainParams;

/// Deletes blocks `tip.height` down to and including `number`; returns the new tip
/// (height `number - 1`, the genesis state when nothing remains). A `number` above the
/// height deletes nothing and only re-derives the tip, as bitmarkd does.
///
/// # Errors
///
/// A store error, or [`ChainError::Inconsistent`] when a block has no readable undo log;
/// blocks deleted before the failure stay deleted (each block is its own batch).
pub fn delete_down(
    store: &dyn Store,
    params: &ChainParams,
    tip: &Tip,
    number: u64,
) -> Result<Tip, ChainError> {
    let lowest = number.max(2);
    let mut height = tip.height;
    while height >= lowest {
        let key = number_key(height);
        let log = store
            .get(UNDO, &key)?
            .ok_or_else(|| ChainError::Inconsistent(format!("block {height} has no undo log")))?;
        let entries = undo::decode(&log)?;
        let mut batch = WriteBatch::new();
        undo::restore_into(entries, &mut batch);
        batch.delete(UNDO, key);
        store.write(batch)?;
        tracing::debug!(block = height, "deleted block");
        height -= 1;
    }
    Tip::load(store, params)
}
