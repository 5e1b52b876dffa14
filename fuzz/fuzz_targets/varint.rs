//! bitmarkd's varints, plain and clipped, as every record field length is read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_bitmark::varint::{decode, decode_clipped, encode};

fuzz_target!(|data: &[u8]| {
    if let Some((value, used)) = decode(data) {
        assert!((1..=9).contains(&used));
        let packed = encode(value);
        assert!(packed.len() <= used, "the encoding is never longer than what was read");
        assert_eq!(decode(&packed), Some((value, packed.len())));
    }
    let Some((bounds, rest)) = data.split_first_chunk::<2>() else { return };
    let (minimum, maximum) = (i64::from(bounds[0]), i64::from(bounds[1]) << 8);
    if let Some((value, _)) = decode_clipped(rest, minimum, maximum) {
        assert!((minimum..=maximum).contains(&value));
    }
});
