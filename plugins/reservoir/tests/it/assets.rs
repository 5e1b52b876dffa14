//! The `assets` handler.

#![allow(clippy::unwrap_used)]

use crate::support;
use peerd_api::{ItemKind, Outcome};
use peerd_reservoir::ReservoirConfig;
use support::*;

#[tokio::test]
async fn new_assets_are_cached_and_relayed_once() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    let (a, b) = (asset(&alice, "A"), asset(&alice, "B"));
    let both = concat(&[&a, &b]);
    assert_eq!(net.submit(ItemKind::Assets, &[&both]).await.unwrap(), Outcome::Relay);
    assert_eq!(net.reservoir.counts().assets, 2);
    // Nothing new: the same records again, or only old ones.
    assert_eq!(net.rejected(ItemKind::Assets, &both).await, "no new transactions");
    assert_eq!(net.rejected(ItemKind::Assets, &a).await, "no new transactions");
    // One new among old ones is enough.
    let c = asset(&alice, "C");
    let mixed = concat(&[&a, &c]);
    assert_eq!(net.submit(ItemKind::Assets, &[&mixed]).await.unwrap(), Outcome::Relay);
    assert_eq!(net.reservoir.counts().assets, 3);
}

#[tokio::test]
async fn invalid_assets_are_rejected_with_bitmarkds_texts() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    let a = asset(&alice, "A");
    let not_asset = concat(&[&a, &issue(&alice, "A", 1)]);
    assert_eq!(net.rejected(ItemKind::Assets, &not_asset).await, "transaction is not an asset");
    // Same fingerprint, different name: another registration of a cached asset.
    let other = asset_named(&alice, "A", "another name");
    assert_eq!(net.rejected(ItemKind::Assets, &other).await, "assets already registered");
    // A record signed by someone else.
    let mut forged = asset(&alice, "F");
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(net.rejected(ItemKind::Assets, &forged).await, "invalid signature");
    assert_eq!(net.rejected(ItemKind::Assets, &[0x02, 0x05, b'x']).await, "not transaction pack");
    assert_eq!(net.rejected(ItemKind::Assets, &[]).await, "missing parameters");
    match net.submit(ItemKind::Assets, &[]).await {
        Err(peerd_api::HandlerError::Rejected(text)) => assert_eq!(text, "missing parameters"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn confirmed_assets_are_not_new() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    let a = asset(&alice, "A");
    net.submit(ItemKind::Assets, &[&a]).await.unwrap();
    net.confirm(std::slice::from_ref(&a)).await;
    assert_eq!(net.reservoir.counts().assets, 0, "the block took it out of the cache");
    assert_eq!(net.rejected(ItemKind::Assets, &a).await, "no new transactions");
}

#[tokio::test(start_paused = true)]
async fn cached_assets_expire_and_an_identical_record_extends_them() {
    let config = ReservoirConfig::default();
    let net = Net::new(config.clone());
    let alice = user(1);
    let (a, b) = (asset(&alice, "A"), asset(&alice, "B"));
    net.submit(ItemKind::Assets, &[&a]).await.unwrap();
    net.submit(ItemKind::Assets, &[&b]).await.unwrap();
    let half = config.asset_expiry_seconds / 2;
    let start = net.now();
    // Halfway, A is seen again (not new) and lives a full period from now.
    tokio::time::advance(std::time::Duration::from_secs(half)).await;
    assert_eq!(net.rejected(ItemKind::Assets, &a).await, "no new transactions");
    net.reservoir.expire(start + config.asset_expiry_seconds - 1);
    assert_eq!(net.reservoir.counts().assets, 2);
    net.reservoir.expire(start + config.asset_expiry_seconds);
    assert_eq!(net.reservoir.counts().assets, 1, "B expired, A was extended");
    net.reservoir.expire(start + half + config.asset_expiry_seconds);
    assert_eq!(net.reservoir.counts().assets, 0);
    // Expired means forgotten: A is new again.
    assert_eq!(net.submit(ItemKind::Assets, &[&a]).await.unwrap(), Outcome::Relay);
}

#[tokio::test]
async fn the_asset_cache_is_bounded() {
    let net = Net::new(ReservoirConfig { max_assets: 2, ..Default::default() });
    let alice = user(1);
    net.submit(ItemKind::Assets, &[&asset(&alice, "A")]).await.unwrap();
    net.submit(ItemKind::Assets, &[&asset(&alice, "B")]).await.unwrap();
    assert_eq!(net.rejected(ItemKind::Assets, &asset(&alice, "C")).await, "buffer capacity limit");
}
