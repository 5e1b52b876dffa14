//! Integration tests of `peerd-transport-libp2p`, one test binary (each `tests/*.rs` used to link
//! the crate's whole dependency tree on its own).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

mod common;

mod bad_input;
mod compliance;
mod discovery;
mod exchange;
mod gossip;
mod kernel_sync;
mod limits;
mod quic;
mod throughput;
