//! # peerd-store-memory — an in-memory [`peerd_api::Store`]
//!
//! Keeps every column in a `BTreeMap` behind one `RwLock`, so a [`WriteBatch`](peerd_api::WriteBatch) is applied
//! under a single write lock: readers see none or all of it, across columns. A scan takes a
//! snapshot of its column (a reference-counted map, taken in O(1) under the read lock) and
//! iterates that, so callers may write while they iterate and the scan sees the data as it
//! was when it started; a write that meets a live snapshot copies the column first. Nothing reaches disk: [`Store::flush`](peerd_api::Store::flush) does
//! nothing and the data is gone when the store is dropped. Use it for tests, simulations
//! and benchmarks (`[store] kind = "memory"`).
//!
//! ```
//! use peerd_api::{Column, KeyRange, Store as _, WriteBatch};
//! use peerd_store_memory::Store;
//!
//! const HEIGHTS: Column = Column::new("example.heights");
//! const BLOCKS: Column = Column::new("example.blocks");
//!
//! let store = Store::new();
//! let mut batch = WriteBatch::new();
//! for height in 1u64..=3 {
//!     batch.put(HEIGHTS, height.to_be_bytes(), format!("digest {height}"));
//!     batch.put(BLOCKS, format!("digest {height}"), height.to_be_bytes());
//! }
//! store.write(batch)?;
//!
//! let (last, _) = store.last(HEIGHTS)?.expect("three heights");
//! assert_eq!(last, 3u64.to_be_bytes());
//! let down: Vec<_> = store.scan(HEIGHTS, KeyRange::all().rev())?.collect::<Result<_, _>>()?;
//! assert_eq!(down[0].1, b"digest 3");
//! # Ok::<(), peerd_api::StoreError>(())
//! ```

use std::path::Path;

use peerd_api::StoreError;
use serde::{Deserialize, Serialize};

mod scan;
mod store;

pub use store::Store;

/// The `[store]` section for `kind = "memory"`. The memory store has no options; the
/// struct exists so that the config file is checked the same way for every backend
/// (unknown keys are an error).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {}

impl Config {
    /// Builds an empty memory store. `data_dir` is ignored (nothing is written to disk); the
    /// parameter keeps the signature the same as the persistent backends' `build`.
    ///
    /// # Errors
    ///
    /// None today; the `Result` matches the other backends.
    pub fn build(&self, data_dir: &Path) -> Result<Box<dyn peerd_api::Store>, StoreError> {
        let _ = data_dir;
        Ok(Box::new(Store::new()))
    }
}
