//! Adversaries: chains that serve something other than what they store.
//!
//! These wrap a real chain and change only what the node *serves*; the kernel under test is
//! unchanged. They are the peers a real network may contain, not mocks of the node.

use std::ops::RangeInclusive;
use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{Chain, ChainError, ChainLayer, Digest};

/// Offset of the previous-block digest in a bitmark header (version 2, count 2, number 8).
const PREVIOUS_AT: usize = 12;

/// A chain that serves forged blocks: for each block of `range` it answers `B(n)` with the
/// block whose header's previous-digest field is altered. Everything else (`N`, `H(n)`, its
/// own applies) is honest, so it votes with the honest majority.
///
/// A node in bitmarkd's fast sync takes the digest of block `n − 1` from block `n`'s
/// previous-digest field, so it stores a wrong digest for every block before a forged one;
/// only the random forgery check (`H(h)` asked of the winner) can tell.
pub struct Forger {
    inner: Arc<dyn Chain>,
    range: RangeInclusive<u64>,
}

impl Forger {
    /// Forges the blocks of `range` served by `inner`.
    pub fn new(inner: Arc<dyn Chain>, range: RangeInclusive<u64>) -> Self {
        Self { inner, range }
    }
}

impl ChainLayer for Forger {
    fn inner(&self) -> &dyn Chain {
        &*self.inner
    }
    fn block(&self, number: u64) -> Result<Option<Bytes>, ChainError> {
        let block = self.inner.block(number)?;
        if !self.range.contains(&number) {
            return Ok(block);
        }
        Ok(block.map(|b| {
            let mut forged = b.to_vec();
            if let Some(byte) = forged.get_mut(PREVIOUS_AT) {
                *byte ^= 0x5a;
            }
            Bytes::from(forged)
        }))
    }
}

/// A chain that claims `extra` blocks more than it has: `N` answers the higher height and
/// `H` invented digests above its real tip, but `B` finds nothing there. It votes with the
/// honest group (its digests below the real tip are honest) and draws the sync target up
/// to a height it cannot serve.
pub struct HeightLiar {
    inner: Arc<dyn Chain>,
    extra: u64,
}

impl HeightLiar {
    /// Claims `extra` more blocks than `inner` has.
    pub fn new(inner: Arc<dyn Chain>, extra: u64) -> Self {
        Self { inner, extra }
    }

    fn real_height(&self) -> Result<u64, ChainError> {
        self.inner.height()
    }
}

impl ChainLayer for HeightLiar {
    fn inner(&self) -> &dyn Chain {
        &*self.inner
    }
    fn height(&self) -> Result<u64, ChainError> {
        Ok(self.real_height()? + self.extra)
    }
    fn digest(&self, number: u64) -> Result<Option<Digest>, ChainError> {
        let real = self.real_height()?;
        if number <= real {
            return self.inner.digest(number);
        }
        if number > real + self.extra {
            return Ok(None);
        }
        let mut invented = [0x11u8; 32];
        invented[..8].copy_from_slice(&number.to_be_bytes());
        Ok(Some(Digest(invented)))
    }
}

/// A chain that records the lowest block it was asked to delete down to, so that a test
/// can assert fork protection held (the chain never deleted below a bound).
pub struct DeleteWatch {
    inner: Arc<dyn Chain>,
    lowest: std::sync::Mutex<Option<u64>>,
}

impl DeleteWatch {
    /// Watches `inner`.
    pub fn new(inner: Arc<dyn Chain>) -> Self {
        Self { inner, lowest: std::sync::Mutex::new(None) }
    }

    /// The lowest `delete_down` argument seen, if any.
    pub fn lowest_delete(&self) -> Option<u64> {
        *self.lowest.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ChainLayer for DeleteWatch {
    fn inner(&self) -> &dyn Chain {
        &*self.inner
    }
    fn delete_down(&self, number: u64) -> Result<(), ChainError> {
        {
            let mut lowest = self.lowest.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *lowest = Some(lowest.map_or(number, |l| l.min(number)));
        }
        self.inner.delete_down(number)
    }
}
