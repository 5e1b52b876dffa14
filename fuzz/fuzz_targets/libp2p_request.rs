//! A libp2p sync request (CBOR) as the request-response codec decodes it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_transport_libp2p::wire::{decode_request, encode_request};

fuzz_target!(|data: &[u8]| {
    if let Ok((chain, request)) = decode_request(data) {
        // What decodes encodes again, and reads back the same.
        let again = encode_request(&chain, request.clone());
        let (chain2, request2) = decode_request(&again).expect("an encoded request decodes");
        assert_eq!(chain, chain2);
        assert_eq!(request, request2);
    }
});
