//! Gossip over gossipsub: items reach every node of a line of six, each hop relaying only
//! what its kernel relays; custom kinds travel by request to the upstreams.

#![allow(clippy::unwrap_used)]

use crate::common;
use common::{node, relaying_kernel, Seen};
use peerd_api::bytes::Bytes;
use peerd_api::{Item, ItemKind, Request, TransportCommand};
use peerd_testkit::transport::{pattern, within, TestNode};
use tokio::sync::mpsc;

/// Starts `n` nodes in a line: node `i` dials node `i - 1`.
async fn line(n: usize, relay: fn(&Item) -> bool) -> (Vec<TestNode>, Vec<mpsc::Receiver<Seen>>) {
    common::logs();
    let mut nodes: Vec<TestNode> = (0..n).map(|i| node(&format!("n{i}"), "dev")).collect();
    for i in 1..n {
        let (before, after) = nodes.split_at_mut(i);
        after[0].connect(&before[i - 1]).await;
    }
    let seen = nodes.iter_mut().map(|node| relaying_kernel(node, relay)).collect();
    (nodes, seen)
}

/// The next gossiped item a node's kernel sees.
async fn next_gossip(seen: &mut mpsc::Receiver<Seen>) -> (Option<peerd_api::PeerId>, Item) {
    loop {
        match within("a gossiped item", seen.recv()).await.unwrap() {
            Seen::Gossip(peer, item) => return (peer, item),
            Seen::Request(..) => {}
        }
    }
}

#[tokio::test]
async fn a_broadcast_block_reaches_all_six_nodes_hop_by_hop() {
    let (nodes, mut seen) = line(6, |_| true).await;
    let block = Item::new(ItemKind::Block, vec![pattern(2000, 42)]);
    nodes[0].command(TransportCommand::Broadcast(block.clone())).await;
    for i in 1..6 {
        let (peer, item) = next_gossip(&mut seen[i]).await;
        assert_eq!(item, block, "node {i} got the block intact");
        let neighbours =
            [nodes[i - 1].id(), nodes.get(i + 1).map_or(nodes[i - 1].id(), TestNode::id)];
        assert!(
            peer.is_some_and(|p| neighbours.contains(&p)),
            "node {i} names the forwarding neighbour"
        );
    }
    // A second item of another kind follows the same way.
    let peer_item = Item::new(
        ItemKind::Peer,
        vec![pattern(32, 1), pattern(19, 2), Bytes::from_static(&[0; 8])],
    );
    nodes[3].command(TransportCommand::Broadcast(peer_item.clone())).await;
    for i in [0, 1, 2, 4, 5] {
        assert_eq!(next_gossip(&mut seen[i]).await.1, peer_item, "node {i} got the peer item");
    }
    for node in &nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn an_item_its_kernel_does_not_relay_stops_at_the_first_node() {
    // Only items whose first parameter starts with 1 are relayed.
    let (nodes, mut seen) =
        line(3, |item| item.params.first().is_some_and(|p| p.first() == Some(&1))).await;
    let refused = Item::new(ItemKind::Transfer, vec![Bytes::from_static(&[0, 9, 9])]);
    let relayed = Item::new(ItemKind::Transfer, vec![Bytes::from_static(&[1, 9, 9])]);
    nodes[0].command(TransportCommand::Broadcast(refused.clone())).await;
    assert_eq!(next_gossip(&mut seen[1]).await.1, refused, "the first hop sees the item");
    nodes[0].command(TransportCommand::Broadcast(relayed.clone())).await;
    assert_eq!(next_gossip(&mut seen[1]).await.1, relayed);
    // Had node 1 forwarded the refused item, node 2 would have got it first.
    assert_eq!(next_gossip(&mut seen[2]).await.1, relayed, "only the relayed item travels on");
    for node in &nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn custom_kinds_travel_by_request_to_the_upstreams() {
    let (nodes, mut seen) = line(2, |_| true).await;
    let note = Item::new(ItemKind::Custom("note".into()), vec![pattern(10, 3)]);
    // Node 1 dialled node 0: node 0 is its upstream.
    nodes[1].command(TransportCommand::Broadcast(note.clone())).await;
    loop {
        match within("the pushed note", seen[0].recv()).await.unwrap() {
            Seen::Request(peer, Request::Gossip(item)) => {
                assert_eq!(item, note);
                assert_eq!(peer, Some(nodes[1].id()));
                break;
            }
            Seen::Request(..) => {}
            Seen::Gossip(_, item) => panic!("a custom kind arrived by gossipsub: {item:?}"),
        }
    }
    for node in &nodes {
        node.stop().await;
    }
}
