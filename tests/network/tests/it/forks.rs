//! Forks: an equal-height fork resolved by bitmarkd's digest rule, a fork deeper than the
//! protection refused, and a partition with a producer on each side that heals.

use std::time::Duration;

use peerd_api::{Chain, Mode};
use peerd_network_tests::{Template, TestNet};

use crate::common::{jitter, others};

/// (c) Six nodes at the same height: four on tip A, two on tip B (forked 5 blocks below).
/// A node on B sees the four A voters win the election at its own height; it switches
/// only because bitmarkd's rule (`Chain::prefers`, the `SmallerDigestThan` quirk) prefers
/// the winner's digest to its own. The A nodes see their own chain win and stay.
#[tokio::test(start_paused = true)]
async fn an_equal_height_fork_is_resolved_by_the_digest_rule() {
    let mut net = TestNet::new("equal_height_fork", 0xc3);
    jitter(&net);
    let base = Template::dev(200);
    let a = base.fork(195, 200, 1);
    let b = base.fork(195, 200, 2);
    let (tip_a, tip_b) = (a.digest(200).unwrap(), b.digest(200).unwrap());
    assert_ne!(tip_a, tip_b);
    let names = ["a1", "a2", "a3", "a4", "b1", "b2"];
    for name in names {
        let template = if name.starts_with('a') { &a } else { &b };
        net.add(name).statics(&others(&names, name)).chain(template).start();
    }
    let prefers = net.node("b1").chain().prefers(&tip_a, &tip_b);
    assert!(prefers, "precondition: the rule prefers A's tip to B's");
    net.wait_until("convergence", Duration::from_secs(900), |n| n.converged(&names)).await;
    net.assert_converged(&names);
    for name in names {
        let node = net.node(name);
        assert_eq!((node.height(), node.tip()), (200, tip_a), "{name} follows A");
        let deleted = node.lowest_delete();
        let expected = if name.starts_with('b') { Some(196) } else { None };
        assert_eq!(deleted, expected, "{name} deleted down to the fork point only");
    }
}

/// (d) A node whose chain forked 70 blocks below its tip (deeper than bitmarkd's fork
/// protection of 60) refuses the longer chain of the five others and keeps its own, never
/// deleting a block; a node whose fork is 20 blocks deep switches, deleting only down to
/// its fork point.
#[tokio::test(start_paused = true)]
async fn a_fork_deeper_than_the_protection_is_refused() {
    let mut net = TestNet::new("deep_fork", 0xd4);
    jitter(&net);
    let main = Template::dev(200);
    let deep = main.fork(100, 170, 3);
    let shallow = main.fork(150, 170, 4);
    let network = ["m1", "m2", "m3", "m4", "m5"];
    let all = ["m1", "m2", "m3", "m4", "m5", "deep", "shallow"];
    for name in network {
        net.add(name).statics(&others(&all, name)).chain(&main).start();
    }
    net.add("deep").statics(&network).chain(&deep).start();
    net.add("shallow").statics(&network).chain(&shallow).start();
    let deep_tip = deep.digest(170).unwrap();

    let with_shallow = ["m1", "m2", "m3", "m4", "m5", "shallow"];
    net.wait_until("convergence", Duration::from_secs(900), |n| n.converged(&with_shallow)).await;
    // Give the deep node many elections: it keeps refusing.
    net.run_for(Duration::from_secs(1800)).await;
    net.assert_converged(&with_shallow);
    assert_eq!(net.node("m1").tip(), main.digest(200).unwrap());
    let shallow = net.node("shallow");
    assert_eq!(shallow.lowest_delete(), Some(151), "deleted down to the fork point only");

    let deep = net.node("deep");
    assert_eq!((deep.height(), deep.tip()), (170, deep_tip), "the deep fork kept its chain");
    assert_eq!(deep.lowest_delete(), None, "never deleted a block");
    assert_ne!(deep.mode(), Mode::Normal, "it cannot agree with the network");
}

/// (h) Six nodes split 3 + 3 with a producer on each side (different rates); each side goes
/// on alone (2 upstreams, 2 votes suffice: the test lowers `min_upstreams` and `min_votes`
/// for 3-node partitions). After healing (production stopped) everyone converges on the
/// longer side's chain; the shorter side deletes only its partition blocks.
#[tokio::test(start_paused = true)]
async fn a_partition_with_two_producers_heals_and_converges() {
    let mut net = TestNet::new("partition", 0x48);
    jitter(&net);
    let base = Template::dev(100);
    let names = ["pa", "pb", "a1", "a2", "b1", "b2"];
    for name in names {
        let node = net
            .add(name)
            .statics(&others(&names, name))
            .chain(&base)
            .sync(|s| (s.min_upstreams, s.min_votes) = (2, 2));
        match name {
            "pa" => node.producer(Duration::from_secs(60)).start(),
            "pb" => node.producer(Duration::from_secs(90)).start(),
            _ => node.start(),
        };
    }
    // One producer before the split: two on one network would fork at every block.
    net.node("pb").producer().set(false);
    net.wait_until("the network in sync", Duration::from_secs(600), |n| n.converged(&names)).await;
    let split = net.node("pa").height();

    let (side_a, side_b) = (["pa", "a1", "a2"], ["pb", "b1", "b2"]);
    net.memory().partition(&[&side_a, &side_b]);
    net.node("pb").producer().set(true);
    net.run_for(Duration::from_secs(1200)).await;
    net.wait_until("each side in sync", Duration::from_secs(300), |n| {
        n.converged(&side_a) && n.converged(&side_b)
    })
    .await;
    let (height_a, height_b) = (net.node("pa").height(), net.node("pb").height());
    assert!(height_a > height_b && height_b > split + 5, "{split} → a {height_a}, b {height_b}");
    assert!(height_b - split < 60, "the partition stays within the fork protection");
    assert_ne!(net.node("pa").digest(split + 1), net.node("pb").digest(split + 1));

    net.node("pa").producer().set(false);
    net.node("pb").producer().set(false);
    net.memory().heal();
    net.wait_until("convergence after healing", Duration::from_secs(900), |n| n.converged(&names))
        .await;
    net.assert_converged(&names);
    assert_eq!(net.node("b1").height(), height_a, "everyone follows the longer side");
    for name in side_b {
        let deleted = net.node(name).lowest_delete();
        assert!(deleted.is_some_and(|d| d > split), "{name} deleted {deleted:?}, split {split}");
    }
    for name in side_a {
        assert_eq!(net.node(name).lowest_delete(), None, "{name} kept its chain");
    }
}
