//! What network to build: node counts per transport, store, chain, producers, from the
//! flags of `peerd testnet up` and an optional TOML network file.

use std::path::Path;

use serde::Deserialize;

use super::{TestnetError, UpArgs};

/// Chains a test network can run: those with local block production.
pub const CHAINS: &[&str] = &["dev", "local"];
/// Store kinds a node can use.
pub const STORES: &[&str] = &["sled", "rocksdb", "memory"];
/// Block interval when none is given, in seconds.
pub const DEFAULT_BLOCK_INTERVAL_SECS: u64 = 2;

/// A whole network to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSpec {
    /// `dev` or `local`.
    pub chain: String,
    /// `[producer] interval` of the producers, in seconds.
    pub block_interval_secs: u64,
    /// Seed of the node keys (None: random keys).
    pub seed: Option<u64>,
    /// The nodes, in order: `node-1` first.
    pub nodes: Vec<NodeSpec>,
}

/// One node of a [`NetworkSpec`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// Speaks ZeroMQ.
    pub zmq: bool,
    /// Speaks libp2p.
    pub libp2p: bool,
    /// Store kind.
    pub store: String,
    /// Produces blocks.
    pub producer: bool,
}

/// The network file (docs/testnet.md): the flags' values, and optionally one `[[node]]`
/// table per node.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkFile {
    nodes: Option<usize>,
    zmq: Option<usize>,
    libp2p: Option<usize>,
    bridges: Option<usize>,
    store: Option<String>,
    chain: Option<String>,
    producers: Option<usize>,
    block_interval: Option<String>,
    seed: Option<u64>,
    #[serde(default)]
    node: Vec<FileNode>,
}

/// A `[[node]]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileNode {
    transports: Vec<String>,
    store: Option<String>,
    producer: Option<bool>,
}

fn usage(text: impl Into<String>) -> TestnetError {
    TestnetError::Usage(text.into())
}

impl NetworkSpec {
    /// The network the flags describe (the file, if given, read first; flags win).
    ///
    /// # Errors
    ///
    /// [`TestnetError::Usage`] for counts that do not add up, unknown store or chain
    /// names, a bad duration or a bad file.
    pub fn from_args(args: &UpArgs) -> Result<Self, TestnetError> {
        let file = match &args.file {
            Some(path) => read_file(path)?,
            None => NetworkFile::default(),
        };
        let store = args.store.clone().or(file.store).unwrap_or_else(|| "sled".into());
        check_name("store", &store, STORES)?;
        let chain = args.chain.clone().or(file.chain).unwrap_or_else(|| "dev".into());
        check_name("chain", &chain, CHAINS)?;
        let block_interval_secs =
            match args.block_interval.as_ref().or(file.block_interval.as_ref()) {
                Some(text) => parse_secs(text)?,
                None => DEFAULT_BLOCK_INTERVAL_SECS,
            };
        let mut nodes = if file.node.is_empty() {
            let (z, l, b) = counts(
                args.nodes.or(file.nodes),
                args.zmq.or(file.zmq),
                args.libp2p.or(file.libp2p),
                args.bridges.or(file.bridges),
            )?;
            let node =
                |zmq, libp2p| NodeSpec { zmq, libp2p, store: store.clone(), producer: false };
            let mut nodes = vec![node(true, false); z];
            nodes.extend(vec![node(false, true); l]);
            nodes.extend(vec![node(true, true); b]);
            nodes
        } else {
            if [args.nodes, args.zmq, args.libp2p, args.bridges].iter().any(Option::is_some) {
                return Err(usage(
                    "the network file lists its nodes; --nodes, --zmq, --libp2p and --bridges \
                     cannot change them",
                ));
            }
            file.node.iter().map(|n| file_node(n, &store)).collect::<Result<Vec<_>, _>>()?
        };
        let (zmq, libp2p) = (nodes.iter().any(|n| n.zmq), nodes.iter().any(|n| n.libp2p));
        if zmq && libp2p && !nodes.iter().any(|n| n.zmq && n.libp2p) {
            return Err(usage(
                "ZeroMQ-only and libp2p-only nodes need at least one bridge to be connected",
            ));
        }
        if !nodes.iter().any(|n| n.producer) {
            let producers = args.producers.or(file.producers).unwrap_or(1);
            if producers > nodes.len() {
                return Err(usage(format!(
                    "--producers {producers}: the network has only {} nodes",
                    nodes.len()
                )));
            }
            nodes.iter_mut().take(producers).for_each(|n| n.producer = true);
        }
        Ok(Self { chain, block_interval_secs, seed: args.seed.or(file.seed), nodes })
    }
}

