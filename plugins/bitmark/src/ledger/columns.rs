//! The ledger's columns and key encodings.
//!
//! Numbers in keys are big-endian (`BE64`) so that keys sort numerically; numbers inside
//! block headers stay little-endian as bitmarkd packs them. Each column has a one-byte id,
//! used only inside undo logs: ids are part of the on-disk format, never renumber them.

use peerd_api::Column;

/// `BE64(number)` → packed block, exactly as received (bitmarkd pool `B`).
pub const BLOCKS: Column = Column::new("bitmark.blocks");
/// `BE64(number)` → 32-byte block digest in raw order (bitmarkd pool `2`).
pub const DIGESTS: Column = Column::new("bitmark.digests");
/// Transaction id (32) → `BE64(block number)` ‖ packed record (bitmarkd pool `T`). Holds
/// issues, transfers, block-owner transfers, shares, grants, swaps and, under the
/// foundation id `SHA3-256(digest ‖ LE64 number)`, each block's foundation record(s).
pub const TXS: Column = Column::new("bitmark.txs");
/// Asset id (64) → `BE64(block number)` ‖ packed AssetData (bitmarkd pool `A`).
pub const ASSETS: Column = Column::new("bitmark.assets");
/// Current head transaction id (32) → owner data (bitmarkd pool `O`, same packing: item
/// byte 0 asset / 1 block / 2 share, `BE64` transfer block, issue tx id, `BE64` issue
/// block, then the 64-byte asset id for assets and shares). One row per live bitmark,
/// block ownership and share: the key is the transaction that currently owns it.
pub const OWNER_DATA: Column = Column::new("bitmark.owner_data");
/// Owner account bytes ‖ head transaction id (32) → empty (bitmarkd pool `D`): "who owns
/// which heads", used to check that a transfer's link is its owner's current head.
pub const OWNER_INDEX: Column = Column::new("bitmark.owner_index");
/// Share id (32, the issue id of the shared bitmark) → `BE64(total)` ‖ share tx id (32)
/// (bitmarkd pool `F`).
pub const SHARES: Column = Column::new("bitmark.shares");
/// Share id (32) ‖ owner account bytes → `BE64(balance)`; a zero balance has no row
/// (bitmarkd pool `Q`, with the key halves swapped so that one share's holders are adjacent).
pub const SHARE_BALANCES: Column = Column::new("bitmark.share_balances");
/// `BE64(number)` → packed payment map of the block's current owner (bitmarkd pool `H`).
pub const BLOCK_PAYMENTS: Column = Column::new("bitmark.block_payments");
/// Transaction id (32) → `BE64(number)` of the block it currently owns: the foundation id
/// or the latest BlockOwnerTransfer (bitmarkd pool `I`).
pub const BLOCK_OWNER_TXS: Column = Column::new("bitmark.block_owner_txs");
/// `BE64(number)` → undo log of that block: the previous value of every key its batch
/// changed (see [`crate::ledger::undo`]). Not a bitmarkd pool.
pub const UNDO: Column = Column::new("bitmark.undo");

/// Every ledger column with its undo-log id (the index in this array).
pub const ALL: [Column; 11] = [
    BLOCKS,
    DIGESTS,
    TXS,
    ASSETS,
    OWNER_DATA,
    OWNER_INDEX,
    SHARES,
    SHARE_BALANCES,
    BLOCK_PAYMENTS,
    BLOCK_OWNER_TXS,
    UNDO,
];

/// The undo-log id of a ledger column; `None` for a column that is not the ledger's.
pub fn column_id(column: Column) -> Option<u8> {
    ALL.iter().position(|c| *c == column).and_then(|i| u8::try_from(i).ok())
}

/// The ledger column with undo-log id `id`.
pub fn column_by_id(id: u8) -> Option<Column> {
    ALL.get(usize::from(id)).copied()
}

/// `BE64(number)`: the key of a block in every per-block column.
pub fn number_key(number: u64) -> [u8; 8] {
    number.to_be_bytes()
}

/// Reads a `BE64` number from the first 8 bytes of `bytes`.
pub fn read_be64(bytes: &[u8]) -> Option<u64> {
    bytes.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes)
}

/// `BE64(block number)` ‖ `payload`: the value layout of [`TXS`] and [`ASSETS`].
pub fn numbered(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(8 + payload.len());
    value.extend_from_slice(&number.to_be_bytes());
    value.extend_from_slice(payload);
    value
}

/// Splits a [`numbered`] value into its block number and payload.
pub fn split_numbered(value: &[u8]) -> Option<(u64, &[u8])> {
    Some((read_be64(value)?, value.get(8..)?))
}

/// Key of [`OWNER_INDEX`]: owner account bytes ‖ transaction id.
pub fn owner_index_key(owner: &[u8], tx_id: &[u8; 32]) -> Vec<u8> {
    [owner, tx_id.as_slice()].concat()
}

/// Key of [`SHARE_BALANCES`]: share id ‖ owner account bytes.
pub fn share_balance_key(share_id: &[u8; 32], owner: &[u8]) -> Vec<u8> {
    [share_id.as_slice(), owner].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_ids_round_trip_and_names_are_unique() {
        for (i, c) in ALL.iter().enumerate() {
            assert_eq!(column_id(*c), Some(i as u8));
            assert_eq!(column_by_id(i as u8), Some(*c));
            assert!(c.name().starts_with("bitmark."));
        }
        assert_eq!(column_by_id(ALL.len() as u8), None);
        assert_eq!(column_id(Column::new("other")), None);
        let mut names: Vec<_> = ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn numbered_values_split_back() {
        let v = numbered(0x0102_0304_0506_0708, b"rec");
        assert_eq!(&v[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(split_numbered(&v), Some((0x0102_0304_0506_0708, &b"rec"[..])));
        assert_eq!(split_numbered(&v[..7]), None);
        assert!(number_key(2) < number_key(256));
    }
}
