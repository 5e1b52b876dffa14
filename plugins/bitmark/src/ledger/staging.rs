//! A read-through overlay of pending writes over the store.
//!
//! Applying a block stages every write here: reads see the block's own earlier writes,
//! [`Staging::base`] sees the state before the block (bitmarkd validates transactions
//! against the confirmed state, not against the block's own effects). At the end,
//! [`Staging::into_batch`] turns the overlay into ONE [`WriteBatch`] holding every change
//! plus the block's undo log, so a crash leaves the block wholly there or not at all.

use std::collections::BTreeMap;

use peerd_api::{Column, Store, StoreError, WriteBatch};

use super::columns;
use super::undo::{self, UndoEntry};

type Key = (Column, Vec<u8>);

/// Pending writes over a store.
pub(crate) struct Staging<'s> {
    store: &'s dyn Store,
    /// Latest staged value of each touched key (`None` = deleted).
    pending: BTreeMap<Key, Option<Vec<u8>>>,
    /// The store's value of each touched key, read on first touch (for the undo log).
    before: BTreeMap<Key, Option<Vec<u8>>>,
}

impl<'s> Staging<'s> {
    /// An empty overlay.
    pub(crate) fn new(store: &'s dyn Store) -> Self {
        Self { store, pending: BTreeMap::new(), before: BTreeMap::new() }
    }

    /// The value before this block (ignores staged writes).
    pub(crate) fn base(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.before.get(&(column, key.to_vec())) {
            Some(v) => Ok(v.clone()),
            None => self.store.get(column, key),
        }
    }

    /// True if the key existed before this block.
    pub(crate) fn base_has(&self, column: Column, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.base(column, key)?.is_some())
    }

    /// The current value: staged if touched, else the store's.
    pub(crate) fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.pending.get(&(column, key.to_vec())) {
            Some(v) => Ok(v.clone()),
            None => self.store.get(column, key),
        }
    }

    /// True if the key currently exists.
    pub(crate) fn has(&self, column: Column, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.get(column, key)?.is_some())
    }

    /// Stages a put.
    pub(crate) fn put(
        &mut self,
        column: Column,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> Result<(), StoreError> {
        self.set(column, key.into(), Some(value.into()))
    }

    /// Stages a delete.
    pub(crate) fn delete(
        &mut self,
        column: Column,
        key: impl Into<Vec<u8>>,
    ) -> Result<(), StoreError> {
        self.set(column, key.into(), None)
    }

    fn set(
        &mut self,
        column: Column,
        key: Vec<u8>,
        value: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        let slot = (column, key);
        if !self.before.contains_key(&slot) {
            let old = self.store.get(column, &slot.1)?;
            self.before.insert(slot.clone(), old);
        }
        self.pending.insert(slot, value);
        Ok(())
    }

    /// One batch with every effective change (in key order, so the batch is deterministic)
    /// and, under `undo_number`, the undo log restoring the previous values.
    ///
    /// # Errors
    ///
    /// A store error from packing the undo log.
    pub(crate) fn into_batch(self, undo_number: u64) -> Result<WriteBatch, StoreError> {
        let mut batch = WriteBatch::new();
        let mut entries = Vec::new();
        for ((column, key), value) in self.pending {
            let previous = self.before.get(&(column, key.clone())).cloned().flatten();
            if previous == value {
                continue; // staged back to where it was: nothing to write or undo
            }
            match &value {
                Some(v) => batch.put(column, key.clone(), v.clone()),
                None => batch.delete(column, key.clone()),
            };
            entries.push(UndoEntry { column, key, previous });
        }
        batch.put(columns::UNDO, columns::number_key(undo_number), undo::encode(&entries)?);
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peerd_api::{BatchOp, ColumnStats, KeyRange, ScanIter};
    use std::sync::Mutex;

    /// A minimal store for overlay tests.
    #[derive(Default)]
    struct Map(Mutex<BTreeMap<Key, Vec<u8>>>);

    impl Store for Map {
        fn kind(&self) -> &'static str {
            "map"
        }
        fn get(&self, c: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.0.lock().unwrap().get(&(c, key.to_vec())).cloned())
        }
        fn scan(&self, _: Column, _: KeyRange) -> Result<ScanIter<'_>, StoreError> {
            Ok(Box::new(std::iter::empty()))
        }
        fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
            let mut m = self.0.lock().unwrap();
            for op in batch.into_ops() {
                match op {
                    BatchOp::Put { column, key, value } => m.insert((column, key), value),
                    BatchOp::Delete { column, key } => m.remove(&(column, key)),
                };
            }
            Ok(())
        }
        fn flush(&self) -> Result<(), StoreError> {
            Ok(())
        }
        fn stats(&self) -> Result<Vec<ColumnStats>, StoreError> {
            Ok(vec![])
        }
    }

    #[test]
    fn overlay_reads_through_and_undo_restores() {
        let store = Map::default();
        store.put(columns::TXS, b"a", b"old").unwrap();
        store.put(columns::TXS, b"same", b"v").unwrap();
        let mut s = Staging::new(&store);
        s.put(columns::TXS, b"a".to_vec(), b"new".to_vec()).unwrap();
        s.put(columns::TXS, b"b".to_vec(), b"x".to_vec()).unwrap();
        s.delete(columns::TXS, b"same".to_vec()).unwrap();
        s.put(columns::TXS, b"same".to_vec(), b"v".to_vec()).unwrap(); // back to before
        assert_eq!(s.get(columns::TXS, b"a").unwrap(), Some(b"new".to_vec()));
        assert_eq!(s.base(columns::TXS, b"a").unwrap(), Some(b"old".to_vec()));
        assert!(s.has(columns::TXS, b"b").unwrap() && !s.base_has(columns::TXS, b"b").unwrap());
        let batch = s.into_batch(7).unwrap();
        assert_eq!(batch.len(), 3, "a, b and the undo log; `same` is a no-op");
        store.write(batch).unwrap();
        let log = store.get(columns::UNDO, &columns::number_key(7)).unwrap().unwrap();
        let mut restore = WriteBatch::new();
        undo::restore_into(undo::decode(&log).unwrap(), &mut restore);
        store.write(restore).unwrap();
        assert_eq!(store.get(columns::TXS, b"a").unwrap(), Some(b"old".to_vec()));
        assert_eq!(store.get(columns::TXS, b"b").unwrap(), None);
        assert_eq!(store.get(columns::TXS, b"same").unwrap(), Some(b"v".to_vec()));
    }
}
