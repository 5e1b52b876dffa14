//! Ownership rows (bitmarkd's `ownership/`): who owns each bitmark, block and share.
//!
//! The owner data of an owned item is keyed by the transaction that currently owns it
//! (its "head"): the issue, the latest transfer, the foundation or the latest block-owner
//! transfer, or the share record. A transfer deletes the old head's rows and writes the
//! new head's.

use peerd_api::StoreError;

use super::columns::{self, OWNER_DATA, OWNER_INDEX, SHARES, SHARE_BALANCES};
use super::staging::Staging;

/// What an owner-data row owns (bitmarkd's `OwnedItem`; the byte is on disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnedItem {
    /// A bitmark (issue or transfer head).
    Asset = 0,
    /// A block's ownership (foundation or block-owner transfer head).
    Block = 1,
    /// A bitmark converted to shares.
    Share = 2,
}

/// One owner-data row (bitmarkd's `AssetOwnerData`/`BlockOwnerData`/`ShareOwnerData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnerData {
    /// Kind of the owned item.
    pub item: OwnedItem,
    /// Block of the latest transfer.
    pub transfer_block: u64,
    /// Id of the issue (bitmarks, shares) or foundation (blocks) that created the item.
    pub issue_tx_id: [u8; 32],
    /// Block of that issue; for blocks, the number of the owned block.
    pub issue_block: u64,
    /// Asset id (bitmarks and shares; zero for blocks).
    pub asset_id: [u8; 64],
}

const BLOCK_LEN: usize = 1 + 8 + 32 + 8;
const ASSET_LEN: usize = BLOCK_LEN + 64;

impl OwnerData {
    /// Packs the row as bitmarkd does.
    pub fn pack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ASSET_LEN);
        out.push(self.item as u8);
        out.extend_from_slice(&self.transfer_block.to_be_bytes());
        out.extend_from_slice(&self.issue_tx_id);
        out.extend_from_slice(&self.issue_block.to_be_bytes());
        if self.item != OwnedItem::Block {
            out.extend_from_slice(&self.asset_id);
        }
        out
    }

    /// Unpacks a row; `None` if it is not one (never panics).
    pub fn unpack(bytes: &[u8]) -> Option<Self> {
        let item = match bytes.first()? {
            0 => OwnedItem::Asset,
            1 => OwnedItem::Block,
            2 => OwnedItem::Share,
            _ => return None,
        };
        let expected = if item == OwnedItem::Block { BLOCK_LEN } else { ASSET_LEN };
        if bytes.len() != expected {
            return None;
        }
        let mut asset_id = [0u8; 64];
        if item != OwnedItem::Block {
            asset_id.copy_from_slice(&bytes[BLOCK_LEN..]);
        }
        Some(OwnerData {
            item,
            transfer_block: columns::read_be64(&bytes[1..])?,
            issue_tx_id: bytes[9..41].try_into().ok()?,
            issue_block: columns::read_be64(&bytes[41..])?,
            asset_id,
        })
    }
}

fn corrupt(reason: String) -> StoreError {
    StoreError::CorruptValue { column: OWNER_DATA.name(), reason }
}

/// The current owner data of head `tx_id` (staged view).
pub(crate) fn owner_data(
    st: &Staging<'_>,
    tx_id: &[u8; 32],
) -> Result<Option<OwnerData>, StoreError> {
    match st.get(OWNER_DATA, tx_id)? {
        None => Ok(None),
        Some(bytes) => OwnerData::unpack(&bytes)
            .map(Some)
            .ok_or_else(|| corrupt(format!("owner data of {}", hex::encode(tx_id)))),
    }
}

/// True if `owner` currently owns head `tx_id` (staged view; bitmarkd's `CurrentlyOwns`).
pub(crate) fn currently_owns(
    st: &Staging<'_>,
    owner: &[u8],
    tx_id: &[u8; 32],
) -> Result<bool, StoreError> {
    st.has(OWNER_INDEX, &columns::owner_index_key(owner, tx_id))
}

