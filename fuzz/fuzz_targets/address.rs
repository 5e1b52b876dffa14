//! Packed listener addresses (bitmarkd's 7- and 19-byte records, in `R` replies and peer
//! announcements) and listener address text (config files).
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_wire::address::{pack_list, unpack46, unpack_list, Connection};

fuzz_target!(|data: &[u8]| {
    let (list, used) = unpack_list(data);
    assert!(used <= data.len());
    assert_eq!(pack_list(&list), data[..used], "the records read pack back to their bytes");
    if let Some((first, n)) = Connection::unpack(data) {
        assert_eq!(first.pack(), data[..n]);
    }
    let _ = unpack46(data);
    let _ = peerd_bitmark::inspect::address(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(connection) = Connection::parse(text) {
            let again = Connection::parse(&connection.to_string());
            assert_eq!(again.ok(), Some(connection), "an address prints as it parses");
        }
    }
});
