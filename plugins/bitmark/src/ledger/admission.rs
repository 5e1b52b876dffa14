//! Phase one of storing a block: bitmarkd's per-transaction validation loop
//! (`block/store.go`), against the state *before* the block.
//!
//! Each record is unpacked (testnet flag = chain ≠ `bitmark`), re-packed with the right
//! signer to verify its signatures, and checked against the confirmed ledger: duplicates,
//! asset existence, ownership of the linked record, share balances. Assets registered
//! earlier in the same block count as existing (bitmarkd's `localAssets`); everything else
//! must be confirmed before the block. Version 1 blocks skip the duplicate checks, as
//! bitmarkd does "to overcome problem in V1 header blocks".

use std::collections::HashSet;

use peerd_api::{ChainError, StoreError};

use super::columns::{self, ASSETS, BLOCK_OWNER_TXS, TXS};
use super::ownership::{self, OwnedItem};
use super::staging::Staging;
use crate::account::Account;
use crate::transaction::{AssetId, Link, Transaction};
use crate::Fault;

/// One validated transaction of a block.
pub(super) struct Item {
    /// Its id (SHA3-256 of its bytes as received).
    pub id: Link,
    /// Its bytes as received.
    pub packed: Vec<u8>,
    /// The record.
    pub tx: Transaction,
    /// Owner of the linked record (transfers, shares, block-owner transfers).
    pub link_owner: Option<Account>,
    /// Number of the block whose ownership a block-owner transfer moves.
    pub owned_block: u64,
}

/// Unpacks and validates every transaction of a block; checks the count and that no
/// bytes follow the last record.
pub(super) fn validate_all(
    st: &Staging<'_>,
    data: &[u8],
    count: u16,
    testnet: bool,
    suppress_duplicates: bool,
) -> Result<Vec<Item>, ChainError> {
    let mut items = Vec::with_capacity(usize::from(count));
    let mut local_assets = HashSet::new();
    let mut rest = data;
    for i in 0..count {
        let (tx, used) = Transaction::unpack(rest, testnet)?;
        let packed = rest.get(..used).ok_or(Fault::NotTransactionPack)?.to_vec();
        let id = Link::of(&packed);
        let item =
            validate_one(st, tx, id, packed, testnet, suppress_duplicates, &mut local_assets)?;
        items.push(item);
        rest = &rest[used..];
        if i + 1 == count && !rest.is_empty() {
            return Err(Fault::TransactionCountOutOfRange.into());
        }
    }
    Ok(items)
}

fn validate_one(
    st: &Staging<'_>,
    tx: Transaction,
    id: Link,
    packed: Vec<u8>,
    testnet: bool,
    suppress_duplicates: bool,
    local_assets: &mut HashSet<AssetId>,
) -> Result<Item, ChainError> {
    let mut link_owner = None;
    let mut owned_block = 0;
    match &tx {
        Transaction::BaseData(r) => {
            tx.pack(&r.owner)?;
        }
        Transaction::BlockFoundation(r) => {
            tx.pack(&r.owner)?;
        }
        Transaction::AssetData(r) => {
            tx.pack(&r.registrant)?;
            let asset_id = AssetId::of_fingerprint(r.fingerprint.as_bytes());
            if !suppress_duplicates && st.base_has(ASSETS, asset_id.as_bytes())? {
                return Err(Fault::TransactionAlreadyExists.into());
            }
            local_assets.insert(asset_id);
        }
        Transaction::BitmarkIssue(r) => {
            tx.pack(&r.owner)?;
            if !suppress_duplicates && st.base_has(TXS, id.as_bytes())? {
                return Err(Fault::TransactionAlreadyExists.into());
            }
            if !local_assets.contains(&r.asset_id) && !st.base_has(ASSETS, r.asset_id.as_bytes())? {
                return Err(Fault::AssetNotFound.into());
            }
        }
        Transaction::BitmarkTransferUnratified(_)
        | Transaction::BitmarkTransferCountersigned(_) => {
            let link = transfer_link(&tx);
            let (_, owner) = owner_of(st, &link, testnet)?
                .ok_or(Fault::LinkToInvalidOrUnconfirmedTransaction)?;
            tx.pack(&owner)?;
            let data = head_data(st, &owner, &link)?.ok_or(Fault::DoubleTransferAttempt)?;
            if data.item == OwnedItem::Share {
                return Err(Fault::CannotConvertSharesBackToAssets.into());
            }
            link_owner = Some(owner);
        }
        Transaction::BlockOwnerTransfer(r) => {
            // bitmarkd packs with a nil owner first, which fails with this text.
            let (_, owner) =
                owner_of(st, &r.link, testnet)?.ok_or(Fault::InvalidOwnerOrRegistrant)?;
            tx.pack(&owner)?;
            if head_data(st, &owner, &r.link)?.is_none() {
                return Err(Fault::DoubleTransferAttempt.into());
            }
            let number = st.base(BLOCK_OWNER_TXS, r.link.as_bytes())?;
            owned_block = number
                .and_then(|n| columns::read_be64(&n))
                .ok_or(Fault::LinkToInvalidOrUnconfirmedTransaction)?;
            link_owner = Some(owner);
        }
        Transaction::BitmarkShare(r) => {
            let (_, owner) = owner_of(st, &r.link, testnet)?
                .ok_or(Fault::LinkToInvalidOrUnconfirmedTransaction)?;
            tx.pack(&owner)?;
            let data = base_owner_data(st, &r.link)?.ok_or(Fault::DoubleTransferAttempt)?;
            if data.item != OwnedItem::Asset {
                return Err(Fault::CanOnlyConvertAssetsToShares.into());
            }
            link_owner = Some(owner);
        }
        Transaction::ShareGrant(r) => {
            tx.pack(&r.owner)?;
            check_balance(st, &r.share_id, &r.owner, r.quantity)?;
        }
        Transaction::ShareSwap(r) => {
            tx.pack(&r.owner_one)?;
            check_balance(st, &r.share_id_one, &r.owner_one, r.quantity_one)?;
            check_balance(st, &r.share_id_two, &r.owner_two, r.quantity_two)?;
        }
    }
    Ok(Item { id, packed, tx, link_owner, owned_block })
}

