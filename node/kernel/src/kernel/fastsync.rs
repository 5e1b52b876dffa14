//! Fast-synced blocks whose forgery checks had not finished, across restarts.
//!
//! In fast sync a block's digest is taken from the next block's header, and a random one in
//! `forgery_check_every` is checked against the winner (connector, `fetch.rs`). A session
//! that stops early (the process killed, the group gone) leaves blocks that nothing checked.
//! So before the first fast-synced block of a session is stored, the shell records its
//! number (column `kernel.fastsync`, key `pending`, 8 bytes big-endian). A passed check at
//! block `n` moves the record to `n + 1` (`n`'s digest is the winner's, and every block
//! under it is linked to it by digest); the record is removed when a session ends with
//! every check passed. A node that finds the record at
//! start recomputes the digest of every stored block from that number up
//! ([`peerd_api::Chain::verify_digests`], 64 blocks at a time, on every core where the chain
//! makes it parallel) and compares it with the stored one; at the first that differs it
//! deletes down from there (the connector fetches those blocks again, verified), then
//! removes the record.

use peerd_api::{Chain, ChainError, Column};

use super::shell::Shell;

/// Where the record is kept.
pub(crate) const FASTSYNC: Column = Column::new("kernel.fastsync");

/// Its key.
const PENDING: &[u8] = b"pending";

/// Blocks verified per call.
const CHUNK: u64 = 64;

/// What the re-verification found.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// Every block from the record up has the digest it is stored with.
    Clean { checked: u64 },
    /// Block `number` does not: deleted down from it.
    Forged { number: u64 },
}

impl Shell<'_> {
    /// A fast-synced block `number` is about to be stored: record it if nothing is pending.
    pub(super) fn fast_block_coming(&mut self, number: u64) {
        if self.fast_pending.is_some() {
            return;
        }
        let Some(store) = &self.bans_store else { return };
        match store.put(FASTSYNC, PENDING, &number.to_be_bytes()) {
            Ok(()) => self.fast_pending = Some(number),
            Err(error) => tracing::error!(%error, "cannot record the fast-synced range"),
        }
    }

    /// The session's forgery checks have passed up to block `checked`: move the record
    /// above it.
    pub(super) fn fast_checked_up_to(&mut self, checked: u64) {
        let Some(from) = self.fast_pending else { return };
        if checked < from {
            return;
        }
        let next = checked.saturating_add(1);
        let Some(store) = &self.bans_store else { return };
        match store.put(FASTSYNC, PENDING, &next.to_be_bytes()) {
            Ok(()) => self.fast_pending = Some(next),
            Err(error) => tracing::error!(%error, "cannot move the fast-synced range record"),
        }
    }

    /// A fetch session ended with every check passed: nothing fast-synced is unchecked.
    pub(super) fn fast_range_checked(&mut self) {
        if self.fast_pending.take().is_none() {
            return;
        }
        if let Some(store) = &self.bans_store {
            if let Err(error) = store.delete(FASTSYNC, PENDING) {
                tracing::error!(%error, "cannot clear the fast-synced range record");
            }
        }
    }

    /// At start: re-verifies a fast-synced range left unchecked by an earlier run.
    pub(super) async fn reverify_fast_range(&mut self) {
        let Some(store) = self.bans_store.clone() else { return };
        let from = match store.get(FASTSYNC, PENDING) {
            Ok(Some(value)) => match <[u8; 8]>::try_from(value.as_slice()) {
                Ok(bytes) => u64::from_be_bytes(bytes).max(2),
                Err(_) => {
                    tracing::warn!("undecodable fast-sync record; re-verifying from block 2");
                    2
                }
            },
            Ok(None) => return,
            Err(error) => {
                tracing::error!(%error, "cannot read the fast-sync record");
                return;
            }
        };
        tracing::info!(from, "re-verifying blocks fast-synced by an unfinished session");
        let chain = self.kernel.chain.clone();
        let found = if self.kernel.inline {
            reverify(chain.as_ref(), from)
        } else {
            let task = tokio::task::spawn_blocking(move || reverify(chain.as_ref(), from));
            task.await.unwrap_or_else(|e| Err(ChainError::Inconsistent(e.to_string())))
        };
        match found {
            Ok(Found::Clean { checked }) => {
                tracing::info!(from, checked, "fast-synced blocks re-verified: all sound");
            }
            Ok(Found::Forged { number }) => {
                tracing::warn!(
                    number,
                    "fast-synced block with a wrong digest: deleted down from it"
                );
            }
            Err(error) => {
                // Kept for the next start; the node goes on.
                tracing::error!(%error, "re-verifying the fast-synced blocks failed");
                return;
            }
        }
        if let Err(error) = store.delete(FASTSYNC, PENDING) {
            tracing::error!(%error, "cannot clear the fast-sync record");
        }
    }
}

/// Recomputes the digests of the stored blocks from `from` up; deletes down from the first
/// whose digest differs from the stored one.
fn reverify(chain: &dyn Chain, from: u64) -> Result<Found, ChainError> {
    let tip = chain.height()?;
    let mut number = from;
    while number <= tip {
        let last = number.saturating_add(CHUNK - 1).min(tip);
        let mut blocks = Vec::new();
        for n in number..=last {
            match chain.block(n)? {
                Some(block) => blocks.push(block),
                None => break,
            }
        }
        if blocks.is_empty() {
            break;
        }
        let computed = chain.verify_digests(&blocks)?;
        for (n, digest) in (number..).zip(&computed) {
            if chain.digest(n)?.as_ref() != Some(digest) {
                chain.delete_down(n)?;
                return Ok(Found::Forged { number: n });
            }
        }
        number = number.saturating_add(blocks.len() as u64);
    }
    Ok(Found::Clean { checked: number.saturating_sub(from) })
}
