//! The pipelined fetch: window, group, reorder buffer, byte cap, timeouts, bad peers.

use std::collections::BTreeSet;

use peerd_api::{Chain, PeerId, Request};
use peerd_kernel::connector::{Action, Event, State, SyncConfig};
use peerd_testkit::chain::ToyChain;

use super::harness::{config, id, Net};

const GROUP: [&str; 3] = ["p1", "p2", "p3"];

/// Local at height 10 of chain A (300 blocks); p1..p3 serve A, p4 and p5 a fork B that
/// left A at block 5 (a 2-vote minority). Returns the net in FetchBlocks.
fn fetching(cfg: SyncConfig) -> (Net, ToyChain) {
    let a = ToyChain::build(300, 1);
    let b = a.fork(5, 400, 2);
    let mut net = Net::new(cfg, a.fork(10, 10, 1));
    for name in GROUP {
        net.add(name, a.clone());
    }
    net.add("p4", b.clone());
    net.add("p5", b);
    net.tick();
    net.poll();
    net.tick();
    assert_eq!(net.c.state(), State::ForkDetect);
    while net.c.state() == State::ForkDetect {
        net.answer_at(0);
    }
    assert_eq!(net.c.state(), State::FetchBlocks);
    (net, a)
}

fn block_requests(net: &Net, since: usize) -> Vec<(PeerId, u64)> {
    let asked = net.log[since..].iter().filter_map(|a| match a {
        Action::Request { peer, request: Request::Block(n), .. } => Some((peer.clone(), *n)),
        _ => None,
    });
    asked.collect()
}

fn run_ops(net: &mut Net) {
    while net.run_chain_op() {}
}

#[test]
fn pipelined_fetch_keeps_the_window_full_and_applies_in_order() {
    let (mut net, a) = fetching(config());
    assert_eq!(net.c.fetch_group(), &[id("p1"), id("p2"), id("p3")]);
    let first = block_requests(&net, 0);
    assert_eq!(first.len(), 16);
    for name in GROUP {
        let load = first.iter().filter(|(p, _)| *p == id(name)).count();
        assert!((5..=6).contains(&load), "{name} has {load} of 16");
    }
    // Answer newest first: maximal reordering.
    while let Some(last) = net.pending.len().checked_sub(1) {
        net.answer_at(last);
        run_ops(&mut net);
        let highest = block_requests(&net, 0).iter().map(|(_, n)| *n).max().unwrap();
        if highest < 300 {
            assert_eq!(net.c.outstanding_blocks() + net.c.held_blocks(), 16, "window kept full");
        }
    }
    assert_eq!(net.applied, (11..=300).collect::<Vec<_>>());
    assert_eq!(net.local.digest(300).unwrap(), a.digest(300).unwrap());
    assert_eq!(net.requests_to(&id("p4")) + net.requests_to(&id("p5")), 0);
    let served: BTreeSet<PeerId> = block_requests(&net, 0).into_iter().map(|(p, _)| p).collect();
    assert_eq!(served.len(), 3);
}

