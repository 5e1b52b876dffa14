//! A key the kernel bans (`TransportCommand::Ban`) is refused by the listener's ZAP handler:
//! a new connection under it fails its CURVE handshake, while other keys are served.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crate::common;
use crate::curve::refused;
use common::{answer_heights, bare, blocking, text, Bare, RawClient};
use peerd_api::bytes::Bytes;
use peerd_api::{PeerId, Request, RequestId, TransportCommand};
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;
use tokio::sync::oneshot;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banned_key_cannot_connect_and_others_still_can() {
    let keys = KeyPair::generate().unwrap();
    let transport = ZmqTransport::new(keys.clone()).listen(vec!["127.0.0.1:0".parse().unwrap()]);
    let Bare { handle, addr, events, shutdown } = bare(transport, "ban-test");
    answer_heights(events);
    let server = keys.public;
    let pair = zmq::CurveKeyPair::new().unwrap();
    let (public, secret) = (pair.public_key, pair.secret_key);
    let banned = move || zmq::CurveKeyPair { public_key: public, secret_key: secret };

    // Before the ban the key is served.
    let first =
        blocking(move || text(&RawClient::curve_as(addr, &server, banned()).ask(&[b"dev", b"N"])))
            .await;
    assert_eq!(first[0], "N");

    let peer = PeerId::new(Bytes::copy_from_slice(&public));
    let ban = TransportCommand::Ban { peer, duration: Duration::from_secs(3600) };
    handle.commands.send(ban).await.unwrap();
    // Commands reach the socket thread in order: once a later one is answered, the ban is in.
    let (reply, answer) = oneshot::channel();
    let nobody = PeerId::new(Bytes::from_static(b"nobody"));
    let request = TransportCommand::Request {
        id: RequestId(1),
        peer: nobody,
        request: Request::Height,
        reply,
    };
    handle.commands.send(request).await.unwrap();
    assert!(answer.await.unwrap().is_err(), "no upstream of that name");

    blocking(move || {
        // The same key on a new socket: ZAP answers 400, the handshake fails.
        refused(&RawClient::curve_as(addr, &server, banned()));
        // Another key is still served.
        assert_eq!(text(&RawClient::curve(addr, &server).ask(&[b"dev", b"N"]))[0], "N");
    })
    .await;
    shutdown.cancel();
}
