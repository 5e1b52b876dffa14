//! The `issues` handler: free issues (proof of work) and paid issues (payment).

#![allow(clippy::unwrap_used)]

use crate::support;
use peerd_api::{ItemKind, Outcome};
use peerd_bitmark::currency::Currency;
use peerd_bitmark::producer::{DEV_BITCOIN_ADDRESS, DEV_LITECOIN_ADDRESS};
use peerd_reservoir::{proof, Payment, ReservoirConfig, TransactionState};
use support::*;

#[tokio::test]
async fn free_issues_of_a_cached_asset_wait_for_their_proof() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    net.submit(ItemKind::Assets, &[&asset(&alice, "A")]).await.unwrap();
    let (i1, i2) = (issue(&alice, "A", 0), issue(&alice, "A", 0));
    assert_eq!(i1, i2, "same owner, asset and nonce: one issue");
    let i2 = issue(&user(2), "A", 0);
    let both = concat(&[&i1, &i2]);
    assert_eq!(net.submit(ItemKind::Issues, &[&both]).await.unwrap(), Outcome::Relay);
    assert_eq!(net.reservoir.state_of(&id(&i1)), TransactionState::Pending);
    let counts = net.reservoir.counts();
    assert_eq!((counts.pending, counts.verified), (2, 0));
    // The submission tells what to prove: two items, 5 % off.
    let submitted = net.reservoir.store_issues(&net.view(), &both, net.now()).unwrap();
    assert!(submitted.duplicate);
    let (difficulty, _) = submitted.proof.unwrap();
    assert_eq!(difficulty.value(), 2.0 * 256.0 * 0.95);
    assert_eq!(difficulty, proof::scaled_difficulty(2, true));
    assert!(submitted.payments.is_empty());
    // A resubmission, or an overlapping group, is refused.
    assert_eq!(net.rejected(ItemKind::Issues, &both).await, "transaction already exists");
    let overlap = concat(&[&i1, &issue(&user(3), "A", 0)]);
    assert_eq!(net.rejected(ItemKind::Issues, &overlap).await, "transaction already exists");
}

#[tokio::test]
async fn paid_issues_of_a_confirmed_asset_owe_the_fee_per_issue() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    net.confirm(&[asset(&alice, "A")]).await;
    let issues: Vec<Vec<u8>> = (1..=3).map(|n| issue(&alice, "A", n)).collect();
    let packed = issues.concat();
    let submitted = net.reservoir.store_issues(&net.view(), &packed, net.now()).unwrap();
    assert!(!submitted.duplicate && !submitted.verified && submitted.proof.is_none());
    let refs: Vec<&[u8]> = issues.iter().map(Vec::as_slice).collect();
    assert_eq!(submitted.pay_id, pay_id(&refs));
    assert_eq!(
        submitted.payments,
        vec![
            vec![Payment {
                currency: Currency::Bitcoin,
                address: DEV_BITCOIN_ADDRESS.into(),
                amount: 3 * 10_000
            }],
            vec![Payment {
                currency: Currency::Litecoin,
                address: DEV_LITECOIN_ADDRESS.into(),
                amount: 3 * 100_000
            }],
        ]
    );
    assert_eq!(net.rejected(ItemKind::Issues, &packed).await, "transaction already exists");
}

#[tokio::test]
async fn invalid_issues_are_rejected_with_bitmarkds_texts() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    assert_eq!(
        net.rejected(ItemKind::Issues, &issue(&alice, "nowhere", 1)).await,
        "asset not found"
    );
    assert_eq!(
        net.rejected(ItemKind::Issues, &issue(&alice, "nowhere", 0)).await,
        "asset not found"
    );
    let a = asset(&alice, "A");
    assert_eq!(net.rejected(ItemKind::Issues, &a).await, "transaction is not an issue");
    net.confirm(&[a.clone(), asset(&alice, "B")]).await;
    let two_assets = concat(&[&issue(&alice, "A", 1), &issue(&alice, "B", 1)]);
    assert_eq!(net.rejected(ItemKind::Issues, &two_assets).await, "asset not found");
    let many: Vec<u8> = (1..=101).flat_map(|n| issue(&alice, "A", n)).collect();
    assert_eq!(net.rejected(ItemKind::Issues, &many).await, "too many items to process");
    let hundred: Vec<u8> = (1..=100).flat_map(|n| issue(&alice, "A", n)).collect();
    assert_eq!(net.submit(ItemKind::Issues, &[&hundred]).await.unwrap(), Outcome::Relay);
    let live = live_user(9);
    let wrong = issue(&live, "A", 1);
    assert_eq!(net.rejected(ItemKind::Issues, &wrong).await, "wrong network for public key");
    assert_eq!(net.rejected(ItemKind::Issues, &[]).await, "missing parameters");
}

#[tokio::test]
async fn confirmed_issues_already_exist() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    let a = asset(&alice, "A");
    let i = issue(&alice, "A", 5);
    net.confirm(&[a, i.clone()]).await;
    assert_eq!(net.rejected(ItemKind::Issues, &i).await, "transaction already exists");
}

#[tokio::test]
async fn an_rpc_submission_relays_only_its_first_frame() {
    let mut net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    net.confirm(&[asset(&alice, "A")]).await;
    let i = issue(&alice, "A", 1);
    let outcome = net.submit(ItemKind::Issues, &[&i, &[0]]).await.unwrap();
    assert_eq!(outcome, Outcome::Accepted);
    let sent = net.broadcasts();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].kind.clone(), sent[0].params.len()), (ItemKind::Issues, 1));
    assert_eq!(&sent[0].params[0][..], &i[..]);
}

#[tokio::test]
async fn the_pool_is_bounded() {
    let net = Net::new(ReservoirConfig { max_pending: 3, ..Default::default() });
    let alice = user(1);
    net.confirm(&[asset(&alice, "A")]).await;
    let two = concat(&[&issue(&alice, "A", 1), &issue(&alice, "A", 2)]);
    net.submit(ItemKind::Issues, &[&two]).await.unwrap();
    let more = concat(&[&issue(&alice, "A", 3), &issue(&alice, "A", 4)]);
    assert_eq!(net.rejected(ItemKind::Issues, &more).await, "buffer capacity limit");
    net.submit(ItemKind::Issues, &[&issue(&alice, "A", 3)]).await.unwrap();
}
