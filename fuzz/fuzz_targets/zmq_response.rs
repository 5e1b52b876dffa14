//! A ZeroMQ reply, decoded against each kind of request the upstream sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_api::{Item, ItemKind, Registration, Request};
use peerd_transport_zmq::wire::decode_response;

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = peerd_fuzz::select(data) else { return };
    let request = match which % 6 {
        0 => Request::Info,
        1 => Request::Height,
        2 => Request::Digest(7),
        3 => Request::Block(7),
        4 => Request::Register(Registration {
            chain: "bitmark".into(),
            public_key: vec![7; 32].into(),
            listeners: vec![].into(),
            timestamp: 1,
        }),
        _ => Request::Gossip(Item::new(ItemKind::Block, Vec::new())),
    };
    let _ = decode_response(&request, peerd_fuzz::frames(rest));
});
