//! `peerd chain generate --blocks N`: N valid blocks of realistic traffic (asset
//! registrations, issues and transfers, each signed; [`peerd_bitmark::traffic`]) appended to
//! the configured store, on the `dev` and `local` chains only — what test networks, the
//! crash harness and the benchmarks are built on, as regtest's `generatetoaddress` is.
//!
//! Blocks are stamped evenly between the tip's timestamp and now, so a chain generated in
//! several runs stays valid (timestamps never go back, none is in the future).

use std::io::IsTerminal as _;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use peerd_api::Chain;
use peerd_bitmark::traffic::Traffic;
use serde::Serialize;

use super::tools::{open, DbError};
use crate::config::Config;

/// Chains blocks may be generated on: their blocks are worth nothing.
pub const GENERATE_CHAINS: [&str; 2] = ["dev", "local"];

/// What `chain generate` did.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Generated {
    /// Blocks stored.
    pub blocks: u64,
    /// The height after.
    pub height: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// Blocks stored per second.
    pub blocks_per_s: f64,
}

/// Appends `blocks` generated blocks to the configured store, with a progress bar on a
/// terminal.
///
/// # Errors
///
/// [`DbError::Range`] on a chain other than `dev` and `local`, or for 0 blocks; otherwise
/// see [`DbError`] (the blocks stored before an error are kept).
pub fn generate(config: &Config, blocks: u64) -> Result<Generated, DbError> {
    let name = config.node.chain.as_str();
    if !GENERATE_CHAINS.contains(&name) {
        return Err(DbError::Range(format!(
            "blocks can be generated on the dev and local chains only, not on {name}"
        )));
    }
    if blocks == 0 {
        return Err(DbError::Range("--blocks must be at least 1".into()));
    }
    let opened = open(config)?;
    let chain = &opened.chain;
    let start = chain.height().map_err(DbError::Chain)?;
    let target = start.saturating_add(blocks);
    let tip = chain.tip().timestamp;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let span = now.saturating_sub(tip);
    // Block `start + k` (k = 1..=blocks) at tip + k·span/blocks: never before the tip, the
    // last one now.
    let stamp = move |number: u64| {
        let k = u128::from(number - start);
        let offset = k * u128::from(span) / u128::from(blocks);
        tip + u64::try_from(offset).unwrap_or(span)
    };
    let bar = progress_bar(blocks);
    let began = Instant::now();
    let grown = Traffic::new().and_then(|mut traffic| {
        traffic.grow_with(chain, target, stamp, |number| {
            if let Some(bar) = &bar {
                bar.set_position(number - start);
            } else if (number - start) % 10_000 == 0 {
                tracing::info!(number, target, "generating blocks");
            }
        })
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let seconds = began.elapsed().as_secs_f64();
    opened.flush()?;
    let height = chain.height().map_err(DbError::Chain)?;
    grown.map_err(|e| DbError::Range(format!("{e}; the store keeps blocks up to {height}")))?;
    let stored = height - start;
    let blocks_per_s = if seconds > 0.0 { stored as f64 / seconds } else { 0.0 };
    Ok(Generated { blocks: stored, height, seconds, blocks_per_s })
}

/// A bar on a terminal (stderr), nothing otherwise.
fn progress_bar(blocks: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(blocks);
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} blocks  {per_sec}  eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}
