//! The node crate's tests, in one binary: the command line (`cli`, `cli_completions`,
//! `cli_http`), config files, the db tools, the HTTP endpoints, and the `peerd testnet`
//! tests that run networks of real `peerd` processes (`testnet_*`, with the `zmq` and
//! `libp2p` features; they hold [`common::one_network_at_a_time`]).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod cli;
mod cli_completions;
mod cli_http;
mod common;
mod config_files;
mod crash;
mod crash_sync;
mod db_check;
mod db_tools;
mod http_endpoints;
mod testnet_interop;
mod testnet_layout;
mod testnet_scenarios;
mod testnet_starts;
mod testnet_up;
