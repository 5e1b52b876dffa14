//! Checks of a transport's life: listening, dialling, server restarts, shutdown.

use peerd_api::{Request, Response, TransportCommand, TransportError, TransportEvent};

use super::node::{answer_of, within, TestNode, CHAIN};
use super::TransportHarness;

/// A started transport reports `Listening` for one of the handle's addresses, names itself
/// in the handle and has a non-empty identity.
pub async fn listening_reported<H: TransportHarness>(mut harness: H) {
    let mut node = TestNode::start(&mut harness, "server", CHAIN);
    assert!(!node.handle.name.is_empty(), "the handle names the transport");
    assert!(!node.handle.local_id.as_bytes().is_empty(), "the node has an identity");
    assert!(!node.handle.listen_addrs.is_empty(), "the handle lists the listen addresses");
    match node.next_event().await {
        TransportEvent::Listening(addr) => assert!(
            node.handle.listen_addrs.contains(&addr),
            "Listening({addr}) is one of {:?}",
            node.handle.listen_addrs
        ),
        other => panic!("the first event must be Listening, got {other:?}"),
    }
    let target = node.target();
    assert_eq!(target.transport, node.handle.name);
    node.stop().await;
}

/// Dialling a node's target gives `Connected` with the node's identity, on the dialling
/// side only; the dialled node is then served requests from the dialler.
pub async fn dial_reports_connected<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.command(TransportCommand::Dial(server.target())).await;
    loop {
        match client.next_event().await {
            TransportEvent::Connected { peer, target } => {
                assert_eq!(peer, server.id(), "Connected names the dialled node");
                assert_eq!(target, server.target(), "Connected carries the dialled target");
                break;
            }
            TransportEvent::Listening(_) => {}
            other => panic!("unexpected event before Connected: {other:?}"),
        }
    }
    let client_id = client.id();
    let mut seen = server.serve(|_| Some(Response::Height(5)));
    assert_eq!(client.request(&server.id(), Request::Height).await.unwrap(), Response::Height(5));
    let (peer, request) = within("the server to see the request", seen.recv()).await.unwrap();
    assert_eq!(request, Request::Height);
    if let Some(peer) = peer {
        assert_eq!(peer, client_id, "the server names the requester by its identity");
    }
    client.stop().await;
    server.stop().await;
}

/// A server that stops makes its client see `Disconnected` and fails the request it was
/// holding (no hang); requests meanwhile fail; when the server comes back at the same
/// address, the client sees `Connected` again by itself and is served.
pub async fn server_restart_reconnects<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut client = TestNode::start(&mut harness, "client", CHAIN);
    client.connect(&server).await;
    let server_id = server.id();
    let pending = client.send(&server_id, Request::Height).await;
    let held = server.next_inbound().await;
    assert_eq!(held.request, Request::Height);
    server.stop().await;
    client.expect_disconnected(&server_id).await;
    assert!(answer_of(pending).await.is_err(), "the pending request fails when its server goes");
    drop(held);
    let meanwhile = client.request(&server_id, Request::Info).await;
    assert!(meanwhile.is_err(), "a request to a stopped server fails, got {meanwhile:?}");

    let mut back = TestNode::restart(&mut harness, &server);
    assert_eq!(back.id(), server_id, "the restarted node has the same identity");
    client.expect_connected(&server_id).await;
    let mut seen = back.serve(|_| Some(Response::Height(77)));
    assert_eq!(client.request(&server_id, Request::Height).await.unwrap(), Response::Height(77));
    assert_eq!(
        within("the restarted server's request", seen.recv()).await.unwrap().1,
        Request::Height
    );
    client.stop().await;
    back.stop().await;
}

/// Cancelling the shutdown token stops the transport: `stopped` is notified, a request
/// it was holding is answered with an error, its event channel closes (every task that
/// could send has ended) and later commands are refused or answered with an error.
pub async fn shutdown_completes<H: TransportHarness>(mut harness: H) {
    let mut server = TestNode::start(&mut harness, "server", CHAIN);
    let mut node = TestNode::start(&mut harness, "node", CHAIN);
    node.connect(&server).await;
    let pending = node.send(&server.id(), Request::Height).await;
    let held = server.next_inbound().await;
    node.stop().await;
    let answer = answer_of(pending).await;
    assert!(answer.is_err(), "a request pending at shutdown fails, got {answer:?}");
    drop(held);
    loop {
        match within("the event channel to close", node.events.recv()).await {
            None => break,
            Some(TransportEvent::Inbound(inbound)) => {
                panic!("inbound request after shutdown: {inbound:?}")
            }
            Some(_) => {}
        }
    }
    let (reply, answer) = tokio::sync::oneshot::channel();
    let late = TransportCommand::Request {
        id: peerd_api::RequestId(0),
        peer: server.id(),
        request: Request::Height,
        reply,
    };
    if node.handle.commands.send(late).await.is_ok() {
        let result = within("an answer after shutdown", answer).await;
        assert!(
            matches!(
                result,
                Err(_) | Ok(Err(TransportError::Stopped | TransportError::NotConnected(_)))
            ),
            "a request after shutdown fails, got {result:?}"
        );
    }
    server.stop().await;
}
