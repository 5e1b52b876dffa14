//! Partitions, kills and restarts: connections go down, come back by themselves, and
//! requests fail fast while a peer is unreachable.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
use common::{digest_of, id, serve_digests, start};
use peerd_api::{Request, Response, TransportError};
use peerd_testkit::transport::answer_of;
use peerd_transport_memory::MemoryNet;

#[tokio::test(start_paused = true)]
async fn partition_cuts_links_across_groups_until_healed() {
    let net = MemoryNet::new(21);
    let mut a = start(&net, "a");
    let mut b = start(&net, "b");
    let mut c = start(&net, "c");
    a.connect(&b).await;
    a.connect(&c).await;
    let _b_seen = serve_digests(&mut b);
    let _c_seen = serve_digests(&mut c);

    net.partition(&[&["a", "b"], &["c"]]);
    a.expect_disconnected(&id("c")).await;
    assert!(net.can_reach("a", "b") && !net.can_reach("a", "c") && !net.can_reach("c", "b"));
    match a.request(&id("c"), Request::Digest(1)).await {
        Err(TransportError::NotConnected(peer)) => assert_eq!(peer, id("c")),
        other => panic!("a request across the partition must fail at once, got {other:?}"),
    }
    assert_eq!(
        a.request(&id("b"), Request::Digest(2)).await.unwrap(),
        Response::Digest(digest_of(2))
    );

    net.heal();
    a.expect_connected(&id("c")).await;
    assert_eq!(
        a.request(&id("c"), Request::Digest(3)).await.unwrap(),
        Response::Digest(digest_of(3))
    );
}

#[tokio::test(start_paused = true)]
async fn unnamed_nodes_form_one_more_group() {
    let net = MemoryNet::new(22);
    let _a = start(&net, "a");
    let _b = start(&net, "b");
    let _c = start(&net, "c");
    net.partition(&[&["a"]]);
    assert!(net.can_reach("b", "c") && net.can_reach("c", "b"));
    assert!(!net.can_reach("a", "b") && !net.can_reach("b", "a"));
    assert!(net.can_reach("a", "a"));
}

#[tokio::test(start_paused = true)]
async fn a_killed_node_drops_its_links_both_ways_until_revived() {
    let net = MemoryNet::new(23);
    let mut a = start(&net, "a");
    let mut b = start(&net, "b");
    let mut c = start(&net, "c");
    a.connect(&b).await;
    b.connect(&c).await;
    let _c_seen = serve_digests(&mut c);
    // b holds a's request unanswered when it is killed.
    let pending = a.send(&id("b"), Request::Digest(1)).await;
    let held = b.next_inbound().await;

    net.kill("b");
    a.expect_disconnected(&id("b")).await;
    match answer_of(pending).await {
        Err(TransportError::NotConnected(peer)) => assert_eq!(peer, id("b")),
        other => panic!("the pending request fails when its server is killed, got {other:?}"),
    }
    b.expect_disconnected(&id("c")).await;
    assert!(matches!(
        b.request(&id("c"), Request::Height).await,
        Err(TransportError::NotConnected(_))
    ));
    // An answer from the killed node is lost.
    let _ = held.reply.send(Response::Digest(digest_of(1)));

    net.revive("b");
    a.expect_connected(&id("b")).await;
    b.expect_connected(&id("c")).await;
    assert_eq!(
        b.request(&id("c"), Request::Digest(4)).await.unwrap(),
        Response::Digest(digest_of(4))
    );
    let _b_seen = serve_digests(&mut b);
    assert_eq!(
        a.request(&id("b"), Request::Digest(5)).await.unwrap(),
        Response::Digest(digest_of(5))
    );
}

#[tokio::test(start_paused = true)]
async fn a_kill_outlasts_a_restart() {
    let net = MemoryNet::new(24);
    let mut a = start(&net, "a");
    let b = start(&net, "b");
    a.connect(&b).await;
    net.kill("b");
    a.expect_disconnected(&id("b")).await;
    b.stop().await;
    assert_eq!(net.nodes(), ["a"]);
    let mut b = start(&net, "b");
    assert_eq!(net.nodes(), ["a", "b"]);
    assert!(!net.can_reach("a", "b"), "still killed after the restart");
    net.revive("b");
    a.expect_connected(&id("b")).await;
    let _seen = serve_digests(&mut b);
    assert_eq!(
        a.request(&id("b"), Request::Digest(6)).await.unwrap(),
        Response::Digest(digest_of(6))
    );
}

#[tokio::test(start_paused = true)]
async fn a_quick_restart_is_still_seen_as_a_reconnect() {
    let net = MemoryNet::new(25);
    let mut a = start(&net, "a");
    let b = start(&net, "b");
    a.connect(&b).await;
    // Stop and restart before a's connection looks at the net again.
    b.stop().await;
    let mut b = start(&net, "b");
    a.expect_disconnected(&id("b")).await;
    a.expect_connected(&id("b")).await;
    let _seen = serve_digests(&mut b);
    assert_eq!(
        a.request(&id("b"), Request::Digest(7)).await.unwrap(),
        Response::Digest(digest_of(7))
    );
}
