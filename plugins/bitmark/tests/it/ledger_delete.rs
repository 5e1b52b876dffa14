//! Delete down to a block: heights, restored owners/shares/indexes, and a re-application
//! that reproduces every column byte for byte.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use crate::ledger_support;
use std::sync::Arc;

use peerd_api::{Chain, Clock, DigestSource, Store};
use peerd_bitmark::ledger::query;

use ledger_support::*;

/// Runs the script, snapshotting every column after each block (index 0 = genesis state).
fn scripted(
    store: Arc<dyn Store>,
) -> (peerd_bitmark::bitmark_chain::BitmarkChain, Vec<bytes::Bytes>, Vec<SnapshotT>, Script) {
    let (chain, clock) = dev_chain(store.clone());
    let mut script = Script::default();
    let mut snaps = vec![snapshot(store.as_ref())];
    let mut blocks = Vec::new();
    for number in 2..2 + SCRIPT_BLOCKS {
        clock.set(T0 + number);
        let txs = script.transactions(number, &chain);
        let block = chain.produce_with(clock.unix_now(), &txs).unwrap();
        chain.accept(&block, DigestSource::Compute).unwrap();
        blocks.push(block);
        snaps.push(snapshot(store.as_ref()));
    }
    (chain, blocks, snaps, script)
}

type SnapshotT = std::collections::BTreeMap<&'static str, query::Rows>;

#[test]
fn delete_down_restores_each_earlier_state_and_reapplying_matches_byte_for_byte() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let (chain, blocks, snaps, s) = scripted(store.clone());
    let top = 1 + SCRIPT_BLOCKS;
    let tip_at_top = chain.tip();
    for pair in snaps.windows(2) {
        assert_ne!(pair[0], pair[1], "every block changes the ledger");
    }

    // Down to the middle: blocks 6..=9 go, height 5.
    chain.delete_down(6).unwrap();
    assert_eq!(chain.height().unwrap(), 5);
    assert_eq!(snapshot(store.as_ref()), snaps[4], "state after block 5");
    assert_eq!(chain.digest(6).unwrap(), None);
    assert_eq!(chain.block(6).unwrap(), None);

    // Owners, shares and block ownership are back to block 5's.
    let st = store.as_ref();
    let carol = s.carol.account.to_bytes();
    assert!(
        query::owns(st, &carol, s.transfers[2].as_bytes()).unwrap(),
        "t3 undone: carol owns t2 again"
    );
    assert_eq!(query::owner_data(st, s.transfers[5].as_bytes()).unwrap(), None);
    let bal = |who: &User| {
        query::share_balance(st, s.share_ids[0].as_bytes(), &who.account.to_bytes()).unwrap()
    };
    assert_eq!((bal(&s.alice), bal(&s.bob)), (100, 0), "grant g0 undone");
    let f2: peerd_bitmark::transaction::Link =
        peerd_bitmark::header::foundation_txid(2, &chain.digest(2).unwrap().unwrap()).into();
    assert_eq!(
        query::block_owned_by(st, f2.as_bytes()).unwrap(),
        Some(2),
        "block 2 owned by its foundation again"
    );
    assert_eq!(query::transaction(st, s.transfers[3].as_bytes()).unwrap(), None);

    // Re-apply the same blocks: every column identical to the first application.
    for block in &blocks[4..] {
        chain.accept(block, DigestSource::Compute).unwrap();
    }
    assert_eq!(chain.height().unwrap(), top);
    assert_eq!(snapshot(store.as_ref()), snaps[SCRIPT_BLOCKS as usize]);
    assert_eq!(chain.tip(), tip_at_top);

    // Every intermediate state, walking down one block at a time.
    for n in (2..=top).rev() {
        chain.delete_down(n).unwrap();
        assert_eq!(chain.height().unwrap(), n - 1);
        assert_eq!(snapshot(store.as_ref()), snaps[(n - 2) as usize], "after deleting block {n}");
    }
    // Nothing left: the genesis state, every column empty.
    assert!(snapshot(store.as_ref()).values().all(|rows| rows.is_empty()));
    assert_eq!(chain.digest(1).unwrap(), Some(chain.genesis_digest()));
}

#[test]
fn delete_down_edge_numbers() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let (chain, _, snaps, _) = scripted(store.clone());
    let top = 1 + SCRIPT_BLOCKS;
    // Above the height: no-op.
    chain.delete_down(top + 1).unwrap();
    chain.delete_down(u64::MAX).unwrap();
    assert_eq!(chain.height().unwrap(), top);
    assert_eq!(snapshot(store.as_ref()), snaps[SCRIPT_BLOCKS as usize]);
    // Exactly the tip.
    chain.delete_down(top).unwrap();
    assert_eq!(chain.height().unwrap(), top - 1);
    // 0 and 1 delete everything down to the genesis.
    chain.delete_down(0).unwrap();
    assert_eq!(chain.height().unwrap(), 1);
    assert_eq!(chain.tip(), peerd_bitmark::ledger::Tip::genesis(chain.params()));
    assert_eq!(snapshot(store.as_ref()), snaps[0]);
    // On an empty chain: nothing to do.
    chain.delete_down(1).unwrap();
    assert_eq!(chain.height().unwrap(), 1);
}

#[test]
fn a_deleted_tip_can_be_replaced_by_a_competing_block() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let (chain, blocks, snaps, _) = scripted(store.clone());
    let top = 1 + SCRIPT_BLOCKS;
    chain.delete_down(top).unwrap();
    // A different block at the same height (a later timestamp: only the filler asset).
    let other = chain.produce(T0 + 100, &[]).unwrap();
    assert_ne!(other, blocks[blocks.len() - 1]);
    chain.accept(&other, DigestSource::Compute).unwrap();
    assert_eq!(chain.height().unwrap(), top);
    assert_ne!(snapshot(store.as_ref()), snaps[SCRIPT_BLOCKS as usize]);
    chain.delete_down(top).unwrap();
    assert_eq!(snapshot(store.as_ref()), snaps[SCRIPT_BLOCKS as usize - 1]);
}

#[test]
fn each_deleted_block_is_one_batch() {
    let counting = Counting::new(Arc::new(peerd_store_memory::Store::new()));
    let (chain, _, _, _) = scripted(counting.clone());
    let before = counting.writes();
    chain.delete_down(5).unwrap();
    assert_eq!(counting.writes() - before, 5, "blocks 9, 8, 7, 6 and 5: one write each");
}
