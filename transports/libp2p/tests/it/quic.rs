//! With the `quic` feature: two nodes that listen on QUIC only connect and exchange requests
//! over it (`cargo test -p peerd-transport-libp2p --features quic --test quic`).

#![cfg(feature = "quic")]
#![allow(clippy::unwrap_used)]

use crate::common;
use peerd_api::{Request, Response};
use peerd_testkit::transport::{within, TestNode};
use peerd_transport_libp2p::libp2p::identity::Keypair;

#[tokio::test]
async fn nodes_on_quic_only_exchange_requests() {
    common::logs();
    let start = |label| {
        let quic = "/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap();
        let transport = common::transport(Keypair::generate_ed25519(), vec![quic]);
        TestNode::launch(Box::new(transport), label, "dev")
    };
    let mut server = start("server");
    let mut client = start("client");
    assert!(server.handle.listen_addrs.iter().all(|a| a.as_str().contains("/quic-v1")));
    client.connect(&server).await;
    let mut seen = server.serve(|_| Some(Response::Height(12)));
    assert_eq!(client.request(&server.id(), Request::Height).await.unwrap(), Response::Height(12));
    assert_eq!(within("the request", seen.recv()).await.unwrap().1, Request::Height);
    client.stop().await;
    server.stop().await;
}
