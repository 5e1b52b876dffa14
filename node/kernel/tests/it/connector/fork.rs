//! Fork detection, fork protection and fast sync's forgery check.

use peerd_api::{Chain, Request};
use peerd_kernel::connector::{Action, State, SyncConfig};
use peerd_testkit::chain::{toy_block, toy_digest, ToyChain};

use super::harness::{config, id, Net};

fn net_of(config: SyncConfig, local: ToyChain, chain: &ToyChain) -> Net {
    let mut net = Net::new(config, local);
    for name in ["p1", "p2", "p3", "p4", "p5"] {
        net.add(name, chain.clone());
    }
    net
}

fn digest_requests(net: &Net) -> Vec<u64> {
    let asked = net.log.iter().filter_map(|a| match a {
        Action::Request { request: Request::Digest(n), .. } => Some(*n),
        _ => None,
    });
    asked.collect()
}

#[test]
fn fork_detection_finds_the_common_block_and_deletes_down() {
    let a = ToyChain::build(40, 1);
    let b = a.fork(30, 60, 2);
    let mut net = net_of(config(), a, &b);
    net.tick();
    net.poll();
    net.tick();
    assert_eq!(net.c.state(), State::ForkDetect);
    assert_eq!(digest_requests(&net), (33..=40).rev().collect::<Vec<_>>(), "a batch from the tip");
    net.settle();
    let deletes: Vec<&Action> =
        net.log.iter().filter(|a| matches!(a, Action::DeleteDown { .. })).collect();
    assert_eq!(deletes, vec![&Action::DeleteDown { number: 31 }]);
    assert_eq!(net.applied, (31..=60).collect::<Vec<_>>());
    assert_eq!(net.local.digest(60).unwrap(), b.digest(60).unwrap());
    assert_eq!(net.c.state(), State::HighestBlock);
}

#[test]
fn fork_deeper_than_the_protection_is_refused() {
    let a = ToyChain::build(100, 1);
    let b = a.fork(40, 150, 2); // common block 40: 100 - 40 = 60 >= 60
    let mut net = net_of(config(), a.clone(), &b);
    net.tick();
    net.poll();
    net.tick();
    net.settle();
    assert_eq!(net.c.state(), State::HighestBlock);
    assert!(!net.log.iter().any(|a| matches!(a, Action::DeleteDown { .. } | Action::Apply { .. })));
    let asked = digest_requests(&net);
    assert_eq!(asked.iter().min(), Some(&41), "never asks below the protection");
    assert_eq!(asked.len(), 60);
    assert_eq!(net.local.digest(100).unwrap(), a.digest(100).unwrap());

    // One block less deep is accepted.
    let c = a.fork(41, 150, 3);
    let mut net = net_of(config(), a, &c);
    net.tick();
    net.poll();
    net.tick();
    net.settle();
    assert!(net.log.contains(&Action::DeleteDown { number: 42 }));
    assert_eq!(net.local.digest(150).unwrap(), c.digest(150).unwrap());
}

#[test]
fn fast_sync_forgery_deletes_the_run_and_disables_fast_sync() {
    let honest = ToyChain::build(100, 1);
    // The peers serve blocks whose previous-digest fields form a fake chain, while their
    // `H` answers are honest: fast sync stores the fake digests, the check catches it.
    let forger = honest.clone();
    for n in 3..=100 {
        let block = honest.block(n).unwrap().unwrap();
        let fake_prev = toy_digest(format!("fake {}", n - 1).as_bytes());
        forger.replace_served(n, toy_block(n, &fake_prev, &block[40..]));
    }
    let cfg =
        SyncConfig { fast_sync: true, fast_sync_pivot: 10, forgery_check_every: 20, ..config() };
    let mut net = net_of(cfg, ToyChain::new(), &forger);
    net.tick();
    net.poll();
    net.tick();
    assert_eq!(net.c.pivot(), 90);
    net.settle();
    assert!(!net.c.fast_sync());
    assert!(net.log.contains(&Action::DeleteDown { number: 2 }), "the whole fetched run goes");
    assert_eq!(net.local.height().unwrap(), 1);
    assert_eq!(net.c.state(), State::HighestBlock);
    let first_check = net.applied.iter().position(|&n| n == 21).unwrap();
    assert!(net.applied.len() <= first_check + 20, "stopped soon after the first check");

    // Without fast sync the forged linkage is caught block by block: the peers are dropped.
    net.poll();
    net.tick();
    net.settle();
    assert!(net.log.iter().any(|a| matches!(a, Action::DropPeer { .. })));
    assert_eq!(net.local.height().unwrap(), 2);
    assert_eq!(net.local.digest(2).unwrap(), honest.digest(2).unwrap());
    let _ = id;
}

#[test]
fn honest_fast_sync_passes_its_checks() {
    let chain = ToyChain::build(300, 5);
    let cfg =
        SyncConfig { fast_sync: true, fast_sync_pivot: 50, forgery_check_every: 25, ..config() };
    let mut net = net_of(cfg, ToyChain::new(), &chain);
    assert!(net.tick_until(State::Sampling, 10));
    assert!(net.c.fast_sync());
    assert_eq!(net.local.digest(300).unwrap(), chain.digest(300).unwrap());
    let fast_applies = net.log.iter().filter(|a| {
        matches!(
            a,
            Action::Apply { digest: peerd_kernel::connector::ApplyDigest::NextBlock(_), .. }
        )
    });
    assert_eq!(fast_applies.count(), 249, "blocks 2..=250 (the pivot) use the next block's digest");
    assert!(digest_requests(&net).len() >= 9, "a forgery check every 25 fast blocks");
}
