//! The benchmark chain: dev blocks carrying realistic traffic.
//!
//! Every block holds, after its foundation record, three asset registrations, six issues
//! (two per asset) and, from the third block on, six transfers of the bitmarks issued in
//! the block before, between two accounts: sixteen records, each signed with Ed25519 and
//! verified by the chain when stored.

use peerd_api::bytes::Bytes;
use peerd_api::{Chain, DigestSource};
use peerd_bitmark::account::{Account, PrivateKey};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::transaction::{
    AssetData, AssetId, BitmarkIssue, BitmarkTransferUnratified, Link, Transaction,
};

use super::BenchError;

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
    fn new(seed: u8) -> Result<Self, BenchError> {
        let private = PrivateKey::from_ed25519_seed(&[seed; 32], true);
        let account = private.account().ok_or_else(|| build("a test key has no account"))?;
        Ok(Self { private, account })
    }

    fn signed(&self, mut tx: Transaction) -> Result<Vec<u8>, BenchError> {
        tx.sign_and_pack(&self.private, None).map_err(|f| build(format!("signing: {f}")))
    }
}

fn build(reason: impl Into<String>) -> BenchError {
    BenchError::Build(reason.into())
}

/// Makes the records of each block and stores the blocks on a chain.
pub(super) struct Traffic {
    alice: Key,
    bob: Key,
    /// Bitmarks issued in the previous block: their head record and whether Alice owns them.
    heads: Vec<(Link, bool)>,
}

impl Traffic {
    pub(super) fn new() -> Result<Self, BenchError> {
        Ok(Self { alice: Key::new(1)?, bob: Key::new(2)?, heads: Vec::new() })
    }

    /// The records of block `number`.
    fn records(&mut self, number: u64) -> Result<Vec<Vec<u8>>, BenchError> {
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
    pub(super) fn grow(
        &mut self,
        chain: &BitmarkChain,
        height: u64,
        first_unix: u64,
    ) -> Result<(), BenchError> {
        let start = chain.height()? + 1;
        for number in start..=height {
            let records = self.records(number)?;
            let block: Bytes = chain.produce_with(first_unix + number, &records)?;
            chain.accept(&block, DigestSource::Compute)?;
            if number % 10_000 == 0 {
                tracing::info!(number, height, "benchmark chain");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use peerd_api::SystemClock;
    use peerd_bitmark::params::ChainParams;

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
