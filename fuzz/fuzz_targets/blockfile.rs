//! The block file `peerd db export-blocks` writes and `peerd db import-blocks` reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_node::db::blockfile::Reader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = Reader::new(data) else { return };
    let (first, last) = (reader.header().first, reader.header().last);
    assert!(first <= last);
    let mut expected = first;
    // Every record holds at least its 12-byte prefix: the input bounds the loop.
    while let Ok(Some((number, block))) = reader.next_block() {
        assert_eq!(number, expected);
        assert!(block.len() < data.len());
        expected += 1;
    }
    assert!(expected <= last.saturating_add(1));
});
