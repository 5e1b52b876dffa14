//! `peerd testnet kill`, `restart`, `partition` and `heal`, and `peerd db delete-down` then a
//! resync, on a running 3-node network
//! (one ZeroMQ node producing, one libp2p node, one bridge; sled stores, so chains survive
//! restarts).

#![cfg(all(feature = "zmq", feature = "libp2p", feature = "tools"))]

use crate::common::{gone, level, network, peerd, status_until, text, Down};

fn pids(dir: &str) -> Vec<i32> {
    network(dir)["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["pid"].as_i64().unwrap() as i32)
        .collect()
}

fn ok(args: &[&str]) -> String {
    let out = peerd(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    text(&out)
}

#[test]
fn kill_restart_partition_and_heal() {
    let _one = crate::common::one_network_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let dir_path = tmp.path().join("net");
    let dir = dir_path.to_str().unwrap();
    let _down = Down(dir_path.clone());
    ok(&["testnet", "up", "--dir", dir, "--nodes", "3", "--block-interval", "2s", "--detach"]);
    status_until(dir, "level at 3", level(3));

    let before = pids(dir);
    ok(&["testnet", "kill", "node-2", "--dir", dir]);
    assert!(gone(before[1]) && !gone(before[0]) && !gone(before[2]));
    let status = crate::common::status(dir);
    assert_eq!(status["nodes"][1]["mode"], "down", "{status:#}");

    let out = ok(&["testnet", "restart", "2", "--dir", dir]);
    let after = pids(dir);
    assert!(out.contains(&format!("node-2 restarted (pid {}", after[1])), "{out}");
    assert_ne!(after[1], before[1]);
    assert_eq!((after[0], after[2]), (before[0], before[2]), "the others untouched");
    assert!(!gone(after[1]));
    status_until(dir, "level again after the restart", level(3));

    // node-1 (the producer) alone; node-2 and node-3 have no producer and stay put.
    ok(&["testnet", "partition", "--dir", dir, "1/2,3"]);
    assert_eq!(network(dir)["partition"], serde_json::json!([["node-1"], ["node-2", "node-3"]]));
    let cut = status_until(dir, "every node answering after the partition", |n| {
        n.iter().all(|n| n.0.is_some())
    });
    let (stuck, stuck_tip) = (cut[1].0.unwrap(), cut[1].1.clone());
    let split = status_until(dir, "the producer 3 blocks ahead of the other group", |n| {
        n[0].0.is_some_and(|h| h >= stuck + 3)
    });
    assert_eq!((split[1].0, &split[1].1), (Some(stuck), &stuck_tip), "node-2 did not move");
    assert_eq!((split[2].0, &split[2].1), (Some(stuck), &stuck_tip), "node-3 did not move");

    ok(&["testnet", "heal", "--dir", dir]);
    assert_eq!(network(dir)["partition"], serde_json::json!([]));
    let healed = status_until(dir, "level after heal", level(stuck + 3));
    assert!(healed.iter().all(|n| n.0 >= split[0].0), "the producer's chain won: {healed:?}");

    // bitmarkd's operator rollback: stop node-3, delete its top blocks with the db tool,
    // start it again; it resyncs the same chain from its peers.
    let config = network(dir)["nodes"][2]["config"].as_str().unwrap().to_owned();
    ok(&["testnet", "kill", "node-3", "--dir", dir]);
    let floor = healed[2].0.unwrap() - 3;
    let out = ok(&["--config", &config, "db", "delete-down", &floor.to_string()]);
    assert!(out.contains(&(floor - 1).to_string()), "reports the new height: {out}");
    ok(&["testnet", "restart", "node-3", "--dir", dir]);
    let resynced =
        status_until(dir, "level after delete-down and restart", level(healed[0].0.unwrap()));
    assert_eq!(resynced[2].1, resynced[0].1, "node-3 has the network's tip again");
}
