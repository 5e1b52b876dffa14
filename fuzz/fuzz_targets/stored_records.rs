//! Records read back from the store: a three-block `dev` chain (signed traffic in every
//! block) with rows of the fuzzer's choosing written over it, in the ledger's columns, the
//! kernel's bans and the announce plugin's peer cache. Then everything that reads them runs:
//! opening the chain (its tip), `db check` (every column against a replay of the blocks),
//! delete-down (the undo logs), the ban list and the peer cache. None of it may panic, and
//! `db check` must report any row that is not what the blocks imply.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use peerd_api::{Chain, Column, KeyRange, WriteBatch};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::ledger::columns;
use peerd_bitmark::params::ChainParams;

/// The columns a row may land in.
fn column(index: u8) -> Column {
    let others = [peerd_kernel::misbehaviour::persist::BANS, peerd_announce::CACHE_COLUMN];
    let all: Vec<Column> = columns::ALL.into_iter().chain(others).collect();
    all[usize::from(index) % all.len()]
}

/// The rows of the generated chain, made once.
fn template() -> &'static Vec<(Column, Vec<u8>, Vec<u8>)> {
    static ROWS: OnceLock<Vec<(Column, Vec<u8>, Vec<u8>)>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let store = peerd_fuzz::memory_store();
        let chain = BitmarkChain::open(store.clone(), ChainParams::DEV, Arc::new(peerd_fuzz::Late))
            .expect("a fresh dev chain opens");
        let mut traffic = peerd_bitmark::traffic::Traffic::new().expect("traffic keys");
        let start = 1_700_000_000;
        traffic.grow(&chain, 3, start).expect("generated blocks are valid");
        let mut rows = Vec::new();
        for column in columns::ALL {
            for row in store.scan(column, KeyRange::all()).expect("memory reads") {
                let (key, value) = row.expect("memory reads");
                rows.push((column, key, value));
            }
        }
        rows
    })
}

#[derive(Arbitrary, Debug)]
struct Row {
    column: u8,
    /// Take the key of the template's row with this index instead of `key`, so that
    /// values are replaced under keys the readers look up.
    existing: Option<u16>,
    key: Vec<u8>,
    value: Option<Vec<u8>>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = Vec::<Row>::arbitrary_take_rest(Unstructured::new(data)) else { return };
    let template = template();
    let store = peerd_fuzz::memory_store();
    let mut batch = WriteBatch::new();
    for (column, key, value) in template {
        batch.put(*column, key.clone(), value.clone());
    }
    let mut changed = false;
    for row in rows.into_iter().take(8) {
        let (column, key) = match row.existing {
            Some(i) => {
                let (column, key, _) = &template[usize::from(i) % template.len()];
                (*column, key.clone())
            }
            None => (column(row.column), row.key),
        };
        changed |= columns::ALL.contains(&column);
        match row.value {
            Some(value) => {
                batch.put(column, key, value);
            }
            None => {
                batch.delete(column, key);
            }
        }
    }
    store.write(batch).expect("memory writes");

    let _ = peerd_kernel::misbehaviour::persist::load(&*store, 0);
    let _ = peerd_announce::load_cache(&*store);
    let checked = peerd_node::db::check_store(&store, ChainParams::DEV, false);
    if let Ok(checked) = &checked {
        if !changed {
            assert!(checked.clean(), "an untouched ledger is clean: {:?}", checked.problems);
        }
    }
    if let Ok(chain) =
        BitmarkChain::open(store.clone(), ChainParams::DEV, Arc::new(peerd_fuzz::Late))
    {
        let _ = chain.block(3);
        let _ = chain.delete_down(2);
    }
});
