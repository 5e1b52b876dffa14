//! The store conformance suite: one set of checks that every [`Store`] backend runs.
//!
//! A backend's `tests/it/compliance.rs` names a function that opens its store in a directory
//! and invokes one or both macros; each check becomes its own `#[test]`:
//!
//! - [`store_suite!`](crate::store_suite) — behaviour every store must have: CRUD, key
//!   order (forward, reverse, prefixes, empty ranges), independent columns, atomic batches,
//!   readers running while batches are written, 5 MB values, statistics.
//! - [`persistent_store_suite!`](crate::persistent_store_suite) — for stores that keep data
//!   on disk: data survives close and reopen, a store killed with SIGKILL in the middle of
//!   writing reopens with whole batches only, a directory held by another process is
//!   reported as [`StoreError::Locked`], and garbage or unreadable directories are
//!   reported as errors naming the directory (never a panic).
//!
//! ```ignore
//! // stores/sled/tests/it/compliance.rs
//! use std::path::Path;
//! use peerd_api::{Store, StoreError};
//!
//! fn open(dir: &Path) -> Result<Box<dyn Store>, StoreError> {
//!     Ok(Box::new(peerd_store_sled::Store::open(dir, &Default::default())?))
//! }
//!
//! peerd_testkit::store_suite!(open);
//! peerd_testkit::persistent_store_suite!(open);
//! ```
//!
//! The process checks re-run the current test binary as a child (`--exact <test>`), with
//! [`CHILD_ENV`] naming the test and [`DIR_ENV`] the store directory; the child plays its
//! role and reports on stdout in lines starting with `peerd-testkit:`.

// The checks are test code: a failing `unwrap` is a failing test, with the error shown.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use peerd_api::{Column, KeyValue, ScanIter, Store, StoreError};
use tempfile::TempDir;

pub mod checks;
mod concurrent;
mod crash;
mod persist;
mod process;

/// Opens the store under test in a directory, creating it if needed.
///
/// Implemented for every `Fn(&Path) -> Result<Box<dyn Store>, StoreError>`.
pub trait StoreFactory: Sync {
    /// Opens (creating if needed) the store kept in `dir`.
    fn open(&self, dir: &Path) -> Result<Box<dyn Store>, StoreError>;
}

impl<F> StoreFactory for F
where
    F: Fn(&Path) -> Result<Box<dyn Store>, StoreError> + Sync,
{
    fn open(&self, dir: &Path) -> Result<Box<dyn Store>, StoreError> {
        self(dir)
    }
}

/// Environment variable that turns a re-executed test binary into a child: it holds the
/// name of the test whose child role to play.
pub const CHILD_ENV: &str = "PEERD_TESTKIT_STORE_CHILD";

/// Environment variable giving a child process the store directory to open.
pub const DIR_ENV: &str = "PEERD_TESTKIT_STORE_DIR";

/// What one check gets: the factory, a fresh directory and the test's name.
pub struct Harness<'a> {
    factory: &'a dyn StoreFactory,
    /// `None` in a child process, which uses the parent's directory instead.
    temp: Option<TempDir>,
    dir: PathBuf,
    test_name: String,
    child: bool,
}

impl<'a> Harness<'a> {
    /// A harness for the test `name` generated in module `module_path` (pass
    /// `module_path!()`). In a child process the directory comes from [`DIR_ENV`].
    ///
    /// # Panics
    ///
    /// If a temporary directory cannot be created.
    pub fn new(factory: &'a dyn StoreFactory, module_path: &str, name: &str) -> Self {
        // Test names are paths relative to the crate root: drop the crate's own name.
        let test_name = match module_path.split_once("::") {
            Some((_crate, rest)) => format!("{rest}::{name}"),
            None => name.to_owned(),
        };
        let child = std::env::var(CHILD_ENV).is_ok_and(|role| role == test_name);
        let (temp, dir) = match std::env::var_os(DIR_ENV) {
            Some(dir) if child => (None, PathBuf::from(dir)),
            _ => {
                let temp = tempfile::tempdir().expect("create a temporary directory");
                let dir = temp.path().join("store");
                (Some(temp), dir)
            }
        };
        Self { factory, temp, dir, test_name, child }
    }

