//! Bad input from a raw libp2p client: undecodable CBOR, lying and oversized frames, other
//! chains and protocols, gossip floods. Each gets a clear error or is dropped, and the node
//! keeps serving.

#![allow(clippy::unwrap_used)]

use crate::common;
use common::raw::{self, Out, RawEvent};
use peerd_api::bytes::Bytes;
use peerd_api::{Item, ItemKind, Request, Response, MAX_MESSAGE_BYTES};
use peerd_testkit::transport::{within, TestNode};
use peerd_transport_libp2p::addrs::decode_listeners;
use peerd_transport_libp2p::libp2p::identity::Keypair;
use peerd_transport_libp2p::libp2p::request_response::OutboundFailure;
use peerd_transport_libp2p::libp2p::swarm::SwarmEvent;
use peerd_transport_libp2p::libp2p::{Multiaddr, PeerId};
use peerd_transport_libp2p::wire::{decode_response, encode_request, MAX_FRAME_BYTES};
use peerd_transport_libp2p::{sync_protocol, topic, CHAIN_CHECK_PROTOCOL};

const CHAIN: &str = "dev";

/// A node on `dev` whose kernel answers `N` with 5, and where to reach it.
fn server(gossip_rate: u32) -> (TestNode, PeerId, Multiaddr) {
    common::logs();
    let transport = common::transport(Keypair::generate_ed25519(), vec![common::loopback()])
        .gossip_rate(gossip_rate);
    let node = TestNode::launch(Box::new(transport), "server", CHAIN);
    let peer = PeerId::from_bytes(node.handle.local_id.as_bytes()).unwrap();
    let addr = decode_listeners(&node.handle.listeners, &peer).unwrap().remove(0);
    (node, peer, addr)
}

fn reply(bytes: Result<Vec<u8>, OutboundFailure>) -> Response {
    decode_response(&bytes.unwrap()).unwrap()
}

#[tokio::test]
async fn undecodable_cbor_gets_an_error_reply_and_the_node_keeps_serving() {
    let (mut node, peer, addr) = server(100);
    let mut seen = node.serve(|_| Some(Response::Height(5)));
    let mut client = raw::client(&[&sync_protocol(CHAIN)]);
    raw::connect(&mut client, peer, addr).await;
    for garbage in
        [b"\xff\x00garbage".to_vec(), Vec::new(), vec![0x9f; 300], b"\xa1\x64body\x64info".to_vec()]
    {
        match reply(raw::ask(&mut client, peer, Out::Frame(garbage.clone())).await) {
            Response::Error(text) => {
                assert!(text.starts_with("invalid request: undecodable CBOR"), "{text}")
            }
            other => panic!("{garbage:?} answered with {other:?}"),
        }
    }
    let height =
        raw::ask(&mut client, peer, Out::Frame(encode_request(CHAIN, Request::Height))).await;
    assert_eq!(reply(height), Response::Height(5));
    let (_, first) = within("the server's first request", seen.recv()).await.unwrap();
    assert_eq!(first, Request::Height, "no garbage reached the kernel");
    node.stop().await;
}

#[tokio::test]
async fn other_chains_cannot_negotiate_and_are_told_the_chain_they_got_wrong() {
    let (mut node, peer, addr) = server(100);
    let mut seen = node.serve(|_| Some(Response::Height(5)));
    let expect = Response::Error("invalid chain: actual: \"testing\"  expect: dev".into());

    // A node of `testing` offers its own protocol, then the chain check.
    let mut stranger = raw::client(&[&sync_protocol("testing"), CHAIN_CHECK_PROTOCOL]);
    raw::connect(&mut stranger, peer, addr.clone()).await;
    let asked =
        raw::ask(&mut stranger, peer, Out::Frame(encode_request("testing", Request::Block(2))))
            .await;
    assert_eq!(reply(asked), expect);

    // Without the chain check it cannot even negotiate.
    let mut mute = raw::client(&[&sync_protocol("testing")]);
    raw::connect(&mut mute, peer, addr.clone()).await;
    let failed =
        raw::ask(&mut mute, peer, Out::Frame(encode_request("testing", Request::Height))).await;
    assert!(matches!(failed, Err(OutboundFailure::UnsupportedProtocols)), "{failed:?}");

    // On the right protocol, a request naming another chain is refused all the same.
    let mut liar = raw::client(&[&sync_protocol(CHAIN)]);
    raw::connect(&mut liar, peer, addr).await;
    let asked =
        raw::ask(&mut liar, peer, Out::Frame(encode_request("testing", Request::Height))).await;
    assert_eq!(reply(asked), expect);
    let asked = raw::ask(&mut liar, peer, Out::Frame(encode_request(CHAIN, Request::Height))).await;
    assert_eq!(reply(asked), Response::Height(5));
    let (_, first) = within("the server's first request", seen.recv()).await.unwrap();
    assert_eq!(first, Request::Height);
    assert!(seen.try_recv().is_err(), "only the request for dev reached the kernel");
    node.stop().await;
}

