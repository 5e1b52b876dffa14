//! Undo logs: what a block's batch overwrote, so that deleting the block restores it.
//!
//! A block's write batch is recorded key by key with the value the key held before the
//! block (or its absence). Replaying the log in one batch puts every key back, which undoes
//! owners, shares, payments and indexes exactly, byte for byte.
//!
//! Encoding: format byte `1`, then per entry: column id (1 byte, see
//! [`columns::column_id`]), `BE32` key length, key, `0` (key was absent) or `1` followed by
//! `BE32` value length and the previous value.

use peerd_api::{Column, StoreError, WriteBatch};

use super::columns;

const FORMAT: u8 = 1;

/// The previous state of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoEntry {
    /// Column of the key.
    pub column: Column,
    /// The key.
    pub key: Vec<u8>,
    /// Its value before the block; `None` if it did not exist.
    pub previous: Option<Vec<u8>>,
}

/// Packs an undo log.
///
/// # Errors
///
/// [`StoreError::InvalidColumn`] for a column that is not one of the ledger's, or a key or
/// value longer than 4 GiB.
pub fn encode(entries: &[UndoEntry]) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![FORMAT];
    for e in entries {
        let id = columns::column_id(e.column)
            .ok_or_else(|| StoreError::InvalidColumn(e.column.name().to_owned()))?;
        out.push(id);
        push_bytes(&mut out, &e.key)?;
        match &e.previous {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                push_bytes(&mut out, v)?;
            }
        }
    }
    Ok(out)
}

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), StoreError> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| StoreError::InvalidColumn("undo entry longer than 4 GiB".to_owned()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

fn corrupt(reason: impl Into<String>) -> StoreError {
    StoreError::CorruptValue { column: columns::UNDO.name(), reason: reason.into() }
}

/// Unpacks an undo log; never panics on arbitrary bytes.
///
/// # Errors
///
/// [`StoreError::CorruptValue`] when the bytes are not an undo log.
pub fn decode(mut bytes: &[u8]) -> Result<Vec<UndoEntry>, StoreError> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => bytes = rest,
        Some((other, _)) => return Err(corrupt(format!("unknown undo format {other}"))),
        None => return Err(corrupt("empty undo log")),
    }
    let mut entries = Vec::new();
    while let Some((&id, rest)) = bytes.split_first() {
        let column = columns::column_by_id(id).ok_or_else(|| corrupt(format!("column id {id}")))?;
        let (key, rest) = take_bytes(rest)?;
        let (previous, rest) = match rest.split_first() {
            Some((0, rest)) => (None, rest),
            Some((1, rest)) => {
                let (v, rest) = take_bytes(rest)?;
                (Some(v.to_vec()), rest)
            }
            _ => return Err(corrupt("bad presence flag")),
        };
        entries.push(UndoEntry { column, key: key.to_vec(), previous });
        bytes = rest;
    }
    Ok(entries)
}

fn take_bytes(bytes: &[u8]) -> Result<(&[u8], &[u8]), StoreError> {
    let len = bytes
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| corrupt("truncated length"))?;
    let len = usize::try_from(len).map_err(|_| corrupt("length overflow"))?;
    let rest = &bytes[4..];
    if rest.len() < len {
        return Err(corrupt("truncated entry"));
    }
    Ok(rest.split_at(len))
}

/// Adds to `batch` the writes that restore every entry of `entries`.
pub fn restore_into(entries: Vec<UndoEntry>, batch: &mut WriteBatch) {
    for e in entries {
        match e.previous {
            Some(v) => batch.put(e.column, e.key, v),
            None => batch.delete(e.column, e.key),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let entries = vec![
            UndoEntry { column: columns::TXS, key: vec![1; 32], previous: None },
            UndoEntry {
                column: columns::SHARE_BALANCES,
                key: vec![2; 65],
                previous: Some(vec![9; 8]),
            },
            UndoEntry { column: columns::BLOCKS, key: vec![], previous: Some(vec![]) },
        ];
        let packed = encode(&entries).unwrap();
        assert_eq!(decode(&packed).unwrap(), entries);
        for cut in 0..packed.len() {
            // Every strict prefix is either a shorter valid log or an error, never a panic.
            if let Ok(got) = decode(&packed[..cut]) {
                assert!(got.len() < entries.len());
            }
        }
        assert!(decode(&[2]).is_err());
        assert!(decode(&[1, 200]).is_err());
        assert!(
            encode(&[UndoEntry { column: Column::new("x"), key: vec![], previous: None }]).is_err()
        );
    }

    #[test]
    fn restore_puts_and_deletes() {
        let mut batch = WriteBatch::new();
        restore_into(
            vec![
                UndoEntry { column: columns::TXS, key: vec![1], previous: None },
                UndoEntry { column: columns::ASSETS, key: vec![2], previous: Some(vec![3]) },
            ],
            &mut batch,
        );
        assert_eq!(batch.len(), 2);
        assert!(
            matches!(&batch.ops()[0], peerd_api::BatchOp::Delete { column, .. } if *column == columns::TXS)
        );
        assert!(
            matches!(&batch.ops()[1], peerd_api::BatchOp::Put { value, .. } if value == &vec![3])
        );
    }
}