fn read_file(path: &Path) -> Result<NetworkFile, TestnetError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| TestnetError::Io { path: path.to_owned(), source })?;
    toml::from_str(&text).map_err(|e| usage(format!("{}: {e}", path.display())))
}

fn file_node(node: &FileNode, store: &str) -> Result<NodeSpec, TestnetError> {
    let mut spec = NodeSpec {
        zmq: false,
        libp2p: false,
        store: node.store.clone().unwrap_or_else(|| store.to_owned()),
        producer: node.producer.unwrap_or(false),
    };
    check_name("store", &spec.store, STORES)?;
    for t in &node.transports {
        match t.as_str() {
            "zmq" => spec.zmq = true,
            "libp2p" => spec.libp2p = true,
            other => return Err(usage(format!("node transport {other:?}: allowed: zmq, libp2p"))),
        }
    }
    if !spec.zmq && !spec.libp2p {
        return Err(usage("every [[node]] needs transports = [\"zmq\"], [\"libp2p\"] or both"));
    }
    Ok(spec)
}

fn check_name(what: &str, value: &str, allowed: &[&str]) -> Result<(), TestnetError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(usage(format!("{what} {value:?}: allowed: {}", allowed.join(", "))))
    }
}

/// Fills in the counts not given: (zmq-only, libp2p-only, bridges).
///
/// Nothing given: 2, 2, 2. Only a total: a third bridges (at least one from 2 nodes up), the
/// rest split between ZeroMQ and libp2p. A total with some counts: the others share what
/// is left evenly. Counts without a total: the others are 0.
///
/// # Errors
///
/// [`TestnetError::Usage`] if the counts exceed or miss the total, or make no node.
pub fn counts(
    total: Option<usize>,
    zmq: Option<usize>,
    libp2p: Option<usize>,
    bridges: Option<usize>,
) -> Result<(usize, usize, usize), TestnetError> {
    let given = [zmq, libp2p, bridges];
    let filled = match total {
        None if given.iter().all(Option::is_none) => [2, 2, 2],
        None => given.map(|c| c.unwrap_or(0)),
        Some(n) if given.iter().all(Option::is_none) => match n {
            0 => [0, 0, 0],
            1 => [1, 0, 0],
            2 => [1, 0, 1],
            _ => {
                let b = (n / 3).max(1);
                [(n - b).div_ceil(2), (n - b) / 2, b]
            }
        },
        Some(n) => {
            let sum: usize = given.iter().flatten().sum();
            let Some(mut rest) = n.checked_sub(sum) else {
                return Err(usage(format!(
                    "--zmq, --libp2p and --bridges add up to {sum}, more than --nodes {n}"
                )));
            };
            let mut missing = given.iter().filter(|c| c.is_none()).count();
            let mut out = [0; 3];
            for (i, c) in given.iter().enumerate() {
                out[i] = match c {
                    Some(c) => *c,
                    None => {
                        let share = rest.div_ceil(missing);
                        missing -= 1;
                        rest -= share;
                        share
                    }
                };
            }
            if rest > 0 {
                return Err(usage(format!(
                    "--zmq, --libp2p and --bridges add up to {sum}, not --nodes {n}"
                )));
            }
            out
        }
    };
    let [z, l, b] = filled;
    if z + l + b == 0 {
        return Err(usage("a network needs at least one node"));
    }
    Ok((z, l, b))
}

/// Parses a block interval: `2s`, `1m`, `90` (seconds); at least one second.
///
/// # Errors
///
/// [`TestnetError::Usage`] for anything else, sub-second values included (`[producer]
/// interval` is whole seconds).
pub fn parse_secs(text: &str) -> Result<u64, TestnetError> {
    let t = text.trim();
    let bad =
        || usage(format!("block interval {text:?}: expected whole seconds such as 2s, 1m or 5"));
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "s" | "sec" | "secs" => n,
        "m" | "min" => n.checked_mul(60).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if secs == 0 {
        return Err(usage(format!("block interval {text:?}: at least 1s")));
    }
    Ok(secs)
}
