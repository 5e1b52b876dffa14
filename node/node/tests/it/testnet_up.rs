//! `peerd testnet up --detach` with the real binary: 4 nodes (2 speaking ZeroMQ only, 1
//! libp2p only, 1 bridge speaking both: 3 ZeroMQ and 2 libp2p nodes) converge on the same
//! tip; network.json matches the running processes; `testnet down` stops them all; a
//! second `up` on a running network is refused.

#![cfg(all(feature = "zmq", feature = "libp2p", feature = "tools"))]

use std::path::Path;

use crate::common::{gone, level, network, peerd, status_until, text, Down};

#[test]
fn a_mixed_network_converges_and_network_json_matches_the_processes() {
    let _one = crate::common::one_network_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let dir_path = tmp.path().join("net");
    let dir = dir_path.to_str().unwrap();
    let _down = Down(dir_path.clone());
    // 1s blocks leave a bridge chasing the tip one block behind (the connector polls once
    // a second, and gossip only extends an up-to-date tip): 2s is the smallest interval
    // at which a snapshot of every node is reliably level.
    let up = peerd(&[
        "testnet",
        "up",
        "--dir",
        dir,
        "--zmq",
        "2",
        "--libp2p",
        "1",
        "--bridges",
        "1",
        "--store",
        "memory",
        "--block-interval",
        "2s",
        "--detach",
    ]);
    assert!(up.status.success(), "{}", text(&up));

    let network = network(dir);
    let nodes = network["nodes"].as_array().unwrap();
    let kinds: Vec<(bool, bool)> = nodes
        .iter()
        .map(|n| (!n["transports"]["zmq"].is_null(), !n["transports"]["libp2p"].is_null()))
        .collect();
    assert_eq!(kinds, [(true, false), (true, false), (false, true), (true, true)]);
    let pids: Vec<i32> = nodes.iter().map(|n| n["pid"].as_i64().unwrap() as i32).collect();
    for (node, pid) in nodes.iter().zip(&pids) {
        assert!(!gone(*pid), "{} (pid {pid}) is not running", node["name"]);
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let config = node["config"].as_str().unwrap();
        assert!(
            cmdline.split(|b| *b == 0).any(|a| a == config.as_bytes()),
            "pid {pid} runs {config}"
        );
        assert!(Path::new(node["log"].as_str().unwrap()).exists());
    }

    let nodes_now = status_until(dir, "every node level at 5 or more", level(5));
    let tip = nodes_now[0].1.clone().unwrap();
    assert_eq!(tip.len(), 64, "{tip}");

    let again = peerd(&["testnet", "up", "--dir", dir, "--detach"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already holds a running network"), "{}", text(&again));

    let down = peerd(&["testnet", "down", "--dir", dir]);
    assert!(down.status.success(), "{}", text(&down));
    for pid in pids {
        assert!(gone(pid), "pid {pid} still runs after `testnet down`");
    }
    let after = crate::common::status(dir);
    assert!(after["nodes"].as_array().unwrap().iter().all(|n| n["mode"] == "down"), "{after:#}");
    failures_at_start_are_explained(dir, nodes);
}

/// On the stopped network: `up` again refuses a taken port, and a node that cannot start
/// fails `up` with the end of its log while the nodes already started are stopped again.
fn failures_at_start_are_explained(dir: &str, nodes: &[serde_json::Value]) {
    let http = nodes[0]["http"].as_str().unwrap();
    let taken = std::net::TcpListener::bind(http).unwrap();
    let up = peerd(&["testnet", "up", "--dir", dir, "--detach"]);
    assert!(!up.status.success());
    assert!(
        text(&up).contains(&format!("node-1: HTTP port {} ", http.rsplit(':').next().unwrap())),
        "{}",
        text(&up)
    );
    drop(taken);

    let private = nodes[3]["transports"]["zmq"]["private_key_file"].as_str().unwrap();
    std::fs::write(private, "PRIVATE:not-hex\n").unwrap();
    let up = peerd(&["testnet", "up", "--dir", dir, "--detach"]);
    assert!(!up.status.success());
    let out = text(&up);
    assert!(out.contains("node-4 exited at start") && out.contains("private_key"), "{out}");
    for node in network(dir)["nodes"].as_array().unwrap() {
        let pid = node["pid"].as_i64().unwrap() as i32;
        assert!(gone(pid), "{} (pid {pid}) left running after a failed start", node["name"]);
    }
}
