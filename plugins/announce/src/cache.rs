//! The peer cache. bitmarkd writes `<cache_dir>/peers.json` at shutdown; peerd keeps the
//! same data in the node's store, column [`COLUMN`], so it shares the store's durability
//! and needs no file of its own. Saved at shutdown and after each announce cycle, restored
//! at start through the table's add rules (expired entries are dropped).
//!
//! Row key: `[len(transport)] transport peer-key`; value: `BE64(timestamp) listeners`, the
//! timestamp's top bit set for a peer that had proven itself ([`PeerEntry::proven`]; unix
//! seconds never reach it, and rows written before the flag existed read as not proven).
//! Like bitmarkd, a table of at most 2 entries (ourselves and one peer) does not overwrite
//! its saved rows, and entries without listeners are not saved.

use peerd_api::{Column, KeyRange, Store, StoreError, WriteBatch};

use crate::table::PeerEntry;
use crate::{MAX_KEY_BYTES, MAX_LISTENER_BYTES};

/// The store column holding the cache.
pub const COLUMN: Column = Column::new("announce.peers");

/// The timestamp bit that marks a proven peer.
const PROVEN_BIT: u64 = 1 << 63;

/// Why a cached row was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum CacheError {
    /// The key has no complete transport name and peer key.
    #[error("row key of {0} bytes is truncated")]
    Key(usize),
    /// The transport name is not UTF-8.
    #[error("transport name is not UTF-8")]
    Transport,
    /// The value is shorter than its timestamp.
    #[error("row value of {0} bytes has no 8-byte timestamp")]
    Value(usize),
    /// Key or listeners exceed the limits of a live announcement.
    #[error("peer key of {key} bytes or listeners of {listeners} bytes exceed the limits")]
    TooLarge {
        /// Key length.
        key: usize,
        /// Listeners length.
        listeners: usize,
    },
}

fn prefix(transport: &str) -> Option<Vec<u8>> {
    let len = u8::try_from(transport.len()).ok()?;
    Some([&[len], transport.as_bytes()].concat())
}

/// Decodes one row.
pub(crate) fn decode(key: &[u8], value: &[u8]) -> Result<(String, PeerEntry), CacheError> {
    let (&len, rest) = key.split_first().ok_or(CacheError::Key(0))?;
    let len = usize::from(len);
    if rest.len() <= len {
        return Err(CacheError::Key(key.len()));
    }
    let (name, peer) = rest.split_at(len);
    let transport = std::str::from_utf8(name).map_err(|_| CacheError::Transport)?;
    if value.len() < 8 {
        return Err(CacheError::Value(value.len()));
    }
    let (ts, listeners) = value.split_at(8);
    if peer.len() > MAX_KEY_BYTES || listeners.len() > MAX_LISTENER_BYTES {
        return Err(CacheError::TooLarge { key: peer.len(), listeners: listeners.len() });
    }
    let mut be = [0u8; 8];
    be.copy_from_slice(ts);
    let stamped = u64::from_be_bytes(be);
    let entry = PeerEntry {
        key: bytes::Bytes::copy_from_slice(peer),
        listeners: bytes::Bytes::copy_from_slice(listeners),
        timestamp: stamped & !PROVEN_BIT,
        proven: stamped & PROVEN_BIT != 0,
    };
    Ok((transport.to_owned(), entry))
}

/// Every decodable cached row; undecodable ones are logged and skipped.
pub fn load(store: &dyn Store) -> Result<Vec<(String, PeerEntry)>, StoreError> {
    let mut rows = Vec::new();
    for row in store.scan(COLUMN, KeyRange::all())? {
        let (key, value) = row?;
        match decode(&key, &value) {
            Ok(row) => rows.push(row),
            Err(error) => tracing::warn!(%error, "skipping an unreadable peer cache row"),
        }
    }
    Ok(rows)
}

/// Replaces the saved rows of each `(transport, entries, table size)` whose table holds
/// more than 2 entries with `entries` (the caller leaves out ourselves). One atomic batch.
pub(crate) fn save(
    store: &dyn Store,
    tables: &[(String, Vec<PeerEntry>, usize)],
) -> Result<usize, StoreError> {
    let mut batch = WriteBatch::new();
    let mut saved = 0;
    for (transport, entries, size) in tables {
        let Some(prefix) = prefix(transport) else {
            tracing::warn!(%transport, "transport name too long for the peer cache");
            continue;
        };
        if *size <= 2 {
            continue;
        }
        for row in store.scan(COLUMN, KeyRange::prefix(&prefix))? {
            batch.delete(COLUMN, row?.0);
        }
        for entry in entries.iter().filter(|e| !e.listeners.is_empty()) {
            let key = [prefix.as_slice(), &entry.key].concat();
            let stamped =
                (entry.timestamp & !PROVEN_BIT) | if entry.proven { PROVEN_BIT } else { 0 };
            let value = [&stamped.to_be_bytes()[..], &entry.listeners].concat();
            batch.put(COLUMN, key, value);
            saved += 1;
        }
    }
    store.write(batch)?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn rows_round_trip_and_bad_rows_are_named() {
        let store = peerd_store_memory::Store::new();
        let entry = |k: u8| PeerEntry {
            key: Bytes::from(vec![k; 32]),
            listeners: Bytes::from(vec![k; 19]),
            timestamp: 1_700_000_000 + u64::from(k),
            proven: k.is_multiple_of(2),
        };
        let entries = vec![entry(1), entry(2)];
        assert_eq!(save(&store, &[("zmq".into(), entries.clone(), 3)]).unwrap(), 2);
        let rows = load(&store).unwrap();
        assert_eq!(rows, entries.iter().map(|e| ("zmq".to_owned(), e.clone())).collect::<Vec<_>>());
        // A small table does not overwrite what is saved.
        save(&store, &[("zmq".into(), vec![entry(3)], 2)]).unwrap();
        assert_eq!(load(&store).unwrap().len(), 2);

        assert_eq!(decode(&[], b"12345678"), Err(CacheError::Key(0)));
        assert_eq!(decode(&[3, b'z', b'm', b'q'], b"12345678"), Err(CacheError::Key(4)));
        assert_eq!(decode(&[1, 0xff, 7], b"12345678"), Err(CacheError::Transport));
        assert_eq!(decode(&[1, b'm', 7], b"1234"), Err(CacheError::Value(4)));
        let big = decode(&[1, b'm', 7], &vec![0; 8 + MAX_LISTENER_BYTES + 1]);
        assert!(matches!(big, Err(CacheError::TooLarge { key: 1, .. })));
        // A row written before the proven flag existed reads as not proven.
        let old = decode(&[1, b'm', 7], &1_700_000_000u64.to_be_bytes()).unwrap().1;
        assert_eq!((old.timestamp, old.proven), (1_700_000_000, false));
        // A garbage row is skipped on load, the good ones stay.
        store.put(COLUMN, &[9], b"x").unwrap();
        assert_eq!(load(&store).unwrap().len(), 2);
    }
}
