//! Each transition of protocol §4.3, and the election rules as the connector applies them.

use peerd_api::{Chain, Mode};
use peerd_kernel::connector::{Action, Event, State};
use peerd_testkit::chain::{smaller_digest_than, ToyChain};

use super::harness::{config, id, Net};

const NAMES: [&str; 5] = ["p1", "p2", "p3", "p4", "p5"];

fn net_with(local: ToyChain, chains: &[&ToyChain]) -> Net {
    let mut net = Net::new(config(), local);
    for (name, chain) in NAMES.iter().zip(chains) {
        net.add(name, (*chain).clone());
    }
    net
}

fn poll_only(net: &mut Net, names: &[&str]) {
    let h = net.local.height().unwrap();
    for name in names {
        let chain = &net.peers[&id(name)].chain;
        let (remote_height, digest) = (chain.height().unwrap(), chain.digest(h).unwrap());
        net.feed(Event::Polled { peer: id(name), remote_height, digest: digest.map(|d| (h, d)) });
    }
}

#[test]
fn connecting_waits_for_five_registered_upstreams() {
    let chain = ToyChain::build(10, 1);
    let mut net = net_with(ToyChain::new(), &[&chain; 4]);
    assert_eq!(net.tick(), vec![Action::SetMode(Mode::Resynchronise), Action::Reconnect]);
    assert_eq!(net.c.state(), State::Connecting);
    net.add("p5", chain);
    assert_eq!(net.tick(), vec![]);
    assert_eq!(net.c.state(), State::HighestBlock);
}

#[test]
fn same_chain_goes_through_rebuild_to_sampling_in_normal_mode() {
    let chain = ToyChain::build(30, 1);
    let mut net = net_with(chain.clone(), &[&chain; 5]);
    net.tick();
    net.poll();
    net.tick();
    assert_eq!(net.c.state(), State::Sampling);
    assert_eq!(net.modes(), vec![Mode::Resynchronise, Mode::Normal]);
    assert_eq!(net.c.winner().unwrap().height, 30);
    assert!(net.pending.is_empty(), "no fetch for the same chain");
}

#[test]
fn behind_node_fetches_then_reaches_normal() {
    let chain = ToyChain::build(40, 1);
    let mut net = net_with(ToyChain::new(), &[&chain; 5]);
    assert!(net.tick_until(State::Sampling, 10));
    assert_eq!(net.local.digest(40).unwrap(), chain.digest(40).unwrap());
    assert_eq!(net.applied, (2..=40).collect::<Vec<_>>());
    assert_eq!(net.modes(), vec![Mode::Resynchronise, Mode::Normal]);
}

#[test]
fn no_winner_returns_to_connecting() {
    let chain = ToyChain::build(10, 1);
    let mut net = net_with(ToyChain::new(), &[&chain; 5]);
    net.tick(); // Connecting -> HighestBlock
    net.tick(); // nobody polled: no voter
    assert_eq!(net.c.state(), State::Connecting);
    assert!(net.c.winner().is_none());
}

#[test]
fn majority_beats_longer_minority() {
    let a = ToyChain::build(50, 1);
    let b = a.fork(10, 80, 2);
    let local = a.fork(30, 30, 1);
    let mut net = net_with(local, &[&b, &a, &b, &a, &a]);
    assert!(net.tick_until(State::Sampling, 10));
    let winner = net.c.winner().unwrap();
    assert_eq!((winner.peer.clone(), winner.height), (id("p2"), 50));
    assert_eq!(net.local.height().unwrap(), 50);
    assert_eq!(net.local.digest(50).unwrap(), a.digest(50).unwrap());
    assert_eq!(net.requests_to(&id("p1")) + net.requests_to(&id("p3")), 0, "minority never asked");
}

