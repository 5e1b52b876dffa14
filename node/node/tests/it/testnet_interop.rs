//! js-libp2p interoperability (issue 12): the client in `tests/interop` (libp2p 3 with
//! `@libp2p/gossipsub`, noise, yamux, identify, ping; installed by `scripts/setup.sh`
//! with `npm ci`) dials the libp2p-only node of a running test network and must see its
//! identify (agent `peerd/…`), answer a ping, see its `peerd/<chain>/<kind>` topic
//! subscriptions and receive a gossiped block.

#![cfg(all(feature = "zmq", feature = "libp2p", feature = "tools"))]

use std::path::PathBuf;
use std::process::Command;

use crate::common::{level, network, peerd, status_until, text, Down};

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

#[test]
fn a_js_libp2p_node_sees_the_subscriptions_and_receives_a_block() {
    let _one = crate::common::one_network_at_a_time();
    let client = interop_dir();
    assert!(
        client.join("node_modules/libp2p").is_dir(),
        "the js client is not installed: run scripts/setup.sh (npm ci in {})",
        client.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir_path = tmp.path().join("net");
    let dir = dir_path.to_str().unwrap();
    let _down = Down(dir_path.clone());
    let up = peerd(&[
        "testnet",
        "up",
        "--dir",
        dir,
        "--zmq",
        "1",
        "--libp2p",
        "1",
        "--bridges",
        "1",
        "--store",
        "memory",
        "--detach",
    ]);
    assert!(up.status.success(), "{}", text(&up));
    status_until(dir, "every node level at 3 or more", level(3));
    let network = network(dir);
    let libp2p_only = network["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["transports"]["zmq"].is_null())
        .unwrap();
    let addr = libp2p_only["transports"]["libp2p"]["multiaddr"].as_str().unwrap();
    let chain = network["chain"].as_str().unwrap();

    let out = Command::new("node")
        .current_dir(&client)
        .args(["client.mjs", addr, chain, "30"])
        .output()
        .expect("node (Node.js) runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let seen: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("client output is not JSON ({e}):\n{}", text(&out)));
    assert!(out.status.success(), "{seen:#}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(seen["agent"].as_str().unwrap().starts_with("peerd/"), "{seen:#}");
    let protocols: Vec<&str> =
        seen["protocols"].as_array().unwrap().iter().filter_map(|p| p.as_str()).collect();
    for p in [format!("/peerd/{chain}/sync/1"), "/ipfs/ping/1.0.0".into(), "/meshsub/1.1.0".into()]
    {
        assert!(protocols.contains(&p.as_str()), "{p} missing: {seen:#}");
    }
    assert!(seen["rtt_ms"].as_u64().is_some(), "{seen:#}");
    let topics: Vec<&str> =
        seen["subscriptions"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
    for kind in ["block", "assets", "issues", "transfer", "proof", "rpc", "peer"] {
        let topic = format!("peerd/{chain}/{kind}");
        assert!(topics.contains(&topic.as_str()), "{topic} not subscribed: {seen:#}");
    }
    assert_eq!(seen["block"]["one_frame"], true, "{seen:#}");
    assert!(seen["block"]["bytes"].as_u64().unwrap() > 100, "{seen:#}");
    let streams: Vec<&str> =
        seen["streams"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
    assert!(streams.iter().any(|s| s.starts_with("/meshsub/")), "{seen:#}");
}
