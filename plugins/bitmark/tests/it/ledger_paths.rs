//! The three digest paths (full, fast, pre-verified) store identical ledgers; one
//! `Store::write` per block; the kernel-facing helpers (`meta`, `verify_digests`, `prefers`).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use crate::ledger_support;
use std::sync::Arc;

use peerd_api::{Chain, ChainError, Digest, DigestSource};

use ledger_support::*;

/// The scripted blocks, produced once on a scratch chain.
fn script_blocks() -> Vec<bytes::Bytes> {
    let (chain, clock) = dev_chain(Arc::new(peerd_store_memory::Store::new()));
    run_script(&chain, &clock, &mut Script::default())
}

fn fresh() -> (peerd_bitmark::bitmark_chain::BitmarkChain, Arc<Counting>) {
    let store = Counting::new(Arc::new(peerd_store_memory::Store::new()));
    let (chain, clock) = dev_chain(store.clone());
    clock.set(T0 + 1000);
    (chain, store)
}

#[test]
fn full_fast_and_verified_paths_store_identical_ledgers() {
    let blocks = script_blocks();

    let (full, full_store) = fresh();
    for block in &blocks {
        let writes = full_store.writes();
        full.accept(block, DigestSource::Compute).unwrap();
        assert_eq!(full_store.writes(), writes + 1, "exactly one Store::write per block");
    }

    // Fast path: every block but the last takes its digest from the next block.
    let (fast, fast_store) = fresh();
    for pair in blocks.windows(2) {
        let writes = fast_store.writes();
        fast.accept(&pair[0], DigestSource::NextBlock(&pair[1])).unwrap();
        assert_eq!(fast_store.writes(), writes + 1);
    }
    fast.accept(&blocks[blocks.len() - 1], DigestSource::Compute).unwrap();

    // Pre-verified: digests from verify_digests.
    let (verified, verified_store) = fresh();
    let digests = verified.verify_digests(&blocks).unwrap();
    for (block, digest) in blocks.iter().zip(&digests) {
        verified.accept(block, DigestSource::Verified(*digest)).unwrap();
    }

    let reference = snapshot(full_store.as_ref());
    assert_eq!(snapshot(fast_store.as_ref()), reference);
    assert_eq!(snapshot(verified_store.as_ref()), reference);
    assert_eq!(fast.tip(), full.tip());
    assert_eq!(verified.tip(), full.tip());
    for (i, digest) in digests.iter().enumerate() {
        assert_eq!(full.digest(i as u64 + 2).unwrap(), Some(*digest));
    }
}

#[test]
fn path_specific_checks() {
    let blocks = script_blocks();
    let (chain, store) = fresh();
    chain.accept(&blocks[0], DigestSource::Compute).unwrap();
    let before = snapshot(store.as_ref());

    // Fast path: the next block must be numbered height+1 or height+2.
    match chain.accept(&blocks[1], DigestSource::NextBlock(&blocks[3])) {
        Err(ChainError::OutOfSequence { expected: 4, got: 5 }) => {}
        other => panic!("expected out of sequence, got {other:?}"),
    }
    // Fast path skips linkage, as bitmarkd: a wrong digest from a lying next block is
    // only caught by the next block's own linkage check on the full path.
    // Pre-verified path: linkage is still checked.
    let mut p = Parts::of(&blocks[1]);
    p.header.previous_block = Digest([5; 32]);
    let unlinked = p.pack();
    let err = chain.accept(&unlinked, DigestSource::Verified(Digest([1; 32]))).unwrap_err();
    assert_eq!(fault(err), "previous block digest does not match");
    // A competing block for the tip is out of sequence on the fast path.
    let mut p = Parts::of(&blocks[0]);
    p.header.timestamp += 1;
    let competing = p.pack();
    match chain.accept(&competing, DigestSource::NextBlock(&blocks[1])) {
        Err(ChainError::OutOfSequence { expected: 3, got: 2 }) => {}
        other => panic!("expected out of sequence, got {other:?}"),
    }
    assert_eq!(snapshot(store.as_ref()), before);
    assert_eq!(chain.height().unwrap(), 2);
}

#[test]
fn meta_reads_number_and_previous_digest() {
    let blocks = script_blocks();
    let (chain, _) = fresh();
    let meta = chain.meta(&blocks[0]).unwrap();
    assert_eq!((meta.number, meta.previous), (2, chain.genesis_digest()));
    let meta = chain.meta(&blocks[3]).unwrap();
    assert_eq!(meta.number, 5);
    assert_eq!(
        meta.previous,
        peerd_bitmark::digest::sha3_256(&blocks[2][..100]),
        "dev digest of block 4"
    );
    assert_eq!(fault(chain.meta(&blocks[0][..99]).unwrap_err()), "invalid block header size");
}

#[test]
fn prefers_uses_bitmarkds_smaller_digest_quirk() {
    let (chain, _) = fresh();
    let mut low = [0u8; 32];
    let mut high = [0u8; 32];
    low[31] = 1;
    high[31] = 2;
    assert!(chain.prefers(&Digest(low), &Digest(high)));
    assert!(!chain.prefers(&Digest(high), &Digest(low)));
    // The quirk: any smaller byte wins, even below a larger more significant byte.
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    a[31] = 9;
    b[31] = 1;
    b[0] = 5;
    assert!(chain.prefers(&Digest(a), &Digest(b)), "bitmarkd's SmallerDigestThan");
    assert!(chain.prefers(&Digest(b), &Digest(a)));
}
