//! The time rules on paused tokio time: 7 and 55 minutes, clamping, the announce cycle
//! (2 minutes, then every 11), expiry with `Release`, liveness refreshes, rebalances.

use crate::common;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use peerd_announce::{AnnounceHandler, Config};
use peerd_api::{Handler, ItemKind, NodeEvent, NodeRequest, Outcome, Registration};
use tokio::time::{advance, Instant};

const MIN: u64 = 60;

fn stamp(h: &AnnounceHandler, k: u8) -> Option<u64> {
    h.peers("zmq").into_iter().find(|e| e.key == key(k)).map(|e| e.timestamp)
}

#[tokio::test(start_paused = true)]
async fn updates_count_only_seven_minutes_newer_and_expired_ones_never() {
    let k = context();
    let h = handler();
    let zmq = remote("zmq");
    let relay = |ts| peer_item(&key(1), &listeners(1), ts);
    assert_eq!(h.handle(&k.ctx, &zmq, &relay(START)).await.unwrap(), Outcome::Relay);
    advance(Duration::from_secs(10 * MIN)).await;
    // 6:59 newer: ignored; older: ignored; exactly 7 minutes newer: counted.
    let now = START + 10 * MIN;
    assert_eq!(
        h.handle(&k.ctx, &zmq, &relay(START + 7 * MIN - 1)).await.unwrap(),
        Outcome::Accepted
    );
    assert_eq!(h.handle(&k.ctx, &zmq, &relay(START - 1)).await.unwrap(), Outcome::Accepted);
    assert_eq!(stamp(&h, 1), Some(START));
    assert_eq!(h.handle(&k.ctx, &zmq, &relay(START + 7 * MIN)).await.unwrap(), Outcome::Relay);
    assert_eq!(stamp(&h, 1), Some(START + 7 * MIN));
    // An announcement 55 minutes old is still taken, one a second older is not.
    let edge = peer_item(&key(2), &listeners(2), now - 55 * MIN);
    assert_eq!(h.handle(&k.ctx, &zmq, &edge).await.unwrap(), Outcome::Relay);
    let stale = peer_item(&key(3), &listeners(3), now - 55 * MIN - 1);
    assert_eq!(h.handle(&k.ctx, &zmq, &stale).await.unwrap(), Outcome::Accepted);
    assert_eq!(stamp(&h, 3), None);
}

#[tokio::test(start_paused = true)]
async fn future_timestamps_are_clamped_to_now() {
    let k = context();
    let h = handler();
    advance(Duration::from_secs(90)).await;
    let future = peer_item(&key(1), &listeners(1), START + 100 * 24 * 3600);
    assert_eq!(h.handle(&k.ctx, &remote("zmq"), &future).await.unwrap(), Outcome::Relay);
    assert_eq!(stamp(&h, 1), Some(START + 90));
    // The clamped entry cannot be refreshed by another far-future announcement 1 s later.
    advance(Duration::from_secs(1)).await;
    assert_eq!(h.handle(&k.ctx, &remote("zmq"), &future).await.unwrap(), Outcome::Accepted);
}

