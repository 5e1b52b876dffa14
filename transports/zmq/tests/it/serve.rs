//! The kernel's read-only answers on the transport's own threads: once a `Server` is
//! handed over, `N` is answered on the socket thread and `B` on a serving thread, with no
//! event reaching the kernel; `R` still goes to the kernel. A slow store read does not hold
//! up `N` for another client. A request the kernel gets names the CURVE key that sent it.

#![allow(clippy::unwrap_used)]

use crate::common;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{bare, blocking, text, Bare, RawClient};
use peerd_api::bytes::Bytes;
use peerd_api::{Request, Response, Server, TransportCommand, TransportEvent};
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;

/// Height 77; block `n` is `block-n`; block 9 takes until `release` is set.
#[derive(Debug, Default)]
struct Fake {
    release: AtomicBool,
}

impl Server for Fake {
    fn answer_now(&self, request: &Request) -> Option<Response> {
        matches!(request, Request::Height).then_some(Response::Height(77))
    }

    fn answer_blocking(&self, request: &Request) -> Option<Response> {
        match request {
            Request::Block(9) => {
                while !self.release.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(1)); // a slow disk, on its thread
                }
                Some(Response::Block(Bytes::from_static(b"block-9")))
            }
            Request::Block(n) => Some(Response::Block(Bytes::from(format!("block-{n}")))),
            _ => None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_served_without_the_kernel() {
    let keys = KeyPair::generate().unwrap();
    let transport = ZmqTransport::new(keys.clone()).listen(vec!["127.0.0.1:0".parse().unwrap()]);
    let Bare { handle, addr, mut events, shutdown } = bare(transport, "serve-test");
    let fake = Arc::new(Fake::default());
    handle.commands.send(TransportCommand::Serve(fake.clone())).await.unwrap();
    let key = keys.public;

    let (n, b) = blocking(move || {
        let client = RawClient::curve(addr, &key);
        (client.ask(&[b"dev", b"N"]), client.ask(&[b"dev", b"B", &5u64.to_be_bytes()]))
    })
    .await;
    assert_eq!(n, [b"N".to_vec(), 77u64.to_be_bytes().to_vec()]);
    assert_eq!(text(&b), ["B", "block-5"]);

    // A slow read (block 9) on one client; another client's N is answered meanwhile.
    let slow = tokio::task::spawn_blocking(move || {
        let client = RawClient::curve(addr, &key);
        client.ask(&[b"dev", b"B", &9u64.to_be_bytes()])
    });
    let quick = blocking(move || RawClient::curve(addr, &key).ask(&[b"dev", b"N"])).await;
    assert_eq!(quick[1], 77u64.to_be_bytes());
    fake.release.store(true, Ordering::Release);
    assert_eq!(text(&slow.await.unwrap()), ["B", "block-9"]);

    // Nothing reached the kernel but the listener's start; R does.
    while let Ok(event) = events.try_recv() {
        assert!(matches!(event, TransportEvent::Listening(_)), "unexpected {event:?}");
    }
    let client = RawClient::curve(addr, &key);
    let client_key = client.public.unwrap();
    let register = tokio::task::spawn_blocking(move || {
        let ts = 1u64.to_be_bytes();
        client.ask(&[b"dev", b"R", b"dev", &client_key, b"", &ts])
    });
    let inbound = loop {
        match events.recv().await.unwrap() {
            TransportEvent::Inbound(inbound) => break inbound,
            _ => continue,
        }
    };
    assert!(matches!(inbound.request, Request::Register(_)));
    // ZAP told the listener which CURVE key sent it.
    let sender = inbound.peer.clone().expect("the requester's identity");
    assert_eq!(sender.as_bytes(), client_key.as_slice());
    inbound.reply.send(Response::Error("kernel answered".into())).unwrap();
    assert_eq!(text(&register.await.unwrap()), ["E", "kernel answered"]);
    shutdown.cancel();
}
