//! Applying the scripted dev chain: every index holds what the records say.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use crate::ledger_support;
use std::sync::Arc;

use peerd_api::{Chain, Store};
use peerd_bitmark::header::foundation_txid;
use peerd_bitmark::ledger::columns;
use peerd_bitmark::ledger::ownership::OwnedItem;
use peerd_bitmark::ledger::query;
use peerd_bitmark::transaction::Link;

use ledger_support::*;

#[test]
fn scripted_chain_builds_every_index() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let (chain, clock) = dev_chain(store.clone());
    let mut s = Script::default();
    let blocks = run_script(&chain, &clock, &mut s);
    let st = store.as_ref();
    let last = 1 + SCRIPT_BLOCKS;
    assert_eq!(chain.height().unwrap(), last);

    // Blocks and digests by number; digests are the dev chain's SHA3 of the header.
    for (i, block) in blocks.iter().enumerate() {
        let n = i as u64 + 2;
        assert_eq!(chain.block(n).unwrap().unwrap(), *block);
        let digest = peerd_bitmark::digest::sha3_256(&block[..100]);
        assert_eq!(chain.digest(n).unwrap(), Some(digest));
        assert_eq!(query::digest(st, n).unwrap(), Some(digest));
    }
    assert_eq!(chain.block(1).unwrap(), None);
    assert_eq!(chain.block(last + 1).unwrap(), None);
    assert_eq!(chain.digest(last + 1).unwrap(), None);
    assert_eq!(chain.digest(0).unwrap(), Some(chain.genesis_digest()));

    // Assets with their block and record.
    let (asset_a, _) = asset(&s.alice, "fingerprint A");
    assert_eq!(query::asset(st, s.asset_a.as_bytes()).unwrap(), Some((2, asset_a)));
    assert_eq!(query::asset(st, s.asset_b.as_bytes()).unwrap().map(|a| a.0), Some(3));

    // Transactions by id with their block.
    let block_of = |l: &Link| query::transaction(st, l.as_bytes()).unwrap().map(|t| t.0);
    assert_eq!(block_of(&s.issues[0]), Some(2));
    assert_eq!(block_of(&s.issues[4]), Some(4));
    assert_eq!(block_of(&s.transfers[2]), Some(5));
    assert_eq!(block_of(&s.share_txs[1]), Some(5));
    assert_eq!(block_of(&s.transfers[6]), Some(9));

    // Owners: only heads have owner rows; a chain of transfers ends at its last owner.
    let alice = s.alice.account.to_bytes();
    let dave = s.dave.account.to_bytes();
    assert!(
        query::owns(st, &alice, s.transfers[5].as_bytes()).unwrap(),
        "i0→t0→t2→t3 ends with alice"
    );
    for old in [s.issues[0], s.transfers[0], s.transfers[2]] {
        assert_eq!(
            query::owner_data(st, old.as_bytes()).unwrap(),
            None,
            "{old} is no longer a head"
        );
    }
    assert!(query::owns(st, &dave, s.transfers[6].as_bytes()).unwrap());
    assert!(query::owns(st, &s.bob.account.to_bytes(), s.issues[4].as_bytes()).unwrap());
    let head = query::owner_data(st, s.transfers[5].as_bytes()).unwrap().unwrap();
    assert_eq!(head.item, OwnedItem::Asset);
    assert_eq!((head.issue_tx_id, head.issue_block, head.transfer_block), (s.issues[0].0, 2, 7));
    assert_eq!(&head.asset_id, s.asset_a.as_bytes());

    // Shares: the bitmark became a share head owned by its owner; balances after grants,
    // the swap and the last grant (zero balances have no row).
    let share_head = query::owner_data(st, s.share_txs[0].as_bytes()).unwrap().unwrap();
    assert_eq!((share_head.item, share_head.issue_tx_id), (OwnedItem::Share, s.issues[2].0));
    assert!(query::owns(st, &alice, s.share_txs[0].as_bytes()).unwrap());
    assert_eq!(query::share(st, s.share_ids[0].as_bytes()).unwrap(), Some((100, s.share_txs[0].0)));
    let bal = |share: usize, who: &User| {
        query::share_balance(st, s.share_ids[share].as_bytes(), &who.account.to_bytes()).unwrap()
    };
    assert_eq!((bal(0, &s.alice), bal(0, &s.bob), bal(0, &s.carol)), (60, 30, 10));
    assert_eq!((bal(1, &s.alice), bal(1, &s.bob), bal(1, &s.carol)), (50, 0, 0));
    let share1_rows =
        store.scan_prefix(columns::SHARE_BALANCES, s.share_ids[1].as_bytes()).unwrap().count();
    assert_eq!(share1_rows, 1, "only alice holds share 1");

    // Block ownership: block 2 moved producer → dave → alice; others stay with the producer.
    let f2: Link = foundation_txid(2, &chain.digest(2).unwrap().unwrap()).into();
    assert_eq!(query::block_owned_by(st, f2.as_bytes()).unwrap(), None);
    assert_eq!(query::block_owned_by(st, s.transfers[4].as_bytes()).unwrap(), Some(2));
    assert!(query::owns(st, &alice, s.transfers[4].as_bytes()).unwrap());
    let f3: Link = foundation_txid(3, &chain.digest(3).unwrap().unwrap()).into();
    assert_eq!(query::block_owned_by(st, f3.as_bytes()).unwrap(), Some(3));
    assert!(query::owns(st, &producer().account.to_bytes(), f3.as_bytes()).unwrap());
    let packed_payments = peerd_bitmark::currency::pack_map(&payments(), true).unwrap();
    for n in 2..=last {
        assert_eq!(
            query::block_payments(st, n).unwrap(),
            Some(packed_payments.clone()),
            "block {n}"
        );
        let f: Link = foundation_txid(n, &chain.digest(n).unwrap().unwrap()).into();
        assert_eq!(block_of(&f), Some(n), "foundation record of block {n}");
    }

    // One undo log per block, nothing else in that column.
    assert_eq!(
        store.scan(columns::UNDO, peerd_api::KeyRange::all()).unwrap().count() as u64,
        SCRIPT_BLOCKS
    );
    println!("checked {} blocks", blocks.len());
}

#[test]
fn reopening_rebuilds_the_tip_from_the_store() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let (chain, clock) = dev_chain(store.clone());
    run_script(&chain, &clock, &mut Script::default());
    let tip = chain.tip();
    drop(chain);
    let (reopened, _) = dev_chain(store);
    assert_eq!(reopened.tip(), tip);
    assert_eq!(reopened.height().unwrap(), 1 + SCRIPT_BLOCKS);
}
