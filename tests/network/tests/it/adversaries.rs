//! Adversaries: a lying minority advertising a higher chain, and a server forging blocks
//! in fast sync.

use std::time::Duration;

use peerd_api::Mode;
use peerd_network_tests::{Template, TestNet};

use crate::common::{jitter, others};

/// (e) Four honest nodes (one producing) and two liars advertising a fake chain 500 blocks
/// higher, forked only 20 blocks below the honest tip (so fork protection would allow the
/// switch: only the vote stands in the way). The honest nodes see three honest voters
/// against two liars at their height: the liars never win, and the honest network goes on.
#[tokio::test(start_paused = true)]
async fn a_lying_minority_does_not_win_the_vote() {
    let mut net = TestNet::new("lying_minority", 0xe5);
    jitter(&net);
    let honest = Template::dev(300);
    let fake = honest.fork(280, 800, 5);
    let names = ["p", "h1", "h2", "h3", "liar1", "liar2"];
    for name in names {
        let node = net.add(name).statics(&others(&names, name));
        match name {
            "p" => node.chain(&honest).producer(Duration::from_secs(60)).start(),
            "liar1" | "liar2" => node.chain(&fake).start(),
            _ => node.chain(&honest).start(),
        };
    }
    let honest_names = ["p", "h1", "h2", "h3"];
    net.wait_until("the honest network in sync", Duration::from_secs(600), |n| {
        n.converged(&honest_names)
    })
    .await;
    net.run_for(Duration::from_secs(1200)).await;
    net.node("p").producer().set(false);
    net.wait_until("convergence", Duration::from_secs(600), |n| n.converged(&honest_names)).await;
    net.assert_converged(&honest_names);
    let tip = net.node("p").height();
    assert!((310..800).contains(&tip), "the honest chain grew to {tip}, below the liars' 800");
    for name in honest_names {
        let node = net.node(name);
        assert_eq!(node.digest(281), honest.digest(281), "{name} kept the honest block 281");
        assert_eq!(node.lowest_delete(), None, "{name} never deleted a block");
    }
    for name in ["liar1", "liar2"] {
        let liar = net.node(name);
        assert_eq!((liar.height(), liar.tip()), (800, fake.digest(800).unwrap()));
        assert_ne!(liar.mode(), Mode::Normal, "{name}: two liars are no majority either");
    }
}

/// (g) A fresh node fast-syncs 2,000 blocks from five servers, one of which forges the
/// previous-digest field of every block it serves below 900 (its `N` and `H` answers stay
/// honest, so it votes with the others). Fast sync takes block `n`'s digest from block
/// `n + 1`, so the fresh node stores wrong digests; the random forgery check (`H(h)` of the
/// winner, here every 10 blocks instead of 100, so that a forged block is surely met)
/// detects it, deletes the fetched run, disables fast sync and refetches with every digest
/// computed, which exposes the forger's blocks: it is dropped and the others serve them.
#[tokio::test(start_paused = true)]
async fn a_forged_block_in_fast_sync_is_detected_and_repaired() {
    let mut net = TestNet::new("forgery", 0x97);
    jitter(&net);
    let chain = Template::dev(2000);
    let servers = ["s1", "s2", "forger", "s4", "s5"];
    let all = ["s1", "s2", "forger", "s4", "s5", "fresh"];
    for name in servers {
        let node = net.add(name).statics(&others(&all, name)).chain(&chain);
        if name == "forger" {
            node.forge(2..=900).start();
        } else {
            node.start();
        }
    }
    net.add("fresh").statics(&servers).sync(|s| s.forgery_check_every = 10).start();
    net.wait_until("sync", Duration::from_secs(1800), |n| n.converged(&all)).await;
    net.assert_converged(&all);
    let fresh = net.node("fresh");
    assert_eq!(fresh.height(), 2000);
    let wrong: Vec<u64> = (1..=2000).filter(|&n| fresh.digest(n) != chain.digest(n)).collect();
    assert!(wrong.is_empty(), "wrong digests stored for {wrong:?}");
    assert_eq!(fresh.lowest_delete(), Some(2), "the forged fast-sync run was deleted");
}
