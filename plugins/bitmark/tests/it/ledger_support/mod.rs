//! Shared helpers of the ledger tests: keys, record builders, a scripted dev chain,
//! block surgery for invalid blocks, a write-counting store and column snapshots.

// Each test binary uses part of this module, which is private to it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use peerd_api::{
    Chain, ChainError, Clock, Column, ColumnStats, Digest, KeyRange, ScanIter, Store, StoreError,
    WriteBatch,
};
use peerd_bitmark::account::{Account, PrivateKey};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::currency::{Currency, CurrencyMap};
use peerd_bitmark::header::{Header, HEADER_LEN};
use peerd_bitmark::ledger::query::{self, Rows};
use peerd_bitmark::merkle;
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::producer::ProducerConfig;
use peerd_bitmark::transaction::{
    AssetData, AssetId, BitmarkIssue, BitmarkShare, BitmarkTransferCountersigned,
    BitmarkTransferUnratified, BlockOwnerTransfer, Link, ShareGrant, ShareSwap, Transaction,
};

/// Unix time of block 2 in the scripted chains.
pub const T0: u64 = 1_700_000_000;

/// A settable clock.
#[derive(Debug)]
pub struct TestClock(pub AtomicU64);

impl TestClock {
    pub fn at(t: u64) -> Arc<Self> {
        Arc::new(TestClock(AtomicU64::new(t)))
    }
    pub fn set(&self, t: u64) {
        self.0.store(t, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn unix_now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A test-network user.
#[derive(Clone)]
pub struct User {
    pub key: PrivateKey,
    pub account: Account,
}

pub fn user(seed: u8) -> User {
    let key = PrivateKey::from_ed25519_seed(&[seed; 32], true);
    let account = key.account().unwrap();
    User { key, account }
}

fn signed(mut tx: Transaction, signer: &User) -> Vec<u8> {
    tx.sign_and_pack(&signer.key, None).unwrap()
}

fn countersigned(mut tx: Transaction, signer: &User, countersigner: &User) -> Vec<u8> {
    tx.sign_and_pack(&signer.key, Some(&countersigner.key)).unwrap()
}

pub fn id(packed: &[u8]) -> Link {
    Link::of(packed)
}

/// An asset registration and its id.
pub fn asset(registrant: &User, fingerprint: &str) -> (Vec<u8>, AssetId) {
    let tx = AssetData {
        name: format!("asset {fingerprint}").as_str().into(),
        fingerprint: fingerprint.into(),
        metadata: "owner\0test".into(),
        registrant: registrant.account,
        signature: Default::default(),
    };
    (signed(tx.into(), registrant), AssetId::of_fingerprint(fingerprint.as_bytes()))
}

pub fn issue(owner: &User, asset_id: AssetId, nonce: u64) -> Vec<u8> {
    let tx = BitmarkIssue { asset_id, owner: owner.account, nonce, signature: Default::default() };
    signed(tx.into(), owner)
}

pub fn transfer(from: &User, link: Link, to: &User) -> Vec<u8> {
    let tx = BitmarkTransferUnratified {
        link,
        escrow: None,
        owner: to.account,
        signature: Default::default(),
    };
    signed(tx.into(), from)
}

pub fn transfer_countersigned(from: &User, link: Link, to: &User) -> Vec<u8> {
    let tx = BitmarkTransferCountersigned {
        link,
        escrow: None,
        owner: to.account,
        signature: Default::default(),
        countersignature: Default::default(),
    };
    countersigned(tx.into(), from, to)
}

pub fn share(owner: &User, link: Link, quantity: u64) -> Vec<u8> {
    let tx = BitmarkShare { link, quantity, signature: Default::default() };
    signed(tx.into(), owner)
}

pub fn grant(owner: &User, share_id: Link, quantity: u64, recipient: &User) -> Vec<u8> {
    let tx = ShareGrant {
        share_id,
        quantity,
        owner: owner.account,
        recipient: recipient.account,
        before_block: 1_000_000,
        signature: Default::default(),
        countersignature: Default::default(),
    };
    countersigned(tx.into(), owner, recipient)
}

pub fn swap(one: &User, share_one: Link, q1: u64, two: &User, share_two: Link, q2: u64) -> Vec<u8> {
    let tx = ShareSwap {
        share_id_one: share_one,
        quantity_one: q1,
        owner_one: one.account,
        share_id_two: share_two,
        quantity_two: q2,
        owner_two: two.account,
        before_block: 1_000_000,
        signature: Default::default(),
        countersignature: Default::default(),
    };
    countersigned(tx.into(), one, two)
}

pub fn payments() -> CurrencyMap {
    let mut p = CurrencyMap::new();
    p.insert(Currency::Bitcoin, "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn".to_owned());
    p.insert(Currency::Litecoin, "mmCKZS7toE69QgXNs1JZcjW6LFj8LfUbz6".to_owned());
    p
}

pub fn block_owner_transfer(from: &User, link: Link, to: &User) -> Vec<u8> {
    let tx = BlockOwnerTransfer {
        link,
        escrow: None,
        version: 1,
        payments: payments(),
        owner: to.account,
        signature: Default::default(),
        countersignature: Default::default(),
    };
    countersigned(tx.into(), from, to)
}

/// The producer key of [`ProducerConfig::dev_default`] as a user.
pub fn producer() -> User {
    let key = ProducerConfig::dev_default().owner;
    let account = key.account().unwrap();
    User { key, account }
}

/// A dev chain on `store` with a test clock at [`T0`].
pub fn dev_chain(store: Arc<dyn Store>) -> (BitmarkChain, Arc<TestClock>) {
    let clock = TestClock::at(T0);
    let chain = BitmarkChain::open(store, ChainParams::DEV, clock.clone()).unwrap();
    (chain, clock)
}

/// Every ledger column of a store.
pub fn snapshot(store: &dyn Store) -> BTreeMap<&'static str, Rows> {
    query::snapshot(store).unwrap()
}

/// The transactions of each block of the scripted chain, produced by a function of the
/// blocks accepted so far (ids of foundations depend on digests).
pub struct Script {
    pub alice: User,
    pub bob: User,
    pub carol: User,
    pub dave: User,
    pub asset_a: AssetId,
    pub asset_b: AssetId,
    pub issues: Vec<Link>,
    pub transfers: Vec<Link>,
    pub share_ids: Vec<Link>,
    pub share_txs: Vec<Link>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            alice: user(1),
            bob: user(2),
            carol: user(3),
            dave: user(4),
            asset_a: AssetId::of_fingerprint(b"fingerprint A"),
            asset_b: AssetId::of_fingerprint(b"fingerprint B"),
            issues: Vec::new(),
            transfers: Vec::new(),
            share_ids: Vec::new(),
            share_txs: Vec::new(),
        }
    }
}

