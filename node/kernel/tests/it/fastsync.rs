//! Fast-synced blocks across restarts: a node that finds the record of an unfinished fast
//! sync re-verifies every block from it up at start, deletes down from the first whose
//! stored digest is not its own, and clears the record; a sync records its range, moves it
//! up as forgery checks pass, and leaves no record behind once it finishes.

use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicUsize, Ordering};

use peerd_api::{
    BatchOp, Chain, Column, ColumnStats, Digest, DigestSource, GossipMode, KeyRange, Mode,
    ModeCell, PeerId, Registry, ScanIter, Store, StoreError, TransportHandle, WriteBatch,
    CHANNEL_CAPACITY,
};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::Kernel;
use peerd_testkit::chain::{toy_block, ToyChain};
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kernel::{node, node_with, sync, wait_for};

const FASTSYNC: Column = Column::new("kernel.fastsync");

fn record(store: &Arc<dyn Store>) -> Option<Vec<u8>> {
    store.get(FASTSYNC, b"pending").unwrap()
}

/// A memory store that counts the records of fast-synced ranges written to it.
#[derive(Default)]
struct Watched {
    inner: peerd_store_memory::Store,
    records: AtomicUsize,
}

impl Store for Watched {
    fn kind(&self) -> &'static str {
        "watched"
    }
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(column, key)
    }
    fn scan(&self, column: Column, range: KeyRange) -> Result<ScanIter<'_>, StoreError> {
        self.inner.scan(column, range)
    }
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let puts = batch
            .ops()
            .iter()
            .filter(|op| matches!(op, BatchOp::Put { column, .. } if *column == FASTSYNC));
        self.records.fetch_add(puts.count(), Ordering::Relaxed);
        self.inner.write(batch)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }
    fn stats(&self) -> Result<Vec<ColumnStats>, StoreError> {
        self.inner.stats()
    }
}

/// A standalone kernel over `chain` and `store` with a stand-in transport.
fn start(chain: Arc<ToyChain>, store: &Arc<dyn Store>) -> CancellationToken {
    let (commands, mut rx) = mpsc::channel(CHANNEL_CAPACITY);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let handle = TransportHandle::new(
        "memory",
        commands,
        GossipMode::PerPeer,
        PeerId::new(&b"me"[..]),
        Arc::new(tokio::sync::Notify::new()),
    );
    let kernel = Kernel::new(chain, SyncConfig { min_upstreams: 0, ..SyncConfig::default() })
        .with_handlers(Registry::new(), store.clone());
    let stop = CancellationToken::new();
    let shutdown = stop.clone();
    tokio::spawn(async move {
        let _events = events_tx;
        kernel.run(&[handle], &mut events, &shutdown).await.unwrap();
    });
    stop
}

/// Blocks 2..=`top` of `source`, stored with computed digests.
fn copy(source: &ToyChain, top: u64) -> Arc<ToyChain> {
    let chain = Arc::new(ToyChain::new());
    for n in 2..=top {
        chain.accept(&source.block(n).unwrap().unwrap(), DigestSource::Compute).unwrap();
    }
    chain
}

#[tokio::test(start_paused = true)]
async fn a_forged_fast_synced_block_is_found_at_start_and_deleted_down() {
    let source = ToyChain::build(10, 3);
    let chain = copy(&source, 3);
    // Block 4 stored as fast sync stores it: its digest from a forged block 5's header.
    let forged = Digest([0x66; 32]);
    let next = toy_block(5, &forged, b"forged");
    let four = source.block(4).unwrap().unwrap();
    chain.accept(&four, DigestSource::NextBlock(&next)).unwrap();
    chain.accept(&next, DigestSource::Compute).unwrap();
    assert_eq!(chain.height().unwrap(), 5);
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    store.put(FASTSYNC, b"pending", &2u64.to_be_bytes()).unwrap();

    let stop = start(chain.clone(), &store);
    let seen = chain.clone();
    wait_for("the forged block deleted", Duration::from_secs(60), || seen.height().unwrap() == 3)
        .await;
    wait_for("the record cleared", Duration::from_secs(60), || record(&store).is_none()).await;
    assert_eq!(chain.digest(3).unwrap(), source.digest(3).unwrap(), "the sound blocks stay");
    stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_sound_fast_synced_range_is_kept_and_its_record_cleared() {
    let source = ToyChain::build(10, 4);
    let chain = copy(&source, 9);
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    store.put(FASTSYNC, b"pending", &4u64.to_be_bytes()).unwrap();
    let stop = start(chain.clone(), &store);
    wait_for("the record cleared", Duration::from_secs(60), || record(&store).is_none()).await;
    assert_eq!(chain.height().unwrap(), 9);
    stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_finished_fast_sync_leaves_no_record() {
    let net = MemoryNet::new(31);
    let source = ToyChain::build(1500, 6);
    for name in ["f1", "f2", "f3", "f4", "f5"] {
        node(&net, name, Arc::new(source.clone()), &[], ModeCell::new(Mode::Stopped));
    }
    let watched = Arc::new(Watched::default());
    let store: Arc<dyn Store> = watched.clone();
    let chain = Arc::new(ToyChain::new());
    let statics = ["f1", "f2", "f3", "f4", "f5"];
    let mode = ModeCell::new(Mode::Stopped);
    let handlers = store.clone();
    let _stop = node_with(&net, "fresh", (chain.clone(), sync()), &statics, mode.clone(), |k| {
        k.with_handlers(Registry::new(), handlers)
    });
    let synced = chain.clone();
    let normal = mode.clone();
    wait_for("the sync", Duration::from_secs(1800), || {
        normal.get() == Mode::Normal && synced.height().unwrap() == 1500
    })
    .await;
    let written = watched.records.load(Ordering::Relaxed);
    assert!(
        written >= 2,
        "recorded before the first fast block, moved as checks passed: {written}"
    );
    assert_eq!(record(&store), None, "and cleared once every check passed");
}