#[tokio::test]
async fn oversized_requests_are_dropped_unanswered_and_the_node_keeps_serving() {
    let (mut node, peer, addr) = server(100);
    let mut seen = node.serve(|_| Some(Response::Height(5)));
    let mut client = raw::client(&[&sync_protocol(CHAIN)]);
    raw::connect(&mut client, peer, addr).await;
    // A length prefix beyond the frame limit: the stream is dropped before the body is read.
    let lie =
        raw::ask(&mut client, peer, Out::Lie(u32::try_from(MAX_FRAME_BYTES + 1).unwrap())).await;
    assert!(lie.is_err(), "a lying length gets no reply: {lie:?}");
    let lie = raw::ask(&mut client, peer, Out::Lie(u32::MAX)).await;
    assert!(lie.is_err(), "a lying length gets no reply: {lie:?}");
    // A frame within the limit whose payload exceeds bitmarkd's MAXMSGSIZE: dropped, as
    // a ZeroMQ socket would.
    let huge = Item::new(ItemKind::Block, vec![Bytes::from(vec![1u8; MAX_MESSAGE_BYTES])]);
    let frame = encode_request(CHAIN, Request::Gossip(huge));
    assert!(frame.len() <= MAX_FRAME_BYTES);
    let dropped = raw::ask(&mut client, peer, Out::Frame(frame)).await;
    assert!(dropped.is_err(), "an oversized request gets no reply");
    let height =
        raw::ask(&mut client, peer, Out::Frame(encode_request(CHAIN, Request::Height))).await;
    assert_eq!(reply(height), Response::Height(5));
    let (_, first) = within("the server's first request", seen.recv()).await.unwrap();
    assert_eq!(first, Request::Height, "nothing oversized reached the kernel");
    node.stop().await;
}

#[tokio::test]
async fn gossip_spammers_are_banned_while_honest_peers_are_served() {
    const RATE: u32 = 10;
    const FLOOD: usize = 300;
    let (mut node, peer, addr) = server(RATE);
    let mut honest = common::node("honest", CHAIN);
    let mut seen = common::relaying_kernel(&mut node, |_| false);
    let block_topic = topic(CHAIN, &ItemKind::Block);

    let mut spammer = raw::client(&[&sync_protocol(CHAIN)]);
    raw::connect(&mut spammer, peer, addr.clone()).await;
    raw::join(&mut spammer, peer, &block_topic).await;
    for i in 0..FLOOD {
        // Every third message is not even CBOR.
        let data = if i % 3 == 0 {
            vec![0xff; 8]
        } else {
            peerd_transport_libp2p::wire::encode_params(&[Bytes::from(i.to_be_bytes().to_vec())])
        };
        spammer.behaviour_mut().gossip.publish(block_topic.clone(), data).unwrap();
    }
    // The node bans the spammer: its connection closes, and it cannot come back.
    loop {
        match raw::next(&mut spammer).await {
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } if peer_id == peer => {
                break
            }
            _ => {}
        }
    }
    spammer.dial(peer).unwrap();
    loop {
        match raw::next(&mut spammer).await {
            SwarmEvent::OutgoingConnectionError { .. } => break,
            SwarmEvent::ConnectionClosed { peer_id, .. } if peer_id == peer => break,
            SwarmEvent::Behaviour(RawEvent::Sync(_)) => {}
            _ => {}
        }
    }
    let mut delivered = 0;
    while let Ok(common::Seen::Gossip(..)) = seen.try_recv() {
        delivered += 1;
    }
    assert!(delivered >= 1, "gossip within the rate was delivered");
    assert!(delivered < FLOOD / 5, "the flood was cut down to the rate, {delivered} delivered");

    // An honest peer is still served and its gossip still arrives.
    honest.connect(&node).await;
    let got = honest
        .request(&node.id(), Request::Gossip(Item::new(ItemKind::Custom("hi".into()), vec![])))
        .await;
    assert_eq!(got.unwrap(), Response::Ack);
    let block = Item::new(ItemKind::Block, vec![Bytes::from_static(b"honest block")]);
    honest.command(peerd_api::TransportCommand::Broadcast(block.clone())).await;
    loop {
        match within("the honest block", seen.recv()).await.unwrap() {
            common::Seen::Gossip(from, item) => {
                assert_eq!((from, item), (Some(honest.id()), block));
                break;
            }
            common::Seen::Request(..) => {}
        }
    }
    honest.stop().await;
    node.stop().await;
}
