//! # peerd-tools — test networks and benchmarks
//!
//! What the `peerd` binary offers besides running a node, kept out of the node crate so
//! that a node (and the kernel under it) builds without it:
//!
//! - [`testnet`]: `peerd testnet`, a local network of `peerd run` processes from one
//!   command (docs/testnet.md).
//! - [`mixed`]: in-process mixed ZeroMQ / libp2p / bridge networks on loopback.
//! - [`bench`]: `peerd bench sync` and `peerd bench gossip`; `rpc_bench`: `peerd bench rpc`;
//!   `flood_bench`: `peerd bench flood`;
//!   [`cli`]: their command line.

pub mod bench;
pub mod cli;
#[cfg(feature = "zmq")]
pub mod flood_bench;
#[cfg(all(feature = "zmq", feature = "libp2p"))]
pub mod mixed;
#[cfg(feature = "zmq")]
pub mod rpc_bench;
pub mod testnet;

/// The version the tools' nodes report, the workspace's (the same as the `peerd` binary's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The config file a node reads from its data directory (`peerd-node`'s
/// `config::FILE_NAME`; a test of the node crate checks they agree).
pub const CONFIG_FILE: &str = "peerd.toml";

/// The prefix of the environment variables that configure a node (`peerd-node`'s
/// `config::ENV_PREFIX`; checked likewise). The test network's processes start without them.
pub const ENV_PREFIX: &str = "PEERD_";
