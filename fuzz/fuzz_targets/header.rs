//! A block header: the checked unpack every received block goes through, and what tools
//! print of it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_bitmark::header::{extract_header, header_bytes, Header, HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(bytes) = header_bytes(data) else {
        assert!(data.len() < HEADER_LEN);
        return;
    };
    let unchecked = Header::unpack_unchecked(bytes);
    assert_eq!(&unchecked.pack(), bytes, "a header packs back to its bytes");
    let _ = unchecked.difficulty();
    let _ = unchecked.to_go_json();
    if let Ok(header) = Header::unpack(bytes, peerd_fuzz::LATE_UNIX) {
        assert_eq!(header, unchecked);
    }
    let _ = peerd_bitmark::inspect::header(data);
    if let Ok((header, rest)) = extract_header(data, 2, peerd_fuzz::LATE_UNIX) {
        assert!(header.number == 1 || header.number == 2);
        assert_eq!(rest.len(), data.len() - HEADER_LEN);
    }
});
