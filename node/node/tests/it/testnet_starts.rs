//! Issue 12's acceptance: the README's first command, the default mixed network (2
//! ZeroMQ-only nodes, 2 libp2p-only nodes, 2 bridges, a block every 2 s), started 20
//! times in a row with the real binary; every start must have every node level (same
//! height and tip, at least 5) before the network has grown by 15 blocks (30 s of 2 s
//! blocks; bounded by blocks, not by a wall clock).

#![cfg(all(feature = "zmq", feature = "libp2p", feature = "tools"))]

use crate::common::{level, peerd, status_within, text, Down};

/// Starts in a row.
const STARTS: usize = 20;

/// Blocks the network may grow by before every node must be level.
const LEVEL_WITHIN: u64 = 15;

#[test]
fn the_default_mixed_network_is_level_on_every_start() {
    let _one = crate::common::one_network_at_a_time();
    for start in 1..=STARTS {
        let tmp = tempfile::tempdir().unwrap();
        let dir_path = tmp.path().join("net");
        let dir = dir_path.to_str().unwrap();
        let _down = Down(dir_path.clone());
        let up = peerd(&["testnet", "up", "--dir", dir, "--store", "memory", "--detach"]);
        assert!(up.status.success(), "start {start}: {}", text(&up));
        let what = format!("start {start} of {STARTS}: every node level at 5 or more");
        status_within(dir, &what, LEVEL_WITHIN, level(5));
        let down = peerd(&["testnet", "down", "--dir", dir]);
        assert!(down.status.success(), "start {start}: {}", text(&down));
        eprintln!("start {start} of {STARTS}: level");
    }
}
