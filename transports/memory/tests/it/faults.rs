//! Fault injection: drop, delay, duplicate, reorder, late replies, determinism.
//! All under paused time: durations are checked with `tokio::time::Instant` arithmetic.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
use std::time::Duration;

use common::{digest_of, id, serve_digests, start, start_with};
use peerd_api::{Request, Response, TransportError};
use peerd_testkit::transport::answer_of;
use peerd_transport_memory::{Faults, MemoryNet};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[tokio::test(start_paused = true)]
async fn dropped_requests_time_out_and_the_link_survives() {
    let net = MemoryNet::new(1);
    let mut server = start(&net, "server");
    let mut client = start(&net, "client");
    client.connect(&server).await;
    let mut seen = serve_digests(&mut server);
    net.set_faults(Faults::default().with_drop(1.0));
    let before = net.stats();
    let asked = Instant::now();
    match client.request(&id("server"), Request::Digest(1)).await {
        Err(TransportError::Timeout { peer, secs }) => assert_eq!((peer, secs), (id("server"), 60)),
        other => panic!("a lost request must time out, got {other:?}"),
    }
    let waited = asked.elapsed();
    assert!(waited >= secs(60) && waited < secs(60) + MS * 10, "timed out after {waited:?}");
    assert!(seen.try_recv().is_err(), "the server never saw the dropped request");
    let after = net.stats();
    assert_eq!(
        (after.sent - before.sent, after.dropped - before.dropped, after.delivered),
        (1, 1, before.delivered)
    );

    net.clear_faults();
    let answer = client.request(&id("server"), Request::Digest(2)).await;
    assert_eq!(answer.unwrap(), Response::Digest(digest_of(2)));
}

#[tokio::test(start_paused = true)]
async fn delays_apply_per_direction_and_per_link() {
    let net = MemoryNet::new(2);
    let mut server = start(&net, "server");
    let mut slow = start(&net, "slow");
    let mut fast = start(&net, "fast");
    slow.connect(&server).await;
    fast.connect(&server).await;
    let _seen = serve_digests(&mut server);
    net.set_link_faults("slow", "server", Faults::default().with_delay(secs(3), secs(3)));
    net.set_link_faults("server", "slow", Faults::default().with_delay(secs(2), secs(2)));

    let asked = Instant::now();
    assert_eq!(
        slow.request(&id("server"), Request::Digest(1)).await.unwrap(),
        Response::Digest(digest_of(1))
    );
    let waited = asked.elapsed();
    assert!(
        waited >= secs(5) && waited < secs(5) + MS * 10,
        "3 s there and 2 s back took {waited:?}"
    );

    let asked = Instant::now();
    assert_eq!(
        fast.request(&id("server"), Request::Digest(2)).await.unwrap(),
        Response::Digest(digest_of(2))
    );
    assert_eq!(asked.elapsed(), Duration::ZERO, "links without faults deliver at once");

    net.clear_link_faults("slow", "server");
    let asked = Instant::now();
    slow.request(&id("server"), Request::Digest(3)).await.unwrap();
    let waited = asked.elapsed();
    assert!(
        waited >= secs(2) && waited < secs(2) + MS * 10,
        "only the way back is slow now: {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn duplicates_reach_the_server_twice_but_answer_once() {
    let net = MemoryNet::new(3);
    let mut server = start(&net, "server");
    let mut client = start(&net, "client");
    client.connect(&server).await;
    let mut seen = serve_digests(&mut server);
    // A fixed delay: both copies of a message land together, before the answer leaves.
    net.set_faults(Faults::default().with_duplicate(1.0).with_delay(MS * 5, MS * 5));
    let before = net.stats();
    for n in 0..5 {
        let answer = client.request(&id("server"), Request::Digest(n)).await;
        assert_eq!(
            answer.unwrap(),
            Response::Digest(digest_of(n)),
            "stale duplicates are not taken as answers"
        );
    }
    let mut digests = Vec::new();
    while let Ok((_, request)) = seen.try_recv() {
        if let Request::Digest(n) = request {
            digests.push(n);
        }
    }
    digests.sort_unstable();
    assert_eq!(digests, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], "every request arrived exactly twice");
    let stats = net.stats();
    assert_eq!(
        stats.duplicated - before.duplicated,
        15,
        "5 requests and the 10 answers to their copies"
    );
}

