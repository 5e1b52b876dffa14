//! Simulated networks (issue 4): each scenario is one test on a current-thread runtime in
//! paused time, with every node the real kernel over the real dev chain. Every test prints
//! its seed; `PEERD_SIM_SEED=<n>` replays it.
//!
//! - `sync`: (a) six nodes sync a 2,000-block chain from one producer, (b) a late node
//!   catches up, (f) an upstream dies mid-fetch.
//! - `forks`: (c) an equal-height fork resolved by the digest rule, (d) a fork deeper than
//!   60 refused, (h) a 3 + 3 partition with two producers heals.
//! - `adversaries`: (e) a lying minority loses the vote, (g) a forged block in fast sync is
//!   detected and repaired.
//! - `liars`: forgers, height liars and silent upstreams do not stall sync (issue 14).
//! - `healed`: (j) a healed partition returns the losing side's transactions to the
//!   reservoir and confirms them on the winning chain (issue 16).
//! - `replay`: the same seed gives the same run, message for message.
//! - `mixed`: the testnet's mixed topology converges after lost gossip (issue 12).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod adversaries;
mod common;
mod forks;
mod healed;
mod liars;
mod mixed;
mod replay;
mod reservoir;
mod sync;
