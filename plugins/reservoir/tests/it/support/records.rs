//! Keys and signed records for the tests (test network).

use peerd_bitmark::account::{Account, PrivateKey};
use peerd_bitmark::payid::PayId;
use peerd_bitmark::transaction::{
    AssetData, AssetId, BitmarkIssue, BitmarkTransferUnratified, Link, ShareGrant, Transaction,
};

/// A test-network user.
#[derive(Clone)]
pub struct User {
    pub key: PrivateKey,
    pub account: Account,
}

pub fn user(seed: u8) -> User {
    let key = PrivateKey::from_ed25519_seed(&[seed; 32], true);
    let account = key.account().unwrap();
    User { key, account }
}

/// A live-network user (wrong network on dev).
pub fn live_user(seed: u8) -> User {
    let key = PrivateKey::from_ed25519_seed(&[seed; 32], false);
    let account = key.account().unwrap();
    User { key, account }
}

pub fn signed(mut tx: Transaction, signer: &User) -> Vec<u8> {
    tx.sign_and_pack(&signer.key, None).unwrap()
}

pub fn id(packed: &[u8]) -> Link {
    Link::of(packed)
}

pub fn asset_id(fingerprint: &str) -> AssetId {
    AssetId::of_fingerprint(fingerprint.as_bytes())
}

pub fn asset_named(registrant: &User, fingerprint: &str, name: &str) -> Vec<u8> {
    let tx = AssetData {
        name: name.into(),
        fingerprint: fingerprint.into(),
        metadata: "owner\0test".into(),
        registrant: registrant.account,
        signature: Default::default(),
    };
    signed(tx.into(), registrant)
}

pub fn asset(registrant: &User, fingerprint: &str) -> Vec<u8> {
    asset_named(registrant, fingerprint, "test asset")
}

pub fn issue(owner: &User, fingerprint: &str, nonce: u64) -> Vec<u8> {
    let tx = BitmarkIssue {
        asset_id: asset_id(fingerprint),
        owner: owner.account,
        nonce,
        signature: Default::default(),
    };
    signed(tx.into(), owner)
}

pub fn transfer(from: &User, link: Link, to: &User) -> Vec<u8> {
    let tx = BitmarkTransferUnratified {
        link,
        escrow: None,
        owner: to.account,
        signature: Default::default(),
    };
    signed(tx.into(), from)
}

pub fn grant(owner: &User, share_id: Link, quantity: u64, recipient: &User) -> Vec<u8> {
    let mut tx = Transaction::from(ShareGrant {
        share_id,
        quantity,
        owner: owner.account,
        recipient: recipient.account,
        before_block: 1_000_000,
        signature: Default::default(),
        countersignature: Default::default(),
    });
    tx.sign_and_pack(&owner.key, Some(&recipient.key)).unwrap()
}

/// The pay id of records submitted together.
pub fn pay_id(records: &[&[u8]]) -> PayId {
    PayId::new(records)
}

pub fn concat(records: &[&[u8]]) -> Vec<u8> {
    records.concat()
}
