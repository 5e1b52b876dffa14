//! Memory-store behaviour beyond the conformance suite: scan snapshots and the config.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use peerd_api::{Column, KeyRange, Store as _};
use peerd_store_memory::{Config, Store};

const A: Column = Column::new("test.a");

#[test]
fn a_scan_sees_the_column_as_it_was_when_it_started() {
    let store = Store::new();
    for n in 0..10u8 {
        store.put(A, &[n], &[n]).unwrap();
    }
    let mut scan = store.scan(A, KeyRange::all()).unwrap();
    assert_eq!(scan.next().unwrap().unwrap(), (vec![0], vec![0]));
    store.put(A, &[5], b"changed").unwrap();
    store.delete(A, &[9]).unwrap();
    store.put(A, &[10], b"new").unwrap();
    let rest: Vec<_> = scan.map(Result::unwrap).collect();
    assert_eq!(rest, (1..10u8).map(|n| (vec![n], vec![n])).collect::<Vec<_>>());
    // A new scan sees the writes.
    let now: Vec<_> = store.scan(A, KeyRange::from([5u8])).unwrap().map(Result::unwrap).collect();
    assert_eq!(
        now,
        vec![
            (vec![5], b"changed".to_vec()),
            (vec![6], vec![6]),
            (vec![7], vec![7]),
            (vec![8], vec![8]),
            (vec![10], b"new".to_vec())
        ]
    );
}

#[test]
fn config_takes_no_keys() {
    let config: Config = serde_json::from_str("{}").unwrap();
    assert_eq!(config, Config::default());
    let err = serde_json::from_str::<Config>(r#"{"path": "/x"}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `path`"), "{err}");
}
