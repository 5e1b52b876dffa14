//! The `transfer` handler.

#![allow(clippy::unwrap_used)]

use crate::support;
use peerd_api::{ItemKind, Outcome};
use peerd_bitmark::currency::Currency;
use peerd_bitmark::producer::DEV_BITCOIN_ADDRESS;
use peerd_reservoir::{Payment, ReservoirConfig, TransactionState};
use support::*;

/// A net with alice's confirmed issue of asset A; returns the issue.
async fn with_issue(net: &Net) -> Vec<u8> {
    let alice = user(1);
    let i = issue(&alice, "A", 1);
    net.confirm(&[asset(&alice, "A"), i.clone()]).await;
    i
}

#[tokio::test]
async fn a_transfer_of_a_confirmed_bitmark_waits_for_payment() {
    let net = Net::new(ReservoirConfig::default());
    let i = with_issue(&net).await;
    let t = transfer(&user(1), id(&i), &user(2));
    assert_eq!(net.submit(ItemKind::Transfer, &[&t]).await.unwrap(), Outcome::Relay);
    assert_eq!(net.reservoir.state_of(&id(&t)), TransactionState::Pending);
    let submitted = net.reservoir.store_transfer(&net.view(), &t, net.now()).unwrap();
    assert!(submitted.duplicate);
    assert_eq!(submitted.pay_id, pay_id(&[&t]));
    // No transfer yet: the issue block's owner is paid twice (merged: same address).
    assert_eq!(
        submitted.payments[0],
        vec![Payment {
            currency: Currency::Bitcoin,
            address: DEV_BITCOIN_ADDRESS.into(),
            amount: 20_000
        }]
    );
    assert_eq!(submitted.payments.len(), 2);
    assert_eq!(net.rejected(ItemKind::Transfer, &t).await, "transaction already exists");
}

#[tokio::test]
async fn invalid_transfers_are_rejected_with_bitmarkds_texts() {
    let net = Net::new(ReservoirConfig::default());
    let i = with_issue(&net).await;
    let (alice, bob, carol) = (user(1), user(2), user(3));
    // The link must be a confirmed issue or transfer.
    let unconfirmed = issue(&alice, "A", 99);
    let t = transfer(&alice, id(&unconfirmed), &bob);
    assert_eq!(
        net.rejected(ItemKind::Transfer, &t).await,
        "link to invalid or unconfirmed transaction"
    );
    // An asset record is not a transaction a transfer can follow.
    let t = transfer(&alice, id(&asset(&alice, "A")), &bob);
    assert_eq!(
        net.rejected(ItemKind::Transfer, &t).await,
        "link to invalid or unconfirmed transaction"
    );
    // Only the owner signs a transfer.
    let t = transfer(&bob, id(&i), &carol);
    assert_eq!(net.rejected(ItemKind::Transfer, &t).await, "invalid signature");
    // One pending transfer per link.
    let first = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&first]).await.unwrap();
    let second = transfer(&alice, id(&i), &carol);
    assert_eq!(net.rejected(ItemKind::Transfer, &second).await, "double transfer attempt");
    // Not a transfer at all.
    assert_eq!(net.rejected(ItemKind::Transfer, &i).await, "transaction is not a transfer");
    assert_eq!(net.rejected(ItemKind::Transfer, &[]).await, "missing parameters");
}

#[tokio::test]
async fn transfers_of_spent_links_are_refused() {
    let net = Net::new(ReservoirConfig::default());
    let i = with_issue(&net).await;
    let (alice, bob, carol) = (user(1), user(2), user(3));
    let t = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&t]).await.unwrap();
    net.confirm(std::slice::from_ref(&t)).await;
    assert_eq!(
        net.reservoir.state_of(&id(&t)),
        TransactionState::Unknown,
        "confirmed: left the pool"
    );
    // The confirmed transfer itself: already exists.
    assert_eq!(net.rejected(ItemKind::Transfer, &t).await, "transaction already exists");
    // Another transfer of the spent link: alice no longer owns it.
    let again = transfer(&alice, id(&i), &carol);
    assert_eq!(net.rejected(ItemKind::Transfer, &again).await, "double transfer attempt");
    // Bob may pass it on; the payment now includes the transfer block's owner.
    let onward = transfer(&bob, id(&t), &carol);
    let submitted = net.reservoir.store_transfer(&net.view(), &onward, net.now()).unwrap();
    assert!(!submitted.duplicate);
    assert_eq!(submitted.payments[0][0].amount, 20_000, "issue and transfer owner merged");
}

#[tokio::test]
async fn grants_are_limited_by_the_confirmed_balance() {
    let net = Net::new(ReservoirConfig { auto_verify: true, ..Default::default() });
    let i = with_issue(&net).await;
    let (alice, bob) = (user(1), user(2));
    let share = {
        let tx = peerd_bitmark::transaction::BitmarkShare {
            link: id(&i),
            quantity: 10,
            signature: Default::default(),
        };
        signed(tx.into(), &alice)
    };
    net.confirm(std::slice::from_ref(&share)).await;
    let g1 = grant(&alice, id(&i), 6, &bob);
    assert_eq!(net.submit(ItemKind::Transfer, &[&g1]).await.unwrap(), Outcome::Relay);
    assert_eq!(net.reservoir.state_of(&id(&g1)), TransactionState::Verified, "auto-verified");
    // 6 of 10 are spent by the held grant.
    let g2 = grant(&alice, id(&i), 5, &bob);
    assert_eq!(net.rejected(ItemKind::Transfer, &g2).await, "insufficient shares");
    let g3 = grant(&alice, id(&i), 4, &bob);
    net.submit(ItemKind::Transfer, &[&g3]).await.unwrap();
}
