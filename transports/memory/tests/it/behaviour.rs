//! Memory-transport specifics: configuration, timeouts, queue limits, size limits on
//! replies, names, statistics.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
use std::time::Duration;

use common::{digest_of, id, serve_digests, start, start_with};
use peerd_api::bytes::Bytes;
use peerd_api::{
    Item, ItemKind, Request, Response, Transport, TransportCommand, TransportError,
    MAX_MESSAGE_BYTES,
};
use peerd_testkit::transport::{answer_of, within, TestNode, CHAIN};
use peerd_transport_memory::{build, Config, MemoryNet, UNANSWERED};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn the_request_timeout_is_configurable() {
    let net = MemoryNet::new(31);
    let mut server = start(&net, "server");
    let mut client = start_with(net.transport("client").timeout(Duration::from_secs(3)), "client");
    client.connect(&server).await;
    let asked = Instant::now();
    let pending = client.send(&id("server"), Request::Height).await;
    let _held = server.next_inbound().await;
    match answer_of(pending).await {
        Err(TransportError::Timeout { peer, secs }) => assert_eq!((peer, secs), (id("server"), 3)),
        other => panic!("an unanswered request times out, got {other:?}"),
    }
    let waited = asked.elapsed();
    assert!(waited >= Duration::from_secs(3) && waited < Duration::from_millis(3010), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_refuses_at_once_and_keeps_the_queued_requests() {
    let net = MemoryNet::new(32);
    let mut server = start(&net, "server");
    let mut client = start_with(net.transport("client").queue_limit(2), "client");
    client.connect(&server).await;
    let first = client.send(&id("server"), Request::Digest(0)).await;
    let in_flight = server.next_inbound().await;
    let queued = [
        client.send(&id("server"), Request::Digest(1)).await,
        client.send(&id("server"), Request::Digest(2)).await,
    ];
    match client.request(&id("server"), Request::Digest(3)).await {
        Err(TransportError::QueueFull { limit, .. }) => assert_eq!(limit, 2),
        other => panic!("a request beyond the queue limit is refused, got {other:?}"),
    }
    let _ = in_flight.reply.send(Response::Digest(digest_of(0)));
    let mut seen = serve_digests(&mut server);
    assert_eq!(answer_of(first).await.unwrap(), Response::Digest(digest_of(0)));
    for (n, answer) in (1..).zip(queued) {
        assert_eq!(answer_of(answer).await.unwrap(), Response::Digest(digest_of(n)));
    }
    assert_eq!(
        within("a request", seen.recv()).await.unwrap().1,
        Request::Digest(1),
        "the refused request was never sent"
    );
    assert_eq!(within("a request", seen.recv()).await.unwrap().1, Request::Digest(2));
}

#[tokio::test(start_paused = true)]
async fn an_oversized_reply_is_refused_on_receipt() {
    let net = MemoryNet::new(33);
    let mut server = start(&net, "server");
    let mut client = start(&net, "client");
    client.connect(&server).await;
    let _seen = server.serve(|request| match request {
        Request::Block(_) => Some(Response::Block(Bytes::from(vec![1u8; MAX_MESSAGE_BYTES]))),
        _ => Some(Response::Height(4)),
    });
    match client.request(&id("server"), Request::Block(2)).await {
        Err(TransportError::TooLarge { size, max }) => {
            assert_eq!((size, max), (MAX_MESSAGE_BYTES + 1, MAX_MESSAGE_BYTES))
        }
        other => panic!("an oversized reply is refused, got {other:?}"),
    }
    assert_eq!(net.stats().refused, 1);
    assert_eq!(client.request(&id("server"), Request::Height).await.unwrap(), Response::Height(4));
}

#[tokio::test(start_paused = true)]
async fn the_size_limit_counts_every_frame() {
    let net = MemoryNet::new(34);
    let mut server = start(&net, "server");
    let mut client = start(&net, "client");
    client.connect(&server).await;
    let _seen = server.serve(|_| Some(Response::Ack));
    // `[chain, "block", payload]`: exactly at the limit passes, one byte more does not.
    let room = MAX_MESSAGE_BYTES - CHAIN.len() - "block".len();
    let fits = Item::new(
        ItemKind::Block,
        vec![Bytes::from(vec![0u8; room - 10]), Bytes::from(vec![0u8; 10])],
    );
    assert_eq!(client.request(&id("server"), Request::Gossip(fits)).await.unwrap(), Response::Ack);
    let over = Item::new(
        ItemKind::Block,
        vec![Bytes::from(vec![0u8; room - 10]), Bytes::from(vec![0u8; 11])],
    );
    assert!(matches!(
        client.request(&id("server"), Request::Gossip(over)).await,
        Err(TransportError::TooLarge { size, .. }) if size == MAX_MESSAGE_BYTES + 1
    ));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_slot_is_answered_with_the_documented_text() {
    let net = MemoryNet::new(35);
    let mut server = start(&net, "server");
    let mut client = start(&net, "client");
    client.connect(&server).await;
    let _seen = server.serve(|_| None);
    assert_eq!(
        client.request(&id("server"), Request::Height).await.unwrap(),
        Response::Error(UNANSWERED.into())
    );
}

#[tokio::test(start_paused = true)]
async fn a_running_name_cannot_start_twice() {
    let net = MemoryNet::new(36);
    let first = start(&net, "node");
    let (events, _rx) = tokio::sync::mpsc::channel(8);
    let ctx = peerd_api::TransportContext {
        chain: CHAIN.into(),
        version: "0".into(),
        events,
        shutdown: Default::default(),
        metrics: Default::default(),
    };
    match Box::new(net.transport("node")).start(ctx.clone()) {
        Err(TransportError::Bind { addr, .. }) => assert_eq!(addr, "mem://node"),
        other => panic!("a second node with a running name must fail to bind, got {other:?}"),
    }
    assert!(matches!(Box::new(net.transport("")).start(ctx), Err(TransportError::Config { .. })));
    first.stop().await;
    let again = start(&net, "node");
    assert_eq!(again.id(), id("node"), "the name is free once its node stopped");
}

#[tokio::test(start_paused = true)]
async fn configured_peers_are_dialled_at_start() {
    let net = MemoryNet::new(37);
    let mut server = start(&net, "server");
    let config =
        Config { peers: vec!["server".into()], request_timeout_secs: Some(5), ..Config::default() };
    let mut client =
        TestNode::launch(Box::new(build(&net, &config, "client").unwrap()), "client", CHAIN);
    client.expect_connected(&id("server")).await;
    let _seen = serve_digests(&mut server);
    assert_eq!(
        client.request(&id("server"), Request::Digest(8)).await.unwrap(),
        Response::Digest(digest_of(8))
    );
    // Broadcasts are not this transport's way of gossiping: ignored, nothing breaks.
    client.command(TransportCommand::Broadcast(Item::new(ItemKind::Heart, vec![]))).await;
    assert_eq!(
        client.request(&id("server"), Request::Digest(9)).await.unwrap(),
        Response::Digest(digest_of(9))
    );
}

#[test]
fn config_is_checked_and_strict() {
    let net = MemoryNet::new(38);
    let bad = [
        Config { name: Some(String::new()), ..Config::default() },
        Config { peers: vec![String::new()], ..Config::default() },
        Config { request_timeout_secs: Some(0), ..Config::default() },
        Config { queue_limit: Some(0), ..Config::default() },
    ];
    for config in bad {
        assert!(
            matches!(build(&net, &config, "n"), Err(TransportError::Config { .. })),
            "{config:?}"
        );
    }
    assert!(build(&net, &Config::default(), "").is_err(), "no name at all");
    let parsed: Config = serde_json::from_str(r#"{"name":"n1","peers":["n2"]}"#).unwrap();
    assert_eq!(
        parsed,
        Config { name: Some("n1".into()), peers: vec!["n2".into()], ..Config::default() }
    );
    let unknown = serde_json::from_str::<Config>(r#"{"name":"n1","listen":"x"}"#).unwrap_err();
    assert!(unknown.to_string().contains("unknown field"), "{unknown}");
}

#[tokio::test(start_paused = true)]
async fn stats_count_each_message() {
    let net = MemoryNet::new(39);
    let mut server = start(&net, "server");
    let mut client = start(&net, "client");
    client.connect(&server).await;
    let _seen = serve_digests(&mut server);
    net.reset_stats();
    for n in 0..3 {
        client.request(&id("server"), Request::Digest(n)).await.unwrap();
    }
    let stats = net.stats();
    assert_eq!(
        (stats.sent, stats.delivered, stats.dropped, stats.duplicated, stats.refused),
        (6, 6, 0, 0, 0)
    );
}
