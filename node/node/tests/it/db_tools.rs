//! `peerd db delete-down`, `export-blocks` and `import-blocks` on sled data directories
//! holding a `dev` chain: round trips, rollback, the data directory lock, bad files.

#![cfg(feature = "sled")]

use std::path::Path;
use std::sync::Arc;

use peerd_api::{Chain, Digest, DigestSource, SystemClock};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_node::config::{ChainName, Config};
use peerd_node::db::{self, DbError};
use peerd_node::lockfile::DataDirLock;

fn config(dir: &Path) -> Config {
    let mut config = Config::default();
    config.node.data_dir = dir.to_path_buf();
    config.node.chain = ChainName::Dev;
    assert_eq!(config.store.kind(), "sled");
    config
}

fn chain(config: &Config) -> BitmarkChain {
    let store = config.store.open(&config.node.data_dir).unwrap();
    BitmarkChain::open(store, ChainParams::DEV, Arc::new(SystemClock)).unwrap()
}

/// Produces `blocks` dev blocks on the data directory's chain; returns the tip.
fn grow(config: &Config, blocks: u64) -> (u64, Digest) {
    let chain = chain(config);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let start = now.as_secs() - 10_000;
    for i in 0..blocks {
        let block = chain.produce(start + i, &[]).unwrap();
        chain.accept(&block, DigestSource::Compute).unwrap();
    }
    chain.store().flush().unwrap();
    tip(&chain)
}

fn tip(chain: &BitmarkChain) -> (u64, Digest) {
    let height = chain.height().unwrap();
    (height, chain.digest(height).unwrap().unwrap())
}

#[test]
fn export_then_import_onto_a_fresh_store_gives_the_same_tip() {
    let dir = tempfile::tempdir().unwrap();
    let source = config(&dir.path().join("source"));
    let expected = grow(&source, 12);
    assert_eq!(expected.0, 13);
    let file = dir.path().join("blocks.bin");
    assert_eq!(db::export_blocks(&source, 2, 13, &file).unwrap(), 12);

    let target = config(&dir.path().join("target"));
    let done = db::import_blocks(&target, &file).unwrap();
    assert_eq!((done.stored, done.present, done.height), (12, 0, 13));
    assert_eq!(tip(&chain(&target)), expected);
    // Importing again finds every block already stored.
    let again = db::import_blocks(&target, &file).unwrap();
    assert_eq!((again.stored, again.present, again.height), (0, 12, 13));

    // A part of the chain continues a store that ends right before it.
    let partial = config(&dir.path().join("partial"));
    let head = dir.path().join("head.bin");
    db::export_blocks(&source, 2, 7, &head).unwrap();
    let tail = dir.path().join("tail.bin");
    db::export_blocks(&source, 8, 13, &tail).unwrap();
    let gap = db::import_blocks(&partial, &tail).unwrap_err().to_string();
    assert!(gap.contains("continues at block 8 but the store ends at 1"), "{gap}");
    db::import_blocks(&partial, &head).unwrap();
    assert_eq!(db::import_blocks(&partial, &tail).unwrap().height, 13);
    assert_eq!(tip(&chain(&partial)), expected);

    let range = db::export_blocks(&source, 2, 14, &file).unwrap_err().to_string();
    assert!(range.contains("holds blocks 2 to 13"), "{range}");
}

#[test]
fn delete_down_lowers_the_height_through_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    grow(&config, 12);
    let digest9 = chain(&config).digest(9).unwrap();
    let done = db::delete_down(&config, 10).unwrap();
    assert_eq!((done.before, done.after), (13, 9));
    let reopened = chain(&config);
    assert_eq!(reopened.height().unwrap(), 9);
    assert_eq!(reopened.digest(9).unwrap(), digest9);
    assert_eq!(reopened.block(10).unwrap(), None);
    drop(reopened);
    let above = db::delete_down(&config, 50).unwrap();
    assert_eq!((above.before, above.after), (9, 9), "above the tip deletes nothing");
    let genesis = db::delete_down(&config, 1).unwrap_err();
    assert!(matches!(genesis, DbError::Range(_)) && genesis.to_string().contains("genesis"));
}

#[test]
fn a_data_dir_held_by_a_node_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let file = dir.path().join("x.bin");
    let _held = DataDirLock::acquire(dir.path()).unwrap();
    let errors = [
        db::delete_down(&config, 5).unwrap_err(),
        db::export_blocks(&config, 2, 3, &file).unwrap_err(),
        db::import_blocks(&config, &file).unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, DbError::Lock(_)), "{err}");
        let text = err.to_string();
        assert!(text.contains("in use by another peerd process"), "{text}");
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        assert!(text.ends_with("stop the node first"), "{text}");
    }
    assert!(!file.exists());
}

/// Offsets of each block's bytes in an export file of the `dev` chain.
fn block_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut at = 8 + 2 + 1 + 3 + 16;
    let mut offsets = Vec::new();
    while at < bytes.len() {
        let len = u32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        offsets.push(at + 12);
        at += 12 + len;
    }
    offsets
}

#[test]
fn truncated_or_corrupt_files_stop_with_a_clear_error_keeping_earlier_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let source = config(&dir.path().join("source"));
    grow(&source, 6);
    let file = dir.path().join("blocks.bin");
    db::export_blocks(&source, 2, 7, &file).unwrap();
    let good = std::fs::read(&file).unwrap();

    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &good[..good.len() - 5]).unwrap();
    let err = db::import_blocks(&config(&dir.path().join("a")), &cut).unwrap_err();
    assert!(matches!(err, DbError::Format { height: 6, .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("cut.bin"), "{text}");
    assert!(text.contains("truncated: the file ends inside block record 5 (block 7)"), "{text}");
    assert!(text.ends_with("the store keeps blocks up to 6"), "{text}");

    // A flipped byte in block 5's previous-digest field: blocks 2 to 4 are kept.
    let mut bad = good.clone();
    bad[block_offsets(&good)[3] + 10] ^= 0xff;
    let corrupt = dir.path().join("corrupt.bin");
    std::fs::write(&corrupt, &bad).unwrap();
    let target = config(&dir.path().join("b"));
    let err = db::import_blocks(&target, &corrupt).unwrap_err();
    assert!(matches!(err, DbError::Invalid { number: 5, height: 4, .. }), "{err}");
    assert!(err.to_string().starts_with("block 5 is invalid: "), "{err}");
    assert_eq!(chain(&target).height().unwrap(), 4);

    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, b"not an export").unwrap();
    let err = db::import_blocks(&config(&dir.path().join("c")), &garbage).unwrap_err();
    assert!(err.to_string().contains("not a peerd block export (bad magic bytes)"), "{err}");

    let mut local = config(&dir.path().join("d"));
    local.node.chain = ChainName::Local;
    let err = db::import_blocks(&local, &file).unwrap_err();
    assert_eq!(err.to_string(), "the file holds dev blocks but the node follows local");
}
