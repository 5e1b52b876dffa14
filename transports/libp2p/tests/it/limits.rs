//! Inbound connections have their own limits: a total (`max_inbound`, below
//! `max_connections`, so the rest stays free for the connections the node dials) and one
//! per IP address (`max_inbound_per_ip`), so fresh peer ids from one host cannot take
//! every slot. Raw clients with new identities on real loopback sockets.

use crate::common;
use common::raw::{self, Out, Raw};
use peerd_api::{Request, Response, TransportCommand, TransportEvent};
use peerd_testkit::transport::{within, TestNode};
use peerd_transport_libp2p::addrs::decode_listeners;
use peerd_transport_libp2p::libp2p::identity::Keypair;
use peerd_transport_libp2p::libp2p::swarm::{Swarm, SwarmEvent};
use peerd_transport_libp2p::libp2p::{Multiaddr, PeerId};
use peerd_transport_libp2p::sync_protocol;
use peerd_transport_libp2p::wire::{decode_response, encode_request};
use tokio::sync::mpsc;

const CHAIN: &str = "dev";

/// A node with these inbound limits, and where to reach it. A task answers every inbound
/// request with height 5 (an answer is how a client knows it was let in) and passes the
/// peers of `Connected` events on the returned channel.
fn server(
    inbound: u32,
    per_ip: u32,
) -> (TestNode, PeerId, Multiaddr, mpsc::Receiver<peerd_api::PeerId>) {
    common::logs();
    let transport = common::transport(Keypair::generate_ed25519(), vec![common::loopback()])
        .inbound_limits(inbound, per_ip);
    let mut node = TestNode::launch(Box::new(transport), "server", CHAIN);
    let peer = PeerId::from_bytes(node.handle.local_id.as_bytes()).unwrap();
    let addr = decode_listeners(&node.handle.listeners, &peer).unwrap().remove(0);
    let (connected_tx, connected) = mpsc::channel(64);
    let (_, closed) = mpsc::channel(1);
    let mut events = std::mem::replace(&mut node.events, closed);
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                TransportEvent::Inbound(inbound) => {
                    let _ = inbound.reply.send(Response::Height(5));
                }
                TransportEvent::Connected { peer, .. } => {
                    let _ = connected_tx.try_send(peer);
                }
                _ => {}
            }
        }
    });
    (node, peer, addr, connected)
}

/// A client with a fresh identity dials the server from 127.0.0.1: `true` if it was let in
/// and its `N` answered, `false` if the connection was refused (before or after the
/// handshake). The client is returned so that its connection stays open.
async fn admitted(server: PeerId, addr: &Multiaddr) -> (bool, Swarm<Raw>) {
    let mut client = raw::client(&[&sync_protocol(CHAIN)]);
    client.add_peer_address(server, addr.clone());
    client.dial(server).unwrap();
    loop {
        match raw::next(&mut client).await {
            SwarmEvent::ConnectionEstablished { .. } => break,
            SwarmEvent::OutgoingConnectionError { .. } => return (false, client),
            _ => {}
        }
    }
    let ask = Out::Frame(encode_request(CHAIN, Request::Height));
    let reply = raw::ask(&mut client, server, ask).await;
    let answered = matches!(reply.map(|r| decode_response(&r)), Ok(Ok(Response::Height(5))));
    (answered, client)
}

#[tokio::test]
async fn inbound_peers_cannot_take_the_slots_the_node_dials_with() {
    let (node, peer, addr, mut connected) = server(2, 8);
    let (first, a) = admitted(peer, &addr).await;
    let (second, _b) = admitted(peer, &addr).await;
    assert!(first && second, "two inbound peers fit");
    let (third, _) = admitted(peer, &addr).await;
    assert!(!third, "a third inbound peer is refused");

    // Inbound is full, yet the node still dials out.
    let upstream = TestNode::launch(
        Box::new(common::transport(Keypair::generate_ed25519(), vec![common::loopback()])),
        "upstream",
        CHAIN,
    );
    node.command(TransportCommand::Dial(upstream.target())).await;
    loop {
        let up = within("the node's dial to connect", connected.recv()).await.unwrap();
        if up == upstream.id() {
            break;
        }
    }

    // A closed inbound connection frees its slot (the server notices the close within a
    // bounded number of refused attempts).
    drop(a);
    let mut attempts = 0;
    while !admitted(peer, &addr).await.0 {
        attempts += 1;
        assert!(attempts < 200, "the freed slot was never given to a newcomer");
    }
    upstream.stop().await;
    node.stop().await;
}

#[tokio::test]
async fn one_address_gets_at_most_max_inbound_per_ip() {
    let (node, peer, addr, _connected) = server(16, 2);
    let (first, _a) = admitted(peer, &addr).await;
    let (second, _b) = admitted(peer, &addr).await;
    assert!(first && second, "two peers from 127.0.0.1 fit");
    for _ in 0..3 {
        let (more, _) = admitted(peer, &addr).await;
        assert!(!more, "a third peer id from the same address is refused");
    }
    node.stop().await;
}

#[tokio::test]
async fn the_client_pool_admits_until_full_then_closes_newcomers_and_a_departure_frees_a_place() {
    use peerd_kernel::clients::{ClientPool, Clients, ClientsConfig};
    use std::sync::Arc;

    let (node, peer, addr, _connected) = server(64, 64);
    let config = ClientsConfig { max_inbound: 3, ..ClientsConfig::default() };
    let clock = Arc::new(peerd_api::SystemClock);
    let pool = ClientPool::new(config.validate().unwrap(), peerd_api::Clock::unix_now_ms(&*clock));
    let metrics = Arc::new(peerd_kernel::status::Metrics::default());
    let commands = vec![("libp2p".to_owned(), node.handle.commands.clone())];
    let clients = Clients::new(pool, clock, commands, metrics.clone());
    node.command(TransportCommand::Admit(clients.gate("libp2p"))).await;

    let (a, first) = admitted(peer, &addr).await;
    let (b, _second) = admitted(peer, &addr).await;
    let (c, _third) = admitted(peer, &addr).await;
    assert!(a && b && c, "three clients fit the pool");
    for _ in 0..3 {
        let (more, _) = admitted(peer, &addr).await;
        assert!(!more, "a fourth client is closed by the pool");
    }
    assert_eq!(clients.snapshot().connected, 3);
    assert!(metrics.total("peerd_clients_refused_total") >= 3);

    // A client that leaves frees its place (the swarm reports the close).
    drop(first);
    let mut attempts = 0;
    while !admitted(peer, &addr).await.0 {
        attempts += 1;
        assert!(attempts < 200, "the freed place was never given to a newcomer");
    }
    node.stop().await;
}