#[tokio::test(start_paused = true)]
async fn reorder_shuffles_arrivals_within_the_bound() {
    async fn arrival_order(reorder: Duration) -> Vec<u64> {
        let net = MemoryNet::new(4);
        let mut server = start(&net, "server");
        let mut clients = Vec::new();
        for i in 0..10 {
            let mut client = start(&net, &format!("c{i}"));
            client.connect(&server).await;
            clients.push(client);
        }
        let mut seen = serve_digests(&mut server);
        net.set_faults(Faults::default().with_reorder(reorder));
        let asked = Instant::now();
        let mut answers = Vec::new();
        for (i, client) in clients.iter().enumerate() {
            answers.push(client.send(&id("server"), Request::Digest(i as u64)).await);
        }
        for (i, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer_of(answer).await.unwrap(), Response::Digest(digest_of(i as u64)));
        }
        assert!(asked.elapsed() <= reorder * 2, "each way adds at most the reorder bound");
        (0..10)
            .map(|_| match seen.try_recv() {
                Ok((_, Request::Digest(n))) => n,
                other => panic!("{other:?}"),
            })
            .collect()
    }
    let sent: Vec<u64> = (0..10).collect();
    assert_eq!(
        arrival_order(Duration::ZERO).await,
        sent,
        "without reorder requests arrive as sent"
    );
    let shuffled = arrival_order(secs(1)).await;
    assert_ne!(shuffled, sent, "reorder changes the arrival order");
    let mut sorted = shuffled.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, sent, "nothing is lost or duplicated: {shuffled:?}");
}

#[tokio::test(start_paused = true)]
async fn a_late_reply_is_not_taken_for_the_next_answer() {
    let net = MemoryNet::new(5);
    let mut server = start(&net, "server");
    let mut client = start_with(net.transport("client").timeout(secs(10)), "client");
    client.connect(&server).await;
    let _seen = serve_digests(&mut server);
    net.set_link_faults("server", "client", Faults::default().with_delay(secs(11), secs(11)));
    let first = client.request(&id("server"), Request::Digest(1)).await;
    assert!(matches!(first, Err(TransportError::Timeout { secs: 10, .. })), "got {first:?}");
    // The first answer lands at 11 s, while the second request (sent at 10 s) waits for
    // its own answer, due at 15 s.
    net.set_link_faults("server", "client", Faults::default().with_delay(secs(5), secs(5)));
    let asked = Instant::now();
    let second = client.request(&id("server"), Request::Digest(2)).await;
    assert_eq!(second.unwrap(), Response::Digest(digest_of(2)));
    assert!(asked.elapsed() >= secs(5), "the stale answer at 11 s was ignored");
}

/// The outcome (answered or timed out) of 24 requests in a row on a lossy net.
async fn drop_pattern(seed: u64) -> (Vec<bool>, u64) {
    let net = MemoryNet::new(seed);
    let mut server = start(&net, "server");
    let mut client = start_with(net.transport("client").timeout(secs(1)), "client");
    client.connect(&server).await;
    let _seen = serve_digests(&mut server);
    net.set_faults(Faults::default().with_drop(0.3));
    let mut pattern = Vec::new();
    for n in 0..24 {
        pattern.push(client.request(&id("server"), Request::Digest(n)).await.is_ok());
    }
    (pattern, net.stats().dropped)
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_drops_the_same_messages() {
    let (a, dropped_a) = drop_pattern(11).await;
    let (b, dropped_b) = drop_pattern(11).await;
    assert_eq!((&a, dropped_a), (&b, dropped_b), "same seed, same decisions");
    assert!(a.contains(&true) && a.contains(&false), "a 30% loss shows both outcomes: {a:?}");
    let (c, _) = drop_pattern(12).await;
    assert_ne!(a, c, "another seed makes other decisions");
}
