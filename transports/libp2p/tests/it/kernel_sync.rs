//! Whole nodes on libp2p: three empty nodes sync a dev chain from one producer through the
//! real kernel and reach Normal mode with the producer's height and tip; when the producer's
//! chain grows, they follow.
//!
//! The network is small, so `[sync]` is lowered: each follower has the producer as its only
//! upstream, so `min_upstreams = 1` and `min_votes = 1` (bitmarkd's 5 and 3 need five
//! peers). The producer is standalone (`min_upstreams = 0`): in Normal mode from the start.

#![allow(clippy::unwrap_used)]

use crate::common;
use common::full::{dev_chain, grow, small_sync, wait_until, Full};
use peerd_api::{Chain, Mode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_sync_from_one_producer_and_reach_normal() {
    common::logs();
    let chain = dev_chain();
    grow(&chain, 150);
    let producer = Full::start("producer", chain, small_sync(0, 0), vec![]);
    let followers: Vec<Full> = (1..=3)
        .map(|i| {
            Full::start(
                &format!("f{i}"),
                dev_chain(),
                small_sync(1, 1),
                vec![producer.target.clone()],
            )
        })
        .collect();
    let in_sync = |f: &Full| {
        f.mode.get() == Mode::Normal && f.height() == producer.height() && f.tip() == producer.tip()
    };
    wait_until("every follower in sync at 150", || followers.iter().all(in_sync)).await;
    for f in &followers {
        assert!(
            (2..=150).all(|n| f.chain.digest(n).unwrap() == producer.chain.digest(n).unwrap()),
            "{} has the producer's blocks",
            f.label
        );
    }

    // The producer's chain grows behind its kernel's back; the followers' polls notice.
    grow(&producer.chain, 175);
    wait_until("every follower in sync at 175", || followers.iter().all(in_sync)).await;
    assert_eq!(producer.height(), 175);
    for node in followers.iter().chain([&producer]) {
        node.stop();
    }
}
