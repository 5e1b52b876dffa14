//! `peerd testnet`: a whole mixed ZeroMQ/libp2p network of `peerd run` processes on one
//! machine, from one command (docs/testnet.md).
//!
//! `up` turns the flags (or a network file) into a [`NetworkSpec`], lays it out under
//! DIR ([`layout`]: keys, free loopback ports), writes every node's `peerd.toml`
//! ([`render`]: static peers per transport, lowered sync thresholds, HTTP API, producer)
//! and DIR/network.json ([`manifest`]), starts each node as its own process ([`procs`])
//! and watches them through their HTTP `/status` ([`poll`]). The other commands act on the
//! network that DIR/network.json describes.

use std::net::SocketAddr;
use std::path::PathBuf;

pub mod args;
pub mod commands;
pub mod keys;
pub mod layout;
pub mod manifest;
pub mod monitor;
pub mod output;
pub mod poll;
pub mod procs;
pub mod render;
pub mod spec;
pub mod start;

pub use args::{TestnetCommand, UpArgs};
pub use commands::run;
pub use manifest::Network;
pub use output::Output;
pub use spec::{counts, parse_secs, NetworkSpec, NodeSpec};

/// Errors of `peerd testnet`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestnetError {
    /// Flags or a network file that describe no valid network.
    #[error("{0}")]
    Usage(String),
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Key generation failed.
    #[error("generating keys: {0}")]
    Keys(String),
    /// No free loopback port could be found.
    #[error("finding free ports on 127.0.0.1: {0}")]
    Ports(#[source] std::io::Error),
    /// A port a node needs is taken.
    #[error("{node}: {what} port {port} on 127.0.0.1 is in use ({source})")]
    PortInUse {
        /// The node.
        node: String,
        /// The port.
        port: u16,
        /// What the node uses it for.
        what: &'static str,
        /// The bind error.
        #[source]
        source: std::io::Error,
    },
    /// DIR has no network.json.
    #[error(
        "{0} holds no test network (no network.json); start one with `peerd testnet up --dir`"
    )]
    NoNetwork(PathBuf),
    /// network.json cannot be used.
    #[error("{path}: {reason}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// DIR holds a network with running nodes.
    #[error(
        "{dir} already holds a running network ({running}); stop it with \
         `peerd testnet down --dir {dir}`"
    )]
    Running {
        /// The directory.
        dir: PathBuf,
        /// The running nodes.
        running: String,
    },
    /// DIR holds a stopped network and flags asked for a new one.
    #[error(
        "{0} holds a stopped network: start it again with `peerd testnet up --dir` and no \
         network flags, or remove the directory for a new one"
    )]
    Stopped(PathBuf),
    /// DIR is not empty and holds no network.
    #[error("{0} is not empty and holds no network.json; choose an empty or new directory")]
    NotEmpty(PathBuf),
    /// No node of that name.
    #[error("no node {name:?} in this network; nodes: {known}")]
    UnknownNode {
        /// The name given.
        name: String,
        /// The names in network.json.
        known: String,
    },
    /// A node exited while starting.
    #[error("{node} exited at start ({status}); last lines of {log}:\n{tail}")]
    Exited {
        /// The node.
        node: String,
        /// Its exit status.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The end of the log.
        tail: String,
    },
    /// A node did not answer on its HTTP API in time.
    #[error(
        "{node} did not answer on http://{http}/status within {secs} s; last lines of \
         {log}:\n{tail}"
    )]
    NotListening {
        /// The node.
        node: String,
        /// Its HTTP address.
        http: SocketAddr,
        /// The time waited.
        secs: u64,
        /// Its log file.
        log: PathBuf,
        /// The end of the log.
        tail: String,
    },
    /// The async runtime or the signal handlers could not be set up.
    #[error("runtime: {0}")]
    Runtime(#[source] std::io::Error),
}
