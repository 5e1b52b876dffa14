//! The memory store: one `BTreeMap` per column behind one lock.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use peerd_api::{BatchOp, Column, ColumnStats, KeyRange, ScanIter, StoreError, WriteBatch};

use crate::scan::{Map, SnapshotScan};

/// The backend name reported by [`peerd_api::Store::kind`].
const KIND: &str = "memory";

type Columns = BTreeMap<&'static str, Arc<Map>>;

/// An in-memory store. Cheap to create; every instance is independent and starts empty.
#[derive(Debug, Default)]
pub struct Store {
    /// One lock for all columns: a batch touching several columns is applied under one
    /// write guard, which is what makes it atomic for readers.
    columns: RwLock<Columns>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    // No code panics while holding the lock (batches are applied with infallible map
    // operations), so a poisoned lock still guards consistent data.
    fn read(&self) -> RwLockReadGuard<'_, Columns> {
        self.columns.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_lock(&self) -> RwLockWriteGuard<'_, Columns> {
        self.columns.write().unwrap_or_else(PoisonError::into_inner)
    }
}

fn check(column: Column) -> Result<&'static str, StoreError> {
    match column.name() {
        "" => Err(StoreError::InvalidColumn(String::new())),
        name => Ok(name),
    }
}

impl peerd_api::Store for Store {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let name = check(column)?;
        Ok(self.read().get(name).and_then(|map| map.get(key)).map(|value| value.to_vec()))
    }

    fn scan(&self, column: Column, range: KeyRange) -> Result<ScanIter<'_>, StoreError> {
        let name = check(column)?;
        let snapshot = self.read().get(name).cloned();
        match (snapshot, range.half_open()) {
            (Some(map), Some((lower, upper))) => {
                Ok(Box::new(SnapshotScan::new(map, lower, upper, range.reverse)))
            }
            _ => Ok(Box::new(std::iter::empty())),
        }
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        // Validate before taking the lock so a bad batch changes nothing.
        for op in batch.ops() {
            let (BatchOp::Put { column, .. } | BatchOp::Delete { column, .. }) = op;
            check(*column)?;
        }
        let mut columns = self.write_lock();
        for op in batch.into_ops() {
            match op {
                // `make_mut` copies a column only while a scan still holds its snapshot.
                BatchOp::Put { column, key, value } => {
                    let map = columns.entry(column.name()).or_default();
                    Arc::make_mut(map).insert(key, value.into());
                }
                BatchOp::Delete { column, key } => {
                    let map = columns.entry(column.name()).or_default();
                    Arc::make_mut(map).remove(&key);
                }
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn stats(&self) -> Result<Vec<ColumnStats>, StoreError> {
        let columns = self.read();
        let stats = columns.iter().map(|(name, map)| ColumnStats {
            name: (*name).to_owned(),
            keys: map.len() as u64,
            bytes: map.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum(),
        });
        Ok(stats.collect())
    }
}
