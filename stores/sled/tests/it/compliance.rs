//! The store conformance suite, run against the sled store: every check of both suites.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;

use peerd_api::{Store, StoreError};
use peerd_store_sled::Config;

fn open(dir: &Path) -> Result<Box<dyn Store>, StoreError> {
    Ok(Box::new(peerd_store_sled::Store::open(dir, &Config::default())?))
}

peerd_testkit::store_suite!(open);
peerd_testkit::persistent_store_suite!(open);