/// The link of a bitmark transfer.
pub(super) fn transfer_link(tx: &Transaction) -> Link {
    match tx {
        Transaction::BitmarkTransferUnratified(r) => r.link,
        Transaction::BitmarkTransferCountersigned(r) => r.link,
        Transaction::BlockOwnerTransfer(r) => r.link,
        Transaction::BitmarkShare(r) => r.link,
        _ => Link::default(),
    }
}

/// bitmarkd's `OwnerOf` on the confirmed state: the block and owner of a confirmed
/// issue, transfer, foundation or block-owner transfer; `None` for anything else
/// (bitmarkd panics on a link to another kind; peerd treats it as an invalid link).
fn owner_of(
    st: &Staging<'_>,
    link: &Link,
    testnet: bool,
) -> Result<Option<(u64, Account)>, ChainError> {
    let Some(value) = st.base(TXS, link.as_bytes())? else {
        return Ok(None);
    };
    let (number, packed) = columns::split_numbered(&value).ok_or_else(|| corrupt_tx(link))?;
    let (tx, _) = Transaction::unpack(packed, testnet).map_err(|_| corrupt_tx(link))?;
    let owner = match tx {
        Transaction::BitmarkIssue(r) => r.owner,
        Transaction::BitmarkTransferUnratified(r) => r.owner,
        Transaction::BitmarkTransferCountersigned(r) => r.owner,
        Transaction::BlockFoundation(r) => r.owner,
        Transaction::BlockOwnerTransfer(r) => r.owner,
        _ => return Ok(None),
    };
    Ok(Some((number, owner)))
}

fn corrupt_tx(link: &Link) -> ChainError {
    ChainError::Store(StoreError::CorruptValue {
        column: TXS.name(),
        reason: format!("record {link}"),
    })
}

/// The confirmed owner data of `link` if `owner` currently owns it (bitmarkd's
/// `CurrentlyOwns` followed by `GetOwnerData`).
fn head_data(
    st: &Staging<'_>,
    owner: &Account,
    link: &Link,
) -> Result<Option<ownership::OwnerData>, ChainError> {
    if !st.base_has(
        columns::OWNER_INDEX,
        &columns::owner_index_key(&owner.to_bytes(), link.as_bytes()),
    )? {
        return Ok(None);
    }
    base_owner_data(st, link)
}

fn base_owner_data(
    st: &Staging<'_>,
    link: &Link,
) -> Result<Option<ownership::OwnerData>, ChainError> {
    match st.base(columns::OWNER_DATA, link.as_bytes())? {
        None => Ok(None),
        Some(v) => ownership::OwnerData::unpack(&v).map(Some).ok_or_else(|| {
            ChainError::Store(StoreError::CorruptValue {
                column: columns::OWNER_DATA.name(),
                reason: format!("owner data of {link}"),
            })
        }),
    }
}

/// bitmarkd's `CheckGrantBalance` on the confirmed state.
fn check_balance(
    st: &Staging<'_>,
    share_id: &Link,
    owner: &Account,
    quantity: u64,
) -> Result<(), ChainError> {
    if quantity == 0 {
        return Err(Fault::ShareQuantityTooSmall.into());
    }
    let key = columns::share_balance_key(share_id.as_bytes(), &owner.to_bytes());
    match st.base(columns::SHARE_BALANCES, &key)?.and_then(|v| columns::read_be64(&v)) {
        Some(balance) if balance >= quantity => Ok(()),
        _ => Err(Fault::InsufficientShares.into()),
    }
}
