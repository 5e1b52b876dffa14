//! # peerd-node — the peerd node and its binary
//!
//! Everything around the kernel ([`peerd_kernel`]) that makes a node an operator can run:
//! the layered config file ([`config`]), the built-in plugins ([`builtin`], the one place
//! in this crate that names concrete stores and transports), the node's lifecycle from
//! lock to clean shutdown ([`run`]; [`run::run_with_plugins`] is the entry point for nodes
//! with handler plugins of their own), the HTTP API ([`http`]), the sync progress display,
//! logging, the `db` tools, `inspect`, and the command line of the `peerd` binary ([`cli`],
//! [`commands`]). `peerd testnet` and `peerd bench` come from `peerd-tools`, behind the
//! default `tools` feature.

pub mod builtin;
pub mod cli;
pub mod commands;
pub mod completions;
pub mod config;
pub mod db;
pub mod http;
pub mod inspect;
pub mod lockfile;
pub mod logging;
pub mod progress;
pub mod run;
