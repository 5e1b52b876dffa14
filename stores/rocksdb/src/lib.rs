//! # peerd-store-rocksdb — a [`peerd_api::Store`] on [RocksDB](https://rocksdb.org)
//!
//! Each [`Column`](peerd_api::Column) is a RocksDB column family. The database runs in
//! multi-threaded mode, so a column family is created on the first write to its column,
//! through `&self`; the column families already in a directory are listed and opened with
//! it. A [`WriteBatch`](peerd_api::WriteBatch) becomes one RocksDB write batch across
//! column families: one record in the write-ahead log, so it is applied all or nothing,
//! also across a crash. Scans (forward and reverse) iterate a snapshot taken when the scan
//! starts. [`flush`](peerd_api::Store::flush) syncs the write-ahead log and then flushes
//! every memtable to table files: it is a checkpoint, meant for every few blocks rather
//! than every batch. Without it, applied batches survive a crash of the process (the log
//! is in the operating system's cache) but not necessarily a power cut, unless
//! [`Config::sync_writes`] is on.
//!
//! Opening a directory that another process (or this one) holds gives
//! [`StoreError::Locked`]; a directory RocksDB cannot read gives [`StoreError::Corrupt`]
//! or [`StoreError::Open`], each naming the directory.
//!
//! RocksDB is built without compression libraries (the ledger's values are small and
//! mostly incompressible), so the crate needs only a C++ compiler and libclang.
//!
//! ```
//! use peerd_api::{Column, KeyRange, Store as _, WriteBatch};
//! use peerd_store_rocksdb::{Config, Store};
//!
//! const HEIGHTS: Column = Column::new("example.heights");
//! const TIP: Column = Column::new("example.tip");
//!
//! let dir = tempfile::tempdir().unwrap();
//! {
//!     let store = Store::open(&dir.path().join("rocksdb"), &Config::default())?;
//!     let mut batch = WriteBatch::new();
//!     for height in 1u64..=3 {
//!         batch.put(HEIGHTS, height.to_be_bytes(), format!("digest {height}"));
//!     }
//!     batch.put(TIP, "height", 3u64.to_be_bytes());
//!     store.write(batch)?;
//!     store.flush()?;
//! }
//! let store = Store::open(&dir.path().join("rocksdb"), &Config::default())?;
//! let down: Vec<_> = store.scan(HEIGHTS, KeyRange::all().rev())?.collect::<Result<_, _>>()?;
//! assert_eq!(down[0], (3u64.to_be_bytes().to_vec(), b"digest 3".to_vec()));
//! assert_eq!(store.get(TIP, b"height")?, Some(3u64.to_be_bytes().to_vec()));
//! # Ok::<(), peerd_api::StoreError>(())
//! ```

use std::path::{Path, PathBuf};

use peerd_api::StoreError;
use serde::{Deserialize, Serialize};

mod error;
mod scan;
mod store;

pub use store::Store;

/// The `[store]` section for `kind = "rocksdb"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The database directory. `None` means `<data_dir>/rocksdb`, filled in by the node
    /// (and by [`Config::build`]).
    pub path: Option<PathBuf>,
    /// Most table files RocksDB keeps open at once; -1 keeps all of them open (fastest
    /// reads, one descriptor per file). Default 512: well under the usual limit of 1024
    /// descriptors, which the node's sockets share.
    pub max_open_files: i32,
    /// Size of each column's memtable in MiB: how much is written before RocksDB flushes
    /// it to a table file. Default 64 (RocksDB's own default).
    pub write_buffer_mb: u64,
    /// Sync the write-ahead log on every batch, so an applied batch survives a power cut
    /// even without [`Store::flush`](peerd_api::Store::flush). Slower; default `false`.
    pub sync_writes: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { path: None, max_open_files: 512, write_buffer_mb: 64, sync_writes: false }
    }
}

impl Config {
    /// The directory this config opens: [`Config::path`], or `<data_dir>/rocksdb`.
    pub fn resolve_path(&self, data_dir: &Path) -> PathBuf {
        self.path.clone().unwrap_or_else(|| data_dir.join("rocksdb"))
    }

    /// Opens the store at [`Config::resolve_path`].
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub fn build(&self, data_dir: &Path) -> Result<Box<dyn peerd_api::Store>, StoreError> {
        Ok(Box::new(Store::open(&self.resolve_path(data_dir), self)?))
    }
}
