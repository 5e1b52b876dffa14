//! Checks that requests and answers cross the transport intact.

use peerd_api::bytes::Bytes;
use peerd_api::{Digest, Item, ItemKind, NodeInfo, Registration, Request, Response};

use super::node::{pattern, within, TestNode, CHAIN};
use super::TransportHarness;

/// A block just under the 5,000,000-byte message limit once framed.
const BIG: usize = 4_900_000;

/// The answer the responder gives to each request of [`requests_round_trip`].
fn answer(request: &Request) -> Response {
    match request {
        Request::Info => Response::Info(NodeInfo {
            version: "peerd 9.8.7".into(),
            chain: CHAIN.into(),
            normal: true,
            height: 123_456,
        }),
        Request::Height => Response::Height(u64::MAX - 1),
        Request::Digest(n) => {
            Response::Digest(Digest(*pattern(32, *n).first_chunk::<32>().unwrap_or(&[0; 32])))
        }
        Request::Block(n) => Response::Block(pattern(1000 + *n as usize % 1000, *n)),
        Request::Register(r) => Response::Register(Registration {
            chain: r.chain.clone(),
            public_key: pattern(32, 99),
            listeners: pattern(19, 98),
            timestamp: r.timestamp + 1,
        }),
        Request::Gossip(item) => match item.kind {
            ItemKind::Custom(_) => {
                Response::Reply(vec![Bytes::from_static(b"seen"), pattern(40, 7), Bytes::new()])
            }
            _ => Response::Ack,
        },
    }
}

fn item(kind: ItemKind, sizes: &[usize]) -> Request {
    let params = sizes.iter().enumerate().map(|(i, &n)| pattern(n, i as u64 + 3)).collect();
    Request::Gossip(Item::new(kind, params))
}

fn requests() -> Vec<Request> {
    let mut requests = vec![
        Request::Info,
        Request::Height,
        Request::Digest(0),
        Request::Digest(1),
        Request::Digest(u64::MAX),
        Request::Block(2),
        Request::Block(4_000_000_000),
        Request::Register(Registration {
            chain: CHAIN.into(),
            public_key: pattern(32, 1),
            listeners: pattern(38, 2),
            timestamp: 1_700_000_000,
        }),
    ];
    let shapes: [(ItemKind, &[usize]); 8] = [
        (ItemKind::Block, &[700]),
        (ItemKind::Assets, &[150]),
        (ItemKind::Issues, &[300]),
        (ItemKind::Transfer, &[120]),
        (ItemKind::Proof, &[48, 64]),
        (ItemKind::Rpc, &[32, 19, 8]),
        (ItemKind::Peer, &[32, 38, 8]),
        (ItemKind::Heart, &[]),
    ];
    requests.extend(shapes.into_iter().map(|(kind, sizes)| item(kind, sizes)));
    let custom = ItemKind::Custom("note-v1.x_y".into());
    requests.push(item(custom, &[0, 1, 255, 3]));
    requests
}

/// Serves `server` with `answer`, asks every request of the list from `client`, and checks
/// that the server saw each request intact and the client got each answer intact.
async fn round_trip(
    client: &TestNode,
    server: &mut TestNode,
    requests: Vec<Request>,
    answer: fn(&Request) -> Response,
) {
    let client_id = client.id();
    let mut seen = server.serve(move |request| Some(answer(request)));
    for request in requests {
        let got = client.request(&server.id(), request.clone()).await;
        let (peer, arrived) = within("the server to see a request", seen.recv()).await.unwrap();
        assert_eq!(arrived, request, "the request arrives intact");
        assert!(
            peer.is_none() || peer == Some(client_id.clone()),
            "the requester is named by its identity"
        );
        assert_eq!(
            got.unwrap(),
            answer(&request),
            "the answer to {} arrives intact",
            request.command()
        );
    }
}

/// Every request kind (`I`, `N`, `H`, `B`, `R`, each built-in gossip kind and a custom one)
/// reaches the server's kernel intact and its answer comes back intact.
pub async fn requests_round_trip<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.connect(&server).await;
    round_trip(&client, &mut server, requests(), answer).await;
    client.stop().await;
    server.stop().await;
}

/// A 4.9 MB block crosses byte-exact in both directions: as a gossiped item and as the
/// answer to `B`.
pub async fn large_payloads_round_trip<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.connect(&server).await;
    fn big(request: &Request) -> Response {
        match request {
            Request::Block(n) => Response::Block(pattern(BIG, *n)),
            _ => Response::Ack,
        }
    }
    let gossip = Request::Gossip(Item::new(ItemKind::Block, vec![pattern(BIG, 5)]));
    round_trip(&client, &mut server, vec![gossip, Request::Block(3), Request::Block(4)], big).await;
    client.stop().await;
    server.stop().await;
}

/// Error replies reach the requester verbatim (bitmarkd's texts, quotes, non-ASCII).
pub async fn error_replies_pass_through<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.connect(&server).await;
    let texts = [
        "block not found",
        "invalid public key",
        "missing parameters",
        "a \"quoted\" ünïcødé\ttext",
    ];
    let _seen = server.serve(move |request| match request {
        Request::Digest(n) => {
            texts.get(*n as usize).map(|text| Response::Error((*text).to_owned()))
        }
        _ => Some(Response::Error(String::new())),
    });
    for (n, text) in texts.iter().enumerate() {
        let got = client.request(&server.id(), Request::Digest(n as u64)).await;
        assert_eq!(got.unwrap(), Response::Error((*text).to_owned()));
    }
    client.stop().await;
    server.stop().await;
}

/// A kernel that drops an inbound request's reply slot still gets its requester an error
/// reply (not a timeout), and the connection serves the next request.
pub async fn dropped_reply_slot_is_an_error<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.connect(&server).await;
    let _seen = server.serve(|request| match request {
        Request::Height => None,
        request => Some(answer(request)),
    });
    let got = client.request(&server.id(), Request::Height).await;
    assert!(
        matches!(got, Ok(Response::Error(_))),
        "a dropped slot gives an error reply, got {got:?}"
    );
    let next = client.request(&server.id(), Request::Digest(1)).await;
    assert_eq!(next.unwrap(), answer(&Request::Digest(1)));
    client.stop().await;
    server.stop().await;
}

/// A request for another chain is answered by the transport with bitmarkd's exact text and
/// never reaches the server's kernel; requests for the right chain still do.
pub async fn wrong_chain_refused<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut stranger = TestNode::start(&mut harness, "stranger", "testing");
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    stranger.connect(&server).await;
    client.connect(&server).await;
    let mut seen = server.serve(|request| {
        Some(if *request == Request::Height { Response::Height(9) } else { answer(request) })
    });
    let expect = format!("invalid chain: actual: \"testing\"  expect: {CHAIN}");
    for request in [Request::Height, Request::Block(2)] {
        let got = stranger.request(&server.id(), request).await;
        assert_eq!(got.unwrap(), Response::Error(expect.clone()));
    }
    assert_eq!(client.request(&server.id(), Request::Height).await.unwrap(), Response::Height(9));
    let (peer, first) = within("the server to see a request", seen.recv()).await.unwrap();
    assert_eq!(first, Request::Height, "the wrong-chain requests never reached the kernel");
    assert!(peer.is_none() || peer == Some(client.id()));
    for node in [&stranger, &client, &server] {
        node.stop().await;
    }
}
