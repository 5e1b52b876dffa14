//! The key-value store every stateful plugin keeps its data in.
//!
//! A [`Store`] is a set of named [`Column`]s of ordered byte keys. Keys compare as bytes, so
//! numbers are written big-endian to scan in numeric order. All writes go through a
//! [`WriteBatch`], applied atomically across columns: after a crash a batch is either
//! wholly there or not at all. The trait is synchronous because the backends (sled,
//! RocksDB) are; async callers run slow calls on `spawn_blocking`.

use std::ops::Bound;
use std::path::PathBuf;

use serde::Serialize;

/// A named column (a sled tree, a RocksDB column family). Created on first use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Column(&'static str);

impl Column {
    /// Names a column. Names are ASCII identifiers; plugins prefix theirs (`bitmark.blocks`).
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The column's name.
    pub const fn name(&self) -> &'static str {
        self.0
    }
}

/// A range of keys to scan, with direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    /// Lower bound.
    pub start: Bound<Vec<u8>>,
    /// Upper bound.
    pub end: Bound<Vec<u8>>,
    /// Scan from the highest key down.
    pub reverse: bool,
}

impl KeyRange {
    /// Every key of the column, ascending.
    pub fn all() -> Self {
        Self { start: Bound::Unbounded, end: Bound::Unbounded, reverse: false }
    }

    /// Keys in `[start, end)`, ascending.
    pub fn between(start: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) -> Self {
        Self {
            start: Bound::Included(start.into()),
            end: Bound::Excluded(end.into()),
            reverse: false,
        }
    }

    /// Keys at or above `start`, ascending.
    pub fn from(start: impl Into<Vec<u8>>) -> Self {
        Self { start: Bound::Included(start.into()), end: Bound::Unbounded, reverse: false }
    }

    /// Every key that starts with `prefix`, ascending.
    pub fn prefix(prefix: &[u8]) -> Self {
        let end = match prefix_successor(prefix) {
            Some(next) => Bound::Excluded(next),
            None => Bound::Unbounded,
        };
        Self { start: Bound::Included(prefix.to_vec()), end, reverse: false }
    }

    /// The same range, scanned from the highest key down.
    pub fn rev(mut self) -> Self {
        self.reverse = !self.reverse;
        self
    }

    /// True if `key` lies inside the bounds (direction ignored).
    pub fn contains(&self, key: &[u8]) -> bool {
        let above = match &self.start {
            Bound::Included(s) => key >= s.as_slice(),
            Bound::Excluded(s) => key > s.as_slice(),
            Bound::Unbounded => true,
        };
        let below = match &self.end {
            Bound::Included(e) => key <= e.as_slice(),
            Bound::Excluded(e) => key < e.as_slice(),
            Bound::Unbounded => true,
        };
        above && below
    }

    /// The bounds as a half-open interval `[lower, upper)` (`upper` `None` = unbounded), the
    /// form backends iterate with; `None` when the range holds no key at all (for example
    /// `start > end`). An inclusive end `e` becomes `e ++ [0]` and an exclusive start `s`
    /// becomes `s ++ [0]`: those are the next keys in byte order.
    pub fn half_open(&self) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        let lower = match &self.start {
            Bound::Included(s) => s.clone(),
            Bound::Excluded(s) => [s.as_slice(), &[0]].concat(),
            Bound::Unbounded => Vec::new(),
        };
        let upper = match &self.end {
            Bound::Included(e) => Some([e.as_slice(), &[0]].concat()),
            Bound::Excluded(e) => Some(e.clone()),
            Bound::Unbounded => None,
        };
        match &upper {
            Some(upper) if lower >= *upper => None,
            _ => Some((lower, upper)),
        }
    }
}

/// The smallest key greater than every key starting with `prefix`, if one exists.
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut next = prefix.to_vec();
    while let Some(last) = next.pop() {
        if last < 0xff {
            next.push(last + 1);
            return Some(next);
        }
    }
    None
}

/// One write of a [`WriteBatch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchOp {
    /// Set `key` to `value`.
    Put {
        /// Column written.
        column: Column,
        /// Key.
        key: Vec<u8>,
        /// Value.
        value: Vec<u8>,
    },
    /// Remove `key` (no error if absent).
    Delete {
        /// Column written.
        column: Column,
        /// Key.
        key: Vec<u8>,
    },
}

/// Writes applied together, all or nothing, in order. Dropping a batch unapplied leaves no trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<BatchOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a put.
    pub fn put(
        &mut self,
        column: Column,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.ops.push(BatchOp::Put { column, key: key.into(), value: value.into() });
        self
    }

    /// Adds a delete.
    pub fn delete(&mut self, column: Column, key: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(BatchOp::Delete { column, key: key.into() });
        self
    }

    /// The writes, in order.
    pub fn ops(&self) -> &[BatchOp] {
        &self.ops
    }

    /// Consumes the batch into its writes.
    pub fn into_ops(self) -> Vec<BatchOp> {
        self.ops
    }

    /// Number of writes.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A key-value pair returned by a scan.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// The iterator a scan returns; each step may fail with a backend error.
pub type ScanIter<'a> = Box<dyn Iterator<Item = Result<KeyValue, StoreError>> + Send + 'a>;

