//! CURVE is really on: an independent libzmq CURVE client is answered with any key of its
//! own, while a client without CURVE or with the wrong server key fails its handshake (seen
//! on its socket monitor) and gets no answer. A 6 MB message is refused without stopping
//! the listener.

#![allow(clippy::unwrap_used)]

use crate::common;
use common::{blocking, dev_chain, serve, text, RawClient};
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::socket::event;

pub(crate) fn handshake_failed(code: u16) -> bool {
    matches!(
        code,
        event::HANDSHAKE_FAILED_NO_DETAIL
            | event::HANDSHAKE_FAILED_PROTOCOL
            | event::HANDSHAKE_FAILED_AUTH
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_clients_with_any_key_are_answered() {
    assert_eq!(zmq::has("curve"), Some(true), "libzmq is built with CURVE");
    let served = serve(dev_chain(4));
    let (addr, key) = (served.addr, served.keys.public);
    blocking(move || {
        for _ in 0..2 {
            let client = RawClient::curve(addr, &key);
            assert_eq!(client.socket.get_mechanism().unwrap(), zmq::Mechanism::ZMQ_CURVE);
            assert_eq!(client.ask(&[b"dev", b"N"]), [b"N".to_vec(), 4u64.to_be_bytes().to_vec()]);
            let seen = client.events_until(|e| e == event::HANDSHAKE_SUCCEEDED);
            assert!(!seen.iter().any(|e| handshake_failed(*e)), "events {seen:x?}");
        }
    })
    .await;
}

/// Sends a request the server must not answer, waits for the handshake failure on the
/// client's monitor, and checks that no reply arrived and no handshake succeeded.
pub(crate) fn refused(client: &RawClient) {
    client.socket.send_multipart([&b"dev"[..], b"N"], 0).unwrap();
    let seen = client.events_until(handshake_failed);
    assert!(!seen.contains(&event::HANDSHAKE_SUCCEEDED), "events {seen:x?}");
    assert_eq!(client.socket.recv_multipart(zmq::DONTWAIT).unwrap_err(), zmq::Error::EAGAIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_without_curve_or_with_a_wrong_server_key_are_refused() {
    let served = serve(dev_chain(2));
    let (addr, key) = (served.addr, served.keys.public);
    blocking(move || {
        refused(&RawClient::null(addr));
        let stranger = KeyPair::generate().unwrap();
        refused(&RawClient::curve(addr, &stranger.public));
        // The listener goes on serving a well-configured client.
        assert_eq!(text(&RawClient::curve(addr, &key).ask(&[b"dev", b"N"]))[0], "N");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_six_megabyte_message_is_refused_and_others_are_served() {
    let served = serve(dev_chain(3));
    let (addr, key) = (served.addr, served.keys.public);
    blocking(move || {
        let big = RawClient::curve(addr, &key);
        let other = RawClient::curve(addr, &key);
        assert_eq!(text(&big.ask(&[b"dev", b"N"]))[0], "N");
        let payload = vec![0x5a; 6_000_000];
        big.socket.send_multipart([&b"dev"[..], b"block", &payload], 0).unwrap();
        // libzmq's MAXMSGSIZE makes the listener drop the sender's connection.
        let seen = big.events_until(|e| e == event::DISCONNECTED);
        assert!(seen.contains(&event::DISCONNECTED));
        assert_eq!(big.socket.recv_multipart(zmq::DONTWAIT).unwrap_err(), zmq::Error::EAGAIN);
        assert_eq!(other.ask(&[b"dev", b"N"]), [b"N".to_vec(), 3u64.to_be_bytes().to_vec()]);
    })
    .await;
}
