//! The peer cache across a restart on the same store.

use crate::common;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use peerd_announce::CACHE_COLUMN;
use peerd_api::{Handler, NodeEvent, Store};

const MIN: u64 = 60;

#[tokio::test(start_paused = true)]
async fn cache_survives_a_restart_and_drops_expired_entries() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let first = context_at(START, store.clone());
    let h = Arc::new(handler());
    let zmq = remote("zmq");
    // Peer 1 announced 50 minutes ago, 2 and 3 now; 4 has no listeners (not cached).
    let items = [
        peer_item(&key(1), &listeners(1), START - 50 * MIN),
        peer_item(&key(2), &listeners(2), START),
        peer_item(&key(3), &listeners(3), START),
        peer_item(&key(4), &Bytes::new(), START),
    ];
    for item in &items {
        h.handle(&first.ctx, &zmq, item).await.unwrap();
    }
    // 2 and 3 answered our polls: proven, which the cache keeps across the restart.
    for b in [2, 3] {
        let event = NodeEvent::UpstreamAlive { transport: "zmq".into(), key: key(b) };
        h.on_event(&first.ctx, &event).await.unwrap();
    }
    let task = tokio::spawn({
        let (h, ctx) = (h.clone(), first.ctx.clone());
        async move { h.run(ctx).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    first.ctx.shutdown.cancel();
    task.await.unwrap().unwrap();
    let rows = store.scan(CACHE_COLUMN, peerd_api::KeyRange::all()).unwrap().count();
    assert_eq!(rows, 3, "peers 1, 2 and 3; neither ourselves nor peer 4");

    // Restart 10 minutes later: peer 1 (55 minutes old at START + 5 min) has expired.
    let mut second = context_at(START + 10 * MIN, store.clone());
    let h2 = Arc::new(handler());
    let task = tokio::spawn({
        let (h2, ctx) = (h2.clone(), second.ctx.clone());
        async move { h2.run(ctx).await }
    });
    // Keys 2, 3, 0x50 (us), all proven: we are rank 2 of 3, targets(2, 3) = [0, 1].
    let mut got = Vec::new();
    while got.len() < 2 {
        got.extend(connects(&[second.requests.recv().await.unwrap()]));
    }
    assert_eq!(
        got,
        [("zmq".to_owned(), key(2)), ("zmq".to_owned(), key(3))],
        "rebalance after restore"
    );
    let table: Vec<(Bytes, u64)> =
        h2.peers("zmq").into_iter().map(|e| (e.key, e.timestamp)).collect();
    assert_eq!(table, [(key(2), START), (key(3), START), (key(0x50), START + 10 * MIN)]);
    assert_eq!(h2.peers("libp2p").len(), 1, "only ourselves on libp2p");
    second.ctx.shutdown.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn cycle_saves_the_cache_without_a_shutdown() {
    let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let k = context_at(START, store.clone());
    let h = Arc::new(handler());
    for b in [1, 2] {
        h.handle(&k.ctx, &remote("zmq"), &peer_item(&key(b), &listeners(b), START)).await.unwrap();
    }
    let task = tokio::spawn({
        let (h, ctx) = (h.clone(), k.ctx.clone());
        async move { h.run(ctx).await }
    });
    let count = || store.scan(CACHE_COLUMN, peerd_api::KeyRange::all()).unwrap().count();
    tokio::time::sleep(Duration::from_secs(2 * MIN - 1)).await;
    assert_eq!(count(), 0, "nothing saved before the first cycle");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(), 2, "saved by the first cycle");
    k.ctx.shutdown.cancel();
    task.await.unwrap().unwrap();
}
