//! The store conformance suite, run against the memory store.
//!
//! Only `store_suite!` applies: the memory store keeps nothing on disk, so the checks of
//! `persistent_store_suite!` (reopening, SIGKILL recovery, directory locks, corrupt or
//! unreadable directories) have nothing to test. `nothing_survives_the_store` below pins
//! that down instead of leaving it implicit.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;

use peerd_api::{Store, StoreError};

fn open(_dir: &Path) -> Result<Box<dyn Store>, StoreError> {
    Ok(Box::new(peerd_store_memory::Store::new()))
}

peerd_testkit::store_suite!(open);

/// Each memory store starts empty, and a directory path plays no part.
#[test]
fn nothing_survives_the_store() {
    let dir = Path::new("/nonexistent/peerd");
    let first = open(dir).unwrap();
    first.put(peerd_testkit::store::A, b"k", b"v").unwrap();
    first.flush().unwrap();
    let config = peerd_store_memory::Config::default();
    let second = config.build(dir).unwrap();
    assert_eq!(second.get(peerd_testkit::store::A, b"k").unwrap(), None);
    assert!(second.stats().unwrap().is_empty());
    assert_eq!(second.kind(), "memory");
}
