//! Scans over a snapshot of one column.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use peerd_api::{KeyValue, StoreError};

/// One column's data. Values are shared so that copying the map (when a write meets a
/// live snapshot) does not copy them.
pub(crate) type Map = BTreeMap<Vec<u8>, Arc<[u8]>>;

/// Walks a range of a frozen copy of a column. The copy is an `Arc` taken under the read
/// lock, so creating a scan is O(1); a write made while the scan lives copies the map
/// first (`Arc::make_mut`), so the scan keeps seeing the data as it was.
pub(crate) struct SnapshotScan {
    map: Arc<Map>,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    reverse: bool,
}

impl SnapshotScan {
    /// Scans `[lower, upper)` of `map`; the caller guarantees `lower < upper`.
    pub(crate) fn new(
        map: Arc<Map>,
        lower: Vec<u8>,
        upper: Option<Vec<u8>>,
        reverse: bool,
    ) -> Self {
        let upper = upper.map_or(Bound::Unbounded, Bound::Excluded);
        Self { map, lower: Bound::Included(lower), upper, reverse }
    }
}

impl Iterator for SnapshotScan {
    type Item = Result<KeyValue, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Each step looks up the next key past the last one returned, in O(log n). The
        // bounds never cross: a returned key lies strictly inside them.
        let mut range = self.map.range((self.lower.clone(), self.upper.clone()));
        let (key, value) = if self.reverse { range.next_back() } else { range.next() }?;
        let row = (key.clone(), value.to_vec());
        if self.reverse {
            self.upper = Bound::Excluded(row.0.clone());
        } else {
            self.lower = Bound::Excluded(row.0.clone());
        }
        Some(Ok(row))
    }
}
