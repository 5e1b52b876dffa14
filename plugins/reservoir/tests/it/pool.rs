//! The pool: expiry and re-broadcast on the handler's timers, blocks removing what they
//! confirm, the order of `ready`, and a produced block holding the pool's transactions.

#![allow(clippy::unwrap_used)]

use crate::support;
use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use peerd_api::{Chain, Handler, ItemKind, Plugin, PluginConfig, Registry};
use peerd_bitmark::currency::Currency;
use peerd_bitmark::producer::DEV_BITCOIN_ADDRESS;
use peerd_reservoir::{
    PaymentDetail, ReservoirConfig, ReservoirPlugin, Submitted, TransactionState,
};
use support::*;

fn payment(amount: u64) -> PaymentDetail {
    PaymentDetail {
        currency: Currency::Bitcoin,
        tx_id: "synthetic".into(),
        amounts: BTreeMap::from([(DEV_BITCOIN_ADDRESS.to_owned(), amount)]),
    }
}

/// Free issues of a cached asset, proven; returns (asset, issue, proof payload).
async fn proven_free_issue(net: &Net, fingerprint: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let alice = user(1);
    let a = asset(&alice, fingerprint);
    net.submit(ItemKind::Assets, &[&a]).await.unwrap();
    let i = issue(&alice, fingerprint, 0);
    let Submitted { pay_id, proof, .. } =
        net.reservoir.store_issues(&net.view(), &i, net.now()).unwrap();
    let (difficulty, pay_nonce) = proof.unwrap();
    let payload = proof_payload(&pay_id, &find_proof(&pay_id, &pay_nonce, &difficulty));
    net.submit(ItemKind::Proof, &[&payload]).await.unwrap();
    (a, i, payload)
}

/// Yields until the handler's background task has run its due timers.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn unverified_items_expire_on_the_timer_and_verified_ones_are_rebroadcast() {
    let mut net = Net::new(ReservoirConfig::default());
    let (alice, bob) = (user(1), user(2));
    let i = issue(&alice, "P", 1);
    net.confirm(&[asset(&alice, "P"), i.clone()]).await;
    let (a, free, proof) = proven_free_issue(&net, "F").await;
    let paid = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&paid]).await.unwrap();
    net.reservoir.record_payment(pay_id(&[&paid]), payment(20_000), net.now());
    let waiting = issue(&bob, "P", 7);
    net.submit(ItemKind::Issues, &[&waiting]).await.unwrap();
    net.broadcasts();

    let runner = {
        let (handler, ctx) = (net.handler.clone(), net.ctx.clone());
        tokio::spawn(async move { handler.run(ctx).await })
    };
    let config = net.reservoir.config();
    // Before the first re-broadcast: nothing sent, nothing expired.
    tokio::time::sleep(Duration::from_secs(config.rebroadcast_seconds - 1)).await;
    settle().await;
    assert!(net.broadcasts().is_empty());
    tokio::time::sleep(Duration::from_secs(1)).await;
    settle().await;
    let sent = net.broadcasts();
    let kinds: Vec<ItemKind> = sent.iter().map(|i| i.kind.clone()).collect();
    assert_eq!(kinds, [ItemKind::Assets, ItemKind::Issues, ItemKind::Proof, ItemKind::Transfer]);
    let frames: Vec<&[u8]> = sent.iter().map(|i| &i.params[0][..]).collect();
    assert_eq!(frames, [&a[..], &free[..], &proof[..], &paid[..]]);
    assert_eq!(net.reservoir.state_of(&id(&waiting)), TransactionState::Pending);

    // The unpaid issue expires at the first sweep after its 45 minutes.
    tokio::time::sleep(Duration::from_secs(config.expiry_seconds + config.expiry_check_seconds))
        .await;
    settle().await;
    assert_eq!(net.reservoir.state_of(&id(&waiting)), TransactionState::Unknown);
    assert_eq!(net.reservoir.state_of(&id(&free)), TransactionState::Verified);
    assert_eq!(net.reservoir.counts().assets, 1, "kept for its verified issue");

    net.ctx.shutdown.cancel();
    runner.await.unwrap().unwrap();
}

