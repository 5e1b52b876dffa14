//! Checks of request flow: ordering, one in flight, unknown peers, size limits.

use peerd_api::bytes::Bytes;
use peerd_api::{
    Digest, Item, ItemKind, PeerId, Request, Response, TransportCommand, TransportError,
    TransportEvent, MAX_MESSAGE_BYTES,
};
use tokio::sync::mpsc::error::TryRecvError;

use super::node::{answer_of, pattern, TestNode, CHAIN};
use super::TransportHarness;

/// How many requests the ordering check queues on one connection.
const QUEUED: u64 = 16;

/// Scheduler turns the ordering check gives a pipelining transport to show itself.
const TURNS: usize = 64;

fn digest_of(n: u64) -> Digest {
    let mut raw = [0u8; 32];
    raw[..8].copy_from_slice(&n.to_be_bytes());
    Digest(raw)
}

/// Requests queued on one connection reach the server one at a time, in order: the next
/// is sent only after the previous one was answered, and the answers come back in order.
pub async fn requests_in_order_one_in_flight<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.connect(&server).await;
    let mut answers = Vec::new();
    for n in 0..QUEUED {
        answers.push(client.send(&server.id(), Request::Digest(n)).await);
    }
    // Everything is queued in the transport before the first answer is given.
    for n in 0..QUEUED {
        let inbound = server.next_inbound().await;
        assert_eq!(
            inbound.request,
            Request::Digest(n),
            "requests arrive in the order they were queued"
        );
        for _ in 0..TURNS {
            tokio::task::yield_now().await;
        }
        match server.events.try_recv() {
            Err(TryRecvError::Empty) => {}
            Ok(TransportEvent::Inbound(second)) => {
                panic!(
                    "{:?} arrived while {:?} was unanswered on the same connection",
                    second.request, inbound.request
                )
            }
            other => panic!("unexpected server event {other:?}"),
        }
        let _ = inbound.reply.send(Response::Digest(digest_of(n)));
    }
    for (n, answer) in (0..QUEUED).zip(answers) {
        assert_eq!(answer_of(answer).await.unwrap(), Response::Digest(digest_of(n)));
    }
    client.stop().await;
    server.stop().await;
}

/// A request to a peer that was never dialled fails at once with `NotConnected(peer)`.
pub async fn undialled_peer_not_connected<H: TransportHarness>(mut harness: H) {
    let client = TestNode::start(&mut harness, "client", CHAIN);
    let server = TestNode::start(&mut harness, "server", CHAIN);
    let strangers =
        [server.id(), PeerId::new(Bytes::from_static(b"nobody")), PeerId::new(pattern(32, 4))];
    for peer in strangers {
        match client.request(&peer, Request::Height).await {
            Err(TransportError::NotConnected(named)) => assert_eq!(named, peer),
            other => panic!("a request to an undialled peer must be NotConnected, got {other:?}"),
        }
    }
    client.stop().await;
    server.stop().await;
}

/// After `Disconnect(peer)` requests to that peer fail with `NotConnected`; dialling it
/// again gives `Connected` and requests work again.
pub async fn disconnect_closes_connection<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.connect(&server).await;
    let _seen = server.serve(|_| Some(Response::Height(3)));
    assert_eq!(client.request(&server.id(), Request::Height).await.unwrap(), Response::Height(3));
    client.command(TransportCommand::Disconnect(server.id())).await;
    match client.request(&server.id(), Request::Height).await {
        Err(TransportError::NotConnected(peer)) => assert_eq!(peer, server.id()),
        other => panic!("a request after Disconnect must be NotConnected, got {other:?}"),
    }
    client.connect(&server).await;
    assert_eq!(client.request(&server.id(), Request::Height).await.unwrap(), Response::Height(3));
    client.stop().await;
    server.stop().await;
}

/// A request above `MAX_MESSAGE_BYTES` is refused with `TooLarge` without reaching the
/// server, and the connection goes on serving normal requests.
pub async fn oversize_request_refused<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.connect(&server).await;
    let mut seen = server.serve(|request| match request {
        Request::Height => Some(Response::Height(8)),
        _ => Some(Response::Ack),
    });
    let huge = Request::Gossip(Item::new(
        ItemKind::Block,
        vec![Bytes::from(vec![7u8; MAX_MESSAGE_BYTES + 1])],
    ));
    match client.request(&server.id(), huge).await {
        Err(TransportError::TooLarge { size, max }) => {
            assert_eq!(max, MAX_MESSAGE_BYTES);
            assert!(size > MAX_MESSAGE_BYTES, "the reported size {size} is the oversized one");
        }
        other => panic!("an oversized request must be TooLarge, got {other:?}"),
    }
    assert_eq!(client.request(&server.id(), Request::Height).await.unwrap(), Response::Height(8));
    let (_, first) = super::within("the server to see a request", seen.recv()).await.unwrap();
    assert_eq!(first, Request::Height, "the oversized request never reached the server");
    client.stop().await;
    server.stop().await;
}
