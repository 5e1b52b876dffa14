//! The `peerd testnet …` command line.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `peerd testnet …`: mixed ZeroMQ/libp2p networks of `peerd run` processes on loopback.
#[derive(Debug, Subcommand)]
pub enum TestnetCommand {
    /// Generate keys and configs, start every node, and show a live table until Ctrl-C
    /// (or return once every node listens, with --detach).
    Up(UpArgs),
    /// Print the table of a running network once.
    Status {
        /// The network's directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Print JSON (`{"nodes": [...]}`) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Stop every node of a network (SIGTERM, then SIGKILL after a grace period).
    Down {
        /// The network's directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Stop one node (it stays listed in network.json with its last pid).
    Kill {
        /// The node: `node-3` or `3`.
        node: String,
        /// The network's directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Stop a node if it runs and start it again from its config.
    Restart {
        /// The node: `node-3` or `3`.
        node: String,
        /// The network's directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Split the network into groups that do not peer with each other: every node's
    /// config is rewritten without the peers of other groups and every node restarts.
    Partition {
        /// Groups separated by `/`, nodes by `,`: `node-1,node-2/node-3,node-4` (or `1,2/3,4`).
        /// Nodes not named form one more group.
        groups: String,
        /// The network's directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Undo `partition`: restore the full topology and restart every node.
    Heal {
        /// The network's directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
}

/// `peerd testnet up` flags. Unset counts are filled in from the others (see
/// [`crate::testnet::NetworkSpec::from_args`]).
#[derive(Clone, Debug, Default, Args)]
pub struct UpArgs {
    /// Directory for the network: DIR/network.json and DIR/node-N/ (created if needed).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Total number of nodes (default 6, or the sum of the per-transport counts).
    #[arg(long, value_name = "N")]
    pub nodes: Option<usize>,
    /// Nodes speaking only ZeroMQ.
    #[arg(long, value_name = "N")]
    pub zmq: Option<usize>,
    /// Nodes speaking only libp2p.
    #[arg(long, value_name = "N")]
    pub libp2p: Option<usize>,
    /// Bridge nodes, speaking both ZeroMQ and libp2p.
    #[arg(long, value_name = "N")]
    pub bridges: Option<usize>,
    /// Store of every node: sled, rocksdb or memory (default sled).
    #[arg(long, value_name = "KIND")]
    pub store: Option<String>,
    /// Chain: dev or local (default dev).
    #[arg(long, value_name = "NAME")]
    pub chain: Option<String>,
    /// Block producers: the first N nodes (default 1).
    #[arg(long, value_name = "N")]
    pub producers: Option<usize>,
    /// Time between produced blocks, whole seconds: `2s`, `1m`, `5` (default 2s).
    #[arg(long, value_name = "DURATION")]
    pub block_interval: Option<String>,
    /// Derive every node's keys from this number, so the same seed gives the same public
    /// keys and peer ids (default: fresh random keys).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// A TOML network file (docs/testnet.md); flags given as well override its values.
    #[arg(long, value_name = "NET.toml")]
    pub file: Option<PathBuf>,
    /// Return once every node answers on its HTTP API, leaving the network running.
    #[arg(long)]
    pub detach: bool,
}

impl UpArgs {
    /// True when a flag that shapes a new network was given (a stopped network in DIR is
    /// restarted only without them).
    pub fn shapes_network(&self) -> bool {
        self.nodes.is_some()
            || self.zmq.is_some()
            || self.libp2p.is_some()
            || self.bridges.is_some()
            || self.store.is_some()
            || self.chain.is_some()
            || self.producers.is_some()
            || self.block_interval.is_some()
            || self.seed.is_some()
            || self.file.is_some()
    }
}
