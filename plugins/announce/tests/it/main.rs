//! Integration tests of `peerd-announce`, one test binary (each `tests/*.rs` used to link
//! the crate's whole dependency tree on its own).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

mod common;

mod cache;
mod config;
mod eclipse;
mod items;
mod timing;
