//! Dev-chain blocks applied per second on the memory store, sled and RocksDB.
//!
//! Each block carries realistic traffic: three asset registrations, six issues and
//! (from the second block on) six transfers of bitmarks issued earlier, plus the foundation.
//! The blocks are produced once; each iteration applies all of them to a fresh store.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
#![allow(missing_docs)] // `criterion_group!` generates an undocumented function

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use peerd_api::{Chain, Clock, DigestSource, Store};
use peerd_bitmark::account::{Account, PrivateKey};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::transaction::{
    AssetData, AssetId, BitmarkIssue, BitmarkTransferUnratified, Link, Transaction,
};

const T0: u64 = 1_700_000_000;
const BLOCKS: u64 = 50;

struct Fixed;
impl Clock for Fixed {
    fn unix_now(&self) -> u64 {
        T0 + BLOCKS
    }
}

struct Key(PrivateKey, Account);

fn key(seed: u8) -> Key {
    let k = PrivateKey::from_ed25519_seed(&[seed; 32], true);
    let a = k.account().expect("ed25519 key");
    Key(k, a)
}

fn signed(mut tx: Transaction, k: &Key) -> Vec<u8> {
    tx.sign_and_pack(&k.0, None).expect("sign and pack")
}

/// Produces the benchmark chain once.
fn blocks() -> Vec<Vec<u8>> {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let chain = BitmarkChain::open(store, ChainParams::DEV, Arc::new(Fixed)).expect("open");
    let (alice, bob) = (key(1), key(2));
    let mut owned: Vec<(Link, bool)> = Vec::new(); // head, owned by alice?
    let mut out = Vec::new();
    for n in 0..BLOCKS {
        let mut txs = Vec::new();
        let mut fresh = Vec::new();
        for a in 0..3 {
            let fingerprint = format!("bench {n} {a}");
            let asset = AssetData {
                name: "bench".into(),
                fingerprint: fingerprint.as_str().into(),
                metadata: "k\0v".into(),
                registrant: alice.1,
                signature: Default::default(),
            };
            txs.push(signed(asset.into(), &alice));
            let id = AssetId::of_fingerprint(fingerprint.as_bytes());
            for nonce in 0..2 {
                let issue = BitmarkIssue {
                    asset_id: id,
                    owner: alice.1,
                    nonce,
                    signature: Default::default(),
                };
                let packed = signed(issue.into(), &alice);
                fresh.push((Link::of(&packed), true));
                txs.push(packed);
            }
        }
        for (head, by_alice) in owned.drain(..) {
            let (from, to) = if by_alice { (&alice, &bob) } else { (&bob, &alice) };
            let t = BitmarkTransferUnratified {
                link: head,
                escrow: None,
                owner: to.1,
                signature: Default::default(),
            };
            let packed = signed(t.into(), from);
            fresh.push((Link::of(&packed), !by_alice));
            txs.push(packed);
        }
        owned = fresh.into_iter().rev().take(6).collect();
        let block = chain.produce_with(T0 + n, &txs).expect("produce").to_vec();
        chain.accept(&block, DigestSource::Compute).expect("accept");
        out.push(block);
    }
    out
}

fn apply_all(store: Arc<dyn Store>, blocks: &[Vec<u8>]) {
    let chain = BitmarkChain::open(store, ChainParams::DEV, Arc::new(Fixed)).expect("open");
    for block in blocks {
        chain.accept(block, DigestSource::Compute).expect("accept");
    }
}

fn bench(c: &mut Criterion) {
    let blocks = blocks();
    let mut group = c.benchmark_group("ledger_apply");
    group.throughput(Throughput::Elements(BLOCKS));
    group.sample_size(10);
    group.bench_function("memory", |b| {
        b.iter_batched(
            || Arc::new(peerd_store_memory::Store::new()) as Arc<dyn Store>,
            |store| apply_all(store, &blocks),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("sled", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let store =
                    peerd_store_sled::Store::open(dir.path(), &peerd_store_sled::Config::default())
                        .expect("sled");
                (dir, Arc::new(store) as Arc<dyn Store>)
            },
            |(dir, store)| {
                apply_all(store, &blocks);
                drop(dir);
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("rocksdb", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let config = peerd_store_rocksdb::Config::default();
                let store = peerd_store_rocksdb::Store::open(dir.path(), &config).expect("rocksdb");
                (dir, Arc::new(store) as Arc<dyn Store>)
            },
            |(dir, store)| {
                apply_all(store, &blocks);
                drop(dir);
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
