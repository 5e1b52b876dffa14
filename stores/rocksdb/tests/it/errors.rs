//! RocksDB-specific behaviour beyond the conformance suite: which damaged file gives
//! which error, the `default` column family, and the config section's parsing.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs;
use std::path::Path;

use peerd_api::{Column, KeyRange, Store as _, StoreError};
use peerd_store_rocksdb::{Config, Store};

const A: Column = Column::new("test.a");

fn create(dir: &Path) {
    let store = Store::open(dir, &Config::default()).expect("create the store");
    for n in 0..100u64 {
        store.put(A, &n.to_be_bytes(), b"value").expect("put");
    }
    store.flush().expect("flush");
}

fn files_named(dir: &Path, pick: impl Fn(&str) -> bool) -> Vec<std::path::PathBuf> {
    let entries = fs::read_dir(dir).expect("list the store directory");
    let paths = entries.map(|e| e.expect("directory entry").path());
    paths.filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&pick)).collect()
}

fn corrupt_reason(dir: &Path) -> String {
    match Store::open(dir, &Config::default()) {
        Err(StoreError::Corrupt { path, kind, reason }) => {
            assert_eq!(path, dir);
            assert_eq!(kind, "rocksdb");
            reason
        }
        Err(other) => panic!("expected Corrupt, got {other:?}"),
        Ok(_) => panic!("a damaged store opened"),
    }
}

#[test]
fn garbage_current_file_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rocksdb");
    create(&dir);
    fs::write(dir.join("CURRENT"), [0x5a; 64]).unwrap();
    let reason = corrupt_reason(&dir);
    assert!(reason.contains("Corruption"), "{reason}");
}

#[test]
fn garbage_manifest_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rocksdb");
    create(&dir);
    let manifests = files_named(&dir, |n| n.starts_with("MANIFEST-"));
    assert!(!manifests.is_empty());
    for manifest in manifests {
        let len = fs::metadata(&manifest).unwrap().len() as usize;
        fs::write(&manifest, vec![0x5a; len]).unwrap();
    }
    corrupt_reason(&dir);
}

#[test]
fn garbage_table_file_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rocksdb");
    create(&dir);
    let tables = files_named(&dir, |n| n.ends_with(".sst"));
    assert!(!tables.is_empty(), "flush wrote a table file");
    for table in tables {
        let len = fs::metadata(&table).unwrap().len() as usize;
        fs::write(&table, vec![0x5a; len]).unwrap();
    }
    let reason = corrupt_reason(&dir);
    assert!(reason.contains("Corruption"), "{reason}");
}

#[test]
fn default_column_family_is_hidden_until_used() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("rocksdb"), &Config::default()).unwrap();
    store.put(A, b"k", b"v").unwrap();
    let names: Vec<String> = store.stats().unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["test.a".to_owned()]);
    let default = Column::new("default");
    store.put(default, b"k", b"v").unwrap();
    let names: Vec<String> = store.stats().unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["default".to_owned(), "test.a".to_owned()]);
    assert_eq!(store.path(), tmp.path().join("rocksdb"));
}

#[test]
fn reverse_scans_honour_bounds_after_flush() {
    // After a flush the data sits in table files rather than the memtable; the bounds
    // must still hold in both directions.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rocksdb");
    create(&dir);
    let store = Store::open(&dir, &Config::default()).unwrap();
    let range = KeyRange::between(10u64.to_be_bytes(), 20u64.to_be_bytes()).rev();
    let keys: Vec<u64> = store
        .scan(A, range)
        .unwrap()
        .map(|row| u64::from_be_bytes(row.unwrap().0.as_slice().try_into().unwrap()))
        .collect();
    assert_eq!(keys, (10..20).rev().collect::<Vec<_>>());
}

#[test]
fn config_defaults_and_unknown_keys() {
    let empty: Config = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, Config::default());
    assert_eq!((empty.max_open_files, empty.write_buffer_mb, empty.sync_writes), (512, 64, false));
    let some: Config =
        serde_json::from_str(r#"{"sync_writes": true, "max_open_files": -1}"#).unwrap();
    assert!(some.sync_writes);
    assert_eq!(some.max_open_files, -1);
    assert_eq!(some.resolve_path(Path::new("/data")), Path::new("/data/rocksdb"));
    let err = serde_json::from_str::<Config>(r#"{"max_files": 1}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `max_files`"), "{err}");
}

#[test]
fn build_opens_under_the_data_dir_with_synced_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config { sync_writes: true, write_buffer_mb: 1, ..Config::default() };
    let store = config.build(tmp.path()).unwrap();
    store.put(A, b"k", b"v").unwrap();
    assert_eq!(store.kind(), "rocksdb");
    drop(store);
    assert!(tmp.path().join("rocksdb").join("CURRENT").is_file());
    let store = Store::open(&tmp.path().join("rocksdb"), &config).unwrap();
    assert!(store.contains(A, b"k").unwrap());
}