/// Number of blocks the script builds on top of the genesis (blocks 2..=9).
pub const SCRIPT_BLOCKS: u64 = 8;

impl Script {
    /// Transactions of block `number` (2…9); `chain` gives digests of earlier blocks.
    pub fn transactions(&mut self, number: u64, chain: &BitmarkChain) -> Vec<Vec<u8>> {
        let (a, b, c, d) =
            (self.alice.clone(), self.bob.clone(), self.carol.clone(), self.dave.clone());
        match number {
            // Assets, and issues of an asset registered in the same block.
            2 => {
                let (asset_a, _) = asset(&a, "fingerprint A");
                let i0 = issue(&a, self.asset_a, 1);
                let i1 = issue(&a, self.asset_a, 2);
                self.issues.extend([id(&i0), id(&i1)]);
                vec![asset_a, i0, i1]
            }
            3 => {
                let (asset_b, _) = asset(&b, "fingerprint B");
                let i2 = issue(&a, self.asset_a, 3);
                let i3 = issue(&b, self.asset_a, 4);
                self.issues.extend([id(&i2), id(&i3)]);
                vec![asset_b, i2, i3]
            }
            // Transfers of both kinds; issues of the second asset.
            4 => {
                let t0 = transfer(&a, self.issues[0], &b);
                let t1 = transfer_countersigned(&a, self.issues[1], &c);
                let i4 = issue(&b, self.asset_b, 1);
                self.transfers.extend([id(&t0), id(&t1)]);
                self.issues.push(id(&i4));
                vec![t0, t1, i4]
            }
            // A transfer of a transfer; two bitmarks become shares.
            5 => {
                let t2 = transfer(&b, self.transfers[0], &c);
                let s0 = share(&a, self.issues[2], 100);
                let s1 = share(&b, self.issues[3], 50);
                self.transfers.push(id(&t2));
                self.share_ids.extend([self.issues[2], self.issues[3]]);
                self.share_txs.extend([id(&s0), id(&s1)]);
                vec![t2, s0, s1]
            }
            // Share grants; block 2's ownership moves to dave.
            6 => {
                let g0 = grant(&a, self.share_ids[0], 30, &b);
                let g1 = grant(&b, self.share_ids[1], 50, &c);
                let foundation2 =
                    peerd_bitmark::header::foundation_txid(2, &chain.digest(2).unwrap().unwrap());
                let bo = block_owner_transfer(&producer(), foundation2.into(), &d);
                self.transfers.push(id(&bo));
                vec![g0, g1, bo]
            }
            // A swap; the block ownership moves on; a transfer to carol back to alice.
            7 => {
                let sw = swap(&a, self.share_ids[0], 10, &c, self.share_ids[1], 20);
                let bo2 = block_owner_transfer(&d, self.transfers[3], &a);
                let t3 = transfer_countersigned(&c, self.transfers[2], &a);
                self.transfers.extend([id(&bo2), id(&t3)]);
                vec![sw, bo2, t3]
            }
            // Only the filler asset.
            8 => Vec::new(),
            9 => {
                let t4 = transfer(&c, self.transfers[1], &d);
                let g2 = grant(&c, self.share_ids[1], 30, &a);
                self.transfers.push(id(&t4));
                vec![t4, g2]
            }
            _ => panic!("the script has no block {number}"),
        }
    }
}

