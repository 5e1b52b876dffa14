//! Integration tests of `peerd-bitmark`, one test binary (each `tests/*.rs` used to link
//! the crate's whole dependency tree on its own).

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

mod common;
mod ledger_support;

mod ledger_delete;
mod ledger_indexes;
mod ledger_paths;
mod ledger_producer;
mod ledger_reject;
mod ledger_stores;
mod ledger_testing;
mod prop_block;
mod prop_tx;
mod vectors_account;
mod vectors_block;
mod vectors_currency;
mod vectors_header;
mod vectors_payid;
mod vectors_tx;