#[tokio::test]
async fn ready_orders_assets_before_their_issues_and_a_produced_block_takes_them() {
    let net = Net::new(ReservoirConfig { auto_verify: true, ..Default::default() });
    let (alice, bob) = (user(1), user(2));
    let i = issue(&alice, "P", 1);
    net.confirm(&[asset(&alice, "P"), i.clone()]).await;
    let t = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&t]).await.unwrap();
    let paid = [issue(&bob, "P", 2), issue(&bob, "P", 3)];
    net.submit(ItemKind::Issues, &[&paid.concat()]).await.unwrap();
    let (a, free, _) = proven_free_issue(&net, "F").await;

    let ready = net.reservoir.ready(100);
    let expected: Vec<Bytes> =
        [&a, &paid[0], &paid[1], &free, &t].iter().map(|r| Bytes::from(r.to_vec())).collect();
    // Assets first, then issues in arrival order, then transfers.
    assert_eq!(ready, expected);
    // A limit never separates an issue from the asset it needs.
    let e = &expected;
    assert_eq!(net.reservoir.ready(3), vec![e[1].clone(), e[2].clone(), e[4].clone()]);
    assert_eq!(net.reservoir.ready(4), e[..4].to_vec());

    let block = net.chain.produce(net.now(), &ready).unwrap();
    net.accept(block).await;
    assert_eq!(net.chain.height().unwrap(), 3);
    let counts = net.reservoir.counts();
    assert_eq!((counts.pending, counts.verified, counts.assets), (0, 0, 0));
    assert!(net.reservoir.ready(100).is_empty());
    assert_eq!(net.rejected(ItemKind::Transfer, &t).await, "transaction already exists");
}

#[tokio::test]
async fn a_block_spending_a_link_drops_the_held_transfer_of_it() {
    let net = Net::new(ReservoirConfig::default());
    let (alice, bob, carol) = (user(1), user(2), user(3));
    let i = issue(&alice, "P", 1);
    net.confirm(&[asset(&alice, "P"), i.clone()]).await;
    let held = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&held]).await.unwrap();
    net.confirm(&[transfer(&alice, id(&i), &carol)]).await;
    assert_eq!(net.reservoir.state_of(&id(&held)), TransactionState::Unknown);
    assert_eq!(net.reservoir.counts().pending, 0);
}

#[test]
fn the_plugin_registers_its_kinds_and_the_pool() {
    let plugin = ReservoirPlugin::new();
    assert_eq!(plugin.name(), "reservoir");
    let mut registry = Registry::new();
    let config = PluginConfig {
        enabled: true,
        options: serde_json::json!({"max_pending": 7, "auto_verify": true}),
    };
    plugin.register(&config, &mut registry).unwrap();
    for kind in [ItemKind::Assets, ItemKind::Issues, ItemKind::Transfer, ItemKind::Proof] {
        assert_eq!(registry.handler_for(&kind).unwrap().name(), "reservoir");
    }
    assert!(registry.transaction_pool().unwrap().ready(10).is_empty());
    assert_eq!(plugin.reservoir().config().max_pending, 7);

    let bad = PluginConfig { enabled: true, options: serde_json::json!({"expiry_hours": 72}) };
    let err = ReservoirPlugin::new().register(&bad, &mut Registry::new()).unwrap_err();
    assert!(err.to_string().contains("[handlers.reservoir]"), "{err}");
    let zero = PluginConfig { enabled: true, options: serde_json::json!({"expiry_seconds": 0}) };
    let err = ReservoirPlugin::new().register(&zero, &mut Registry::new()).unwrap_err();
    assert!(err.to_string().contains("expiry_seconds must be at least 1"), "{err}");
}

