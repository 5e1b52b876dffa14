//! Scans: a RocksDB iterator over one column family, forward or reverse.

use peerd_api::{KeyValue, StoreError};
use rocksdb::DBRawIteratorWithThreadMode;

use crate::error;

/// The database as the store opens it (multi-threaded: column families are created on
/// first use while other threads read).
pub(crate) type Db = rocksdb::DBWithThreadMode<rocksdb::MultiThreaded>;

/// Walks a raw iterator whose bounds were set in its read options. RocksDB pins a
/// snapshot when the iterator is created, so the scan sees the data as it was then.
pub(crate) struct Scan<'a> {
    iter: DBRawIteratorWithThreadMode<'a, Db>,
    reverse: bool,
    started: bool,
    done: bool,
}

impl<'a> Scan<'a> {
    pub(crate) fn new(iter: DBRawIteratorWithThreadMode<'a, Db>, reverse: bool) -> Self {
        Self { iter, reverse, started: false, done: false }
    }
}

impl Iterator for Scan<'_> {
    type Item = Result<KeyValue, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match (self.started, self.reverse) {
            (false, false) => self.iter.seek_to_first(),
            (false, true) => self.iter.seek_to_last(),
            (true, false) => self.iter.next(),
            (true, true) => self.iter.prev(),
        }
        self.started = true;
        if let Some((key, value)) = self.iter.item() {
            return Some(Ok((key.to_vec(), value.to_vec())));
        }
        // An invalid iterator means the end, or an error that `status` reports.
        self.done = true;
        self.iter.status().err().map(|e| Err(error::backend("scan", e)))
    }
}
