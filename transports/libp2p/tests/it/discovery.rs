//! Kademlia discovery feeds the kernel and dials nobody: a peer the node learns of through
//! identify and Kademlia is reported as `TransportEvent::Discovered` (its peer id and
//! usable addresses, in the dial-target encoding), and only when discovery is on.

use peerd_api::TransportEvent;
use peerd_testkit::transport::{within, TestNode, CHAIN};
use peerd_transport_libp2p::libp2p::identity::Keypair;

use crate::common::{loopback, transport};

fn discovering(label: &str, discover: bool) -> TestNode {
    let node = transport(Keypair::generate_ed25519(), vec![loopback()]).discover(discover);
    TestNode::launch(Box::new(node), label, CHAIN)
}

#[tokio::test]
async fn a_peer_found_by_kademlia_is_reported_not_dialled() {
    let server = discovering("server", true);
    let mut client = discovering("client", true);
    client.connect(&server).await;
    let found = within("Discovered for the server", async {
        loop {
            match client.events.recv().await {
                Some(TransportEvent::Discovered(target)) => break target,
                Some(TransportEvent::Connected { peer, .. }) => {
                    panic!("a connection the kernel did not ask for: {peer}")
                }
                Some(_) => {}
                None => panic!("the transport stopped"),
            }
        }
    })
    .await;
    let expected = server.target();
    assert_eq!(found.transport, expected.transport);
    assert_eq!(found.key, expected.key, "the server's peer id");
    let addrs = peerd_transport_libp2p::addrs::decode_listeners(
        &found.listeners,
        &peerd_transport_libp2p::libp2p::PeerId::from_bytes(&found.key).unwrap(),
    )
    .unwrap();
    assert!(!addrs.is_empty(), "usable addresses to dial it by");
    client.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn without_discovery_nothing_is_reported() {
    let mut server = discovering("server", false);
    let mut client = discovering("client", false);
    client.connect(&server).await;
    // A request round trip after identify has run both ways; no Discovered came first.
    let request = peerd_api::Request::Height;
    let mut seen = server.serve(|_| Some(peerd_api::Response::Height(3)));
    assert_eq!(
        client.request(&server.id(), request).await.unwrap(),
        peerd_api::Response::Height(3)
    );
    within("the server to see the request", seen.recv()).await.unwrap();
    while let Ok(event) = client.events.try_recv() {
        assert!(!matches!(event, TransportEvent::Discovered(_)), "discovery is off: {event:?}");
    }
    client.stop().await;
    server.stop().await;
}
