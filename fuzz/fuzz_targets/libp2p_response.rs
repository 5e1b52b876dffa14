//! A libp2p sync response (CBOR) as the request-response codec decodes it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_transport_libp2p::wire::{decode_response, encode_response};

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = decode_response(data) {
        let again = encode_response(response.clone());
        assert_eq!(decode_response(&again).expect("an encoded response decodes"), response);
    }
});
