//! Read-only queries over the ledger columns.

use std::collections::BTreeMap;

use peerd_api::{Digest, KeyRange, Store, StoreError};

use super::columns::{self, *};
use super::ownership::OwnerData;

/// A column's rows in key order.
pub type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// The packed block `number`, if stored.
pub fn block(store: &dyn Store, number: u64) -> Result<Option<Vec<u8>>, StoreError> {
    store.get(BLOCKS, &number_key(number))
}

/// The stored digest of block `number`.
pub fn digest(store: &dyn Store, number: u64) -> Result<Option<Digest>, StoreError> {
    Ok(store.get(DIGESTS, &number_key(number))?.and_then(|d| Digest::from_slice(&d)))
}

fn numbered(
    column: peerd_api::Column,
    value: Option<Vec<u8>>,
) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    match value {
        None => Ok(None),
        Some(v) => columns::split_numbered(&v).map(|(n, rest)| Some((n, rest.to_vec()))).ok_or(
            StoreError::CorruptValue {
                column: column.name(),
                reason: "shorter than 8 bytes".into(),
            },
        ),
    }
}

/// A confirmed transaction: the number of its block and its packed record. Foundation ids
/// give the block's packed foundation record(s).
pub fn transaction(
    store: &dyn Store,
    tx_id: &[u8; 32],
) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    numbered(TXS, store.get(TXS, tx_id)?)
}

/// A confirmed asset: the number of its block and its packed AssetData record.
pub fn asset(store: &dyn Store, asset_id: &[u8; 64]) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    numbered(ASSETS, store.get(ASSETS, asset_id)?)
}

/// The owner data of a current head (`None` if `tx_id` is not a head).
pub fn owner_data(store: &dyn Store, tx_id: &[u8; 32]) -> Result<Option<OwnerData>, StoreError> {
    match store.get(OWNER_DATA, tx_id)? {
        None => Ok(None),
        Some(v) => OwnerData::unpack(&v).map(Some).ok_or(StoreError::CorruptValue {
            column: OWNER_DATA.name(),
            reason: "bad owner data".into(),
        }),
    }
}

/// True if the account with bytes `owner` currently owns head `tx_id`.
pub fn owns(store: &dyn Store, owner: &[u8], tx_id: &[u8; 32]) -> Result<bool, StoreError> {
    store.contains(OWNER_INDEX, &owner_index_key(owner, tx_id))
}

/// Every head the account with bytes `owner` currently owns, in id order.
pub fn heads_of(store: &dyn Store, owner: &[u8]) -> Result<Vec<[u8; 32]>, StoreError> {
    let mut heads = Vec::new();
    for row in store.scan_prefix(OWNER_INDEX, owner)? {
        let (key, _) = row?;
        // Keys are owner ‖ id; a longer owner sharing the prefix has a different length.
        if key.len() == owner.len() + 32 {
            if let Ok(id) = <[u8; 32]>::try_from(&key[owner.len()..]) {
                heads.push(id);
            }
        }
    }
    Ok(heads)
}

/// The balance of `owner` in share `share_id` (0 when none).
pub fn share_balance(
    store: &dyn Store,
    share_id: &[u8; 32],
    owner: &[u8],
) -> Result<u64, StoreError> {
    Ok(store
        .get(SHARE_BALANCES, &share_balance_key(share_id, owner))?
        .and_then(|v| columns::read_be64(&v))
        .unwrap_or(0))
}

/// A share's total quantity and the id of the BitmarkShare record that created it.
pub fn share(
    store: &dyn Store,
    share_id: &[u8; 32],
) -> Result<Option<(u64, [u8; 32])>, StoreError> {
    Ok(store.get(SHARES, share_id)?.and_then(|v| {
        let total = columns::read_be64(&v)?;
        Some((total, v.get(8..40)?.try_into().ok()?))
    }))
}

/// The packed payment map of the current owner of block `number`.
pub fn block_payments(store: &dyn Store, number: u64) -> Result<Option<Vec<u8>>, StoreError> {
    store.get(BLOCK_PAYMENTS, &number_key(number))
}

/// The block owned by `tx_id` if it is a block's current ownership head.
pub fn block_owned_by(store: &dyn Store, tx_id: &[u8; 32]) -> Result<Option<u64>, StoreError> {
    Ok(store.get(BLOCK_OWNER_TXS, tx_id)?.and_then(|v| columns::read_be64(&v)))
}

/// Every row of every ledger column, by column name: for comparing ledgers byte for byte.
pub fn snapshot(store: &dyn Store) -> Result<BTreeMap<&'static str, Rows>, StoreError> {
    let mut all = BTreeMap::new();
    for column in columns::ALL {
        let rows = store.scan(column, KeyRange::all())?.collect::<Result<Rows, _>>()?;
        all.insert(column.name(), rows);
    }
    Ok(all)
}
