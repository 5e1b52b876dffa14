//! (j) A partition with competing producers heals (issue 16, item 6): six nodes with the
//! `block` and `reservoir` handlers split 3 + 3, a producer on each side. An asset and a
//! proven free issue are submitted on the side that will lose and confirmed there. After
//! healing, the losing side deletes its blocks down, the issue and its asset return to its
//! reservoirs (verified), and the losing side's producer, now on the winning chain, confirms
//! them there: every node ends with them in its ledger and an empty pool.

use std::time::Duration;

use peerd_api::ItemKind;
use peerd_bitmark::account::PrivateKey;
use peerd_bitmark::ledger::query;
use peerd_bitmark::payid::{PayId, PayNonce};
use peerd_bitmark::transaction::{AssetData, AssetId, BitmarkIssue, Link, Transaction};
use peerd_network_tests::{Template, TestNet};

use crate::common::{jitter, others};
use crate::reservoir::Wallet;

fn confirmed(net: &TestNet, name: &str, id: &Link, asset: &AssetId) -> bool {
    let store = net.node(name).chain().store().clone();
    let issued = query::transaction(store.as_ref(), id.as_bytes()).unwrap().is_some();
    issued && query::asset(store.as_ref(), asset.as_bytes()).unwrap().is_some()
}

#[tokio::test(start_paused = true)]
async fn a_healed_partition_returns_the_losing_sides_transactions_and_confirms_them() {
    let mut net = TestNet::new("healed", 0x4a);
    jitter(&net);
    let base = Template::dev(40);
    let names = ["pa", "pb", "a1", "a2", "b1", "b2"];
    for name in names {
        let node = net
            .add(name)
            .statics(&others(&names, name))
            .chain(&base)
            .handlers()
            .sync(|s| (s.min_upstreams, s.min_votes) = (2, 2));
        match name {
            "pa" => node.producer(Duration::from_secs(60)).start(),
            "pb" => node.producer(Duration::from_secs(90)).start(),
            _ => node.start(),
        };
    }
    net.node("pb").producer().set(false);
    net.wait_until("the network in sync", Duration::from_secs(600), |n| n.converged(&names)).await;
    let split = net.node("pa").height();

    let (side_a, side_b) = (["pa", "a1", "a2"], ["pb", "b1", "b2"]);
    // The wallet (a memory-net node of its own) is on side b.
    net.memory().partition(&[&side_a, &["pb", "b1", "b2", "wallet"]]);
    net.node("pb").producer().set(true);

    // An asset and its free issue, submitted on side b with a proof of work.
    let alice = PrivateKey::from_ed25519_seed(&[7; 32], true);
    let owner = alice.account().unwrap();
    let mut asset = Transaction::from(AssetData {
        name: "sculpture".into(),
        fingerprint: "fingerprint-of-the-sculpture".into(),
        metadata: "owner\0alice".into(),
        registrant: owner,
        signature: Default::default(),
    });
    let asset = asset.sign_and_pack(&alice, None).unwrap();
    let asset_id = AssetId::of_fingerprint(b"fingerprint-of-the-sculpture");
    let mut issue = Transaction::from(BitmarkIssue {
        asset_id,
        owner,
        nonce: 0,
        signature: Default::default(),
    });
    let issue = issue.sign_and_pack(&alice, None).unwrap();
    let mut wallet = Wallet::new(net.memory());
    assert_eq!(wallet.push("b1", ItemKind::Assets, asset).await, peerd_api::Response::Ack);
    assert_eq!(wallet.push("b1", ItemKind::Issues, issue.clone()).await, peerd_api::Response::Ack);
    let pay_id = PayId::new([issue.as_slice()]);
    let at = net.node("b1");
    let pay_nonce =
        PayNonce::from_digest(&at.digest(PayNonce::rounded_height(at.height())).unwrap().0);
    let difficulty = peerd_reservoir::proof::scaled_difficulty(1, true);
    let nonce = (0u64..)
        .map(u64::to_be_bytes)
        .find(|n| peerd_reservoir::proof::meets(&pay_id, &pay_nonce, n, &difficulty))
        .unwrap();
    let proof = [pay_id.as_bytes().as_slice(), nonce.as_slice()].concat();
    assert_eq!(wallet.push("b1", ItemKind::Proof, proof).await, peerd_api::Response::Ack);
    let issue_id = Link::of(&issue);
    net.wait_until("confirmed on side b", Duration::from_secs(600), |n| {
        side_b.iter().all(|name| confirmed(n, name, &issue_id, &asset_id))
    })
    .await;

    net.run_for(Duration::from_secs(900)).await;
    net.wait_until("each side in sync", Duration::from_secs(300), |n| {
        n.converged(&side_a) && n.converged(&side_b)
    })
    .await;
    let (height_a, height_b) = (net.node("pa").height(), net.node("pb").height());
    assert!(height_a > height_b, "side a is longer: {split} → a {height_a}, b {height_b}");
    assert!(side_a.iter().all(|name| !confirmed(&net, name, &issue_id, &asset_id)));

    // Heal with both producers stopped: side b follows side a and deletes its blocks.
    net.node("pa").producer().set(false);
    net.node("pb").producer().set(false);
    net.memory().heal();
    net.wait_until("convergence after healing", Duration::from_secs(900), |n| n.converged(&names))
        .await;
    for name in side_b {
        assert!(net.node(name).lowest_delete().is_some_and(|d| d > split), "{name} deleted");
        let pool = net.node(name).reservoir().unwrap().counts();
        assert_eq!((pool.verified, pool.assets), (1, 1), "{name} holds them again: {pool:?}");
    }

    // The losing side's producer, now on the winning chain, confirms them for everyone.
    net.node("pb").producer().set(true);
    net.wait_until("confirmed on the winning chain", Duration::from_secs(900), |n| {
        names.iter().all(|name| confirmed(n, name, &issue_id, &asset_id))
    })
    .await;
    net.node("pb").producer().set(false);
    net.wait_until("every pool empty", Duration::from_secs(120), |n| {
        names.iter().all(|name| n.node(name).reservoir().unwrap().counts() == Default::default())
    })
    .await;
    net.wait_until("converged", Duration::from_secs(600), |n| n.converged(&names)).await;
    net.assert_converged(&names);
}
