//! Block production on `dev` and `local`; refused where proof of work is checked.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use crate::ledger_support;
use std::sync::Arc;

use peerd_api::{Chain, ChainError, DigestSource, Store};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::header::Header;
use peerd_bitmark::ledger::query;
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::producer::ProducerConfig;
use peerd_bitmark::transaction::Transaction;

use ledger_support::*;

#[test]
fn produced_blocks_are_valid_and_well_formed() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let (chain, clock) = dev_chain(store.clone());
    let mut previous_time = 0;
    for i in 0..5u64 {
        // The clock may stand still or even run behind the tip: the timestamp never
        // goes below the tip's.
        let now = if i == 3 { T0 - 50 } else { T0 + i * 10 };
        clock.set(now);
        let block = chain.produce(now, &[]).unwrap();
        let header = Header::unpack_unchecked(block[..100].try_into().unwrap());
        assert_eq!(header.number, 2 + i);
        assert_eq!(header.previous_block, chain.digest(1 + i).unwrap().unwrap());
        assert_eq!(header.version, peerd_bitmark::header::CURRENT_VERSION);
        assert_eq!(header.difficulty_bits, peerd_bitmark::difficulty::ONE_BITS);
        assert_eq!(header.timestamp, now.max(previous_time));
        previous_time = header.timestamp;
        let parts = Parts::of(&block);
        assert_eq!(parts.txs.len(), 2, "foundation and filler");
        match Transaction::unpack_exact(&parts.txs[0], true).unwrap() {
            Transaction::BlockFoundation(f) => {
                assert_eq!(f.owner, producer().account);
                assert_eq!(f.payments, payments());
            }
            other => panic!("first record is {other:?}"),
        }
        chain.accept(&block, DigestSource::Compute).unwrap();
    }
    assert_eq!(chain.height().unwrap(), 6);
    // The filler assets are ledger entries like any other.
    assert_eq!(
        store
            .scan(peerd_bitmark::ledger::columns::ASSETS, peerd_api::KeyRange::all())
            .unwrap()
            .count(),
        5
    );
}

#[test]
fn a_configured_owner_key_owns_the_blocks() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let owner = user(42);
    let config = ProducerConfig { owner: owner.key.clone(), payments: payments() };
    let chain = BitmarkChain::open_with(store.clone(), ChainParams::DEV, TestClock::at(T0), config)
        .unwrap();
    let (asset_tx, _) = asset(&user(1), "given transaction");
    let block = chain.produce_with(T0, std::slice::from_ref(&asset_tx)).unwrap();
    assert_eq!(Parts::of(&block).txs[1], asset_tx, "given transactions follow the foundation");
    chain.accept(&block, DigestSource::Compute).unwrap();
    let foundation = peerd_bitmark::header::foundation_txid(2, &chain.digest(2).unwrap().unwrap());
    assert!(query::owns(store.as_ref(), &owner.account.to_bytes(), &foundation.0).unwrap());
}

#[test]
fn local_produces_and_accepts_without_proof_of_work() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let chain = BitmarkChain::open(store, ChainParams::LOCAL, TestClock::at(T0)).unwrap();
    assert_eq!(chain.genesis_digest(), ChainParams::TESTING.genesis_digest());
    let block = chain.produce(T0, &[]).unwrap();
    // Argon2d digest (128 MiB, about a second unoptimised): computed once here.
    let accepted = chain.accept(&block, DigestSource::Compute).unwrap();
    assert_eq!(accepted.number, 2);
    assert_eq!(accepted.digest, peerd_bitmark::digest::argon2d(&block[..100]).unwrap());
}

#[test]
fn chains_with_proof_of_work_do_not_produce() {
    for params in [ChainParams::BITMARK, ChainParams::TESTING] {
        let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
        let chain = BitmarkChain::open(store, params, TestClock::at(T0)).unwrap();
        assert!(matches!(chain.produce(T0, &[]), Err(ChainError::Unsupported(_))));
        assert_eq!(chain.height().unwrap(), 1);
    }
}