#[tokio::test]
async fn a_stale_pool_entry_does_not_stop_block_production() {
    let net = Net::new(ReservoirConfig { auto_verify: true, ..Default::default() });
    let (alice, bob, carol) = (user(1), user(2), user(3));
    let i = issue(&alice, "P", 1);
    net.confirm(&[asset(&alice, "P"), i.clone()]).await;
    let stale = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&stale]).await.unwrap();
    let fresh = issue(&carol, "P", 2);
    net.submit(ItemKind::Issues, &[&fresh]).await.unwrap();
    // A competing transfer is confirmed behind the reservoir's back (no event).
    let competing = net.chain.produce_with(net.now(), &[transfer(&alice, id(&i), &carol)]).unwrap();
    net.chain.accept(&competing, peerd_api::DigestSource::Compute).unwrap();

    let ready = net.reservoir.ready(10);
    assert_eq!(ready.len(), 2, "the pool still offers the stale transfer");
    let block = net.chain.produce(net.now(), &ready).unwrap();
    net.accept(block.clone()).await;
    assert!(block.windows(fresh.len()).any(|w| w == &fresh[..]));
    assert!(!block.windows(stale.len()).any(|w| w == &stale[..]));
    assert_eq!(net.reservoir.state_of(&id(&fresh)), TransactionState::Unknown);
    // The stale transfer stays until a rescan (the expiry sweep, a deletion) finds it.
    assert_eq!(net.reservoir.state_of(&id(&stale)), TransactionState::Verified);
    assert_eq!(net.reservoir.rescan(&net.view()).unwrap(), 1);
    assert_eq!(net.reservoir.state_of(&id(&stale)), TransactionState::Unknown);
}

#[tokio::test]
async fn deleted_blocks_take_the_groups_that_need_them() {
    let net = Net::new(ReservoirConfig::default());
    let (alice, bob) = (user(1), user(2));
    let i = issue(&alice, "P", 1);
    net.confirm(&[asset(&alice, "P"), i.clone()]).await;
    let t = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&t]).await.unwrap();
    let more = issue(&bob, "P", 2);
    net.submit(ItemKind::Issues, &[&more]).await.unwrap();
    assert_eq!(net.reservoir.counts().pending, 2);
    net.chain.delete_down(2).unwrap();
    // Too deep a delete-down to carry its blocks: nothing comes back.
    let event = peerd_api::NodeEvent::BlocksDeleted { from: 2, blocks: Vec::new() };
    net.handler.on_event(&net.ctx, &event).await.unwrap();
    assert_eq!(net.reservoir.counts().pending, 0, "link and asset went with block 2");
}

#[tokio::test]
async fn deleted_blocks_return_their_transactions_verified_for_the_winning_chain() {
    let net = Net::new(ReservoirConfig::default());
    let (alice, bob) = (user(1), user(2));
    let a = asset(&alice, "P");
    let i = issue(&alice, "P", 1);
    let block = net.confirm(&[a.clone(), i.clone()]).await;
    // A transfer of the confirmed issue, unpaid, waits in the pool.
    let t = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&t]).await.unwrap();
    // An asset and issue the winning branch confirms too must not come back.
    let (q, both) = (asset(&bob, "Q"), issue(&bob, "Q", 2));
    let second = net.confirm(&[q.clone(), both.clone()]).await;

    net.chain.delete_down(2).unwrap();
    net.confirm(&[q, both]).await;
    let event = peerd_api::NodeEvent::BlocksDeleted { from: 2, blocks: vec![block, second] };
    net.handler.on_event(&net.ctx, &event).await.unwrap();

    // The asset is cached again and the issue held verified; the transfer went (its link
    // is no longer confirmed); Q and its issue are confirmed on the new branch.
    let counts = net.reservoir.counts();
    assert_eq!((counts.pending, counts.verified, counts.assets), (0, 1, 1));
    assert_eq!(net.reservoir.state_of(&id(&i)), TransactionState::Verified);
    let ready = net.reservoir.ready(100);
    assert_eq!(ready, vec![Bytes::from(a), Bytes::from(i.clone())], "asset before its issue");

    // The next block on the winning chain confirms them; the pool empties.
    let produced = net.chain.produce(net.now(), &ready).unwrap();
    net.accept(produced).await;
    let counts = net.reservoir.counts();
    assert_eq!((counts.pending, counts.verified, counts.assets), (0, 0, 0));
    assert_eq!(net.rejected(ItemKind::Issues, &i).await, "transaction already exists");
}
