//! `peerd chain generate` and `peerd db check [--repair]` on sled data directories: a
//! generated chain checks clean; a corrupted block, a forged digest, a damaged index and a
//! lost block are each found with the key involved, and `--repair` leaves a store that
//! checks clean, keeping every block below the damage.

#![cfg(feature = "sled")]

use std::path::Path;
use std::sync::Arc;

use peerd_api::{Chain, Store, SystemClock};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::ledger::columns::{number_key, BLOCKS, DIGESTS, OWNER_INDEX, TXS};
use peerd_bitmark::params::ChainParams;
use peerd_node::config::{ChainName, Config};
use peerd_node::db::{self, DbError};

const BLOCKS_MADE: u64 = 40;

fn config(dir: &Path, chain: ChainName) -> Config {
    let mut config = Config::default();
    config.node.data_dir = dir.to_path_buf();
    config.node.chain = chain;
    config
}

/// A data directory with a generated chain of [`BLOCKS_MADE`] blocks above the genesis.
fn generated() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), ChainName::Dev);
    let done = db::generate(&config, BLOCKS_MADE).unwrap();
    assert_eq!((done.blocks, done.height), (BLOCKS_MADE, BLOCKS_MADE + 1));
    (dir, config)
}

/// Runs `damage` on the closed data directory's store.
fn damage(config: &Config, damage: impl FnOnce(&dyn Store)) {
    let store = config.store.open(&config.node.data_dir).unwrap();
    damage(store.as_ref());
    store.flush().unwrap();
}

fn height(config: &Config) -> u64 {
    let store = config.store.open(&config.node.data_dir).unwrap();
    BitmarkChain::open(store, ChainParams::DEV, Arc::new(SystemClock)).unwrap().height().unwrap()
}

#[test]
fn a_generated_chain_checks_clean_and_grows_in_several_runs() {
    let (_dir, config) = generated();
    let checked = db::check(&config, false).unwrap();
    assert!(checked.clean(), "{:?}", checked.problems);
    assert_eq!((checked.stored_height, checked.consistent_height), (41, 41));
    assert!(checked.keys_compared > 40 * 16, "every record's indexes: {}", checked.keys_compared);
    // A second run continues the chain: timestamps stay in order and not in the future.
    assert_eq!(db::generate(&config, 5).unwrap().height, 46);
    assert!(db::check(&config, false).unwrap().clean());
}

#[test]
fn generating_on_a_live_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let refused = db::generate(&config(dir.path(), ChainName::Bitmark), 1).unwrap_err();
    assert!(matches!(refused, DbError::Range(_)), "{refused}");
    assert!(refused.to_string().contains("dev and local chains only"), "{refused}");
}

#[test]
fn a_corrupted_block_is_found_and_repair_keeps_the_blocks_below_it() {
    let (_dir, config) = generated();
    damage(&config, |store| {
        let key = number_key(30);
        let mut block = store.get(BLOCKS, &key).unwrap().unwrap();
        let last = block.len() - 1;
        block[last] ^= 0xff; // a signature byte of the last record
        store.put(BLOCKS, &key, &block).unwrap();
    });
    let checked = db::check(&config, false).unwrap();
    assert_eq!(checked.consistent_height, 29, "{:?}", checked.problems);
    assert_eq!(checked.problems[0].at, "block 30", "{:?}", checked.problems);
    assert_eq!(checked.problems[0].what, "invalid signature", "the chain's reason");
    let repaired = db::check(&config, true).unwrap();
    assert_eq!(repaired.repaired_height, Some(29));
    assert_eq!(height(&config), 29);
    assert!(db::check(&config, false).unwrap().clean(), "clean after the repair");
}

#[test]
fn a_forged_digest_and_a_damaged_index_are_named_with_their_keys() {
    let (_dir, config) = generated();
    let mut index_key = Vec::new();
    damage(&config, |store| {
        store.put(DIGESTS, &number_key(12), &[7; 32]).unwrap();
        let (key, _) =
            store.scan(OWNER_INDEX, peerd_api::KeyRange::all()).unwrap().next().unwrap().unwrap();
        store.delete(OWNER_INDEX, &key).unwrap();
        index_key = key;
        store.put(TXS, b"invented", b"nothing").unwrap();
    });
    let checked = db::check(&config, false).unwrap();
    let found = |at: &str| checked.problems.iter().any(|p| p.at == at);
    assert!(found("block 12"), "{:?}", checked.problems);
    assert!(found(&format!("{} key {}", OWNER_INDEX.name(), hex::encode(&index_key))));
    assert!(found(&format!("{} key {}", TXS.name(), hex::encode(b"invented"))));
    assert_eq!(checked.consistent_height, 41, "the blocks themselves are sound");
    let repaired = db::check(&config, true).unwrap();
    assert_eq!(repaired.repaired_height, Some(41), "nothing deleted: indexes rebuilt");
    assert!(db::check(&config, false).unwrap().clean());
}

#[test]
fn a_lost_block_ends_the_consistent_chain_below_it() {
    let (_dir, config) = generated();
    damage(&config, |store| store.delete(BLOCKS, &number_key(20)).unwrap());
    let checked = db::check(&config, false).unwrap();
    assert!(checked.problems.iter().any(|p| p.at == "block 21" && p.what.contains("20")));
    assert_eq!(checked.consistent_height, 19);
    assert_eq!(db::check(&config, true).unwrap().repaired_height, Some(19));
    assert!(db::check(&config, false).unwrap().clean());
}
