//! [`BitmarkChain`]: bitmarkd's chain rules behind the kernel's [`Chain`] seam.
//!
//! ```
//! use std::sync::Arc;
//! use peerd_api::{Chain, DigestSource, SystemClock};
//! use peerd_bitmark::bitmark_chain::BitmarkChain;
//! use peerd_bitmark::params::ChainParams;
//!
//! let store = Arc::new(peerd_store_memory::Store::new());
//! let chain = BitmarkChain::open(store, ChainParams::DEV, Arc::new(SystemClock)).unwrap();
//! assert_eq!(chain.height().unwrap(), 1);
//! let block = chain.produce(1_700_000_000, &[]).unwrap();
//! let accepted = chain.accept(&block, DigestSource::Compute).unwrap();
//! assert_eq!((accepted.number, chain.height().unwrap()), (2, 2));
//! assert_eq!(chain.block(2).unwrap().as_deref(), Some(&block[..]));
//! ```

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use bytes::Bytes;
use peerd_api::{Accepted, BlockMeta, Chain, ChainError, Clock, Digest, DigestSource, Store};

use crate::header::{self, Header};
use crate::ledger::{self, query, Tip};
use crate::params::ChainParams;
use crate::producer::{self, ProducerConfig};
use crate::{batch_digests, digest};

/// A bitmark chain (`bitmark`, `testing`, `local` or `dev`) kept in a [`Store`].
///
/// Writers (`accept`, `delete_down`) are serialised by a mutex; the tip (height, digest,
/// version, timestamp, difficulty) is cached in memory, rebuilt from the store on open, and
/// readers never wait for a writer's digest computation.
pub struct BitmarkChain {
    store: Arc<dyn Store>,
    params: ChainParams,
    clock: Arc<dyn Clock>,
    producer: ProducerConfig,
    writer: Mutex<()>,
    tip: RwLock<Tip>,
}

impl std::fmt::Debug for BitmarkChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitmarkChain")
            .field("chain", &self.params.name())
            .field("store", &self.store.kind())
            .field("tip", &self.tip())
            .finish_non_exhaustive()
    }
}