/// How long [`open_patiently`] waits out a lock held for a moment.
pub const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Calls `open` again while it fails with [`StoreError::Locked`], for at most `patience`.
///
/// A directory lock (sled's and RocksDB's are `flock`s) can be held for a moment after its
/// owner let go: a process that is exiting, or a child this process is spawning that has
/// not yet reached `exec` and still holds a copy of the descriptor (the tests of the store
/// suite spawn such children while other tests reopen their stores). Those are waited out;
/// a lock held for longer (another running node) is reported.
///
/// # Errors
///
/// The last error of `open`: [`StoreError::Locked`] after `patience`, any other at once.
pub fn open_patiently<T>(
    patience: std::time::Duration,
    mut open: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match open() {
            Err(StoreError::Locked { .. }) if started.elapsed() < patience => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// Per-column statistics for `peerd db inspect`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnStats {
    /// Column name.
    pub name: String,
    /// Number of keys.
    pub keys: u64,
    /// Sum of key and value lengths in bytes.
    pub bytes: u64,
}

/// An ordered key-value store with named columns and atomic batches.
///
/// Implementations must be safe to share between threads: readers may run while a batch
/// is being written and see either none or all of it.
pub trait Store: Send + Sync + 'static {
    /// The backend's name (`"sled"`, `"rocksdb"`, `"memory"`).
    fn kind(&self) -> &'static str;

    /// Reads one key.
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Scans a key range in order. The iterator sees a consistent view where the backend
    /// offers one (RocksDB, memory); sled iterates live data.
    fn scan(&self, column: Column, range: KeyRange) -> Result<ScanIter<'_>, StoreError>;

    /// Applies a batch atomically.
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError>;

    /// Makes every applied batch durable on disk.
    fn flush(&self) -> Result<(), StoreError>;

    /// Statistics for every column that exists.
    fn stats(&self) -> Result<Vec<ColumnStats>, StoreError>;

    /// Writes one key.
    fn put(&self, column: Column, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let mut batch = WriteBatch::new();
        batch.put(column, key, value);
        self.write(batch)
    }

    /// Deletes one key.
    fn delete(&self, column: Column, key: &[u8]) -> Result<(), StoreError> {
        let mut batch = WriteBatch::new();
        batch.delete(column, key);
        self.write(batch)
    }

    /// Scans every key with the given prefix, ascending.
    fn scan_prefix(&self, column: Column, prefix: &[u8]) -> Result<ScanIter<'_>, StoreError> {
        self.scan(column, KeyRange::prefix(prefix))
    }

    /// The highest key of a column and its value.
    fn last(&self, column: Column) -> Result<Option<KeyValue>, StoreError> {
        self.scan(column, KeyRange::all().rev())?.next().transpose()
    }

    /// True if the key exists.
    fn contains(&self, column: Column, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.get(column, key)?.is_some())
    }
}

/// Errors of the store boundary. Each says which store or directory failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process (usually another `peerd`) holds the data directory.
    #[error("data directory {path} is in use by another process (is another peerd running?)")]
    Locked {
        /// The directory.
        path: PathBuf,
    },
    /// The directory exists but is not a readable database of this kind.
    #[error("data directory {path} is corrupt or unreadable as a {kind} store: {reason}")]
    Corrupt {
        /// The directory.
        path: PathBuf,
        /// Backend name.
        kind: &'static str,
        /// The backend's explanation.
        reason: String,
    },
    /// The directory could not be created or opened.
    #[error("cannot open {kind} store at {path}: {source}")]
    Open {
        /// The directory.
        path: PathBuf,
        /// Backend name.
        kind: &'static str,
        /// Underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A read, write or flush failed in the backend.
    #[error("{kind} store {op} failed: {source}")]
    Backend {
        /// Backend name.
        kind: &'static str,
        /// The operation that failed (`get`, `write`, …).
        op: &'static str,
        /// Underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A column name the backend cannot use.
    #[error("invalid column name {0:?}")]
    InvalidColumn(String),
    /// Stored bytes did not decode; the named column holds data this version cannot read.
    #[error("corrupt value in column {column}: {reason}")]
    CorruptValue {
        /// Column that held the value.
        column: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The store was closed.
    #[error("store is closed")]
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_range_covers_exactly_the_prefix() {
        let r = KeyRange::prefix(&[1, 0xff]);
        assert!(r.contains(&[1, 0xff]));
        assert!(r.contains(&[1, 0xff, 0xff, 3]));
        assert!(!r.contains(&[2]));
        assert!(!r.contains(&[1, 0xfe, 9]));
        assert_eq!(prefix_successor(&[0xff, 0xff]), None);
        assert_eq!(KeyRange::prefix(&[0xff]).end, Bound::Unbounded);
    }

    fn open_closed(start: u8, end: u8) -> KeyRange {
        let (start, end) = (Bound::Excluded(vec![start]), Bound::Included(vec![end]));
        KeyRange { start, end, reverse: false }
    }

    #[test]
    fn half_open_matches_contains() {
        let ranges = [
            KeyRange::all(),
            KeyRange::between([1], [3]),
            KeyRange::between([3], [1]),
            KeyRange::between([2], [2]),
            KeyRange::prefix(&[1, 0xff]),
            open_closed(1, 2).rev(),
            open_closed(2, 2),
        ];
        let keys: [&[u8]; 9] =
            [&[], &[0], &[1], &[1, 0], &[1, 0xff], &[1, 0xff, 7], &[2], &[2, 0], &[3]];
        for range in &ranges {
            let half = range.half_open();
            for key in keys {
                let inside = half.as_ref().is_some_and(|(lo, hi)| {
                    key >= lo.as_slice() && hi.as_ref().is_none_or(|hi| key < hi.as_slice())
                });
                assert_eq!(inside, range.contains(key), "{range:?} {key:?}");
            }
        }
        assert_eq!(KeyRange::between([3], [1]).half_open(), None);
        assert_eq!(KeyRange::between([2], [2]).half_open(), None);
    }
}
