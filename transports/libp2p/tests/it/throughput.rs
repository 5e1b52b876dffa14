//! A measurement, not a check: sync throughput of a whole node over libp2p against the
//! store-only ingest of the same blocks, in one run. Run it in release mode:
//!
//! ```text
//! cargo test --release -p peerd-transport-libp2p --test throughput -- --ignored --nocapture
//! ```
//!
//! `PEERD_BLOCKS` (default 3000) sets the chain length, `PEERD_SEEDS` (default 1) the number
//! of nodes serving it (the follower fetches across all of them).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use crate::common;
use std::time::Instant;

use common::full::{dev_chain, grow, small_sync, wait_until, Full};
use peerd_api::{Chain, DigestSource, Mode};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run in release with --ignored --nocapture"]
async fn sync_over_libp2p_against_store_only_ingest() {
    let blocks = env("PEERD_BLOCKS", 3000);
    let seeds = env("PEERD_SEEDS", 1) as usize;
    let source = dev_chain();
    grow(&source, blocks);
    let packed: Vec<_> = (2..=blocks).map(|n| source.block(n).unwrap().unwrap()).collect();
    let bytes: usize = packed.iter().map(|b| b.len()).sum();

    // Store only: the same blocks into a fresh chain, with the fast-sync digest source the
    // kernel uses (the next block's header) and a computed digest for the last.
    let ingest = dev_chain();
    let started = Instant::now();
    for (i, block) in packed.iter().enumerate() {
        let digest =
            packed.get(i + 1).map_or(DigestSource::Compute, |next| DigestSource::NextBlock(next));
        ingest.accept(block, digest).unwrap();
    }
    let store_only = started.elapsed();
    assert_eq!(ingest.digest(blocks).unwrap(), source.digest(blocks).unwrap());

    // Over libp2p: `seeds` standalone nodes serve the chain; one empty node syncs from them.
    let mut serving = vec![Full::start("seed0", source.clone(), small_sync(0, 0), vec![])];
    for s in 1..seeds {
        let copy = dev_chain();
        for block in &packed {
            copy.accept(block, DigestSource::Compute).unwrap();
        }
        serving.push(Full::start(&format!("seed{s}"), copy, small_sync(0, 0), vec![]));
    }
    let targets = serving.iter().map(|s| s.target.clone()).collect();
    let started = Instant::now();
    let follower = Full::start("follower", dev_chain(), small_sync(seeds, seeds), targets);
    wait_until("the first fetched block", || follower.height() > 1).await;
    let first = started.elapsed();
    wait_until("the follower in sync", || {
        follower.height() == blocks && follower.mode.get() == Mode::Normal
    })
    .await;
    let total = started.elapsed();
    assert_eq!(follower.tip(), source.digest(blocks).unwrap().unwrap());
    let transfer = total - first;

    let n = (blocks - 1) as f64;
    let rate = |d: std::time::Duration| n / d.as_secs_f64();
    println!(
        "blocks: {} ({} bytes, {:.0} bytes each), seeds: {seeds}",
        blocks - 1,
        bytes,
        bytes as f64 / n
    );
    println!(
        "store-only ingest: {:.3} s, {:.0} blocks/s",
        store_only.as_secs_f64(),
        rate(store_only)
    );
    println!(
        "libp2p sync: {:.3} s total ({:.3} s to the first block), {:.0} blocks/s while fetching, {:.0} blocks/s overall",
        total.as_secs_f64(),
        first.as_secs_f64(),
        rate(transfer),
        rate(total)
    );
    println!(
        "libp2p / store-only (fetching phase): {:.1}%",
        100.0 * store_only.as_secs_f64() / transfer.as_secs_f64()
    );
    follower.stop();
    for s in &serving {
        s.stop();
    }
}
