//! A gossipsub message's data (the item's parameters, CBOR), and the libp2p listener
//! records and peer keys that `R` replies and peer announcements carry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_transport_libp2p::addrs::{decode_key, decode_listeners};
use peerd_transport_libp2p::wire::decode_params;

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = peerd_fuzz::select(data) else { return };
    match which % 3 {
        0 => {
            let _ = decode_params(rest);
        }
        1 => {
            let _ = decode_key(rest);
        }
        _ => {
            let peer = peerd_transport_libp2p::libp2p::PeerId::random();
            let _ = decode_listeners(rest, &peer);
        }
    }
});