/// Produces and accepts the scripted blocks on `chain` (one second apart); returns them.
pub fn run_script(chain: &BitmarkChain, clock: &TestClock, script: &mut Script) -> Vec<Bytes> {
    let mut blocks = Vec::new();
    for number in 2..2 + SCRIPT_BLOCKS {
        clock.set(T0 + number);
        let txs = script.transactions(number, chain);
        let block = chain.produce_with(clock.unix_now(), &txs).unwrap();
        let accepted = chain.accept(&block, peerd_api::DigestSource::Compute).unwrap();
        assert_eq!(accepted.number, number);
        blocks.push(block);
    }
    blocks
}

/// A block taken apart: header and packed transactions.
#[derive(Clone)]
pub struct Parts {
    pub header: Header,
    pub txs: Vec<Vec<u8>>,
}

impl Parts {
    pub fn of(block: &[u8]) -> Parts {
        let header = Header::unpack_unchecked(block[..HEADER_LEN].try_into().unwrap());
        let mut rest = &block[HEADER_LEN..];
        let mut txs = Vec::new();
        while !rest.is_empty() {
            let (_, used) = Transaction::unpack(rest, true).unwrap();
            txs.push(rest[..used].to_vec());
            rest = &rest[used..];
        }
        Parts { header, txs }
    }

    /// Packs with the transaction count and merkle root recomputed.
    pub fn pack(&self) -> Vec<u8> {
        let mut header = self.header;
        header.transaction_count = self.txs.len() as u16;
        let ids: Vec<Digest> = self.txs.iter().map(|t| id(t).into()).collect();
        header.merkle_root = merkle::root(&ids).unwrap_or(Digest::ZERO);
        self.pack_as_is(header)
    }

    /// Packs with exactly this header.
    pub fn pack_as_is(&self, header: Header) -> Vec<u8> {
        let mut out = header.pack().to_vec();
        for t in &self.txs {
            out.extend_from_slice(t);
        }
        out
    }
}

/// The fault text of an invalid-block error.
pub fn fault(e: ChainError) -> String {
    match e {
        ChainError::Invalid { fault } => fault,
        other => panic!("expected an invalid-block fault, got {other:?}"),
    }
}

/// A store wrapper that counts `write` calls.
pub struct Counting {
    pub inner: Arc<dyn Store>,
    pub writes: AtomicUsize,
}

impl Counting {
    pub fn new(inner: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Counting { inner, writes: AtomicUsize::new(0) })
    }
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
}

impl Store for Counting {
    fn kind(&self) -> &'static str {
        "counting"
    }
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(column, key)
    }
    fn scan(&self, column: Column, range: KeyRange) -> Result<ScanIter<'_>, StoreError> {
        self.inner.scan(column, range)
    }
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write(batch)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }
    fn stats(&self) -> Result<Vec<ColumnStats>, StoreError> {
        self.inner.stats()
    }
}

/// A signed block-foundation record of `owner` (test-network payments).
pub fn foundation(owner: &User, nonce: u64) -> Vec<u8> {
    let tx = peerd_bitmark::transaction::BlockFoundation {
        version: 1,
        payments: payments(),
        owner: owner.account,
        nonce,
        signature: Default::default(),
    };
    signed(tx.into(), owner)
}
