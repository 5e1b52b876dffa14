//! The kernel's tests, in one binary: the connector state machine with scripted peers
//! (`connector`), bitmarkd's voting vectors (`voting`), the async shell end to end on the
//! memory transport (`kernel`), gossip dispatch and relay through a bridge (`relay`), and
//! a user's handler plugin in running kernels (`custom_handler`).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod bans;
mod clients;
mod connector;
mod custom_handler;
mod dials;
mod discovery;
mod fastsync;
mod kernel;
mod relay;
mod voting;
