//! The payments seam: `Reservoir::record_payment`, orphans first and payment after.

#![allow(clippy::unwrap_used)]

use crate::support;
use std::collections::BTreeMap;

use peerd_api::ItemKind;
use peerd_bitmark::currency::Currency;
use peerd_bitmark::producer::{DEV_BITCOIN_ADDRESS, DEV_LITECOIN_ADDRESS};
use peerd_reservoir::{PaymentDetail, PaymentOutcome, ReservoirConfig, TransactionState};
use support::*;

fn paid(currency: Currency, address: &str, amount: u64) -> PaymentDetail {
    PaymentDetail {
        currency,
        tx_id: "synthetic".into(),
        amounts: BTreeMap::from([(address.to_owned(), amount)]),
    }
}

#[tokio::test]
async fn a_payment_after_the_transfer_verifies_it() {
    let net = Net::new(ReservoirConfig::default());
    let (alice, bob) = (user(1), user(2));
    let i = issue(&alice, "A", 1);
    net.confirm(&[asset(&alice, "A"), i.clone()]).await;
    let t = transfer(&alice, id(&i), &bob);
    net.submit(ItemKind::Transfer, &[&t]).await.unwrap();
    let pay = pay_id(&[&t]);
    let now = net.now();
    // Too little, or to the wrong address: kept as an orphan, the transfer still waits.
    let short = paid(Currency::Bitcoin, DEV_BITCOIN_ADDRESS, 19_999);
    assert_eq!(net.reservoir.record_payment(pay, short, now), PaymentOutcome::Orphaned);
    let elsewhere = paid(Currency::Litecoin, DEV_BITCOIN_ADDRESS, 1_000_000);
    assert_eq!(net.reservoir.record_payment(pay, elsewhere, now), PaymentOutcome::Orphaned);
    assert_eq!(net.reservoir.state_of(&id(&t)), TransactionState::Pending);
    let enough = paid(Currency::Litecoin, DEV_LITECOIN_ADDRESS, 200_000);
    assert_eq!(
        net.reservoir.record_payment(pay, enough.clone(), now),
        PaymentOutcome::Verified { transactions: 1 }
    );
    assert_eq!(net.reservoir.state_of(&id(&t)), TransactionState::Verified);
    // Paying again changes nothing for the verified group.
    assert_eq!(net.reservoir.record_payment(pay, enough, now), PaymentOutcome::Orphaned);
    assert_eq!(net.reservoir.ready(10), vec![bytes::Bytes::from(t)]);
}

#[tokio::test]
async fn an_orphan_payment_verifies_issues_submitted_later() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    net.confirm(&[asset(&alice, "A")]).await;
    let issues = [issue(&alice, "A", 1), issue(&alice, "A", 2)];
    let pay = pay_id(&[&issues[0], &issues[1]]);
    let payment = paid(Currency::Bitcoin, DEV_BITCOIN_ADDRESS, 20_000);
    assert_eq!(net.reservoir.record_payment(pay, payment, net.now()), PaymentOutcome::Orphaned);
    assert_eq!(net.reservoir.counts().orphans, 1);
    let submitted = net.reservoir.store_issues(&net.view(), &issues.concat(), net.now()).unwrap();
    assert!(submitted.verified);
    assert_eq!(net.reservoir.state_of(&id(&issues[1])), TransactionState::Verified);
    assert_eq!(net.reservoir.counts().orphans, 0, "the orphan was used");
}

#[tokio::test]
async fn an_insufficient_orphan_leaves_the_issues_waiting() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    net.confirm(&[asset(&alice, "A")]).await;
    let issues = [issue(&alice, "A", 1), issue(&alice, "A", 2)];
    let pay = pay_id(&[&issues[0], &issues[1]]);
    let payment = paid(Currency::Bitcoin, DEV_BITCOIN_ADDRESS, 10_000); // one fee for two
    net.reservoir.record_payment(pay, payment, net.now());
    let submitted = net.reservoir.store_issues(&net.view(), &issues.concat(), net.now()).unwrap();
    assert!(!submitted.verified);
    assert_eq!(net.reservoir.state_of(&id(&issues[0])), TransactionState::Pending);
}

#[tokio::test]
async fn orphans_are_bounded_and_expire() {
    let net = Net::new(ReservoirConfig { max_orphans: 1, ..Default::default() });
    let payment = paid(Currency::Bitcoin, DEV_BITCOIN_ADDRESS, 1);
    let now = net.now();
    let (one, two) = (pay_id(&[b"one"]), pay_id(&[b"two"]));
    assert_eq!(net.reservoir.record_payment(one, payment.clone(), now), PaymentOutcome::Orphaned);
    assert_eq!(net.reservoir.record_payment(two, payment, now), PaymentOutcome::Dropped);
    let expiry = net.reservoir.config().expiry_seconds;
    assert_eq!(net.reservoir.expire(now + expiry - 1).orphans, 0);
    assert_eq!(net.reservoir.expire(now + expiry).orphans, 1);
}
