//! One client pipelining 5 MB `block` items (a DEALER, not one-at-a-time REQ) while the
//! kernel sits on them: the client fills its own budget of waiting requests (16 MiB) and is
//! answered `node busy` for the rest at once; the listener keeps reading, so another
//! client's `N` is answered. Without per-client budgets the pipeliner's 294 MB would fill
//! the 256 MiB every client shares, the listener would stop reading and the `N` would wait.

use std::net::SocketAddr;

use crate::common;
use common::{bare, blocking, text, Bare, RawClient, GUARD_MS};
use peerd_api::{Request, Response, TransportEvent};
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;
use tokio::sync::mpsc;

const ITEMS: usize = 60;
const ITEM_BYTES: usize = 4_900_000;

/// A DEALER with a fresh CURVE key: it may send without waiting for answers.
fn pipeliner(addr: SocketAddr, server: &[u8; 32]) -> (zmq::Context, zmq::Socket) {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::DEALER).unwrap();
    let mine = zmq::CurveKeyPair::new().unwrap();
    socket.set_curve_publickey(&mine.public_key).unwrap();
    socket.set_curve_secretkey(&mine.secret_key).unwrap();
    socket.set_curve_serverkey(server).unwrap();
    socket.set_linger(0).unwrap();
    socket.set_rcvtimeo(GUARD_MS).unwrap();
    socket.set_sndtimeo(GUARD_MS).unwrap();
    socket.set_maxmsgsize(-1).unwrap();
    socket.connect(&format!("tcp://{addr}")).unwrap();
    (ctx, socket)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_pipelining_blocks_gets_busy_answers_and_another_clients_poll_is_served() {
    let keys = KeyPair::generate().unwrap();
    let transport = ZmqTransport::new(keys.clone()).listen(vec!["127.0.0.1:0".parse().unwrap()]);
    let Bare { handle: _handle, addr, mut events, shutdown } = bare(transport, "pipelining-test");
    // The kernel's part: `N` at once; gossip held unanswered until the test ends.
    let (held_tx, mut held) = mpsc::channel(ITEMS);
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let TransportEvent::Inbound(inbound) = event {
                match inbound.request {
                    Request::Gossip(_) => {
                        let _ = held_tx.send(inbound.reply).await;
                    }
                    _ => {
                        let _ = inbound.reply.send(Response::Height(5));
                    }
                }
            }
        }
    });
    let server = keys.public;
    let honest = blocking(move || {
        let honest = RawClient::curve(addr, &server);
        assert_eq!(text(&honest.ask(&[b"dev", b"N"]))[0], "N");
        honest
    })
    .await;
    let busy = blocking(move || {
        let (_ctx, socket) = pipeliner(addr, &server);
        let payload = vec![0x42; ITEM_BYTES];
        for _ in 0..ITEMS {
            socket.send_multipart([&b""[..], b"dev", b"block", &payload], 0).unwrap();
        }
        let mut busy = 0;
        while busy < ITEMS - 3 {
            let reply = socket.recv_multipart(0).expect("an answer to each item over budget");
            assert!(text(&reply).iter().any(|f| f == "node busy"), "{:?}", text(&reply));
            busy += 1;
        }
        busy
    })
    .await;
    assert_eq!(busy, ITEMS - 3, "three 4.9 MB items fit in one client's 16 MiB");
    // The three that fit reached the kernel (which holds them), and nothing else did.
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let next = tokio::time::timeout(std::time::Duration::from_secs(30), held.recv()).await;
        waiting.push(next.expect("an item in time").expect("the stand-in runs"));
    }
    assert!(held.try_recv().is_err(), "only three items were handed on");
    blocking(move || {
        let reply = honest.ask(&[b"dev", b"N"]);
        assert_eq!(reply[1], 5u64.to_be_bytes(), "the other client's poll is answered");
    })
    .await;
    shutdown.cancel();
}
