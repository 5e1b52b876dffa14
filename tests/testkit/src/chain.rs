//! A toy [`Chain`] for kernel tests: an in-memory chain with a trivial block format.
//!
//! Block layout: `BE64(number) ‖ previous digest (32 raw bytes) ‖ payload`. The digest of a
//! block is SHA-256 of all its bytes. A block whose payload starts with [`INVALID_MARK`] fails
//! validation with [`ToyChain::INVALID_FAULT`], which is how tests make a peer serve a bad
//! block. There is no proof of work, so building thousands of blocks is instant.
//!
//! ```
//! use peerd_api::{Chain, DigestSource};
//! use peerd_testkit::chain::ToyChain;
//!
//! let served = ToyChain::build(10, 7); // blocks 2..=10
//! let fresh = ToyChain::new();
//! for n in 2..=10 {
//!     let block = served.block(n).unwrap().unwrap();
//!     fresh.accept(&block, DigestSource::Compute).unwrap();
//! }
//! assert_eq!(fresh.digest(10).unwrap(), served.digest(10).unwrap());
//! ```

use std::sync::RwLock;

use peerd_api::bytes::Bytes;
use peerd_api::{Accepted, BlockMeta, Chain, ChainError, Digest, DigestSource};
use sha2::{Digest as _, Sha256};

/// Payload prefix that makes a toy block invalid.
pub const INVALID_MARK: &[u8] = b"invalid!";

/// Bytes before the payload: number and previous digest.
const HEADER_LEN: usize = 8 + 32;

/// SHA-256 of a packed toy block.
pub fn toy_digest(block: &[u8]) -> Digest {
    Digest(Sha256::digest(block).into())
}

/// Packs a toy block.
pub fn toy_block(number: u64, previous: &Digest, payload: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&number.to_be_bytes());
    out.extend_from_slice(previous.as_bytes());
    out.extend_from_slice(payload);
    Bytes::from(out)
}

/// The deterministic payload of block `number` for a chain built from `seed`.
fn payload(number: u64, seed: u64) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(number.to_be_bytes());
    h.finalize().to_vec()
}

/// bitmarkd's `SmallerDigestThan`, quirk included: true if any byte of `a` (scanning from
/// byte 31 down) is smaller than the same byte of `b`.
pub fn smaller_digest_than(a: &Digest, b: &Digest) -> bool {
    (0..32).rev().any(|i| a.0[i] < b.0[i])
}

/// An in-memory chain of toy blocks. Block 1 is a virtual genesis, as in bitmarkd.
#[derive(Debug)]
pub struct ToyChain {
    genesis: Digest,
    /// Index 0 holds block 2.
    blocks: RwLock<Vec<(Bytes, Digest)>>,
}

impl Default for ToyChain {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for ToyChain {
    fn clone(&self) -> Self {
        Self { genesis: self.genesis, blocks: RwLock::new(self.read().clone()) }
    }
}

impl ToyChain {
    /// The fault text of a block carrying [`INVALID_MARK`].
    pub const INVALID_FAULT: &'static str = "toy block marked invalid";

    /// An empty chain (height 1, only the genesis).
    pub fn new() -> Self {
        Self { genesis: toy_digest(b"toy genesis"), blocks: RwLock::new(Vec::new()) }
    }

    /// A valid chain of height `height` (blocks 2..=height) whose payloads derive from `seed`.
    pub fn build(height: u64, seed: u64) -> Self {
        let chain = Self::new();
        chain.extend(height, seed);
        chain
    }

    /// Appends valid blocks with payloads from `seed` until the height is `height`.
    pub fn extend(&self, height: u64, seed: u64) {
        let mut blocks = self.write();
        while (blocks.len() as u64) + 1 < height {
            let number = blocks.len() as u64 + 2;
            let previous = blocks.last().map_or(self.genesis, |(_, d)| *d);
            let block = toy_block(number, &previous, &payload(number, seed));
            let digest = toy_digest(&block);
            blocks.push((block, digest));
        }
    }

    /// A copy of this chain cut to height `common`, then extended to `height` with `seed`:
    /// a fork whose last common block is `common`.
    pub fn fork(&self, common: u64, height: u64, seed: u64) -> Self {
        let fork = self.clone();
        fork.write().truncate(common.saturating_sub(1) as usize);
        fork.extend(height, seed);
        fork
    }

    /// Replaces the stored bytes of block `number` (its digest stays what it was), so that
    /// this chain serves a different block than its digests claim. Returns false if the
    /// block does not exist.
    pub fn replace_served(&self, number: u64, block: Bytes) -> bool {
        match self.write().get_mut(index(number)) {
            Some(slot) if number >= 2 => {
                slot.0 = block;
                true
            }
            _ => false,
        }
    }

