//! The `peerd` command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{ChainName, Sources};
use crate::logging::LogFormat;

/// peerd: a peer-to-peer node for bitmark-style blockchains.
#[derive(Debug, Parser)]
#[command(name = "peerd", version, about, propagate_version = true)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command.
#[derive(Debug, Args)]
pub struct Global {
    /// Config file (default: <data_dir>/peerd.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory; overrides node.data_dir from the file and PEERD_NODE__DATA_DIR.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Chain to follow; overrides node.chain.
    #[arg(long, global = true, value_name = "NAME", value_parser = chain_name)]
    pub chain: Option<String>,
    /// Log filter, e.g. `info` or `peerd_node=debug,info` (default: RUST_LOG, else info).
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Global {
    /// The configuration sources these flags select (environment included).
    pub fn sources(&self) -> Sources {
        Sources {
            file: self.config.clone(),
            env: true,
            data_dir: self.data_dir.clone(),
            chain: self.chain.clone(),
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node until SIGINT or SIGTERM.
    Run,
    /// Write, check or show the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Look into the store.
    #[command(subcommand)]
    Db(DbCommand),
    /// Make test chains (dev and local chains only).
    #[command(subcommand)]
    Chain(ChainCommand),
    /// Generate transport keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Measure the node: sync throughput against the store alone, gossip, serving.
    #[cfg(feature = "tools")]
    #[command(subcommand)]
    Bench(peerd_tools::cli::BenchCommand),
    /// Decode bitmarkd bytes (blocks, headers, transactions, addresses) to JSON.
    #[command(subcommand)]
    Inspect(InspectCommand),
    /// Start, watch and stop a mixed ZeroMQ/libp2p test network on this machine
    /// (docs/testnet.md).
    #[cfg(feature = "tools")]
    #[command(subcommand)]
    Testnet(peerd_tools::testnet::TestnetCommand),
    /// Print the shell completion script, e.g. `peerd completions bash > /etc/bash_completion.d/peerd`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the peerd(1) man page, or write a page per command into a directory.
    Man {
        /// Directory to write peerd.1 and a page per command into (default: peerd.1 to stdout).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// `peerd keys …`: new key files; existing files are never overwritten.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// bitmarkd-format CURVE keys: `peer.public` and `peer.private` (mode 0600).
    Zmq {
        /// Directory to write them to (default: the data directory).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// A libp2p Ed25519 identity: `libp2p-identity.key` (mode 0600).
    Libp2p {
        /// Directory to write it to (default: the data directory).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// `peerd inspect …`: hex (or `@FILE` holding hex or raw bytes) in, JSON out. Invalid input
/// exits non-zero with bitmarkd's fault text.
#[derive(Debug, Subcommand)]
pub enum InspectCommand {
    /// A packed block: header, transactions and the computed digest (--chain picks the
    /// digest: Argon2d for bitmark/testing/local, SHA3-256 for dev).
    Block {
        /// Hex bytes, or @FILE.
        input: String,
    },
    /// A 100-byte block header.
    Header {
        /// Hex bytes, or @FILE.
        input: String,
    },
    /// One packed transaction record.
    Tx {
        /// Hex bytes, or @FILE.
        input: String,
        /// Accounts are test-network accounts.
        #[arg(long)]
        testnet: bool,
    },
    /// Packed listener addresses (bitmarkd's 7- and 19-byte records).
    Address {
        /// Hex bytes, or @FILE.
        input: String,
    },
}

/// `peerd config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write the complete, commented default configuration.
    Init {
        /// Where to write it (default: --config, else <data_dir>/peerd.toml; `-` for stdout).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Validate the configuration; print `ok` or every problem found.
    Check {
        /// The file to check (default: --config, else <data_dir>/peerd.toml).
        file: Option<PathBuf>,
    },
    /// Print the effective configuration and where each value came from.
    Show,
}

/// `peerd db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Print every column with its key count and size.
    Inspect {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete blocks from the tip down to and including block N, undoing their effects
    /// (bitmarkd's rollback); the node resyncs them from its peers at the next start.
    DeleteDown {
        /// The lowest block to delete (at least 2; block 1 is the genesis block).
        #[arg(value_name = "N")]
        number: u64,
    },
    /// Write blocks FROM..=TO to FILE (format: docs/operating.md).
    ExportBlocks {
        /// First block (at least 2).
        from: u64,
        /// Last block (at most the height).
        to: u64,
        /// The file to write (overwritten).
        file: PathBuf,
    },
    /// Store the blocks of FILE, each validated in full; stops at the first invalid one,
    /// keeping the blocks stored before it.
    ImportBlocks {
        /// A file written by `peerd db export-blocks`.
        file: PathBuf,
    },
    /// Verify every block (digest, linkage, rules) and every index against the blocks;
    /// exit status 1 on any inconsistency.
    Check {
        /// Rewrite the store to its consistent part: delete the blocks above the last
        /// consistent one and rebuild indexes that disagree from the blocks.
        #[arg(long)]
        repair: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `peerd chain …`.
#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Append N valid blocks with signed asset registrations, issues and transfers to the
    /// store (dev and local chains only).
    Generate {
        /// How many blocks.
        #[arg(long, value_name = "N")]
        blocks: u64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// A `--chain` value that names no chain.
#[derive(Debug, thiserror::Error)]
#[error("unknown chain {name:?}; allowed: {}", allowed_chains())]
pub struct UnknownChain {
    name: String,
}

fn allowed_chains() -> String {
    ChainName::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
}

/// Accepts only known chain names, so `--chain` typos fail before anything else.
fn chain_name(s: &str) -> Result<String, UnknownChain> {
    if ChainName::ALL.iter().any(|c| c.as_str() == s) {
        Ok(s.to_owned())
    } else {
        Err(UnknownChain { name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "peerd",
            "config",
            "show",
            "--data-dir",
            "/d",
            "--chain",
            "local",
        ])
        .unwrap();
        assert_eq!(cli.global.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(cli.global.sources().chain.as_deref(), Some("local"));
        assert!(matches!(cli.command, Command::Config(ConfigCommand::Show)));
    }

    #[test]
    fn an_unknown_chain_is_refused_listing_the_known_ones() {
        let err =
            Cli::try_parse_from(["peerd", "--chain", "mainnet", "run"]).unwrap_err().to_string();
        assert!(err.contains("mainnet") && err.contains("bitmark, testing, local, dev"), "{err}");
    }
}