#[test]
fn a_timed_out_block_is_retried_on_another_peer() {
    let (mut net, a) = fetching(config());
    net.peers.get_mut(&id("p2")).unwrap().mute = true;
    net.settle();
    let stuck: Vec<u64> = net
        .pending
        .iter()
        .filter(|(_, p, _)| *p == id("p2"))
        .map(|(_, _, r)| match r {
            Request::Block(n) => *n,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(!stuck.is_empty());
    assert!(net.local.height().unwrap() < 300, "sync waits for the stuck blocks");
    let deadline = net.c.next_deadline().expect("requests are outstanding");
    net.now = deadline;
    let mark = net.log.len();
    net.feed(Event::Wake);
    let retried = block_requests(&net, mark);
    for n in &stuck {
        assert!(
            retried.iter().any(|(p, m)| m == n && *p != id("p2")),
            "block {n} retried elsewhere"
        );
    }
    net.pending.retain(|(_, p, _)| *p != id("p2")); // their replies never come
    while net.local.height().unwrap() < 300 {
        net.settle();
        if let Some(deadline) = net.c.next_deadline() {
            net.now = net.now.max(deadline);
            net.feed(Event::Wake);
            net.pending.retain(|(_, p, _)| *p != id("p2"));
        }
    }
    assert_eq!(net.local.digest(300).unwrap(), a.digest(300).unwrap());
}

#[test]
fn a_peer_serving_an_invalid_block_is_dropped() {
    let (mut net, a) = fetching(config());
    let bad = net.peers.get_mut(&id("p2")).unwrap();
    for n in 40..=60 {
        assert!(bad.chain.make_invalid(n));
    }
    net.settle();
    let drops: Vec<usize> = (0..net.log.len())
        .filter(|&i| {
            matches!(&net.log[i], Action::DropPeer { peer, fault, .. }
                if *peer == id("p2") && fault == ToyChain::INVALID_FAULT)
        })
        .collect();
    assert_eq!(drops.len(), 1);
    assert!(block_requests(&net, drops[0]).iter().all(|(p, _)| *p != id("p2")));
    assert_eq!(net.c.state(), State::HighestBlock);
    assert_eq!(net.local.digest(300).unwrap(), a.digest(300).unwrap());
    assert_eq!(net.applied, (11..=300).collect::<Vec<_>>());
}

#[test]
fn the_buffered_bytes_cap_holds_under_reordering() {
    let cap = 5 * 72 + 10; // toy blocks here are 72 bytes
    let (mut net, a) = fetching(SyncConfig { max_buffered_bytes: cap, ..config() });
    let mut max_seen = 0;
    while let Some(last) = net.pending.len().checked_sub(1) {
        net.answer_at(last);
        let held = net.c.buffered_bytes();
        max_seen = max_seen.max(held);
        assert!(held <= cap || net.c.held_blocks() <= 1, "{held} bytes held");
        run_ops(&mut net);
        assert!(net.c.outstanding_blocks() <= 16);
    }
    assert!(max_seen > cap / 2, "the buffer was actually used ({max_seen})");
    assert_eq!(net.local.digest(300).unwrap(), a.digest(300).unwrap());
}

#[test]
fn an_upstream_lost_mid_fetch_is_replaced_by_the_others() {
    let (mut net, a) = fetching(config());
    for _ in 0..20 {
        net.answer_at(0);
        run_ops(&mut net);
    }
    net.feed(Event::Lost { peer: id("p1") });
    net.pending.retain(|(_, p, _)| *p != id("p1"));
    let mark = net.log.len();
    net.settle();
    assert!(block_requests(&net, mark).iter().all(|(p, _)| *p != id("p1")));
    assert_eq!(net.local.digest(300).unwrap(), a.digest(300).unwrap());
}

#[test]
fn forgery_checks_do_not_wait_for_each_other() {
    let cfg = SyncConfig {
        fast_sync: true,
        fast_sync_pivot: 50, // target 300: blocks up to 250 take the fast path
        forgery_check_every: 10,
        ..config()
    };
    let (mut net, a) = fetching(cfg);
    // The checker answers no digest until every block is in: checks pile up.
    while let Some(i) = net.pending.iter().position(|(_, _, r)| matches!(r, Request::Block(_))) {
        net.answer_at(i);
        run_ops(&mut net);
    }
    // (Digests of blocks up to 10 were asked by the fork walk, which stopped at 10.)
    let checks: Vec<u64> = net
        .pending
        .iter()
        .filter_map(|(_, p, r)| match r {
            Request::Digest(n) if *p == id("p1") => Some(*n).filter(|n| *n > 10),
            other => panic!("unexpected request {other:?}"),
        })
        .collect();
    let fast = net.applied.iter().filter(|&&n| n <= 250).count();
    assert_eq!(checks.len(), fast / 10, "one check per 10 fast blocks, none skipped");
    assert!(checks.windows(2).all(|w| w[0] < w[1] && w[1] - w[0] < 20), "{checks:?}");
    assert_eq!(net.c.state(), State::FetchBlocks, "the session waits for its checks");
    net.settle();
    assert_eq!(net.c.state(), State::HighestBlock, "every check passed: the session is done");
    assert_eq!(net.local.digest(300).unwrap(), a.digest(300).unwrap());
}

#[test]
fn no_upstream_gets_more_than_its_share_of_a_wide_window() {
    let (mut net, a) = fetching(SyncConfig { fetch_window: 256, ..config() });
    let asked = block_requests(&net, 0);
    assert_eq!(asked.len(), 3 * 64, "64 per member of the group, not the whole window");
    for name in GROUP {
        assert_eq!(asked.iter().filter(|(p, _)| *p == id(name)).count(), 64, "{name}");
    }
    net.settle();
    assert_eq!(net.local.digest(300).unwrap(), a.digest(300).unwrap());
}
