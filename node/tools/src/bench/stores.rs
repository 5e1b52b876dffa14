//! The store under test: memory, or sled / RocksDB in a temporary directory.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use peerd_api::Store;

use super::BenchError;

/// The store a benchmark syncs into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreKind {
    /// `peerd-store-memory`.
    Memory,
    /// `peerd-store-sled` (cargo feature `sled`).
    Sled,
    /// `peerd-store-rocksdb` (cargo feature `rocksdb`).
    Rocksdb,
}

impl StoreKind {
    /// The kind's name, as on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            StoreKind::Memory => "memory",
            StoreKind::Sled => "sled",
            StoreKind::Rocksdb => "rocksdb",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StoreKind {
    type Err = BenchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "memory" => Ok(StoreKind::Memory),
            "sled" => Ok(StoreKind::Sled),
            "rocksdb" => Ok(StoreKind::Rocksdb),
            other => Err(BenchError::UnknownStore(other.to_owned())),
        }
    }
}

/// An open store and the directory it lives in (removed when dropped).
pub(super) struct Opened {
    pub(super) store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

/// Opens an empty store of `kind`. Blocking.
pub(super) fn open(kind: StoreKind) -> Result<Opened, BenchError> {
    match kind {
        StoreKind::Memory => {
            Ok(Opened { store: Arc::new(peerd_store_memory::Store::new()), _dir: None })
        }
        #[cfg(feature = "sled")]
        StoreKind::Sled => {
            let dir = tempfile::tempdir()?;
            let config = peerd_store_sled::Config::default();
            let store = peerd_store_sled::Store::open(dir.path(), &config)?;
            Ok(Opened { store: Arc::new(store), _dir: Some(dir) })
        }
        #[cfg(feature = "rocksdb")]
        StoreKind::Rocksdb => {
            let dir = tempfile::tempdir()?;
            let config = peerd_store_rocksdb::Config::default();
            let store = peerd_store_rocksdb::Store::open(dir.path(), &config)?;
            Ok(Opened { store: Arc::new(store), _dir: Some(dir) })
        }
        #[allow(unreachable_patterns)] // reachable when a backend's feature is off
        other => Err(BenchError::NotCompiled(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_print() {
        for kind in [StoreKind::Memory, StoreKind::Sled, StoreKind::Rocksdb] {
            assert_eq!(kind.as_str().parse::<StoreKind>().unwrap(), kind);
        }
        let err = "lmdb".parse::<StoreKind>().unwrap_err();
        assert_eq!(err.to_string(), "unknown store kind \"lmdb\" (memory, sled or rocksdb)");
        assert_eq!(open(StoreKind::Memory).unwrap().store.kind(), "memory");
    }
}
