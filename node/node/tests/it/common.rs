//! Helpers of the `peerd testnet` tests that run the real binary.

#![allow(dead_code)] // not every build (features) uses every helper

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use nix::sys::signal::kill;
use nix::unistd::Pid;

/// Blocks the network may grow by while a condition is awaited, before the test fails.
pub(crate) const BLOCK_BOUND: u64 = 40;
/// Safety guard only: the block bound ends a wait long before this.
pub(crate) const GUARD: Duration = Duration::from_secs(300);

/// A node's height and tip in `testnet status --json` (null when it did not answer).
pub(crate) type Seen = (Option<u64>, Option<String>);

/// Held by every test that starts a network of node processes: they run one at a time, so
/// that two networks never share the two cores (tests of one binary run in parallel).
pub(crate) fn one_network_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static NETWORKS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    NETWORKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `peerd ARGS` to completion, without inherited `PEERD_*` or `RUST_LOG`.
pub(crate) fn peerd(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peerd"));
    cmd.args(args).env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PEERD_") {
            cmd.env_remove(key);
        }
    }
    cmd.output().unwrap()
}

/// stdout and stderr of a run.
pub(crate) fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A process that is gone (or a zombie nobody reaped yet).
pub(crate) fn gone(pid: i32) -> bool {
    if kill(Pid::from_raw(pid), None).is_err() {
        return true;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()) == Some("Z")
}

/// Stops the network when the test ends, also on failure.
pub(crate) struct Down(pub(crate) PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        peerd(&["testnet", "down", "--dir", self.0.to_str().unwrap()]);
    }
}

/// DIR/network.json.
pub(crate) fn network(dir: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(dir).join("network.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `peerd testnet status --dir DIR --json`.
pub(crate) fn status(dir: &str) -> serde_json::Value {
    let out = peerd(&["testnet", "status", "--dir", dir, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Polls `testnet status --json` until `done` holds for the (height, tip) of every node;
/// fails once the highest node has grown by [`BLOCK_BOUND`] blocks. Returns the last answer.
pub(crate) fn status_until(dir: &str, what: &str, done: impl Fn(&[Seen]) -> bool) -> Vec<Seen> {
    status_within(dir, what, BLOCK_BOUND, done)
}

/// As [`status_until`], failing once the highest node has grown by `blocks` blocks.
pub(crate) fn status_within(
    dir: &str,
    what: &str,
    blocks: u64,
    done: impl Fn(&[Seen]) -> bool,
) -> Vec<Seen> {
    let started = Instant::now();
    let mut start_height = None;
    loop {
        let status = status(dir);
        let nodes: Vec<_> = status["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["height"].as_u64(), n["tip"].as_str().map(str::to_owned)))
            .collect();
        if done(&nodes) {
            return nodes;
        }
        let highest = nodes.iter().filter_map(|n| n.0).max().unwrap_or(0);
        let start = *start_height.get_or_insert(highest);
        assert!(highest <= start + blocks, "{what}: not within {blocks} blocks: {status:#}");
        assert!(started.elapsed() < GUARD, "{what}: safety guard: {status:#}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Every node at the same height (at least `min`) with the same tip.
pub(crate) fn level(min: u64) -> impl Fn(&[Seen]) -> bool {
    move |nodes| match nodes.first() {
        Some((Some(h), Some(tip))) => {
            *h >= min && nodes.iter().all(|n| n.0 == Some(*h) && n.1.as_ref() == Some(tip))
        }
        _ => false,
    }
}
