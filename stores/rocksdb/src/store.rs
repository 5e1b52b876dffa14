//! The RocksDB store: one column family per column, batches as one write batch.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use peerd_api::{BatchOp, Column, ColumnStats, KeyRange, ScanIter, StoreError, WriteBatch};
use rocksdb::{
    BoundColumnFamily, ColumnFamilyDescriptor, FlushOptions, Options, ReadOptions, WriteOptions,
    DEFAULT_COLUMN_FAMILY_NAME,
};

use crate::error::{self, KIND};
use crate::scan::{Db, Scan};
use crate::Config;

/// A RocksDB database used as a [`peerd_api::Store`].
pub struct Store {
    db: Db,
    path: PathBuf,
    /// Options for new column families; the mutex also serialises their creation.
    cf_options: Mutex<Options>,
    /// Names of every column family, `default` included (kept for `flush` and `stats`).
    columns: RwLock<BTreeSet<String>>,
    write_options: WriteOptions,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

fn db_options(config: &Config) -> Options {
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    options.set_max_open_files(config.max_open_files);
    options.set_write_buffer_size(mib(config.write_buffer_mb));
    // RocksDB's own info log (`LOG`) otherwise grows without end.
    options.set_keep_log_file_num(4);
    options.set_max_log_file_size(16 << 20);
    options
}

fn mib(n: u64) -> usize {
    usize::try_from(n.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
}

impl Store {
    /// Opens (creating if needed) the database in directory `path`, with the options of
    /// `config` (its `path` field is not used here: see [`Config::build`]).
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`] if another process (or this one) has the directory open;
    /// [`StoreError::Open`] if it cannot be created or read (a regular file, no
    /// permission); [`StoreError::Corrupt`] if it holds something RocksDB cannot read.
    pub fn open(path: &Path, config: &Config) -> Result<Self, StoreError> {
        std::fs::create_dir_all(path).map_err(|e| error::create_dir(path, e))?;
        let options = db_options(config);
        // A directory without `CURRENT` holds no database yet: nothing to list.
        let names = if path.join("CURRENT").exists() {
            Db::list_cf(&options, path).map_err(|e| error::open(path, e))?
        } else {
            vec![DEFAULT_COLUMN_FAMILY_NAME.to_owned()]
        };
        let descriptors =
            || names.iter().map(|name| ColumnFamilyDescriptor::new(name, options.clone()));
        let db = peerd_api::open_patiently(peerd_api::LOCK_PATIENCE, || {
            Db::open_cf_descriptors(&options, path, descriptors()).map_err(|e| error::open(path, e))
        })?;
        let mut columns: BTreeSet<String> = names.into_iter().collect();
        columns.insert(DEFAULT_COLUMN_FAMILY_NAME.to_owned());
        tracing::debug!(path = %path.display(), columns = columns.len(), "opened rocksdb store");
        let mut write_options = WriteOptions::default();
        write_options.set_sync(config.sync_writes);
        Ok(Self {
            db,
            path: path.to_path_buf(),
            cf_options: Mutex::new(options),
            columns: RwLock::new(columns),
            write_options,
        })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The column family of an existing column, if any.
    fn existing(&self, column: Column) -> Result<Option<Arc<BoundColumnFamily<'_>>>, StoreError> {
        Ok(self.db.cf_handle(valid(column)?))
    }

    /// The column family of a column, created if needed.
    fn column_family(&self, column: Column) -> Result<Arc<BoundColumnFamily<'_>>, StoreError> {
        if let Some(cf) = self.existing(column)? {
            return Ok(cf);
        }
        let options = self.cf_options.lock().unwrap_or_else(PoisonError::into_inner);
        // Another thread may have created it while we waited for the lock.
        if let Some(cf) = self.db.cf_handle(column.name()) {
            return Ok(cf);
        }
        self.db
            .create_cf(column.name(), &options)
            .map_err(|e| error::backend("create column", e))?;
        let mut columns = self.columns.write().unwrap_or_else(PoisonError::into_inner);
        columns.insert(column.name().to_owned());
        tracing::debug!(column = column.name(), "created rocksdb column family");
        self.db.cf_handle(column.name()).ok_or_else(|| StoreError::Backend {
            kind: KIND,
            op: "create column",
            source: format!("column family {} missing after creation", column.name()).into(),
        })
    }

    fn column_names(&self) -> Vec<String> {
        self.columns.read().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }
}

/// RocksDB accepts any non-empty name.
fn valid(column: Column) -> Result<&'static str, StoreError> {
    match column.name() {
        "" => Err(StoreError::InvalidColumn(String::new())),
        name => Ok(name),
    }
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
        let Some(cf) = self.existing(column)? else { return Ok(None) };
        let value = self.db.get_pinned_cf(&cf, key).map_err(|e| error::backend("get", e))?;
        Ok(value.map(|v| v.to_vec()))
    }

    fn scan(&self, column: Column, range: KeyRange) -> Result<ScanIter<'_>, StoreError> {
        let cf = self.existing(column)?;
        let (Some(cf), Some((lower, upper))) = (cf, range.half_open()) else {
            return Ok(Box::new(std::iter::empty()));
        };
        let mut read = ReadOptions::default();
        read.set_iterate_lower_bound(lower);
        if let Some(upper) = upper {
            read.set_iterate_upper_bound(upper);
        }
        let iter = self.db.raw_iterator_cf_opt(&cf, read);
        Ok(Box::new(Scan::new(iter, range.reverse)))
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        // Validate every column first: a bad batch must not create column families either.
        for op in batch.ops() {
            valid(column_of(op))?;
        }
        if batch.is_empty() {
            return Ok(());
        }
        let mut families: Vec<(Column, Arc<BoundColumnFamily<'_>>)> = Vec::new();
        let mut out = rocksdb::WriteBatch::default();
        for op in batch.into_ops() {
            let column = column_of(&op);
            let cf = match families.iter().find(|(c, _)| *c == column) {
                Some((_, cf)) => Arc::clone(cf),
                None => {
                    let cf = self.column_family(column)?;
                    families.push((column, Arc::clone(&cf)));
                    cf
                }
            };
            match op {
                BatchOp::Put { key, value, .. } => out.put_cf(&cf, key, value),
                BatchOp::Delete { key, .. } => out.delete_cf(&cf, key),
            }
        }
        self.db.write_opt(out, &self.write_options).map_err(|e| error::backend("write", e))
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_wal(true).map_err(|e| error::backend("flush", e))?;
        let families: Vec<_> =
            self.column_names().iter().filter_map(|name| self.db.cf_handle(name)).collect();
        let refs: Vec<&Arc<BoundColumnFamily<'_>>> = families.iter().collect();
        self.db
            .flush_cfs_opt(&refs, &FlushOptions::default())
            .map_err(|e| error::backend("flush", e))
    }

    fn stats(&self) -> Result<Vec<ColumnStats>, StoreError> {
        let mut stats = Vec::new();
        for name in self.column_names() {
            let Some(cf) = self.db.cf_handle(&name) else { continue };
            let (mut keys, mut bytes) = (0u64, 0u64);
            let mut iter = self.db.raw_iterator_cf(&cf);
            iter.seek_to_first();
            while let Some((k, v)) = iter.item() {
                keys += 1;
                bytes += (k.len() + v.len()) as u64;
                iter.next();
            }
            iter.status().map_err(|e| error::backend("stats", e))?;
            // RocksDB's `default` family always exists; list it only if a column uses it.
            if name == DEFAULT_COLUMN_FAMILY_NAME && keys == 0 {
                continue;
            }
            stats.push(ColumnStats { name, keys, bytes });
        }
        Ok(stats)
    }
}
