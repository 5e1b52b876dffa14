//! Integration tests of `peerd-example`, one test binary (each `tests/*.rs` used to link
//! the crate's whole dependency tree on its own).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

mod support;

mod notes;
mod plugin;
mod query;
