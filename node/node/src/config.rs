//! The node's configuration: what the sections are and how they are layered.
//!
//! Values come from four layers, each overriding the one before:
//!
//! 1. compiled-in defaults ([`Config::default`]);
//! 2. a TOML file: `--config FILE`, else `<data_dir>/peerd.toml` when it exists;
//! 3. environment variables `PEERD_<SECTION>__<KEY>` (nested keys joined by `__`, e.g.
//!    `PEERD_STORE__KIND=rocksdb`, `PEERD_NODE__DATA_DIR=/srv/peerd`); variables without
//!    `__` (such as `PEERD_VECTORS`) are not configuration and are ignored;
//! 4. command-line flags (`--data-dir`, `--chain`).
//!
//! [`load`] merges them with figment and checks the result section by section, collecting
//! every problem it finds (unknown keys, wrong types, values out of range) as a [`Problem`]
//! that names the key, where the value came from ([`Origin`]: file and line, environment
//! variable, flag or default), the bad value and what is allowed.
//!
//! The default chain is `dev`: it has a cheap digest and needs no other node, so
//! `peerd run` works on a fresh machine with no configuration at all. Real networks are
//! chosen explicitly (`chain = "bitmark"`).
//!
//! ```
//! use peerd_node::config::{self, Sources};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let file = dir.path().join("peerd.toml");
//! std::fs::write(&file, "[node]\nname = \"alpha\"\n[store]\nkind = \"memory\"\n").unwrap();
//! let loaded = config::load(&Sources { file: Some(file), env: false, ..Sources::default() })
//!     .unwrap();
//! assert_eq!(loaded.config.node.name, "alpha");
//! assert_eq!(loaded.config.store.kind(), "memory");
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use peerd_api::PluginConfig;
use serde::{Deserialize, Serialize};

use crate::builtin::{StoreConfig, TransportConfig, TransportEnv};
use peerd_kernel::connector::SyncConfig;

mod docs;
mod layers;
mod load;
mod origin;
mod problem;
mod section;
mod show;
mod template;
mod validate;

pub use load::{load, Loaded, Sources};
pub use origin::{Origin, Origins};
pub use problem::{ConfigError, Problem};
pub use section::SectionParser;
pub use show::render_effective;
pub use template::{render_default, write_default};
pub use validate::check_handlers;

/// Name of the config file looked up in the data directory when `--config` is not given.
pub const FILE_NAME: &str = "peerd.toml";

pub use origin::ENV_PREFIX;

/// The whole configuration of a node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// `[node]`: chain, data directory and name.
    pub node: NodeConfig,
    /// `[[transports]]`: the transports to start, one entry each.
    pub transports: Vec<TransportConfig>,
    /// `[store]`: the key-value store backend.
    pub store: StoreConfig,
    /// `[handlers.<name>]`: per-plugin switch and options.
    #[serde(serialize_with = "serialize_handlers")]
    pub handlers: BTreeMap<String, PluginConfig>,
    /// `[sync]`: the connector's constants.
    pub sync: SyncConfig,
    /// `[http]`: the HTTP API (off unless `listen` is set).
    pub http: HttpConfig,
    /// `[producer]`: local block production (`dev` and `local` chains only).
    pub producer: ProducerConfig,
    /// `[clients]`: the inbound client pool (who may stay connected when there is no room).
    pub clients: peerd_kernel::clients::ClientsConfig,
}

/// The `[producer]` section: whether this node builds blocks, and how often.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProducerConfig {
    /// Build blocks on the local tip (only on the `dev` and `local` chains).
    pub enabled: bool,
    /// Seconds between two blocks.
    pub interval: u64,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self { enabled: false, interval: 10 }
    }
}

/// The `[node]` section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// The chain to follow.
    pub chain: ChainName,
    /// Where the node keeps its lock file, its store and (optionally) `peerd.toml`.
    pub data_dir: PathBuf,
    /// This node's name in logs and on the memory transport.
    pub name: String,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            chain: ChainName::Dev,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            name: "peerd".into(),
        }
    }
}

/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./peerd-data";

/// The chains peerd knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainName {
    /// bitmarkd's live chain.
    Bitmark,
    /// bitmarkd's public test chain.
    Testing,
    /// bitmarkd's local test chain.
    Local,
    /// peerd's development chain: cheap digest, local block production.
    Dev,
}

impl ChainName {
    /// Every chain, in the order shown to users.
    pub const ALL: [ChainName; 4] =
        [ChainName::Bitmark, ChainName::Testing, ChainName::Local, ChainName::Dev];

    /// The name used in config files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainName::Bitmark => "bitmark",
            ChainName::Testing => "testing",
            ChainName::Local => "local",
            ChainName::Dev => "dev",
        }
    }
}

impl fmt::Display for ChainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `[http]` section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address of the HTTP API; unset (the default) means no HTTP server.
    pub listen: Option<SocketAddr>,
    /// `/readyz` answers 200 only within this many blocks of the network height.
    pub ready_within: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { listen: None, ready_within: crate::http::DEFAULT_READY_WITHIN }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            node: NodeConfig::default(),
            transports: TransportConfig::defaults(),
            store: StoreConfig::default(),
            handlers: BTreeMap::new(),
            sync: SyncConfig::default(),
            http: HttpConfig::default(),
            producer: ProducerConfig::default(),
            clients: peerd_kernel::clients::ClientsConfig::default(),
        }
    }
}

impl Config {
    /// What this node's transports share, with its own in-process network.
    pub fn transport_env(&self, memory_net: peerd_transport_memory::MemoryNet) -> TransportEnv {
        TransportEnv {
            node_name: self.node.name.clone(),
            chain: self.node.chain.as_str().to_owned(),
            data_dir: self.node.data_dir.clone(),
            memory_net,
        }
    }

    /// The store directory this config opens, with relative paths taken under
    /// `node.data_dir`; `None` for the memory store.
    pub fn store_path(&self) -> Option<PathBuf> {
        self.store.path(&self.node.data_dir)
    }
}

/// `[handlers.<name>]` as TOML: `enabled` followed by the plugin's options.
fn serialize_handlers<S: serde::Serializer>(
    handlers: &BTreeMap<String, PluginConfig>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(handlers.len()))?;
    for (name, cfg) in handlers {
        let mut section = serde_json::Map::new();
        section.insert("enabled".into(), cfg.enabled.into());
        if let serde_json::Value::Object(options) = &cfg.options {
            section.extend(options.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        map.serialize_entry(name, &section)?;
    }
    map.end()
}

#[cfg(test)]
mod tests;
