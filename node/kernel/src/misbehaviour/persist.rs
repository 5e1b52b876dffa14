//! Bans in the store, so that a restart does not forgive them.
//!
//! Column `kernel.bans`: key = the peer id's bytes; value = the ban's end as 8-byte
//! big-endian Unix seconds, then the offence label. An entry that does not decode is
//! skipped with a warning and deleted, never trusted and never a reason to stop.

use peerd_api::{Column, PeerId, Store, StoreError, WriteBatch};

use super::{Ban, Offence};

/// The column bans are kept in.
pub const BANS: Column = Column::new("kernel.bans");

/// Encodes a ban's value.
pub fn encode(ban: &Ban) -> Vec<u8> {
    let mut value = ban.until_unix.to_be_bytes().to_vec();
    value.extend_from_slice(ban.offence.label().as_bytes());
    value
}

/// Decodes a ban's value; `None` if it is not one.
pub fn decode(value: &[u8]) -> Option<Ban> {
    let (until, label) = value.split_first_chunk::<8>()?;
    let offence = Offence::from_label(std::str::from_utf8(label).ok()?)?;
    Some(Ban { until_unix: u64::from_be_bytes(*until), offence })
}

/// Every ban in force at `now_unix`. Ended and undecodable entries are deleted.
pub fn load(store: &dyn Store, now_unix: u64) -> Result<Vec<(PeerId, Ban)>, StoreError> {
    let mut bans = Vec::new();
    let mut stale = WriteBatch::new();
    for entry in store.scan(BANS, peerd_api::KeyRange::all())? {
        let (key, value) = entry?;
        match decode(&value) {
            Some(ban) if ban.until_unix > now_unix => bans.push((PeerId::new(key), ban)),
            Some(_) => {
                stale.delete(BANS, key);
            }
            None => {
                tracing::warn!(key = ?key, "undecodable ban entry in the store; deleting it");
                stale.delete(BANS, key);
            }
        }
    }
    if !stale.is_empty() {
        store.write(stale)?;
    }
    Ok(bans)
}

/// Stores `ban` for `peer`.
pub fn save(store: &dyn Store, peer: &PeerId, ban: &Ban) -> Result<(), StoreError> {
    store.put(BANS, peer.as_bytes(), &encode(ban))
}

/// Deletes `peer`'s ban.
pub fn remove(store: &dyn Store, peer: &PeerId) -> Result<(), StoreError> {
    store.delete(BANS, peer.as_bytes())
}
