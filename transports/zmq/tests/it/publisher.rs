//! The local publisher (protocol §3.2): a CURVE PUB socket that publishes every item handed
//! over with `Broadcast` as `[chain, kind, params…]` and `[chain, "heart", "beat"]` when idle.

#![allow(clippy::unwrap_used)]

use crate::common;
use std::time::Duration;

use common::{blocking, GUARD_MS};
use peerd_api::bytes::Bytes;
use peerd_api::{Item, ItemKind, TransportCommand};
use peerd_testkit::transport::TestNode;
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_and_heartbeats_are_published_to_curve_subscribers() {
    // A free port (the publisher's address is configured, not discovered).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let keys = KeyPair::generate().unwrap();
    let transport = ZmqTransport::new(keys.clone())
        .listen(vec!["127.0.0.1:0".parse().unwrap()])
        .publish(vec![format!("127.0.0.1:{port}").parse().unwrap()])
        .heartbeat(Duration::from_millis(200));
    let node = TestNode::launch(Box::new(transport), "publisher", "dev");
    let ctx = zmq::Context::new();
    let sub = ctx.socket(zmq::SUB).unwrap();
    let mine = zmq::CurveKeyPair::new().unwrap();
    sub.set_curve_publickey(&mine.public_key).unwrap();
    sub.set_curve_secretkey(&mine.secret_key).unwrap();
    sub.set_curve_serverkey(&keys.public).unwrap();
    sub.set_subscribe(b"dev").unwrap();
    sub.set_rcvtimeo(GUARD_MS).unwrap();
    sub.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    // Idle: the heartbeat arrives (and proves the subscription is live).
    let sub = blocking(move || {
        let beat = sub.recv_multipart(0).expect("a heartbeat in time");
        assert_eq!(beat, [b"dev".to_vec(), b"heart".to_vec(), b"beat".to_vec()]);
        sub
    })
    .await;
    let item = Item::new(ItemKind::Peer, vec![Bytes::from(vec![1; 32]), Bytes::from_static(b"l")]);
    node.command(TransportCommand::Broadcast(item)).await;
    blocking(move || loop {
        let got = sub.recv_multipart(0).expect("the item in time");
        if got[1] == b"heart" {
            continue;
        }
        assert_eq!(got, [b"dev".to_vec(), b"peer".to_vec(), vec![1; 32], b"l".to_vec()]);
        break;
    })
    .await;
    node.stop().await;
}
