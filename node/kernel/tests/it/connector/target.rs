//! The sync target: bitmarkd's election, but the highest height any member of the winning
//! group claims (issue 12), liars about their height dropped and excluded, and elections
//! that run as soon as a poll shows a higher chain.

use peerd_api::{Chain, PeerId};
use peerd_kernel::connector::{Action, Event, State, SyncConfig};
use peerd_testkit::chain::ToyChain;

use super::harness::{config, id, Net};

fn small() -> SyncConfig {
    SyncConfig { min_upstreams: 3, min_votes: 2, ..config() }
}

/// The thresholds `peerd testnet` writes for a node with three peers.
fn testnet() -> SyncConfig {
    SyncConfig { min_upstreams: 2, min_votes: 1, ..config() }
}

fn dropped(net: &Net) -> Vec<(PeerId, String)> {
    let drops = net.log.iter().filter_map(|a| match a {
        Action::DropPeer { peer, fault, .. } => Some((peer.clone(), fault.clone())),
        _ => None,
    });
    drops.collect()
}

#[test]
fn two_stuck_nodes_that_vote_first_for_each_other_still_sync() {
    // The deadlock of issue 12: our first voter is another node stuck at the genesis; the
    // rest of its group (same genesis digest) is at 15 and 14. bitmarkd would follow the
    // first voter's height 1 for ever.
    let chain = ToyChain::build(15, 1);
    let mut net = Net::new(testnet(), ToyChain::new());
    net.add("stuck", ToyChain::new());
    net.add("bridge-1", chain.clone());
    net.add("bridge-2", chain.fork(14, 14, 1));
    net.tick();
    net.poll();
    net.tick();
    let winner = net.c.winner().unwrap().clone();
    assert_eq!((winner.voter.clone(), winner.voter_height), (id("stuck"), 1), "bitmarkd's voter");
    assert_eq!((winner.peer.clone(), winner.height), (id("bridge-1"), 15), "the highest claim");
    assert_eq!(winner.group.len(), 3);
    assert!(net.tick_until(State::Sampling, 10));
    assert_eq!(net.local.height().unwrap(), 15);
    assert_eq!(net.local.digest(15).unwrap(), chain.digest(15).unwrap());
    assert_eq!(net.requests_to(&id("stuck")), 0, "nothing asked of the member without blocks");
}

#[test]
fn a_member_claiming_more_than_it_serves_is_dropped_and_excluded() {
    let chain = ToyChain::build(50, 2);
    let mut net = Net::new(small(), ToyChain::new());
    net.add("liar", chain.fork(20, 20, 2));
    net.peers.get_mut(&id("liar")).unwrap().claim = Some(100);
    for name in ["h1", "h2", "h3"] {
        net.add(name, chain.clone());
    }
    net.tick();
    net.poll();
    net.tick();
    assert_eq!(net.c.winner().map(|w| (w.peer.clone(), w.height)), Some((id("liar"), 100)));
    assert!(net.tick_until(State::Sampling, 10), "{:?}", net.c.state());
    assert_eq!(net.local.height().unwrap(), 50, "the honest members' chain, in full");
    assert_eq!(net.local.digest(50).unwrap(), chain.digest(50).unwrap());
    let drops = dropped(&net);
    assert_eq!(drops.len(), 1, "{drops:?}");
    assert_eq!(drops[0].0, id("liar"));
    assert!(drops[0].1.contains("claimed height 100 but cannot serve block"), "{}", drops[0].1);
    let excluded: Vec<PeerId> = net.c.excluded().into_iter().map(|(p, _)| p).collect();
    assert_eq!(excluded, vec![id("liar")]);

    // The liar sits out the next elections: the winner is an honest member.
    net.poll();
    net.tick();
    assert_eq!(net.c.winner().map(|w| w.group.contains(&id("liar"))), Some(false));

    // Once the exclusion ends it may vote again.
    net.advance(small().exclude_time.as_secs() + 1);
    net.tick();
    assert!(net.c.excluded().is_empty());
}

#[test]
fn a_poll_showing_a_higher_chain_starts_the_fetch_without_a_tick() {
    let chain = ToyChain::build(30, 3);
    let mut net = Net::new(small(), chain.clone());
    for name in ["a", "b", "c"] {
        net.add(name, chain.clone());
    }
    assert!(net.tick_until(State::Sampling, 5));
    let asked = net.pending.len();
    chain.extend(32, 3);
    for name in ["a", "b", "c"] {
        net.peers.get_mut(&id(name)).unwrap().chain = chain.clone();
    }
    net.poll();
    assert!(net.pending.len() > asked, "the fork walk or the fetch started at the poll");
    net.settle();
    assert_eq!(net.local.height().unwrap(), 32, "level without a tick");
    // The cached digests are of height 30: the next poll and tick confirm the same chain.
    net.poll();
    net.tick();
    assert_eq!(net.c.state(), State::Sampling);
}

#[test]
fn a_fork_walk_peer_that_never_answers_is_excluded_and_another_member_followed() {
    let chain = ToyChain::build(40, 4);
    let mut net = Net::new(small(), ToyChain::build(10, 4));
    net.add("mute", chain.clone());
    net.peers.get_mut(&id("mute")).unwrap().claim = Some(60);
    net.peers.get_mut(&id("mute")).unwrap().mute = true;
    for name in ["h1", "h2"] {
        net.add(name, chain.clone());
    }
    net.tick();
    net.poll();
    net.tick();
    assert_eq!(net.c.state(), State::ForkDetect);
    net.advance(small().request_timeout.as_secs() + 1);
    net.feed(Event::Wake);
    let excluded: Vec<PeerId> = net.c.excluded().into_iter().map(|(p, _)| p).collect();
    assert_eq!(excluded, vec![id("mute")]);
    assert!(net.tick_until(State::Sampling, 10), "{:?}", net.c.state());
    assert_eq!(net.local.height().unwrap(), 40);
}
