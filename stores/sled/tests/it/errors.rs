//! sled-specific failure modes, beyond the conformance suite: a damaged log that sled
//! itself would silently open as an empty database, a damaged config, and the config
//! section's parsing.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs;
use std::path::Path;

use peerd_api::{Column, Store as _, StoreError};
use peerd_store_sled::{Config, Store};

const A: Column = Column::new("test.a");

fn create(dir: &Path) {
    let store = Store::open(dir, &Config::default()).expect("create the store");
    store.put(A, b"k", b"v").expect("put");
    store.flush().expect("flush");
}

fn corrupt_reason(dir: &Path) -> String {
    match Store::open(dir, &Config::default()) {
        Err(StoreError::Corrupt { path, kind, reason }) => {
            assert_eq!(path, dir);
            assert_eq!(kind, "sled");
            reason
        }
        Err(other) => panic!("expected Corrupt, got {other:?}"),
        Ok(_) => panic!("a damaged store opened"),
    }
}

#[test]
fn garbage_log_is_corrupt_not_an_empty_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sled");
    create(&dir);
    let log = dir.join("db");
    let len = fs::metadata(&log).unwrap().len() as usize;
    fs::write(&log, vec![0x5a; len]).unwrap();
    let reason = corrupt_reason(&dir);
    assert!(reason.contains("`db`"), "{reason}");
}

#[test]
fn garbage_config_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sled");
    create(&dir);
    fs::write(dir.join("conf"), [0x5a; 100]).unwrap();
    let reason = corrupt_reason(&dir);
    assert!(reason.contains("cannot read"), "{reason}");
}

#[test]
fn a_new_store_is_marked_and_reopens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sled");
    create(&dir);
    create(&dir);
    let store = Store::open(&dir, &Config::default()).unwrap();
    assert_eq!(store.get(A, b"k").unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(store.path(), dir);
    // The marker lives outside every column.
    let names: Vec<String> = store.stats().unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["test.a".to_owned()]);
}

#[test]
fn sled_internal_tree_names_are_not_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("sled"), &Config::default()).unwrap();
    let err = store.put(Column::new("__sled__default"), b"k", b"v").unwrap_err();
    assert!(matches!(err, StoreError::InvalidColumn(ref name) if name == "__sled__default"));
}

#[test]
fn config_defaults_and_unknown_keys() {
    let empty: Config = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, Config::default());
    assert_eq!(empty.cache_capacity_mb, 256);
    assert_eq!(empty.flush_every_ms, 500);
    let some: Config = serde_json::from_str(r#"{"path": "/x", "flush_every_ms": 0}"#).unwrap();
    assert_eq!(some.flush_every_ms, 0);
    assert_eq!(some.cache_capacity_mb, 256);
    assert_eq!(some.resolve_path(Path::new("/data")), Path::new("/x"));
    assert_eq!(empty.resolve_path(Path::new("/data")), Path::new("/data/sled"));
    let err = serde_json::from_str::<Config>(r#"{"cache_mb": 1}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `cache_mb`"), "{err}");
}

#[test]
fn build_opens_under_the_data_dir_without_background_flush() {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config { flush_every_ms: 0, ..Config::default() };
    let store = config.build(tmp.path()).unwrap();
    store.put(A, b"k", b"v").unwrap();
    assert_eq!(store.kind(), "sled");
    drop(store);
    assert!(tmp.path().join("sled").join("conf").is_file());
    let store = Store::open(&tmp.path().join("sled"), &config).unwrap();
    assert!(store.contains(A, b"k").unwrap(), "a clean close flushed the write");
}