/// Writes the rows of a new head (bitmarkd's `create`).
pub(crate) fn create(
    st: &mut Staging<'_>,
    tx_id: &[u8; 32],
    data: &OwnerData,
    owner: &[u8],
) -> Result<(), StoreError> {
    st.put(OWNER_INDEX, columns::owner_index_key(owner, tx_id), Vec::new())?;
    st.put(OWNER_DATA, tx_id.to_vec(), data.pack())
}

/// Moves ownership from head `previous` (owned by `current_owner`) to head `next` owned by
/// `new_owner` (bitmarkd's `Transfer`). The caller has checked that `previous` is a head
/// of `current_owner`.
pub(crate) fn transfer(
    st: &mut Staging<'_>,
    previous: &[u8; 32],
    next: &[u8; 32],
    block: u64,
    current_owner: &[u8],
    new_owner: &[u8],
) -> Result<(), StoreError> {
    let mut data = release(st, previous, current_owner)?;
    data.transfer_block = block;
    create(st, next, &data, new_owner)
}

/// Converts the bitmark at head `previous` into `quantity` shares held by its owner, with
/// head (and share record) `share_tx` (bitmarkd's `Share`). The share id is the issue id.
pub(crate) fn share(
    st: &mut Staging<'_>,
    previous: &[u8; 32],
    share_tx: &[u8; 32],
    block: u64,
    owner: &[u8],
    quantity: u64,
) -> Result<(), StoreError> {
    let data = release(st, previous, owner)?;
    let share_id = data.issue_tx_id;
    let total = [quantity.to_be_bytes().as_slice(), share_tx.as_slice()].concat();
    st.put(SHARES, share_id.to_vec(), total)?;
    st.put(
        SHARE_BALANCES,
        columns::share_balance_key(&share_id, owner),
        quantity.to_be_bytes().to_vec(),
    )?;
    let data = OwnerData { item: OwnedItem::Share, transfer_block: block, ..data };
    create(st, share_tx, &data, owner)
}

/// Deletes the rows of head `previous` and returns its owner data.
fn release(
    st: &mut Staging<'_>,
    previous: &[u8; 32],
    owner: &[u8],
) -> Result<OwnerData, StoreError> {
    let data = owner_data(st, previous)?
        .ok_or_else(|| corrupt(format!("missing owner data of head {}", hex::encode(previous))))?;
    st.delete(OWNER_INDEX, columns::owner_index_key(owner, previous))?;
    st.delete(OWNER_DATA, previous.to_vec())?;
    Ok(data)
}

/// The share balance of `owner` for `share_id` (staged view; 0 when there is no row).
pub(crate) fn balance(
    st: &Staging<'_>,
    share_id: &[u8; 32],
    owner: &[u8],
) -> Result<Option<u64>, StoreError> {
    match st.get(SHARE_BALANCES, &columns::share_balance_key(share_id, owner))? {
        None => Ok(None),
        Some(v) => columns::read_be64(&v).map(Some).ok_or_else(|| StoreError::CorruptValue {
            column: SHARE_BALANCES.name(),
            reason: "balance shorter than 8 bytes".to_owned(),
        }),
    }
}

/// Sets a share balance; zero removes the row (as bitmarkd does for the giving side).
pub(crate) fn set_balance(
    st: &mut Staging<'_>,
    share_id: &[u8; 32],
    owner: &[u8],
    value: u64,
) -> Result<(), StoreError> {
    let key = columns::share_balance_key(share_id, owner);
    if value == 0 {
        st.delete(SHARE_BALANCES, key)
    } else {
        st.put(SHARE_BALANCES, key, value.to_be_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_data_round_trips_and_rejects_garbage() {
        for item in [OwnedItem::Asset, OwnedItem::Block, OwnedItem::Share] {
            let d = OwnerData {
                item,
                transfer_block: 7,
                issue_tx_id: [3; 32],
                issue_block: 5,
                asset_id: if item == OwnedItem::Block { [0; 64] } else { [9; 64] },
            };
            let packed = d.pack();
            assert_eq!(packed.len(), if item == OwnedItem::Block { 49 } else { 113 });
            assert_eq!(OwnerData::unpack(&packed), Some(d));
            assert_eq!(OwnerData::unpack(&packed[..packed.len() - 1]), None);
        }
        assert_eq!(OwnerData::unpack(&[]), None);
        assert_eq!(OwnerData::unpack(&[3; 49]), None);
    }
}
