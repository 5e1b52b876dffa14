//! Two libp2p nodes that dial each other exchange every request kind in both directions over
//! the same connection, concurrently, and each side names the other by its peer id.

#![allow(clippy::unwrap_used)]

use crate::common;
use peerd_api::bytes::Bytes;
use peerd_api::{Digest, Item, ItemKind, NodeInfo, Registration, Request, Response};
use peerd_testkit::transport::{pattern, within, TestNode};
use peerd_transport_libp2p::libp2p::identity::Keypair;

/// Every request kind the kernel sends.
fn requests(chain: &str, me: &TestNode) -> Vec<Request> {
    let mut all = vec![
        Request::Info,
        Request::Height,
        Request::Digest(0),
        Request::Digest(41),
        Request::Block(2),
        Request::Block(77),
        Request::Register(Registration {
            chain: chain.into(),
            public_key: Bytes::copy_from_slice(me.handle.local_id.as_bytes()),
            listeners: me.handle.listeners.clone(),
            timestamp: 1_700_000_001,
        }),
    ];
    for kind in ItemKind::BUILTIN {
        all.push(Request::Gossip(Item::new(kind, vec![pattern(64, 5), Bytes::new()])));
    }
    all.push(Request::Gossip(Item::new(ItemKind::Custom("note".into()), vec![pattern(9, 1)])));
    all
}

/// What a node whose height is `height` answers.
fn answer(height: u64, request: &Request) -> Response {
    match request {
        Request::Info => Response::Info(NodeInfo {
            version: format!("v{height}"),
            chain: "dev".into(),
            normal: true,
            height,
        }),
        Request::Height => Response::Height(height),
        Request::Digest(n) => Response::Digest(Digest([(*n % 251) as u8; 32])),
        Request::Block(n) if *n <= height => Response::Block(pattern(500, *n + height)),
        Request::Block(_) => Response::Error("block not found".into()),
        Request::Register(r) => Response::Register(Registration { timestamp: height, ..r.clone() }),
        Request::Gossip(item) if matches!(item.kind, ItemKind::Custom(_)) => {
            Response::Reply(vec![pattern(3, height)])
        }
        Request::Gossip(_) => Response::Ack,
    }
}

#[tokio::test]
async fn two_nodes_exchange_every_request_kind_both_ways() {
    common::logs();
    let start = |label| {
        let transport = common::transport(Keypair::generate_ed25519(), vec![common::loopback()]);
        TestNode::launch(Box::new(transport), label, "dev")
    };
    let mut a = start("a");
    let mut b = start("b");
    a.connect(&b).await;
    b.connect(&a).await;
    let (a_asks, b_asks) = (requests("dev", &a), requests("dev", &b));
    let mut a_seen = a.serve(|r| Some(answer(100, r)));
    let mut b_seen = b.serve(|r| Some(answer(200, r)));
    let (a_id, b_id) = (a.id(), b.id());
    let from_a = async {
        for request in a_asks.clone() {
            let got = a.request(&b_id, request.clone()).await.unwrap();
            assert_eq!(got, answer(200, &request), "b's answer to {}", request.command());
        }
    };
    let from_b = async {
        for request in b_asks.clone() {
            let got = b.request(&a_id, request.clone()).await.unwrap();
            assert_eq!(got, answer(100, &request), "a's answer to {}", request.command());
        }
    };
    tokio::join!(from_a, from_b);
    for (seen, asked, asker) in [(&mut b_seen, &a_asks, &a_id), (&mut a_seen, &b_asks, &b_id)] {
        for request in asked {
            let (peer, got) = within("a request seen by the server", seen.recv()).await.unwrap();
            assert_eq!(&got, request);
            assert_eq!(peer.as_ref(), Some(asker), "the requester is named by its peer id");
        }
    }
    a.stop().await;
    b.stop().await;
}