    /// Runs one check.
    pub fn run(self, check: fn(&Harness<'_>)) {
        check(&self);
        drop(self.temp);
    }

    /// The store directory (not created yet: opening the store creates it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A scratch directory next to the store directory, for files the check needs.
    pub fn scratch(&self) -> PathBuf {
        let parent = self.dir.parent().unwrap_or(Path::new("."));
        parent.join("scratch")
    }

    /// The name libtest knows this test by (what `--exact` needs).
    pub fn test_name(&self) -> &str {
        &self.test_name
    }

    /// True in a re-executed child process playing this test's child role.
    pub fn is_child(&self) -> bool {
        self.child
    }

    /// Opens the store in [`Harness::dir`].
    pub fn try_open(&self) -> Result<Box<dyn Store>, StoreError> {
        self.factory.open(&self.dir)
    }

    /// Opens the store in [`Harness::dir`], panicking with the error on failure.
    ///
    /// # Panics
    ///
    /// If the store does not open.
    pub fn open(&self) -> Box<dyn Store> {
        self.open_at(&self.dir)
    }

    /// Opens the store in another directory.
    ///
    /// # Panics
    ///
    /// If the store does not open.
    pub fn open_at(&self, dir: &Path) -> Box<dyn Store> {
        match self.factory.open(dir) {
            Ok(store) => store,
            Err(e) => panic!("opening the store at {} failed: {e}", dir.display()),
        }
    }
}

/// Column used by the checks.
pub const A: Column = Column::new("testkit.a");
/// Column used by the checks.
pub const B: Column = Column::new("testkit.b");
/// Column used by the checks.
pub const C: Column = Column::new("testkit.c");
/// Column used by the checks for logs of numbered writes.
pub const LOG: Column = Column::new("testkit.log");

/// Collects a scan, panicking on the first error.
///
/// # Panics
///
/// If the scan fails to start or any step fails.
pub fn collect(scan: Result<ScanIter<'_>, StoreError>) -> Vec<KeyValue> {
    let rows: Result<Vec<_>, _> = scan.expect("scan starts").collect();
    rows.expect("every scan step succeeds")
}

/// Keys of a scan, in scan order.
///
/// # Panics
///
/// If the scan fails.
pub fn keys(scan: Result<ScanIter<'_>, StoreError>) -> Vec<Vec<u8>> {
    collect(scan).into_iter().map(|(k, _)| k).collect()
}

/// Reads a big-endian `u64` value, panicking if the key is missing or not 8 bytes.
///
/// # Panics
///
/// If the key is absent, the read fails or the value is not 8 bytes.
pub fn get_u64(store: &dyn Store, column: Column, key: &[u8]) -> u64 {
    let value = store.get(column, key).expect("get").unwrap_or_else(|| {
        panic!("{}: key {key:?} missing", column.name());
    });
    let bytes: [u8; 8] = value.as_slice().try_into().expect("an 8-byte counter");
    u64::from_be_bytes(bytes)
}

/// Generates one `#[test]` per check that applies to every store, memory stores included.
///
/// `$open` names a `fn(&Path) -> Result<Box<dyn Store>, StoreError>`; each test gets a
/// fresh directory.
#[macro_export]
macro_rules! store_suite {
    ($open:path) => {
        $crate::__store_tests!($open;
            crud,
            overwrite_and_delete,
            u64_keys_scan_in_numeric_order,
            bounded_ranges_forward_and_reverse,
            prefix_scans,
            empty_ranges,
            columns_are_independent,
            dropped_batch_leaves_no_trace,
            applied_batch_is_wholly_visible,
            invalid_batch_changes_nothing,
            writes_during_a_scan,
            five_megabyte_values,
            stats_count_keys_and_bytes,
            readers_never_see_half_a_batch,
        );
    };
}

/// Generates one `#[test]` per check for stores that keep their data on disk (run it in
/// addition to [`store_suite!`]).
#[macro_export]
macro_rules! persistent_store_suite {
    ($open:path) => {
        $crate::__store_tests!($open;
            data_survives_reopen,
            clean_close_keeps_unflushed_writes,
            crash_keeps_whole_batches,
            directory_held_by_another_process_is_locked,
            second_open_in_the_same_process_is_locked,
            garbage_files_are_reported,
            regular_file_as_directory_is_reported,
            unreadable_directory_is_reported,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_tests {
    ($open:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::store::Harness::new(&$open, module_path!(), stringify!($check))
                    .run($crate::store::checks::$check);
            }
        )*
    };
}
