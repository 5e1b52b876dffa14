//! Integration tests of `peerd-transport-zmq`, one test binary (each `tests/*.rs` used to link
//! the crate's whole dependency tree on its own).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

mod common;

mod bans;
mod compliance;
mod config;
mod curve;
mod flood;
mod flood_sync;
mod liar;
mod pipelining;
mod publisher;
mod requests;
mod serve;
mod six_nodes;
