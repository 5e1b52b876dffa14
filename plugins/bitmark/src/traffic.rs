//! Realistic traffic for test chains (`peerd chain generate`, the benchmarks).
//!
//! Every block holds, after its foundation record, three asset registrations, six issues
//! (two per asset) and, from the third block on, six transfers of the bitmarks issued in
//! the block before, between two accounts: sixteen records, each signed with Ed25519 and
//! verified by the chain when stored.

use bytes::Bytes;
use peerd_api::{Chain, ChainError, DigestSource};

use crate::account::{Account, PrivateKey};
use crate::bitmark_chain::BitmarkChain;
use crate::transaction::{
    AssetData, AssetId, BitmarkIssue, BitmarkTransferUnratified, Link, Transaction,
};

/// Why traffic could not be made or stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrafficError {
    /// A record could not be signed (a bug in the generator).
    #[error("signing a generated record: {0}")]
    Sign(String),
    /// The chain refused or could not store a generated block.
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// Asset registrations per block.
const ASSETS: u64 = 3;
/// Issues per asset.
const ISSUES_PER_ASSET: u64 = 2;

/// A signing key and its account.
struct Key {
    private: PrivateKey,
    account: Account,
}

impl Key {
    fn new(seed: u8) -> Result<Self, TrafficError> {
        let private = PrivateKey::from_ed25519_seed(&[seed; 32], true);
        let account = private.account().ok_or_else(|| sign("a test key has no account"))?;
        Ok(Self { private, account })
    }

    fn signed(&self, mut tx: Transaction) -> Result<Vec<u8>, TrafficError> {
        tx.sign_and_pack(&self.private, None).map_err(|f| sign(f.to_string()))
    }
}

fn sign(reason: impl Into<String>) -> TrafficError {
    TrafficError::Sign(reason.into())
}

/// Makes the records of each block and stores the blocks on a chain.
pub struct Traffic {
    alice: Key,
    bob: Key,
    /// Bitmarks issued in the previous block: their head record and whether Alice owns them.
    heads: Vec<(Link, bool)>,
}

impl Traffic {
    /// A generator whose first block registers assets and issues them (transfers follow
    /// from the next block on).
    pub fn new() -> Result<Self, TrafficError> {
        Ok(Self { alice: Key::new(1)?, bob: Key::new(2)?, heads: Vec::new() })
    }

    /// The records of block `number`.
    fn records(&mut self, number: u64) -> Result<Vec<Vec<u8>>, TrafficError> {
        let mut records = Vec::new();
        let mut issued = Vec::new();
        for a in 0..ASSETS {
            let fingerprint = format!("peerd bench {number} {a}");
            let asset = AssetData {
                name: "bench".into(),
                fingerprint: fingerprint.as_str().into(),
                metadata: "source\0bench".into(),
                registrant: self.alice.account,
                signature: Default::default(),
            };
            records.push(self.alice.signed(asset.into())?);
            let asset_id = AssetId::of_fingerprint(fingerprint.as_bytes());
            for nonce in 0..ISSUES_PER_ASSET {
                let issue = BitmarkIssue {
                    asset_id,
                    owner: self.alice.account,
                    nonce,
                    signature: Default::default(),
                };
                let packed = self.alice.signed(issue.into())?;
                issued.push((Link::of(&packed), true));
                records.push(packed);
            }
        }
        for (link, by_alice) in std::mem::take(&mut self.heads) {
            let (from, to) =
                if by_alice { (&self.alice, &self.bob) } else { (&self.bob, &self.alice) };
            let transfer = BitmarkTransferUnratified {
                link,
                escrow: None,
                owner: to.account,
                signature: Default::default(),
            };
            records.push(from.signed(transfer.into())?);
        }
        self.heads = issued;
        Ok(records)
    }

    /// Produces and stores blocks on `chain` until its height is `height`; block `n` is
    /// stamped `first_unix + n`.
    ///
    /// # Errors
    ///
    /// [`TrafficError`]: the chain refused a block (a timestamp out of range, say).
    pub fn grow(
        &mut self,
        chain: &BitmarkChain,
        height: u64,
        first_unix: u64,
    ) -> Result<(), TrafficError> {
        self.grow_with(chain, height, |number| first_unix + number, |_| {})
    }

    /// As [`Traffic::grow`], block `n` stamped `stamp(n)`, calling `stored(n)` after it is
    /// stored.
    ///
    /// # Errors
    ///
    /// As [`Traffic::grow`].
    pub fn grow_with(
        &mut self,
        chain: &BitmarkChain,
        height: u64,
        mut stamp: impl FnMut(u64) -> u64,
        mut stored: impl FnMut(u64),
    ) -> Result<(), TrafficError> {
        let start = chain.height()? + 1;
        for number in start..=height {
            let records = self.records(number)?;
            let block: Bytes = chain.produce_with(stamp(number), &records)?;
            chain.accept(&block, DigestSource::Compute)?;
            stored(number);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use peerd_api::SystemClock;

    use crate::params::ChainParams;

    use super::*;

    #[test]
    fn blocks_carry_assets_issues_and_transfers() {
        let store = Arc::new(peerd_store_memory::Store::new());
        let chain = BitmarkChain::open(store, ChainParams::DEV, Arc::new(SystemClock)).unwrap();
        let mut traffic = Traffic::new().unwrap();
        traffic.grow(&chain, 4, 1_700_000_000).unwrap();
        assert_eq!(chain.height().unwrap(), 4);
        let count = |n: u64| {
            let block = chain.block(n).unwrap().unwrap();
            u16::from_le_bytes([block[2], block[3]])
        };
        // Foundation + 3 assets + 6 issues, then + 6 transfers of the previous issues.
        assert_eq!((count(2), count(3), count(4)), (10, 16, 16));
    }
}
