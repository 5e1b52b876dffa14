//! Mapping RocksDB's errors onto [`StoreError`].

use std::path::Path;

use peerd_api::StoreError;
use rocksdb::ErrorKind;

/// The backend name in errors and [`peerd_api::Store::kind`].
pub(crate) const KIND: &str = "rocksdb";

/// True if RocksDB failed to take the directory's `LOCK` file. RocksDB reports both cases
/// as I/O errors and only the text tells them apart: `While lock file: <dir>/LOCK: ...`
/// when another process holds it, `lock hold by current process ...` when this one does.
fn is_lock_error(err: &rocksdb::Error) -> bool {
    let text = err.as_ref();
    err.kind() == ErrorKind::IOError
        && (text.contains("While lock file") || text.contains("lock hold by current process"))
}

/// Maps an error of opening (or listing the column families of) the database at `path`.
pub(crate) fn open(path: &Path, err: rocksdb::Error) -> StoreError {
    let path = path.to_path_buf();
    if is_lock_error(&err) {
        return StoreError::Locked { path };
    }
    match err.kind() {
        ErrorKind::IOError => StoreError::Open { path, kind: KIND, source: Box::new(err) },
        // Corruption, and files that parse but make no sense (InvalidArgument, …).
        _ => StoreError::Corrupt { path, kind: KIND, reason: err.into_string() },
    }
}

/// Maps an error of creating the directory at `path`.
pub(crate) fn create_dir(path: &Path, err: std::io::Error) -> StoreError {
    StoreError::Open { path: path.to_path_buf(), kind: KIND, source: Box::new(err) }
}

/// Maps an error of an operation on an open database.
pub(crate) fn backend(op: &'static str, err: rocksdb::Error) -> StoreError {
    StoreError::Backend { kind: KIND, op, source: Box::new(err) }
}
