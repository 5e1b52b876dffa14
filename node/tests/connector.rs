//! Scripted-peer tests of the connector state machine (spec §4.3 and peerd's pipelined
//! fetch): the test plays the async shell with explicit time and toy chains.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod connector {
    mod fetch;
    mod fork;
    pub(crate) mod harness;
    mod prop;
    mod states;
    mod target;
}
