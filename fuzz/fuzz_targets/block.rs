//! A whole block as the chain stores it: block 2 of a `dev` chain on an in-memory store.
//!
//! The fuzzer's bytes are the block; the number and the previous-block link are set to fit
//! the tip, and, when the records parse, the merkle root is set to theirs, so that inputs
//! reach the ledger's record, ownership and signature checks instead of stopping at the
//! link. A rejected block must leave the store as it was; an accepted one is then the tip,
//! and deleting down to the genesis must leave an empty chain again.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use peerd_api::{Chain, DigestSource};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::header::HEADER_LEN;
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::transaction::{Link, Transaction};

/// Sets the header's merkle root to the records' when they parse.
fn fix_merkle(block: &mut [u8]) {
    let count = u16::from_le_bytes([block[2], block[3]]);
    let mut rest = &block[HEADER_LEN..];
    let mut ids = Vec::new();
    for _ in 0..count {
        let Ok((_, used)) = Transaction::unpack(rest, true) else { return };
        ids.push(Link::of(&rest[..used]).into());
        rest = &rest[used..];
    }
    if let Some(root) = peerd_bitmark::merkle::root(&ids) {
        block[44..76].copy_from_slice(&root.0);
    }
}

fuzz_target!(|data: &[u8]| {
    let params = ChainParams::DEV;
    let _ = peerd_bitmark::inspect::block(data, &params);
    if data.len() < HEADER_LEN {
        return;
    }
    let mut block = data.to_vec();
    block[4..12].copy_from_slice(&2u64.to_le_bytes());
    block[12..44].copy_from_slice(&params.genesis_digest().0);
    fix_merkle(&mut block);

    let store = peerd_fuzz::memory_store();
    let chain = BitmarkChain::open(store.clone(), params, Arc::new(peerd_fuzz::Late))
        .expect("a fresh dev chain opens");
    let before = peerd_bitmark::ledger::query::snapshot(&*store).expect("memory reads");
    match chain.accept(&block, DigestSource::Compute) {
        Ok(accepted) => {
            assert_eq!(accepted.number, 2);
            assert_eq!(chain.height().expect("memory reads"), 2);
            chain.delete_down(2).expect("the block just stored deletes");
            let after = peerd_bitmark::ledger::query::snapshot(&*store).expect("memory reads");
            assert_eq!(before, after, "delete-down restores every column");
        }
        Err(_) => {
            let after = peerd_bitmark::ledger::query::snapshot(&*store).expect("memory reads");
            assert_eq!(before, after, "a rejected block writes nothing");
        }
    }
});