#[test]
fn two_plus_one_votes_are_insufficient() {
    let a = ToyChain::build(50, 1);
    let b = a.fork(10, 60, 2);
    let local = a.fork(20, 20, 1);
    let mut net = net_with(local, &[&a, &a, &b, &a, &a]);
    net.tick();
    poll_only(&mut net, &["p1", "p2", "p3"]); // p4, p5 never answer: not voters
    net.tick();
    assert_eq!(net.c.state(), State::Connecting);
    assert!(net.c.winner().is_none());
}

#[test]
fn inactive_voters_are_ignored() {
    let chain = ToyChain::build(20, 1);
    let mut net = net_with(ToyChain::new(), &[&chain; 5]);
    net.tick();
    net.poll();
    net.advance(61);
    poll_only(&mut net, &["p1", "p2"]);
    net.tick();
    assert_eq!(net.c.state(), State::Connecting, "3 voters went quiet for over 60 s");
    net.tick();
    poll_only(&mut net, &["p3"]);
    net.tick();
    assert_eq!(net.c.winner().map(|w| w.group.len()), Some(3));
}

#[test]
fn equal_height_draw_is_broken_by_the_quirky_compare() {
    // Two forks of equal height, two voters each: a draw. With random digests the quirky
    // compare says each is "smaller" than the other, so the first candidate stays elected,
    // where a true lexicographic compare would pick the smaller digest wherever it is.
    let base = ToyChain::build(20, 1);
    let (x, y) = (base.fork(15, 25, 2), base.fork(15, 25, 3));
    let (dx, dy) = (x.digest(20).unwrap().unwrap(), y.digest(20).unwrap().unwrap());
    assert!(smaller_digest_than(&dx, &dy) && smaller_digest_than(&dy, &dx));
    for (first, second, expect) in [(&x, &y, &x), (&y, &x, &y)] {
        let mut net = net_with(base.clone(), &[first, first, second, second, &base]);
        net.tick();
        poll_only(&mut net, &["p1", "p2", "p3", "p4"]);
        net.tick();
        let winner = net.c.winner().expect("a draw has a winner");
        assert_eq!(winner.peer, id("p1"));
        assert_eq!(winner.digest, expect.digest(20).unwrap().unwrap());
    }
}

#[test]
fn sampling_resyncs_after_the_sampling_limit() {
    let chain = ToyChain::build(10, 1);
    let mut net = net_with(chain.clone(), &[&chain; 5]);
    assert!(net.tick_until(State::Sampling, 5));
    // Everyone goes quiet: every election fails.
    net.advance(61);
    for expected in 1..=6 {
        net.tick();
        assert_eq!((net.c.state(), net.c.samples()), (State::Sampling, expected));
    }
    let before = net.log.len();
    net.tick(); // 7th failure: ForkDetect -> Rebuild -> Sampling
    assert_eq!((net.c.state(), net.c.samples()), (State::Sampling, 0));
    assert!(net.log[before..].is_empty(), "already Normal: no mode change, no request");
}

#[test]
fn sampling_returns_to_connecting_when_upstreams_are_lost() {
    let chain = ToyChain::build(10, 1);
    let mut net = net_with(chain.clone(), &[&chain; 5]);
    assert!(net.tick_until(State::Sampling, 5));
    net.feed(Event::Lost { peer: id("p3") });
    net.tick();
    assert_eq!(net.c.state(), State::Connecting);
    assert_eq!(net.modes(), vec![Mode::Resynchronise, Mode::Normal, Mode::Resynchronise]);
}

#[test]
fn sampling_follows_a_better_chain_and_keeps_normal_mode() {
    let chain = ToyChain::build(10, 1);
    let mut net = net_with(chain.clone(), &[&chain; 5]);
    assert!(net.tick_until(State::Sampling, 5));
    for peer in net.peers.values_mut() {
        peer.chain.extend(15, 1);
    }
    net.poll();
    net.tick();
    assert_eq!(net.c.state(), State::ForkDetect);
    net.settle();
    assert_eq!(net.local.height().unwrap(), 15);
    assert_eq!(net.modes(), vec![Mode::Resynchronise, Mode::Normal]);
}