impl BitmarkChain {
    /// Opens the chain kept in `store`, producing (on `dev`/`local`) with the deterministic
    /// test-network owner key of [`ProducerConfig::dev_default`].
    ///
    /// # Errors
    ///
    /// A store error, or [`ChainError::Inconsistent`] if the stored tip cannot be read.
    pub fn open(
        store: Arc<dyn Store>,
        params: ChainParams,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ChainError> {
        Self::open_with(store, params, clock, ProducerConfig::dev_default())
    }

    /// Opens the chain with the given block producer (owner key and payment addresses).
    ///
    /// # Errors
    ///
    /// As [`BitmarkChain::open`].
    pub fn open_with(
        store: Arc<dyn Store>,
        params: ChainParams,
        clock: Arc<dyn Clock>,
        producer: ProducerConfig,
    ) -> Result<Self, ChainError> {
        let tip = Tip::load(store.as_ref(), &params)?;
        tracing::info!(
            chain = params.name(),
            store = store.kind(),
            height = tip.height,
            "chain opened"
        );
        Ok(BitmarkChain {
            store,
            params,
            clock,
            producer,
            writer: Mutex::new(()),
            tip: RwLock::new(tip),
        })
    }

    /// The chain's parameters.
    pub fn params(&self) -> &ChainParams {
        &self.params
    }

    /// The cached tip state.
    pub fn tip(&self) -> Tip {
        *self.tip.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store the chain lives in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Builds a block on the tip holding `transactions` (packed, already verified records,
    /// e.g. from the reservoir); see [`producer::build_block`]. Does not store it.
    ///
    /// # Errors
    ///
    /// As [`producer::build_block`].
    pub fn produce_with(
        &self,
        now_unix: u64,
        transactions: &[Vec<u8>],
    ) -> Result<Bytes, ChainError> {
        let tip = self.tip();
        producer::build_block(
            self.store.as_ref(),
            &self.params,
            &tip,
            &self.producer,
            transactions,
            now_unix,
        )
        .map(Bytes::from)
    }

    fn set_tip(&self, tip: Tip) {
        *self.tip.write().unwrap_or_else(PoisonError::into_inner) = tip;
    }
}

impl Chain for BitmarkChain {
    fn name(&self) -> &str {
        self.params.name()
    }

    fn genesis_digest(&self) -> Digest {
        self.params.genesis_digest()
    }

    fn height(&self) -> Result<u64, ChainError> {
        Ok(self.tip().height)
    }

    fn digest(&self, number: u64) -> Result<Option<Digest>, ChainError> {
        match number {
            0 | 1 => Ok(Some(self.params.genesis_digest())),
            n if n > self.tip().height => Ok(None),
            n => Ok(query::digest(self.store.as_ref(), n)?),
        }
    }

    fn block(&self, number: u64) -> Result<Option<Bytes>, ChainError> {
        match number {
            0 | 1 => Ok(None),
            n if n > self.tip().height => Ok(None),
            n => Ok(query::block(self.store.as_ref(), n)?.map(Bytes::from)),
        }
    }

    fn meta(&self, block: &[u8]) -> Result<BlockMeta, ChainError> {
        let header = Header::unpack_unchecked(header::header_bytes(block)?);
        Ok(BlockMeta { number: header.number, previous: header.previous_block })
    }

    fn accept(&self, block: &[u8], digest: DigestSource<'_>) -> Result<Accepted, ChainError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tip = self.tip();
        let now = self.clock.unix_now();
        let prepared =
            ledger::prepare(self.store.as_ref(), &self.params, &tip, block, digest, now)?;
        let writes = prepared.batch.len();
        self.store.write(prepared.batch)?;
        self.set_tip(prepared.tip);
        tracing::debug!(
            block = prepared.accepted.number,
            digest = %prepared.accepted.digest,
            writes,
            "block stored"
        );
        Ok(prepared.accepted)
    }

    fn verify_digests(&self, blocks: &[Bytes]) -> Result<Vec<Digest>, ChainError> {
        Ok(batch_digests::verify_digests(&self.params, blocks)?)
    }

    fn delete_down(&self, number: u64) -> Result<(), ChainError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tip = self.tip();
        match ledger::delete_down(self.store.as_ref(), &self.params, &tip, number) {
            Ok(tip) => {
                tracing::info!(height = tip.height, "deleted blocks down to {number}");
                self.set_tip(tip);
                Ok(())
            }
            Err(e) => {
                // Blocks deleted before the failure stay deleted: re-read the tip.
                if let Ok(tip) = Tip::load(self.store.as_ref(), &self.params) {
                    self.set_tip(tip);
                }
                Err(e)
            }
        }
    }

    fn prefers(&self, candidate: &Digest, current: &Digest) -> bool {
        digest::smaller_digest_than(candidate, current)
    }

    fn produce(&self, now_unix: u64, transactions: &[Bytes]) -> Result<Bytes, ChainError> {
        let records: Vec<Vec<u8>> = transactions.iter().map(|t| t.to_vec()).collect();
        let tip = self.tip();
        let accepted = producer::select_acceptable(
            self.store.as_ref(),
            &self.params,
            &tip,
            &self.producer,
            &records,
            now_unix,
        )?;
        if accepted.len() < records.len() {
            tracing::info!(
                offered = records.len(),
                included = accepted.len(),
                "producer skipped transactions the ledger no longer accepts"
            );
        }
        self.produce_with(now_unix, &accepted)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::account::PrivateKey;
    use crate::header::HEADER_LEN;
    use crate::transaction::{AssetData, AssetId, BitmarkIssue, BitmarkTransferUnratified};
    use crate::transaction::{Link, Transaction};

    struct Fixed(u64);

    impl Clock for Fixed {
        fn unix_now(&self) -> u64 {
            self.0
        }
    }

    fn signed(mut tx: Transaction, key: &PrivateKey) -> Bytes {
        tx.sign(key).unwrap();
        Bytes::from(tx.pack(&key.account().unwrap()).unwrap())
    }

    fn asset(key: &PrivateKey, fingerprint: &str) -> Bytes {
        let tx = AssetData {
            name: "test".into(),
            fingerprint: fingerprint.into(),
            metadata: "k\0v".into(),
            registrant: key.account().unwrap(),
            signature: Default::default(),
        };
        signed(tx.into(), key)
    }

    fn issue(key: &PrivateKey, fingerprint: &str, nonce: u64) -> Bytes {
        let tx = BitmarkIssue {
            asset_id: AssetId::of_fingerprint(fingerprint.as_bytes()),
            owner: key.account().unwrap(),
            nonce,
            signature: Default::default(),
        };
        signed(tx.into(), key)
    }

    fn transfer(key: &PrivateKey, link: &[u8], to: &PrivateKey) -> Bytes {
        let tx = BitmarkTransferUnratified {
            link: Link::of(link),
            escrow: None,
            owner: to.account().unwrap(),
            signature: Default::default(),
        };
        signed(tx.into(), key)
    }

    /// The packed records of a block after its foundation.
    fn records(block: &[u8]) -> Vec<Bytes> {
        let mut rest = &block[HEADER_LEN..];
        let mut out = Vec::new();
        while !rest.is_empty() {
            let (_, used) = Transaction::unpack(rest, true).unwrap();
            out.push(Bytes::copy_from_slice(&rest[..used]));
            rest = &rest[used..];
        }
        out.remove(0);
        out
    }

    #[test]
    fn produce_skips_what_the_ledger_rejects() {
        let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
        let now = 1_700_000_000;
        let chain = BitmarkChain::open(store, ChainParams::DEV, Arc::new(Fixed(now))).unwrap();
        let alice = PrivateKey::from_ed25519_seed(&[1; 32], true);
        let bob = PrivateKey::from_ed25519_seed(&[2; 32], true);
        let (asset_a, issue_a) = (asset(&alice, "A"), issue(&alice, "A", 1));
        let first = vec![asset_a.clone(), issue_a.clone()];
        let block = chain.produce(now, &first).unwrap();
        assert_eq!(records(&block), first, "a valid pool is included whole, in order");
        chain.accept(&block, DigestSource::Compute).unwrap();

        let to_bob = transfer(&alice, &issue_a, &bob);
        let to_alice = transfer(&alice, &issue_a, &alice);
        let asset_b = asset(&bob, "B");
        let issue_b = issue(&bob, "B", 7);
        let offered = vec![
            issue_a.clone(),                 // already confirmed
            to_bob.clone(),                  // valid
            to_alice,                        // second spend of the same link
            issue(&bob, "unknown", 1),       // asset not found
            to_bob.clone(),                  // repeated
            asset_a,                         // asset already registered
            asset_b.clone(),                 // valid
            issue_b.clone(),                 // valid: its asset is in the same block
            Bytes::from_static(b"\x03junk"), // undecodable
        ];
        let block = chain.produce(now + 1, &offered).unwrap();
        assert_eq!(records(&block), vec![to_bob, asset_b, issue_b]);
        assert_eq!(chain.accept(&block, DigestSource::Compute).unwrap().number, 3);

        // Nothing acceptable left: the block still comes (with the filler asset).
        let block = chain.produce(now + 2, &[issue_a]).unwrap();
        assert_eq!(records(&block).len(), 1);
        assert_ne!(records(&block)[0], offered[0]);
        assert_eq!(chain.accept(&block, DigestSource::Compute).unwrap().number, 4);
    }
}
