//! The sled store: one tree per column, batches as multi-tree transactions.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use peerd_api::{BatchOp, Column, ColumnStats, KeyRange, ScanIter, StoreError, WriteBatch};
use sled::transaction::{ConflictableTransactionResult, TransactionError, Transactional};
use sled::Tree;

use crate::backpressure::Backpressure;
use crate::error::{self, KIND};
use crate::Config;

/// The name of sled's own default tree; it never holds a column.
const DEFAULT_TREE: &[u8] = b"__sled__default";

/// A sled database used as a [`peerd_api::Store`].
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    /// Every column tree that exists, by name. Trees are only created by writes, so a
    /// read of a column missing here finds nothing without touching the database.
    trees: RwLock<BTreeMap<String, Tree>>,
    /// Makes writers wait for the disk now and then: see [`crate::backpressure`].
    backpressure: Backpressure,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database in directory `path`, with the options of
    /// `config` (its `path` field is not used here: see [`Config::build`]).
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`] if another process (or this one) has the directory open;
    /// [`StoreError::Open`] if it cannot be created or read (a regular file, no
    /// permission); [`StoreError::Corrupt`] if it holds something sled cannot read.
    pub fn open(path: &Path, config: &Config) -> Result<Self, StoreError> {
        std::fs::create_dir_all(path).map_err(|e| error::create_dir(path, e))?;
        let log = path.join("db");
        let existed = std::fs::metadata(&log).is_ok_and(|m| m.len() > 0);
        let sled_config = sled::Config::new()
            .path(path)
            .cache_capacity(config.cache_capacity_mb.saturating_mul(1 << 20))
            .flush_every_ms((config.flush_every_ms > 0).then_some(config.flush_every_ms));
        let db = peerd_api::open_patiently(peerd_api::LOCK_PATIENCE, || {
            sled_config.open().map_err(|e| error::open(path, e))
        })?;
        check_marker(&db, path, existed)?;
        let mut trees = BTreeMap::new();
        for name in db.tree_names() {
            if name == DEFAULT_TREE {
                continue;
            }
            let Ok(text) = std::str::from_utf8(&name) else {
                tracing::warn!(path = %path.display(), tree = ?name, "ignoring a tree whose name is not UTF-8");
                continue;
            };
            let tree = db.open_tree(&name).map_err(|e| error::open(path, e))?;
            trees.insert(text.to_owned(), tree);
        }
        tracing::debug!(path = %path.display(), columns = trees.len(), "opened sled store");
        let trees = RwLock::new(trees);
        Ok(Self { db, path: path.to_path_buf(), trees, backpressure: Backpressure::default() })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tree of an existing column, if any.
    fn existing(&self, column: Column) -> Result<Option<Tree>, StoreError> {
        let name = valid(column)?;
        Ok(self.trees.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned())
    }

    /// The tree of a column, created if needed.
    fn tree(&self, column: Column) -> Result<Tree, StoreError> {
        if let Some(tree) = self.existing(column)? {
            return Ok(tree);
        }
        let mut trees = self.trees.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(tree) = trees.get(column.name()) {
            return Ok(tree.clone());
        }
        let tree =
            self.db.open_tree(column.name()).map_err(|e| error::backend("create column", e))?;
        trees.insert(column.name().to_owned(), tree.clone());
        Ok(tree)
    }
}

/// Key (in sled's default tree) of the marker every peerd sled store holds.
const MARKER_KEY: &[u8] = b"peerd.store";
/// The marker's value: the layout version of the store.
const MARKER_VALUE: &[u8] = b"peerd-store-sled/1";

/// Writes the marker into a new database, or checks it in an existing one.
///
/// sled treats a log it cannot read as the end of the log, so a damaged `db` file opens
/// as an empty database. The marker, written and flushed when the store is created, is
/// how a damaged (or foreign) database is told apart from a new one.
fn check_marker(db: &sled::Db, path: &Path, existed: bool) -> Result<(), StoreError> {
    let marker = db.get(MARKER_KEY).map_err(|e| error::open(path, e))?;
    let corrupt =
        |reason: String| StoreError::Corrupt { path: path.to_path_buf(), kind: KIND, reason };
    match marker {
        Some(value) if value == MARKER_VALUE => Ok(()),
        Some(value) => Err(corrupt(format!(
            "unknown store marker {:?}; expected {:?}",
            String::from_utf8_lossy(&value),
            String::from_utf8_lossy(MARKER_VALUE)
        ))),
        None if existed => Err(corrupt(
            "the log file `db` holds no readable peerd data (damaged, or not a peerd store)"
                .to_owned(),
        )),
        None => {
            db.insert(MARKER_KEY, MARKER_VALUE).map_err(|e| error::open(path, e))?;
            db.flush().map_err(|e| error::open(path, e))?;
            Ok(())
        }
    }
}

/// Column names must be non-empty and must not alias sled's internal trees.
fn valid(column: Column) -> Result<&'static str, StoreError> {
    let name = column.name();
    if name.is_empty() || name.starts_with("__sled__") {
        return Err(StoreError::InvalidColumn(name.to_owned()));
    }
    Ok(name)
}

fn column_of(op: &BatchOp) -> Column {
    match op {
        BatchOp::Put { column, .. } | BatchOp::Delete { column, .. } => *column,
    }
}

impl peerd_api::Store for Store {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(tree) = self.existing(column)? else { return Ok(None) };
        let value = tree.get(key).map_err(|e| error::backend("get", e))?;
        Ok(value.map(|v| v.to_vec()))
    }

    fn scan(&self, column: Column, range: KeyRange) -> Result<ScanIter<'_>, StoreError> {
        let tree = self.existing(column)?;
        let (Some(tree), Some((lower, upper))) = (tree, range.half_open()) else {
            return Ok(Box::new(std::iter::empty()));
        };
        let iter = match upper {
            Some(upper) => tree.range(lower..upper),
            None => tree.range(lower..),
        };
        let rows = |row: sled::Result<(sled::IVec, sled::IVec)>| {
            row.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(|e| error::backend("scan", e))
        };
        if range.reverse {
            Ok(Box::new(iter.rev().map(rows)))
        } else {
            Ok(Box::new(iter.map(rows)))
        }
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        // Validate every column first: a bad batch must not create trees either.
        for op in batch.ops() {
            valid(column_of(op))?;
        }
        let ops = batch.into_ops();
        let mut columns: Vec<Column> = Vec::new();
        let mut slots = Vec::with_capacity(ops.len());
        for op in &ops {
            let column = column_of(op);
            let slot = columns.iter().position(|c| *c == column).unwrap_or_else(|| {
                columns.push(column);
                columns.len() - 1
            });
            slots.push(slot);
        }
        if columns.is_empty() {
            return Ok(());
        }
        let trees = columns.iter().map(|c| self.tree(*c)).collect::<Result<Vec<_>, _>>()?;
        // sled may run the closure again after a conflict, so it only reads `ops`.
        let result = trees.as_slice().transaction(|views| {
            for (op, &slot) in ops.iter().zip(&slots) {
                match op {
                    BatchOp::Put { key, value, .. } => {
                        views[slot].insert(key.as_slice(), value.as_slice())?;
                    }
                    BatchOp::Delete { key, .. } => {
                        views[slot].remove(key.as_slice())?;
                    }
                }
            }
            ConflictableTransactionResult::<(), Infallible>::Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => return Err(error::backend("write", e)),
            Err(TransactionError::Abort(never)) => match never {},
        }
        // Bound the log buffers in flight, or sled 0.34.7 can deadlock. The batch is
        // applied already, so a failed flush is not this write's error: sled keeps the
        // I/O error and fails the next write or `flush` with it.
        if self.backpressure.wrote(&ops) {
            if let Err(e) = self.db.flush() {
                tracing::warn!(path = %self.path.display(), error = %e, "backpressure flush failed");
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(|e| error::backend("flush", e))?;
        self.backpressure.flushed();
        Ok(())
    }

    fn stats(&self) -> Result<Vec<ColumnStats>, StoreError> {
        let trees = self.trees.read().unwrap_or_else(PoisonError::into_inner).clone();
        let mut stats = Vec::with_capacity(trees.len());
        for (name, tree) in trees {
            let (mut keys, mut bytes) = (0u64, 0u64);
            for row in tree.iter() {
                let (k, v) = row.map_err(|e| error::backend("stats", e))?;
                keys += 1;
                bytes += (k.len() + v.len()) as u64;
            }
            stats.push(ColumnStats { name, keys, bytes });
        }
        Ok(stats)
    }
}
