//! Phase two of storing a block: the effects of each record kind on the ledger
//! (`block/store.go` after validation), staged into the block's batch.
//!
//! Where bitmarkd would panic or silently corrupt its pools on a block it accepted (two
//! transfers of the same bitmark in one block, two grants overdrawing one balance, a
//! foundation record after the first transaction), the block is rejected instead; the
//! checks here see the block's own earlier effects.

use peerd_api::{ChainError, Digest};

use super::admission::{transfer_link, Item};
use super::columns::{self, ASSETS, BLOCK_OWNER_TXS, BLOCK_PAYMENTS, TXS};
use super::ownership::{self, OwnedItem, OwnerData};
use super::staging::Staging;
use crate::account::Account;
use crate::currency::{self, Currency, CurrencyMap};
use crate::transaction::{AssetId, Link, Transaction};
use crate::Fault;

/// The block's owner record(s): the first transaction (a BlockFoundation, or one or two
/// obsolete BaseData records).
pub(super) struct Foundation {
    /// The block owner.
    pub owner: Account,
    /// The owner's packed payment map.
    pub payments: Vec<u8>,
    /// The foundation record bytes (both BaseData records concatenated when there are two).
    pub packed: Vec<u8>,
    /// Index of the first ordinary transaction.
    pub start: usize,
}

