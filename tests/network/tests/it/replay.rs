//! Reproducibility: the same seed gives the same run, message for message.

use std::time::Duration;

use peerd_network_tests::{Template, TestNet};

use crate::common::{jitter, others};

/// What a run leaves behind: the simulated time n1 took to sync (to the microsecond), the
/// simulated time until everything converged, the net's message counters, and every
/// node's height and tip.
type Fingerprint = (Duration, Duration, String, Vec<(u64, String)>);

/// A small late-join scenario with jittered messages, on its own paused runtime.
fn run(seed: u64) -> Fingerprint {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut net = TestNet::with_seed("replay", seed);
        jitter(&net);
        let chain = Template::dev(400);
        let names = ["p", "n1", "n2", "n3", "n4", "n5"];
        for name in names {
            let node = net.add(name).statics(&others(&names, name));
            if name == "p" {
                node.chain(&chain).producer(Duration::from_secs(45)).start();
            } else {
                node.start();
            }
        }
        let start = tokio::time::Instant::now();
        while net.node("n1").height() < 400 {
            assert!(start.elapsed() < Duration::from_secs(900), "n1 did not sync");
            tokio::time::sleep(Duration::from_micros(100)).await;
        }
        let synced = start.elapsed();
        let took = net
            .wait_until("sync and production", Duration::from_secs(900), |n| {
                n.converged(&names) && n.node("p").height() > 402
            })
            .await;
        let stats = format!("{:?}", net.memory().stats());
        let nodes = net.nodes().iter().map(|n| (n.height(), n.tip().to_string())).collect();
        (synced, took, stats, nodes)
    })
}

#[test]
fn the_same_seed_replays_the_same_run() {
    let first = run(0x5eed);
    assert_eq!(run(0x5eed), first, "same seed, same run");
    let other = run(0x5eee);
    assert_ne!(other.0, first.0, "another seed jitters the messages differently");
}
