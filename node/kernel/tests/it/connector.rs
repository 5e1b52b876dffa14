//! Scripted-peer tests of the connector state machine (protocol §4.3 and peerd's pipelined
//! fetch): the test plays the async shell with explicit time and toy chains.

mod fetch;
mod fork;
pub(crate) mod harness;
mod prop;
mod states;
mod target;
