//! The peer table against eclipse: one peer relaying 10,000 invented `peer` items fills its
//! own share of the table, not the table; peers that registered with us stay, and a relayed
//! item cannot point a registered peer's entry at another address.

use crate::common;
use bytes::Bytes;
use common::*;
use peerd_api::{Handler, Origin, PeerId};

fn from(relayer: &[u8]) -> Origin {
    Origin::Remote { transport: "zmq".into(), peer: Some(PeerId::new(relayer.to_vec())) }
}

fn invented(n: u32) -> Bytes {
    let mut key = vec![0xee; 32];
    key[..4].copy_from_slice(&n.to_be_bytes());
    Bytes::from(key)
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_invented_peers_from_one_source_leave_the_honest_entries_in_place() {
    let k = context();
    let h = handler();
    for b in 1..=20 {
        h.on_registration(&k.ctx, "zmq", &registration(b)).await.unwrap();
    }
    let mallory = from(b"mallory");
    let mut relayed = 0;
    for n in 0..10_000 {
        let item = peer_item(&invented(n), &listeners(7), START);
        if h.handle(&k.ctx, &mallory, &item).await.unwrap() == peerd_api::Outcome::Relay {
            relayed += 1;
        }
    }
    let table = h.peers("zmq");
    let from_mallory = table.iter().filter(|e| e.key[4..] == [0xee; 28]).count();
    assert_eq!(from_mallory, 256, "one relayer's share (max_per_source)");
    assert_eq!(relayed, 256, "and only those are relayed on");
    assert!((1..=20).all(|b| table.iter().any(|e| e.key == key(b))), "honest entries in place");

    // Another relayer still gets its announcements in.
    let item = peer_item(&key(99), &listeners(99), START);
    assert_eq!(h.handle(&k.ctx, &from(b"carol"), &item).await.unwrap(), peerd_api::Outcome::Relay);

    // A relayed update of a registered peer pointing elsewhere is ignored.
    let later = START + 3600;
    let redirect = peer_item(&key(1), &Bytes::from_static(b"a third party"), later);
    h.handle(&k.ctx, &mallory, &redirect).await.unwrap();
    let one = h.peers("zmq").into_iter().find(|e| e.key == key(1)).unwrap();
    assert_eq!(one.listeners, listeners(1));
}

/// bitmarkd's packed listener record of `addr` (`ip:port`).
fn packed(addr: &str) -> Bytes {
    let connection: peerd_wire::address::Connection = addr.parse().unwrap();
    Bytes::from(connection.pack())
}

#[tokio::test(start_paused = true)]
async fn peers_announcing_internal_addresses_stay_out_where_public_listeners_are_required() {
    let k = context();
    let config = peerd_announce::Config { public_listeners_only: Some(true), ..Default::default() };
    let h = peerd_announce::AnnounceHandler::new(config.validate().unwrap());
    for (n, addr) in [(1u8, "192.168.1.7:2136"), (2, "127.0.0.1:2136"), (3, "[fe80::2]:2136")] {
        let item = peer_item(&key(n), &packed(addr), START);
        assert_eq!(
            h.handle(&k.ctx, &from(b"r"), &item).await.unwrap(),
            peerd_api::Outcome::Accepted
        );
        assert!(h.peers("zmq").iter().all(|e| e.key != key(n)), "{addr} stays out");
    }
    let public = peer_item(&key(4), &packed("203.0.114.9:2136"), START);
    assert_eq!(h.handle(&k.ctx, &from(b"r"), &public).await.unwrap(), peerd_api::Outcome::Relay);
    // Without the setting, the toy chain (neither bitmark nor testing) keeps them all.
    let open = handler();
    let item = peer_item(&key(1), &packed("192.168.1.7:2136"), START);
    assert_eq!(open.handle(&k.ctx, &from(b"r"), &item).await.unwrap(), peerd_api::Outcome::Relay);
}