/// bitmarkd's "ensure the first transaction is base or owner" (`missing block owner`).
pub(super) fn foundation(items: &[Item], testnet: bool) -> Result<Foundation, ChainError> {
    let first = items.first().ok_or(Fault::MissingBlockOwner)?;
    match &first.tx {
        Transaction::BlockFoundation(r) => Ok(Foundation {
            owner: r.owner,
            payments: currency::pack_map(&r.payments, testnet)?,
            packed: first.packed.clone(),
            start: 1,
        }),
        Transaction::BaseData(r) => {
            let address = text(r.payment_address.as_bytes());
            r.currency.validate_address(address.as_bytes(), testnet)?;
            let mut map = CurrencyMap::new();
            map.insert(r.currency, address.clone());
            let (packed, start) = match items.get(1).map(|i| &i.tx) {
                Some(Transaction::BaseData(second)) => {
                    map.insert(second.currency, text(second.payment_address.as_bytes()));
                    ([first.packed.as_slice(), &items[1].packed].concat(), 2)
                }
                _ => {
                    // A single base record pays Litecoin to the same key (an invalid
                    // conversion leaves an empty address, which fails to pack below).
                    map.insert(
                        Currency::Litecoin,
                        litecoin_from_bitcoin(&address).unwrap_or_default(),
                    );
                    (first.packed.clone(), 1)
                }
            };
            let payments = currency::pack_map(&map, testnet)?;
            Ok(Foundation { owner: r.owner, payments, packed, start })
        }
        _ => Err(Fault::MissingBlockOwner.into()),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// bitmarkd's `litecoin.FromBitcoin`: the Litecoin address with the same hash160.
fn litecoin_from_bitcoin(address: &str) -> Option<String> {
    use sha2::{Digest as _, Sha256};
    let info = currency::validate_bitcoin(address.as_bytes()).ok()?;
    let version = match info.version {
        0 => 48,
        5 => 5,
        111 => 111,
        196 => 196,
        _ => return None,
    };
    let mut bytes = Vec::with_capacity(25);
    bytes.push(version);
    bytes.extend_from_slice(&info.hash160);
    let check = Sha256::digest(Sha256::digest(&bytes));
    bytes.extend_from_slice(&check[..4]);
    Some(crate::base58::encode(&bytes))
}

/// Stages the effects of the ordinary transactions of block `number`.
pub(super) fn apply_items(
    st: &mut Staging<'_>,
    items: &[Item],
    number: u64,
    testnet: bool,
) -> Result<(), ChainError> {
    for item in items {
        let id = item.id.as_bytes();
        let record = || columns::numbered(number, &item.packed);
        match &item.tx {
            Transaction::BaseData(_) | Transaction::BlockFoundation(_) => {
                // bitmarkd panics on an owner record after the first position.
                return Err(Fault::MissingBlockOwner.into());
            }
            Transaction::AssetData(r) => {
                let asset_id = AssetId::of_fingerprint(r.fingerprint.as_bytes());
                if !st.has(ASSETS, asset_id.as_bytes())? {
                    st.put(ASSETS, asset_id.as_bytes().to_vec(), record())?;
                }
            }
            Transaction::BitmarkIssue(r) => {
                if !st.has(TXS, id)? {
                    st.put(TXS, id.to_vec(), record())?;
                    let data = OwnerData {
                        item: OwnedItem::Asset,
                        transfer_block: number,
                        issue_tx_id: *id,
                        issue_block: number,
                        asset_id: *r.asset_id.as_bytes(),
                    };
                    ownership::create(st, id, &data, &r.owner.to_bytes())?;
                }
            }
            Transaction::BitmarkTransferUnratified(_)
            | Transaction::BitmarkTransferCountersigned(_) => {
                let (link, owner) = still_owned(st, item)?;
                st.put(TXS, id.to_vec(), record())?;
                ownership::transfer(
                    st,
                    &link,
                    id,
                    number,
                    &owner,
                    &new_owner(&item.tx).to_bytes(),
                )?;
            }
            Transaction::BlockOwnerTransfer(r) => {
                let (link, owner) = still_owned(st, item)?;
                st.put(TXS, id.to_vec(), record())?;
                let owned = columns::number_key(item.owned_block);
                st.put(BLOCK_PAYMENTS, owned.to_vec(), currency::pack_map(&r.payments, testnet)?)?;
                st.put(BLOCK_OWNER_TXS, id.to_vec(), owned.to_vec())?;
                st.delete(BLOCK_OWNER_TXS, link.to_vec())?;
                ownership::transfer(st, &link, id, number, &owner, &r.owner.to_bytes())?;
            }
            Transaction::BitmarkShare(r) => {
                let (link, owner) = still_owned(st, item)?;
                st.put(TXS, id.to_vec(), record())?;
                ownership::share(st, &link, id, number, &owner, r.quantity)?;
            }
            Transaction::ShareGrant(r) => {
                let (owner, recipient) = (r.owner.to_bytes(), r.recipient.to_bytes());
                let share = r.share_id.as_bytes();
                // Both balances are read before either is written, as bitmarkd does.
                let from = ownership::balance(st, share, &owner)?.unwrap_or(0);
                let to = ownership::balance(st, share, &recipient)?.unwrap_or(0);
                let from = from.checked_sub(r.quantity).ok_or(Fault::InsufficientShares)?;
                let to = to.checked_add(r.quantity).ok_or(Fault::InsufficientShares)?;
                ownership::set_balance(st, share, &owner, from)?;
                ownership::set_balance(st, share, &recipient, to)?;
                st.put(TXS, id.to_vec(), record())?;
            }
            Transaction::ShareSwap(r) => {
                swap(st, r)?;
                st.put(TXS, id.to_vec(), record())?;
            }
        }
    }
    Ok(())
}

/// The new owner of a bitmark transfer.
fn new_owner(tx: &Transaction) -> Account {
    match tx {
        Transaction::BitmarkTransferUnratified(r) => r.owner,
        Transaction::BitmarkTransferCountersigned(r) => r.owner,
        Transaction::BlockOwnerTransfer(r) => r.owner,
        // Only called for transfers; a share keeps its owner.
        _ => Account::ed25519([0; 32], false),
    }
}

/// The link and its owner, checking that no earlier record of this block moved it.
fn still_owned(st: &Staging<'_>, item: &Item) -> Result<([u8; 32], Vec<u8>), ChainError> {
    let link = *transfer_link(&item.tx).as_bytes();
    let owner = item.link_owner.ok_or(Fault::LinkToInvalidOrUnconfirmedTransaction)?.to_bytes();
    if !ownership::currently_owns(st, &owner, &link)? {
        return Err(Fault::DoubleTransferAttempt.into());
    }
    Ok((link, owner))
}

/// A share swap: owner one gives quantity one of share one to owner two and receives
/// quantity two of share two (bitmarkd's write order).
fn swap(st: &mut Staging<'_>, r: &crate::transaction::ShareSwap) -> Result<(), ChainError> {
    let (one, two) = (r.owner_one.to_bytes(), r.owner_two.to_bytes());
    let (s1, s2) = (r.share_id_one.as_bytes(), r.share_id_two.as_bytes());
    let one_s1 = ownership::balance(st, s1, &one)?.unwrap_or(0);
    let two_s2 = ownership::balance(st, s2, &two)?.unwrap_or(0);
    let one_s2 = ownership::balance(st, s2, &one)?.unwrap_or(0);
    let two_s1 = ownership::balance(st, s1, &two)?.unwrap_or(0);
    let one_s1 = one_s1.checked_sub(r.quantity_one).ok_or(Fault::InsufficientShares)?;
    let two_s2 = two_s2.checked_sub(r.quantity_two).ok_or(Fault::InsufficientShares)?;
    let two_s1 = two_s1.checked_add(r.quantity_one).ok_or(Fault::InsufficientShares)?;
    let one_s2 = one_s2.checked_add(r.quantity_two).ok_or(Fault::InsufficientShares)?;
    ownership::set_balance(st, s1, &one, one_s1)?;
    ownership::set_balance(st, s1, &two, two_s1)?;
    ownership::set_balance(st, s2, &two, two_s2)?;
    ownership::set_balance(st, s2, &one, one_s2)?;
    Ok(())
}

/// Stages the block's own rows: payments, the foundation record under its foundation id,
/// the block-ownership index and owner data.
pub(super) fn apply_foundation(
    st: &mut Staging<'_>,
    foundation: &Foundation,
    number: u64,
    digest: &Digest,
) -> Result<(), ChainError> {
    let key = columns::number_key(number);
    let id: Link = crate::header::foundation_txid(number, digest).into();
    let id = id.as_bytes();
    st.put(BLOCK_PAYMENTS, key.to_vec(), foundation.payments.clone())?;
    st.put(TXS, id.to_vec(), columns::numbered(number, &foundation.packed))?;
    st.put(BLOCK_OWNER_TXS, id.to_vec(), key.to_vec())?;
    let data = OwnerData {
        item: OwnedItem::Block,
        transfer_block: number,
        issue_tx_id: *id,
        issue_block: number,
        asset_id: [0; 64],
    };
    ownership::create(st, id, &data, &foundation.owner.to_bytes())?;
    Ok(())
}
