//! Client balances in the store, so that a restart neither forgives a debt nor resets decay.
//!
//! Column `kernel.clients`: key = the transport name's length (one byte), the transport
//! name, then the key bytes; value = the positive balance and the negative balance as
//! 8-byte big-endian `f64`s, then the Unix milliseconds they were valid at as a big-endian
//! `u64` (24 bytes). Balances below the floor are not stored. An entry that does not
//! decode is skipped with a warning and deleted, never trusted and never a reason to stop.

use std::collections::BTreeSet;

use peerd_api::{Column, KeyRange, Store, StoreError, WriteBatch};

use super::balance::Ledger;
use super::{Balances, ClientId, ClientPool, MAX_TRANSPORT_LEN};

/// The column balances are kept in.
pub const CLIENTS: Column = Column::new("kernel.clients");

/// Length of an encoded value.
const VALUE_LEN: usize = 24;

/// One client's balances at one time, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The client.
    pub id: ClientId,
    /// Its balances at `at_ms`.
    pub balances: Balances,
    /// Unix milliseconds at which `balances` were valid.
    pub at_ms: u64,
}

/// Encodes a client id as a key; `None` if its transport name is empty or longer than
/// [`MAX_TRANSPORT_LEN`].
pub fn encode_key(id: &ClientId) -> Option<Vec<u8>> {
    let transport = id.transport().as_bytes();
    if transport.is_empty() || transport.len() > MAX_TRANSPORT_LEN {
        return None;
    }
    let mut key = Vec::with_capacity(1 + transport.len() + id.key().len());
    key.push(u8::try_from(transport.len()).ok()?);
    key.extend_from_slice(transport);
    key.extend_from_slice(id.key());
    Some(key)
}

/// Decodes a key written by [`encode_key`]; `None` if it is not one.
pub fn decode_key(key: &[u8]) -> Option<ClientId> {
    let (&len, rest) = key.split_first()?;
    if len == 0 || rest.len() < usize::from(len) {
        return None;
    }
    let (transport, bytes) = rest.split_at(usize::from(len));
    let transport = std::str::from_utf8(transport).ok()?;
    Some(ClientId::new(transport, bytes.to_vec()))
}

/// Encodes a record's value.
pub fn encode_value(record: &Record) -> [u8; VALUE_LEN] {
    let mut value = [0; VALUE_LEN];
    value[..8].copy_from_slice(&record.balances.positive.to_be_bytes());
    value[8..16].copy_from_slice(&record.balances.negative.to_be_bytes());
    value[16..].copy_from_slice(&record.at_ms.to_be_bytes());
    value
}

/// Decodes an entry; `None` if the key or the value is not one, or a balance is negative or
/// not a number.
pub fn decode(key: &[u8], value: &[u8]) -> Option<Record> {
    let id = decode_key(key)?;
    let value: &[u8; VALUE_LEN] = value.try_into().ok()?;
    let (positive, rest) = value.split_first_chunk::<8>()?;
    let (negative, at) = rest.split_first_chunk::<8>()?;
    let positive = f64::from_be_bytes(*positive);
    let negative = f64::from_be_bytes(*negative);
    let valid = |b: f64| b.is_finite() && b >= 0.0;
    if !valid(positive) || !valid(negative) {
        return None;
    }
    let at_ms = u64::from_be_bytes(at.try_into().ok()?);
    Some(Record { id, balances: Balances { positive, negative }, at_ms })
}

/// Every stored record. Undecodable entries are deleted.
pub fn load(store: &dyn Store) -> Result<Vec<Record>, StoreError> {
    let mut records = Vec::new();
    let mut stale = WriteBatch::new();
    for entry in store.scan(CLIENTS, KeyRange::all())? {
        let (key, value) = entry?;
        match decode(&key, &value) {
            Some(record) => records.push(record),
            None => {
                tracing::warn!(key = ?key, "undecodable client entry in the store; deleting it");
                stale.delete(CLIENTS, key);
            }
        }
    }
    if !stale.is_empty() {
        store.write(stale)?;
    }
    Ok(records)
}

/// Stores the pool's [`ClientPool::records`] at `now_ms` in one batch, deleting every stored
/// entry that is not among them (forgotten, decayed below the floor, or undecodable).
pub fn save(store: &dyn Store, pool: &ClientPool, now_ms: u64) -> Result<(), StoreError> {
    save_records(store, pool.records(now_ms))
}

/// Stores `records` in one batch, deleting every stored entry that is not among them.
pub fn save_records(store: &dyn Store, records: Vec<Record>) -> Result<(), StoreError> {
    let mut batch = WriteBatch::new();
    let mut kept = BTreeSet::new();
    for record in records {
        let Some(key) = encode_key(&record.id) else {
            tracing::warn!(client = %record.id, "transport name too long to store; not saved");
            continue;
        };
        batch.put(CLIENTS, key.clone(), encode_value(&record));
        kept.insert(key);
    }
    for entry in store.scan(CLIENTS, KeyRange::all())? {
        let (key, _) = entry?;
        if !kept.contains(&key) {
            batch.delete(CLIENTS, key);
        }
    }
    if !batch.is_empty() {
        store.write(batch)?;
    }
    Ok(())
}

impl ClientPool {
    /// Every client's balances at `now_ms`, except those with both below the floor, in
    /// id order: what [`save`] stores.
    pub fn records(&self, now_ms: u64) -> Vec<Record> {
        let floor = self.config.floor;
        let mut records: Vec<Record> = self
            .clients
            .iter()
            .map(|(id, c)| {
                let ledger = self.current(c, now_ms);
                Record { id: id.clone(), balances: ledger.balances, at_ms: ledger.at_ms }
            })
            .filter(|r| r.balances.positive >= floor || r.balances.negative >= floor)
            .collect();
        records.sort_by(|a, b| a.id.cmp(&b.id));
        records
    }

    /// Installs records read from the store as inactive clients, decayed from the time they
    /// were valid at to `now_ms`. For a client already known, each balance is the larger
    /// of the two (a config's positive balance is not given twice, no debt is forgiven).
    pub fn restore(&mut self, records: Vec<Record>, now_ms: u64) {
        let rates = self.config.rates;
        for record in records {
            let valid = |b: f64| b.is_finite() && b >= 0.0;
            if !valid(record.balances.positive) || !valid(record.balances.negative) {
                continue;
            }
            let mut stored = Ledger { balances: record.balances, at_ms: record.at_ms };
            stored.advance(now_ms, &rates);
            let known = self.clients.contains_key(&record.id);
            let client = self.client(&record.id, now_ms);
            if known {
                let b = &mut client.ledger.balances;
                b.positive = b.positive.max(stored.balances.positive);
                b.negative = b.negative.max(stored.balances.negative);
            } else {
                client.ledger.balances = stored.balances;
            }
        }
    }
}