    /// Makes block `number` as served invalid (its payload gets [`INVALID_MARK`]).
    pub fn make_invalid(&self, number: u64) -> bool {
        let Ok(Some(block)) = self.block(number) else { return false };
        let Some(previous) = Digest::from_slice(&block[8..HEADER_LEN]) else { return false };
        self.replace_served(number, toy_block(number, &previous, INVALID_MARK))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<(Bytes, Digest)>> {
        self.blocks.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<(Bytes, Digest)>> {
        self.blocks.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Vector index of block `number` (meaningless below 2).
fn index(number: u64) -> usize {
    number.saturating_sub(2) as usize
}

fn parse(block: &[u8]) -> Result<BlockMeta, ChainError> {
    if block.len() < HEADER_LEN {
        return Err(ChainError::invalid("toy block too short"));
    }
    let mut num = [0u8; 8];
    num.copy_from_slice(&block[..8]);
    let previous = Digest::from_slice(&block[8..HEADER_LEN])
        .ok_or_else(|| ChainError::invalid("toy block too short"))?;
    Ok(BlockMeta { number: u64::from_be_bytes(num), previous })
}

impl Chain for ToyChain {
    fn name(&self) -> &str {
        "toy"
    }

    fn genesis_digest(&self) -> Digest {
        self.genesis
    }

    fn height(&self) -> Result<u64, ChainError> {
        Ok(self.read().len() as u64 + 1)
    }

    fn digest(&self, number: u64) -> Result<Option<Digest>, ChainError> {
        if number <= 1 {
            return Ok(Some(self.genesis));
        }
        Ok(self.read().get(index(number)).map(|(_, d)| *d))
    }

    fn block(&self, number: u64) -> Result<Option<Bytes>, ChainError> {
        if number <= 1 {
            return Ok(None);
        }
        Ok(self.read().get(index(number)).map(|(b, _)| b.clone()))
    }

    fn meta(&self, block: &[u8]) -> Result<BlockMeta, ChainError> {
        parse(block)
    }

    fn accept(&self, block: &[u8], source: DigestSource<'_>) -> Result<Accepted, ChainError> {
        let meta = parse(block)?;
        let mut blocks = self.write();
        let expected = blocks.len() as u64 + 2;
        if meta.number != expected {
            return Err(ChainError::OutOfSequence { expected, got: meta.number });
        }
        let tip = blocks.last().map_or(self.genesis, |(_, d)| *d);
        if meta.previous != tip {
            return Err(ChainError::invalid("previous block digest does not match"));
        }
        if block[HEADER_LEN..].starts_with(INVALID_MARK) {
            return Err(ChainError::invalid(Self::INVALID_FAULT));
        }
        let digest = match source {
            DigestSource::Compute => toy_digest(block),
            DigestSource::Verified(d) => d,
            DigestSource::NextBlock(next) => {
                let next = parse(next)?;
                if next.number != meta.number + 1 {
                    return Err(ChainError::invalid("next block number does not follow"));
                }
                next.previous
            }
        };
        blocks.push((Bytes::copy_from_slice(block), digest));
        Ok(Accepted { number: meta.number, digest })
    }

    fn verify_digests(&self, blocks: &[Bytes]) -> Result<Vec<Digest>, ChainError> {
        blocks.iter().map(|b| parse(b).map(|_| toy_digest(b))).collect()
    }

    fn delete_down(&self, number: u64) -> Result<(), ChainError> {
        let keep = index(number.max(2));
        self.write().truncate(keep);
        Ok(())
    }

    fn prefers(&self, candidate: &Digest, current: &Digest) -> bool {
        smaller_digest_than(candidate, current)
    }

    fn produce(&self, now_unix: u64, _transactions: &[Bytes]) -> Result<Bytes, ChainError> {
        let blocks = self.read();
        let number = blocks.len() as u64 + 2;
        let previous = blocks.last().map_or(self.genesis, |(_, d)| *d);
        Ok(toy_block(number, &previous, &now_unix.to_be_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_fork_and_invalid_blocks() {
        let a = ToyChain::build(20, 1);
        assert_eq!(a.height().unwrap(), 20);
        let b = a.fork(12, 25, 2);
        assert_eq!(b.height().unwrap(), 25);
        assert_eq!(a.digest(12).unwrap(), b.digest(12).unwrap());
        assert_ne!(a.digest(13).unwrap(), b.digest(13).unwrap());

        let fresh = ToyChain::new();
        assert!(matches!(
            fresh.accept(&a.block(3).unwrap().unwrap(), DigestSource::Compute),
            Err(ChainError::OutOfSequence { expected: 2, got: 3 })
        ));
        assert!(a.make_invalid(2));
        let err = fresh.accept(&a.block(2).unwrap().unwrap(), DigestSource::Compute).unwrap_err();
        assert_eq!(err.to_string(), ToyChain::INVALID_FAULT);
        assert!(fresh.accept(b"short", DigestSource::Compute).is_err());
    }

    #[test]
    fn fast_path_trusts_the_next_block_and_delete_down_truncates() {
        let a = ToyChain::build(5, 3);
        let fresh = ToyChain::new();
        let next = a.block(3).unwrap().unwrap();
        let got = fresh.accept(&a.block(2).unwrap().unwrap(), DigestSource::NextBlock(&next));
        assert_eq!(got.unwrap().digest, a.digest(2).unwrap().unwrap());
        fresh.accept(&next, DigestSource::Compute).unwrap();
        fresh.delete_down(3).unwrap();
        assert_eq!(fresh.height().unwrap(), 2);
        fresh.delete_down(9).unwrap();
        assert_eq!(fresh.height().unwrap(), 2);
        assert_eq!(fresh.block(1).unwrap(), None);
        assert_eq!(fresh.digest(0).unwrap(), Some(fresh.genesis_digest()));
    }

    #[test]
    fn quirky_compare() {
        let mut a = Digest::ZERO;
        let mut b = Digest::ZERO;
        a.0[0] = 1;
        b.0[0] = 2;
        a.0[31] = 9;
        b.0[31] = 3;
        // a is larger at byte 31 but smaller at byte 0: the quirk says "smaller" both ways.
        assert!(smaller_digest_than(&a, &b));
        assert!(smaller_digest_than(&b, &a));
        assert!(!smaller_digest_than(&a, &a));
    }
}
