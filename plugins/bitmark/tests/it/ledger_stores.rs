//! The ledger on the persistent stores (sled, RocksDB): the same bytes as on the memory store,
//! and it survives reopening and delete-down.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use crate::ledger_support;
use std::sync::Arc;

use peerd_api::{Chain, Store};

use ledger_support::*;

type Opener = fn(&std::path::Path) -> Arc<dyn Store>;

fn open_sled(path: &std::path::Path) -> Arc<dyn Store> {
    Arc::new(peerd_store_sled::Store::open(path, &peerd_store_sled::Config::default()).unwrap())
}

fn open_rocksdb(path: &std::path::Path) -> Arc<dyn Store> {
    let config = peerd_store_rocksdb::Config::default();
    Arc::new(peerd_store_rocksdb::Store::open(path, &config).unwrap())
}

#[test]
fn sled_ledger_matches_memory_and_persists() {
    ledger_matches_memory_and_persists(open_sled);
}

#[test]
fn rocksdb_ledger_matches_memory_and_persists() {
    ledger_matches_memory_and_persists(open_rocksdb);
}

fn ledger_matches_memory_and_persists(open: Opener) {
    let memory: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let (chain, clock) = dev_chain(memory.clone());
    run_script(&chain, &clock, &mut Script::default());
    let reference = snapshot(memory.as_ref());

    let dir = tempfile::tempdir().unwrap();
    let tip = {
        let store = open(dir.path());
        let (chain, clock) = dev_chain(store.clone());
        run_script(&chain, &clock, &mut Script::default());
        assert_eq!(snapshot(store.as_ref()), reference, "the store holds the same bytes as memory");
        store.flush().unwrap();
        chain.tip()
    };

    // Reopened: same tip, same columns; delete down and reopen again.
    {
        let store = open(dir.path());
        let (chain, _) = dev_chain(store.clone());
        assert_eq!(chain.tip(), tip);
        assert_eq!(snapshot(store.as_ref()), reference);
        chain.delete_down(4).unwrap();
        assert_eq!(chain.height().unwrap(), 3);
        store.flush().unwrap();
    }
    let store = open(dir.path());
    let (chain, _) = dev_chain(store.clone());
    assert_eq!(chain.height().unwrap(), 3);
    assert_eq!(chain.digest(4).unwrap(), None);
    assert!(chain.block(3).unwrap().is_some());
}
