//! `peerd testnet up --detach` with the real binary: 4 nodes (2 speaking ZeroMQ only, 1
//! libp2p only, 1 bridge speaking both: 3 ZeroMQ and 2 libp2p nodes) converge on the same
//! tip; network.json matches the running processes; `testnet down` stops them all; a
//! second `up` on a running network is refused.

#![cfg(all(feature = "zmq", feature = "libp2p"))]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use nix::sys::signal::kill;
use nix::unistd::Pid;

/// Blocks the producer may make before the network must have converged.
const BLOCK_BOUND: u64 = 40;
/// Safety guard only: the block bound ends the test long before this.
const GUARD: Duration = Duration::from_secs(300);

fn peerd(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peerd"));
    cmd.args(args).env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PEERD_") {
            cmd.env_remove(key);
        }
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A process that is gone (or a zombie nobody reaped yet).
fn gone(pid: i32) -> bool {
    if kill(Pid::from_raw(pid), None).is_err() {
        return true;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()) == Some("Z")
}

/// Stops the network when the test ends, also on failure.
struct Down(PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        peerd(&["testnet", "down", "--dir", self.0.to_str().unwrap()]);
    }
}

fn status(dir: &str) -> serde_json::Value {
    let out = peerd(&["testnet", "status", "--dir", dir, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Polls `testnet status --json` until every node has the same height (at least 5) and
/// tip; fails once the highest node is past [`BLOCK_BOUND`].
fn converge(dir: &str) -> (u64, String) {
    let started = Instant::now();
    loop {
        let status = status(dir);
        let nodes = status["nodes"].as_array().unwrap();
        let heights: Vec<Option<u64>> = nodes.iter().map(|n| n["height"].as_u64()).collect();
        let tips: Vec<Option<&str>> = nodes.iter().map(|n| n["tip"].as_str()).collect();
        if let (Some(Some(h)), Some(Some(tip))) = (heights.first(), tips.first()) {
            if *h >= 5
                && heights.iter().all(|x| *x == Some(*h))
                && tips.iter().all(|t| *t == Some(*tip))
            {
                return (*h, (*tip).to_owned());
            }
        }
        let highest = heights.iter().flatten().max().copied().unwrap_or(0);
        assert!(highest <= BLOCK_BOUND, "no convergence within {BLOCK_BOUND} blocks: {status:#}");
        assert!(started.elapsed() < GUARD, "safety guard: {status:#}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_mixed_network_converges_and_network_json_matches_the_processes() {
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

    let network: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir_path.join("network.json")).unwrap())
            .unwrap();
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

    let (height, tip) = converge(dir);
    assert!(height >= 5 && tip.len() == 64, "{height} {tip}");

    let again = peerd(&["testnet", "up", "--dir", dir, "--detach"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already holds a running network"), "{}", text(&again));

    let down = peerd(&["testnet", "down", "--dir", dir]);
    assert!(down.status.success(), "{}", text(&down));
    for pid in pids {
        assert!(gone(pid), "pid {pid} still runs after `testnet down`");
    }
    let after = status(dir);
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
    let network: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(dir).join("network.json")).unwrap(),
    )
    .unwrap();
    for node in network["nodes"].as_array().unwrap() {
        let pid = node["pid"].as_i64().unwrap() as i32;
        assert!(gone(pid), "{} (pid {pid}) left running after a failed start", node["name"]);
    }
}
