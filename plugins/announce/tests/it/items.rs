//! `peer`, `rpc` and `heart` items and the `R` hook.

use crate::common;
use bytes::Bytes;
use common::*;
use peerd_api::{Handler, HandlerError, Item, ItemKind, NodeRequest, Origin, Outcome};

fn fault(result: Result<Outcome, HandlerError>) -> String {
    match result {
        Err(HandlerError::Rejected(text)) => text,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn peer_items_go_to_their_transport_table_and_relay_once() {
    let k = context();
    let h = handler();
    let item = peer_item(&key(1), &listeners(1), START);
    assert_eq!(h.handle(&k.ctx, &remote("zmq"), &item).await.unwrap(), Outcome::Relay);
    assert_eq!(h.handle(&k.ctx, &remote("zmq"), &item).await.unwrap(), Outcome::Accepted);
    let zmq: Vec<Bytes> = h.peers("zmq").into_iter().map(|e| e.key).collect();
    assert_eq!(zmq, [key(1), key(0x50)], "ordered by key, ourselves included");
    let libp2p: Vec<Bytes> = h.peers("libp2p").into_iter().map(|e| e.key).collect();
    assert_eq!(libp2p, [key(0x51)], "tables are per transport");
    // Our own key is never an addition.
    let own = peer_item(&key(0x50), &listeners(9), START);
    assert_eq!(h.handle(&k.ctx, &remote("zmq"), &own).await.unwrap(), Outcome::Accepted);
}

#[tokio::test(start_paused = true)]
async fn extra_frames_are_not_relayed() {
    let mut k = context();
    let h = handler();
    let mut item = peer_item(&key(1), &listeners(1), START);
    item.params.push(Bytes::from_static(b"extra"));
    assert_eq!(h.handle(&k.ctx, &remote("zmq"), &item).await.unwrap(), Outcome::Accepted);
    match drain(&mut k.requests).as_slice() {
        [NodeRequest::BroadcastOn { transport, item: relayed }] => {
            assert_eq!(transport, "zmq");
            assert_eq!(relayed.params, item.params[..3]);
        }
        other => panic!("expected one trimmed relay, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn malformed_items_are_rejected_with_clear_text() {
    let k = context();
    let h = handler();
    let zmq = remote("zmq");
    let two = Item::new(ItemKind::Peer, vec![key(1), listeners(1)]);
    assert_eq!(fault(h.handle(&k.ctx, &zmq, &two).await), "peer with too few data: 2 items");
    let mut short = peer_item(&key(1), &listeners(1), START);
    short.params[2] = Bytes::from_static(&[0; 4]);
    let text = fault(h.handle(&k.ctx, &zmq, &short).await);
    assert_eq!(text, "peer timestamp is 4 bytes, expected 8 (big-endian)");
    let empty_key = peer_item(&Bytes::new(), &listeners(1), START);
    let text = fault(h.handle(&k.ctx, &zmq, &empty_key).await);
    assert_eq!(text, "peer public key is 0 bytes, expected 1 to 128");
    let huge = peer_item(&key(1), &Bytes::from(vec![0; 4097]), START);
    assert_eq!(
        fault(h.handle(&k.ctx, &zmq, &huge).await),
        "peer listeners are 4097 bytes, at most 4096"
    );
    let local = peer_item(&key(1), &listeners(1), START);
    let text = fault(h.handle(&k.ctx, &Origin::Local, &local).await);
    assert!(text.contains("without a transport"), "{text}");

    let rpc = Item::new(ItemKind::Rpc, vec![key(1)]);
    assert_eq!(fault(h.handle(&k.ctx, &zmq, &rpc).await), "rpc with too few data: 1 items");
    let bad_fp = rpc_item(&Bytes::from(vec![1; 31]), &listeners(1), START);
    assert_eq!(
        fault(h.handle(&k.ctx, &zmq, &bad_fp).await),
        "rpc fingerprint is 31 bytes, expected 32"
    );
    let long = rpc_item(&key(1), &Bytes::from(vec![0; 101]), START);
    assert_eq!(
        fault(h.handle(&k.ctx, &zmq, &long).await),
        "rpc listeners are 101 bytes, at most 100"
    );
    let heart = Item::new(ItemKind::Heart, vec![]);
    assert_eq!(fault(h.handle(&k.ctx, &zmq, &heart).await), "heart with too few data: 0 items");
    // Nothing malformed reached a table.
    assert_eq!(h.peers("zmq").len(), 1);
    assert!(h.rpcs().is_empty());
}

#[tokio::test(start_paused = true)]
async fn rpc_items_follow_the_rpc_rules_on_any_origin() {
    let k = context();
    let h = handler();
    let item = rpc_item(&key(7), &listeners(7), START);
    assert_eq!(h.handle(&k.ctx, &Origin::Local, &item).await.unwrap(), Outcome::Relay);
    // Known: listeners replaced, time set to now, not counted within 7 minutes.
    tokio::time::advance(std::time::Duration::from_secs(300)).await;
    let again = rpc_item(&key(7), &listeners(8), START + 999_999);
    assert_eq!(h.handle(&k.ctx, &remote("libp2p"), &again).await.unwrap(), Outcome::Accepted);
    let entry = h.rpcs().pop().unwrap();
    assert_eq!((entry.listeners, entry.timestamp), (listeners(8), START + 300));
    tokio::time::advance(std::time::Duration::from_secs(421)).await;
    assert_eq!(h.handle(&k.ctx, &remote("zmq"), &again).await.unwrap(), Outcome::Relay);
}

#[tokio::test(start_paused = true)]
async fn heartbeats_are_counted_never_relayed() {
    let k = context();
    let h = handler();
    let heart = Item::new(ItemKind::Heart, vec![Bytes::from_static(b"beat")]);
    for _ in 0..3 {
        assert_eq!(h.handle(&k.ctx, &remote("zmq"), &heart).await.unwrap(), Outcome::Accepted);
    }
    assert_eq!(h.heartbeats(), 3);
}

#[tokio::test(start_paused = true)]
async fn register_records_the_registrant_and_introduces_a_third_peer() {
    let k = context();
    let h = handler();
    let answer = h.on_registration(&k.ctx, "zmq", &registration(1)).await.unwrap();
    assert_eq!(answer, None, "only ourselves and the registrant are known");
    assert!(h.peers("zmq").iter().any(|e| e.key == key(1)), "registrant recorded");
    // A peer of another transport is never introduced.
    h.on_registration(&k.ctx, "libp2p", &registration(3)).await.unwrap();
    assert_eq!(h.on_registration(&k.ctx, "zmq", &registration(1)).await.unwrap(), None);

    h.on_registration(&k.ctx, "zmq", &registration(2)).await.unwrap();
    h.on_registration(&k.ctx, "zmq", &registration(4)).await.unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..64 {
        let peer = h.on_registration(&k.ctx, "zmq", &registration(1)).await.unwrap().unwrap();
        assert_ne!(peer.public_key, key(1), "never the registrant");
        assert_ne!(peer.public_key, key(0x50), "never ourselves");
        assert_eq!(peer.chain, "local");
        assert_eq!(peer.listeners, listeners(peer.public_key[0]));
        seen.insert(peer.public_key);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [key(2), key(4)], "both third peers picked");
}

#[tokio::test(start_paused = true)]
async fn bad_registrations_are_rejected() {
    let k = context();
    let h = handler();
    let mut r = registration(1);
    r.public_key = Bytes::new();
    let err = h.on_registration(&k.ctx, "zmq", &r).await.unwrap_err();
    assert_eq!(err.to_string(), "peer public key is 0 bytes, expected 1 to 128");
}
