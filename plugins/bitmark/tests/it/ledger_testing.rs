//! The checks that only chains with proof of work and re-targeting run (`testing`).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::ledger_support;
use std::sync::Arc;

use bytes::Bytes;
use peerd_api::{Chain, DigestSource, Store};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::difficulty::{Difficulty, ONE_BITS};
use peerd_bitmark::header::Header;
use peerd_bitmark::params::ChainParams;

use ledger_support::*;

#[test]
fn testing_chain_checks_difficulty_and_proof_of_work() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let chain = BitmarkChain::open(store.clone(), ChainParams::TESTING, TestClock::at(T0)).unwrap();
    let owner = user(9);
    let (registration, _) = asset(&owner, "testing chain asset");
    let parts = Parts {
        header: Header {
            version: 5,
            transaction_count: 2,
            number: 2,
            previous_block: chain.genesis_digest(),
            timestamp: T0,
            difficulty_bits: Difficulty::from_value(2.0).bits(),
            nonce: 1,
            ..Header::default()
        },
        txs: vec![foundation(&owner, 1), registration],
    };
    // Version 5 must carry the current difficulty (1): rejected before any digest work.
    assert_eq!(
        fault(chain.accept(&parts.pack(), DigestSource::Compute).unwrap_err()),
        "difficulty does not match calculated"
    );

    // With the right bits, the Argon2d digest must meet the target (this nonce's does not).
    let mut right = parts.clone();
    right.header.difficulty_bits = ONE_BITS;
    let block = right.pack();
    assert_eq!(
        fault(chain.accept(&block, DigestSource::Compute).unwrap_err()),
        "invalid block header difficulty"
    );
    let err = chain.verify_digests(&[Bytes::from(block.clone())]).unwrap_err();
    assert_eq!(fault(err), "invalid block header difficulty");
    assert!(snapshot(store.as_ref()).values().all(|rows| rows.is_empty()));
    assert_eq!(chain.height().unwrap(), 1);

    // A digest the kernel verified is trusted: only linkage is checked on that path.
    let digest = peerd_bitmark::digest::argon2d(&block[..100]).unwrap();
    chain.accept(&block, DigestSource::Verified(digest)).unwrap();
    assert_eq!(chain.digest(2).unwrap(), Some(digest));
}
