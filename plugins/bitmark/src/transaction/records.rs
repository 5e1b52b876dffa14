//! The ten record kinds of bitmarkd (`transactionrecord/transaction.go`), field order
//! as packed.

use serde::Serialize;

use super::{AssetId, Link, Text};
use crate::account::{Account, Signature};
use crate::currency::{Currency, CurrencyMap};

/// An optional escrow payment of a transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// The currency (bitmarkd's decoder also accepts `Nothing` here).
    pub currency: Currency,
    /// The payment address.
    pub address: Text,
    /// Amount in the currency's smallest unit.
    pub amount: u64,
}

/// Tag 1, obsolete block-owner record (still found in old blocks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaseData {
    /// Payment currency.
    pub currency: Currency,
    /// Payment address (validated when packing, not when unpacking).
    pub payment_address: Text,
    /// Block owner; signs the record.
    pub owner: Account,
    /// Nonce.
    pub nonce: u64,
    /// Signature by the owner.
    pub signature: Signature,
}

/// Tag 2, an asset registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssetData {
    /// Name, at most 64 runes (may be empty).
    pub name: Text,
    /// Fingerprint, 1…1024 runes; the asset id is its SHA3-512.
    pub fingerprint: Text,
    /// Metadata, at most 2048 runes: `key NUL value [NUL key NUL value …]`, no empty part.
    pub metadata: Text,
    /// Registrant; signs the record.
    pub registrant: Account,
    /// Signature by the registrant.
    pub signature: Signature,
}

/// Tag 3, issue of a bitmark of an asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BitmarkIssue {
    /// The asset.
    pub asset_id: AssetId,
    /// The first owner; signs the record.
    pub owner: Account,
    /// Nonce, to allow several issues of one asset.
    pub nonce: u64,
    /// Signature by the owner.
    pub signature: Signature,
}

/// Tag 4, a transfer signed by the current owner only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BitmarkTransferUnratified {
    /// Id of the previous record of the bitmark (issue or transfer).
    pub link: Link,
    /// Optional escrow payment.
    pub escrow: Option<Payment>,
    /// The new owner (may be the zero account: the bitmark is destroyed).
    pub owner: Account,
    /// Signature by the current (previous) owner.
    pub signature: Signature,
}

/// Tag 5, a transfer countersigned by the new owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BitmarkTransferCountersigned {
    /// Id of the previous record of the bitmark.
    pub link: Link,
    /// Optional escrow payment.
    pub escrow: Option<Payment>,
    /// The new owner; countersigns.
    pub owner: Account,
    /// Signature by the current (previous) owner.
    pub signature: Signature,
    /// Countersignature by the new owner, over everything before it.
    pub countersignature: Signature,
}

/// Tag 6, the first record of every block: its owner and payment addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockFoundation {
    /// Payment version (1: Bitcoin and Litecoin).
    pub version: u64,
    /// Payment addresses.
    pub payments: CurrencyMap,
    /// Block owner; signs the record.
    pub owner: Account,
    /// Nonce.
    pub nonce: u64,
    /// Signature by the owner.
    pub signature: Signature,
}

/// Tag 7, transfer of a block's ownership.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockOwnerTransfer {
    /// Id of the previous owner record (foundation or block-owner transfer).
    pub link: Link,
    /// Optional escrow payment.
    pub escrow: Option<Payment>,
    /// Payment version (1: Bitcoin and Litecoin).
    pub version: u64,
    /// The new owner's payment addresses.
    pub payments: CurrencyMap,
    /// The new owner; countersigns.
    pub owner: Account,
    /// Signature by the current (previous) owner.
    pub signature: Signature,
    /// Countersignature by the new owner.
    pub countersignature: Signature,
}

/// Tag 8, turns a bitmark into a quantity of fungible shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BitmarkShare {
    /// Id of the bitmark's last record.
    pub link: Link,
    /// Number of shares created (≥ 1).
    pub quantity: u64,
    /// Signature by the bitmark's current owner.
    pub signature: Signature,
}

/// Tag 9, a one-way grant of shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareGrant {
    /// The share (id of its share record's bitmark issue).
    pub share_id: Link,
    /// Shares granted (≥ 1).
    pub quantity: u64,
    /// Owner of the shares; signs.
    pub owner: Account,
    /// Recipient; countersigns.
    pub recipient: Account,
    /// Expires when the chain height exceeds this block.
    pub before_block: u64,
    /// Signature by the owner.
    pub signature: Signature,
    /// Countersignature by the recipient.
    pub countersignature: Signature,
}

/// Tag 10, an atomic swap of two shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareSwap {
    /// First share.
    pub share_id_one: Link,
    /// Quantity of the first share (≥ 1).
    pub quantity_one: u64,
    /// Owner of the first share; signs.
    pub owner_one: Account,
    /// Second share (must differ from the first).
    pub share_id_two: Link,
    /// Quantity of the second share (≥ 1).
    pub quantity_two: u64,
    /// Owner of the second share; countersigns.
    pub owner_two: Account,
    /// Expires when the chain height exceeds this block.
    pub before_block: u64,
    /// Signature by owner one.
    pub signature: Signature,
    /// Countersignature by owner two.
    pub countersignature: Signature,
}
