//! Crash safety of a syncing node (issue 16, item 3): a network of four ZeroMQ `peerd run`
//! processes on 127.0.0.1, three of them holding a generated chain (`peerd chain generate`
//! on the first, its store copied to the next two), the fourth empty. While the fourth
//! syncs from the three, it is SIGKILLed at seeded random moments; after every kill `peerd
//! db check` must find its store consistent and its height must never fall, and after the
//! last restart it must reach the network's tip. `PEERD_CRASH_SEED`, `PEERD_CRASH_KILLS`
//! (default 3) and `PEERD_CRASH_BLOCKS` (default 2,000) set the run; `scripts/crash.sh`
//! runs it longer (20,000 blocks, 50 kills per store).

#![cfg(all(feature = "zmq", feature = "tools"))]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::common::{gone, network, one_network_at_a_time, peerd, status_until, text, Down};
use crate::crash::{knobs, next};

/// How long a killed node may take to disappear (a guard: SIGKILL is immediate).
const GONE_GUARD: Duration = Duration::from_secs(20);

fn ok(args: &[&str]) -> String {
    let out = peerd(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    text(&out)
}

/// `db check --json` with `config`: (consistent, stored height, the report).
fn check(config: &str) -> (bool, u64, String) {
    let out = peerd(&["--config", config, "db", "check", "--json"]);
    let report = text(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("db check printed no JSON ({e}): {report}"));
    let height = json["stored_height"].as_u64().unwrap();
    (out.status.success() && json["problems"].as_array().unwrap().is_empty(), height, report)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn killed_syncs_leave_a_consistent_store_and_reach_the_tip(store: &str) {
    let _one = one_network_at_a_time();
    let (seed, kills) = knobs();
    let blocks: u64 =
        std::env::var("PEERD_CRASH_BLOCKS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let tmp = tempfile::tempdir().unwrap();
    let dir_path = tmp.path().join("net");
    let dir = dir_path.to_str().unwrap();
    let _down = Down(dir_path.clone());
    let shape = ["--nodes", "4", "--zmq", "4", "--producers", "0", "--store", store];
    ok(&[&["testnet", "up", "--dir", dir, "--detach"][..], &shape[..]].concat());
    ok(&["testnet", "down", "--dir", dir]);

    // The chain on node-1, copied to node-2 and node-3; node-4 stays empty.
    let net = network(dir);
    let config = |i: usize| net["nodes"][i]["config"].as_str().unwrap().to_owned();
    let data = |i: usize| -> PathBuf { dir_path.join(format!("node-{}", i + 1)).join(store) };
    let count = blocks.to_string();
    ok(&["--config", &config(0), "chain", "generate", "--blocks", &count]);
    for i in 1..3 {
        copy_dir(&data(0), &data(i));
    }
    ok(&["testnet", "up", "--dir", dir, "--detach"]);

    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut last = 1;
    for k in 0..kills {
        // The kill moment: 1.5 s to 4.5 s after the node (re)started (it connects and
        // registers in about a second, then syncs).
        let at = Duration::from_millis(1500 + next(&mut rng) % 3000);
        std::thread::sleep(at);
        let pid = i32::try_from(network(dir)["nodes"][3]["pid"].as_i64().unwrap()).unwrap();
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        let since = Instant::now();
        while !gone(pid) {
            assert!(since.elapsed() < GONE_GUARD, "node-4 (pid {pid}) survived SIGKILL");
            std::thread::sleep(Duration::from_millis(20));
        }
        let (clean, height, report) = check(&config(3));
        assert!(clean, "{store} seed {seed} kill {k} at {at:?}: inconsistent:\n{report}");
        assert!(
            height >= last,
            "{store} seed {seed} kill {k}: height fell from {last} to {height}"
        );
        last = height;
        eprintln!(
            "{store} kill {k} at {at:?}: consistent, stored height {height} of {}",
            blocks + 1
        );
        ok(&["testnet", "restart", "node-4", "--dir", dir]);
    }
    let tip = blocks + 1;
    let seen = status_until(dir, "node-4 at the network's tip", |n| {
        n.len() == 4 && n.iter().all(|(h, _)| *h == Some(tip))
    });
    assert!(seen.iter().all(|n| n.1 == seen[0].1), "one tip: {seen:?}");
    ok(&["testnet", "down", "--dir", dir]);
    let (clean, height, report) = check(&config(3));
    assert!(clean && height == tip, "{store}: after the sync: {report}");
}

#[cfg(feature = "sled")]
#[test]
fn a_syncing_sled_node_killed_at_random_moments_stays_consistent_and_reaches_the_tip() {
    killed_syncs_leave_a_consistent_store_and_reach_the_tip("sled");
}

#[cfg(feature = "rocksdb")]
#[test]
fn a_syncing_rocksdb_node_killed_at_random_moments_stays_consistent_and_reaches_the_tip() {
    killed_syncs_leave_a_consistent_store_and_reach_the_tip("rocksdb");
}
