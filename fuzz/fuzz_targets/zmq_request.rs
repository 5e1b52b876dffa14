//! A ZeroMQ request body (`[chain, command, params…]`) as the listener decodes it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_transport_zmq::wire::{decode_request, Decoded};

fuzz_target!(|data: &[u8]| {
    let body = peerd_fuzz::frames(data);
    match decode_request("bitmark", body) {
        // An error reply is exactly two frames: "E" and bitmarkd's text.
        Decoded::Reply(frames) => assert!(!frames.is_empty()),
        Decoded::Forward { command, request } => {
            assert_eq!(request.command().as_bytes(), &command[..]);
        }
    }
});
