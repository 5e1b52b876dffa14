//! # peerd-node — the peerd kernel
//!
//! The kernel hosts the connector state machine (connect → elect the highest chain by
//! majority vote → detect forks → fetch blocks → rebuild → sample) and dispatches gossip
//! items to handler plugins. Transports, stores, the chain rules and handlers are plugins
//! behind the traits of `peerd_api`; [`builtin`] is the one place that names the
//! concrete ones compiled into the `peerd` binary.

pub mod bench;
pub mod builtin;
pub mod cli;
pub mod completions;
pub mod config;
pub mod connector;
pub mod db;
pub mod http;
pub mod inspect;
pub mod kernel;
pub mod lockfile;
pub mod logging;
#[cfg(all(feature = "zmq", feature = "libp2p"))]
pub mod mixed;
pub mod progress;
#[cfg(feature = "zmq")]
pub mod rpc_bench;
pub mod run;
pub mod status;
pub mod testnet;
