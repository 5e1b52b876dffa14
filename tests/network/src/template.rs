//! Dev chains built before a network starts, and copied into the nodes' stores.
//!
//! Building a chain once and copying its store is much cheaper than letting every node
//! apply the same blocks: a copy is a scan of each ledger column into one write batch.

use std::sync::Arc;

use peerd_api::{Chain, ChainError, Clock, Digest, DigestSource, KeyRange, Store, WriteBatch};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::ledger::columns;
use peerd_bitmark::params::ChainParams;

/// Unix time of block `n` of a template chain is `CHAIN_START + 10 n` (plus a fork's salt).
pub const CHAIN_START: u64 = 1_740_000_000;

/// The simulated wall clock starts here, after every template block.
pub const CLOCK_START: u64 = 1_750_000_000;

/// A clock standing still at [`CLOCK_START`], for building templates outside the network.
#[derive(Clone, Copy, Debug)]
struct Still;

impl Clock for Still {
    fn unix_now(&self) -> u64 {
        CLOCK_START
    }
}

/// A dev chain in a memory store, ready to be copied into nodes.
pub struct Template {
    store: Arc<peerd_store_memory::Store>,
    chain: BitmarkChain,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template").field("height", &self.height()).finish()
    }
}

impl Template {
    /// A dev chain of height `height` (blocks 2..=height) made by the default dev producer.
    ///
    /// # Panics
    ///
    /// If the chain refuses its own blocks (a bug in the chain plugin).
    pub fn dev(height: u64) -> Self {
        let template = Self::empty();
        template.grow(height, 0);
        template
    }

    fn empty() -> Self {
        let store = Arc::new(peerd_store_memory::Store::new());
        Self::open(store)
    }

    fn open(store: Arc<peerd_store_memory::Store>) -> Self {
        let chain = BitmarkChain::open(store.clone(), ChainParams::DEV, Arc::new(Still))
            .unwrap_or_else(|e| panic!("open template chain: {e}"));
        Self { store, chain }
    }

    /// A copy of this chain cut to height `common`, then grown to `height` with blocks whose
    /// timestamps are shifted by `salt` seconds (1..=9): a fork whose last common block is
    /// `common`. Different salts give different forks.
    ///
    /// # Panics
    ///
    /// If the chain refuses the delete or its own blocks.
    pub fn fork(&self, common: u64, height: u64, salt: u64) -> Self {
        let store = Arc::new(peerd_store_memory::Store::new());
        copy_store(self.store.as_ref(), store.as_ref());
        let fork = Self::open(store);
        fork.chain.delete_down(common + 1).unwrap_or_else(|e| panic!("fork delete: {e}"));
        fork.grow(height, salt);
        fork
    }

    /// Produces blocks until the height is `height`.
    fn grow(&self, height: u64, salt: u64) {
        for n in self.height() + 1..=height {
            let produced: Result<_, ChainError> = self
                .chain
                .produce(CHAIN_START + 10 * n + salt, &[])
                .and_then(|block| self.chain.accept(&block, DigestSource::Compute));
            produced.unwrap_or_else(|e| panic!("template block {n}: {e}"));
        }
    }

    /// The chain's height.
    pub fn height(&self) -> u64 {
        self.chain.height().unwrap_or(1)
    }

    /// Digest of block `n`.
    pub fn digest(&self, n: u64) -> Option<Digest> {
        self.chain.digest(n).ok().flatten()
    }

    /// A new memory store holding a copy of this chain.
    pub fn store_copy(&self) -> Arc<peerd_store_memory::Store> {
        let store = Arc::new(peerd_store_memory::Store::new());
        copy_store(self.store.as_ref(), store.as_ref());
        store
    }
}

/// Copies every ledger column of `from` into `to`.
///
/// # Panics
///
/// If a memory store fails (it cannot).
pub fn copy_store(from: &dyn Store, to: &dyn Store) {
    let mut batch = WriteBatch::new();
    for column in columns::ALL {
        let rows = from.scan(column, KeyRange::all()).unwrap_or_else(|e| panic!("scan: {e}"));
        for row in rows {
            let (key, value) = row.unwrap_or_else(|e| panic!("scan row: {e}"));
            batch.put(column, key, value);
        }
    }
    to.write(batch).unwrap_or_else(|e| panic!("copy: {e}"));
}
