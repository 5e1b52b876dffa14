//! # peerd-store-sled — a [`peerd_api::Store`] on [sled](https://docs.rs/sled/0.34.7)
//!
//! Each [`Column`](peerd_api::Column) is a sled tree, opened on first write and cached;
//! the trees already in the database are opened with it. A
//! [`WriteBatch`](peerd_api::WriteBatch) is one sled transaction over every tree it
//! touches, so it is applied all or nothing, also across a crash, and readers never see
//! half of it. Scans iterate live data (sled has no snapshots): a scan may see batches
//! written after it started. [`flush`](peerd_api::Store::flush) writes sled's log to disk
//! and fsyncs it; in between, sled flushes in the background every
//! [`Config::flush_every_ms`].
//!
//! sled treats an unreadable log as the end of the log, so a damaged `db` file would open
//! as an empty database. Every store therefore holds a marker (outside all columns),
//! written when it is created; an existing log without it is reported as corrupt.
//!
//! **Backpressure (a sled 0.34.7 deadlock).** Under sustained writes sled 0.34.7 can
//! deadlock: a writer that needs a fresh log segment waits, holding the segment
//! accountant's lock, for a file truncation queued on sled's I/O thread pool, while every
//! pool thread, each writing a log buffer, waits for that lock (compare
//! spacejam/sled#1412; the pool cannot grow past its 7 permanent threads once they are
//! all busy). Without a bound on the buffers in flight, the conformance suite's crash
//! check hung in 5 of 80 runs. This store therefore makes
//! [`write`](peerd_api::Store::write) wait for sled's log to reach the disk (a sled
//! `flush`) after every ~256 KiB of estimated log writes, so that one writer has at most
//! a few buffers in flight and a pool thread stays free; with it, 350 runs in a row
//! passed. The wait adds durability and costs a disk wait per 256 KiB written. The bound
//! is per store and assumes few concurrent writers: many threads writing large batches
//! to one store, or many busy stores in one process, can still fill the pool.
//!
//! Opening a directory that another process (or this one) holds gives
//! [`StoreError::Locked`]; a directory sled cannot read gives [`StoreError::Corrupt`] or
//! [`StoreError::Open`], each naming the directory.
//!
//! ```
//! use peerd_api::{Column, Store as _, WriteBatch};
//! use peerd_store_sled::{Config, Store};
//!
//! const HEIGHTS: Column = Column::new("example.heights");
//! const TIP: Column = Column::new("example.tip");
//!
//! let dir = tempfile::tempdir().unwrap();
//! {
//!     let store = Store::open(&dir.path().join("sled"), &Config::default())?;
//!     let mut batch = WriteBatch::new();
//!     batch.put(HEIGHTS, 7u64.to_be_bytes(), "digest 7").put(TIP, "height", 7u64.to_be_bytes());
//!     store.write(batch)?;
//!     store.flush()?;
//! }
//! let store = Store::open(&dir.path().join("sled"), &Config::default())?;
//! assert_eq!(store.get(TIP, b"height")?, Some(7u64.to_be_bytes().to_vec()));
//! assert_eq!(store.last(HEIGHTS)?.map(|(_, digest)| digest), Some(b"digest 7".to_vec()));
//! # Ok::<(), peerd_api::StoreError>(())
//! ```

use std::path::{Path, PathBuf};

use peerd_api::StoreError;
use serde::{Deserialize, Serialize};

mod backpressure;
mod error;
mod store;

pub use store::Store;

/// The `[store]` section for `kind = "sled"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The database directory. `None` means `<data_dir>/sled`, filled in by the node (and
    /// by [`Config::build`]).
    pub path: Option<PathBuf>,
    /// Size of sled's page cache in MiB. Default 256: enough to keep the hot part of a
    /// ledger in memory without the 1 GiB that sled would take by default.
    pub cache_capacity_mb: u64,
    /// Interval of sled's background flush in milliseconds; 0 turns it off, so only
    /// [`Store::flush`](peerd_api::Store::flush) (and a clean close) make writes durable.
    /// Default 500 (sled's own default): at most half a second of writes is lost to a
    /// power cut.
    pub flush_every_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self { path: None, cache_capacity_mb: 256, flush_every_ms: 500 }
    }
}

impl Config {
    /// The directory this config opens: [`Config::path`], or `<data_dir>/sled`.
    pub fn resolve_path(&self, data_dir: &Path) -> PathBuf {
        self.path.clone().unwrap_or_else(|| data_dir.join("sled"))
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
