//! Mapping sled's errors onto [`StoreError`].

use std::path::Path;

use peerd_api::StoreError;

/// The backend name in errors and [`peerd_api::Store::kind`].
pub(crate) const KIND: &str = "sled";

/// What sled 0.34 says when `fs2::try_lock_exclusive` on its `db` file fails (see
/// `Config::try_lock` in sled's `config.rs`); sled wraps it in an `Other` I/O error, so
/// the text is all there is to recognise it by.
const LOCK_FAILED: &str = "could not acquire lock";

/// Maps an error of opening the database at `path`.
pub(crate) fn open(path: &Path, err: sled::Error) -> StoreError {
    let path = path.to_path_buf();
    match err {
        sled::Error::Io(e) if e.to_string().contains(LOCK_FAILED) => StoreError::Locked { path },
        sled::Error::Io(e) => StoreError::Open { path, kind: KIND, source: Box::new(e) },
        sled::Error::Corruption { at, .. } => {
            let at = at.map_or_else(String::new, |at| format!(" at {at:?}"));
            let reason = format!("sled found data it cannot read{at} (checksum mismatch)");
            StoreError::Corrupt { path, kind: KIND, reason }
        }
        // sled's complaints about a config or log it cannot use.
        other => StoreError::Corrupt { path, kind: KIND, reason: other.to_string() },
    }
}

/// Maps an error of creating the directory at `path`.
pub(crate) fn create_dir(path: &Path, err: std::io::Error) -> StoreError {
    StoreError::Open { path: path.to_path_buf(), kind: KIND, source: Box::new(err) }
}

/// Maps an error of an operation on an open database.
pub(crate) fn backend(op: &'static str, err: sled::Error) -> StoreError {
    StoreError::Backend { kind: KIND, op, source: Box::new(err) }
}