#[tokio::test(start_paused = true)]
async fn self_announcement_two_minutes_after_start_then_every_eleven() {
    let mut k = context();
    let config = Config {
        rpc_fingerprint: Some("ab".repeat(32)),
        rpc_announce: vec!["127.0.0.1:2130".into()],
        ..Config::default()
    };
    let h = Arc::new(AnnounceHandler::new(config.validate().unwrap()));
    let task = tokio::spawn({
        let (h, ctx) = (h.clone(), k.ctx.clone());
        async move { h.run(ctx).await }
    });
    let start = Instant::now();
    for at in [2 * MIN, 13 * MIN, 24 * MIN] {
        let rpc = k.requests.recv().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(at));
        let stamp = Bytes::copy_from_slice(&(START + at).to_be_bytes());
        match rpc {
            NodeRequest::Broadcast(item) => {
                assert_eq!(item.kind, ItemKind::Rpc);
                assert_eq!(
                    item.params,
                    [Bytes::from(vec![0xab; 32]), item.params[1].clone(), stamp.clone()]
                );
                assert_eq!(item.params[1].len(), 19);
            }
            other => panic!("expected the rpc announcement, got {other:?}"),
        }
        // Only the transport with listeners announces; libp2p has none.
        match k.requests.recv().await.unwrap() {
            NodeRequest::BroadcastOn { transport, item } => {
                assert_eq!(transport, "zmq");
                assert_eq!(item, peer_item(&key(0x50), &listeners(0x50), START + at));
            }
            other => panic!("expected the peer announcement, got {other:?}"),
        }
        assert!(drain(&mut k.requests).is_empty(), "nothing else at {at}");
    }
    k.ctx.shutdown.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn expiry_releases_peers_that_were_not_refreshed() {
    let mut k = context();
    let h = Arc::new(handler());
    let zmq = remote("zmq");
    for b in [1, 2] {
        h.handle(&k.ctx, &zmq, &peer_item(&key(b), &listeners(b), START)).await.unwrap();
    }
    let task = tokio::spawn({
        let (h, ctx) = (h.clone(), k.ctx.clone());
        async move { h.run(ctx).await }
    });
    // Peer 2 answers a poll at 30 minutes: its entry is fresh again.
    tokio::time::sleep(Duration::from_secs(30 * MIN)).await;
    let alive = NodeEvent::UpstreamAlive { transport: "zmq".into(), key: key(2) };
    h.on_event(&k.ctx, &alive).await.unwrap();
    assert_eq!(stamp(&h, 2), Some(START + 30 * MIN));
    // Peer 1 is 55 minutes old at 55:00 but expires only at the next cycle after that:
    // cycles run at 2, 13, 24, 35, 46 and 57 minutes.
    let start = Instant::now() - Duration::from_secs(30 * MIN);
    let release = loop {
        match k.requests.recv().await.unwrap() {
            r @ NodeRequest::Release { .. } => break r,
            _ => continue,
        }
    };
    assert_eq!(start.elapsed(), Duration::from_secs(57 * MIN));
    assert!(
        matches!(release, NodeRequest::Release { transport, key: k1 } if transport == "zmq" && k1 == key(1))
    );
    assert_eq!(stamp(&h, 1), None);
    assert_eq!(stamp(&h, 2), Some(START + 30 * MIN));
    k.ctx.shutdown.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn introduced_peers_join_the_table_and_rebalances_follow_requests() {
    let mut k = context();
    let h = Arc::new(handler());
    for b in [0x10, 0x60, 0x70] {
        let peer = Registration {
            chain: "local".into(),
            public_key: key(b),
            listeners: listeners(b),
            timestamp: START,
        };
        let event = NodeEvent::PeerIntroduced { transport: "zmq".into(), peer };
        h.on_event(&k.ctx, &event).await.unwrap();
    }
    // Introduced peers are heard of: the rebalance at start only probes them, two at a time.
    let task = tokio::spawn({
        let (h, ctx) = (h.clone(), k.ctx.clone());
        async move { h.run(ctx).await }
    });
    let mut probes = Vec::new();
    while probes.len() < 2 {
        probes.extend(connects(&[k.requests.recv().await.unwrap()]));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    probes.extend(connects(&drain(&mut k.requests)));
    assert_eq!(probes.len(), 2, "two probes, got {probes:?}");
    assert!(probes.iter().all(|(_, k)| [key(0x10), key(0x60), key(0x70)].contains(k)));
    k.ctx.shutdown.cancel();
    task.await.unwrap().unwrap();

    // Each answered our polls (as it does once a probe reaches it): the ring is theirs.
    let mut k = context();
    for b in [0x10, 0x60, 0x70] {
        let event = NodeEvent::UpstreamAlive { transport: "zmq".into(), key: key(b) };
        h.on_event(&k.ctx, &event).await.unwrap();
    }
    let task = tokio::spawn({
        let (h, ctx) = (h.clone(), k.ctx.clone());
        async move { h.run(ctx).await }
    });
    // Keys 0x10, 0x50 (us), 0x60, 0x70: we are rank 1 of 4, targets(1, 4):
    // N1=2, N3=4→0, X2=2, X4=3, X6=4→0, P3=2 (X1, X3, X5, X7, P1 skipped).
    let want: Vec<(String, Bytes)> =
        [0x60, 0x10, 0x60, 0x70, 0x10, 0x60].iter().map(|&b| ("zmq".to_owned(), key(b))).collect();
    let mut got = Vec::new();
    while got.len() < want.len() {
        got.extend(connects(&[k.requests.recv().await.unwrap()]));
    }
    assert_eq!(got, want, "rebalance at start");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(drain(&mut k.requests).is_empty());
    h.rebalance_trigger().request();
    h.rebalance_trigger().request();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(connects(&drain(&mut k.requests)), want, "one rebalance for two requests");
    k.ctx.shutdown.cancel();
    task.await.unwrap().unwrap();
}
