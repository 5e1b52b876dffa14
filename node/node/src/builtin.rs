//! The one place that names the concrete stores, transports and plugins of the `peerd`
//! binary.
//!
//! `[store]` and each `[[transports]]` entry pick an implementation with `kind = "…"`.
//! Adding one is a variant here (behind its cargo feature), an arm in its `parse`, in
//! `kind` and in the build function. A kind that exists but is not compiled into this
//! build parses as [`NotCompiled`], which `config check` and `peerd run` report with the
//! feature to enable; a kind nobody knows is an error listing the known ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use peerd_api::{Plugin, PluginConfig, PluginError, Registry, Store, StoreError, TransportError};
use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};

use crate::config::SectionParser;

mod transport;

pub use transport::{TransportConfig, TransportEnv};

/// A kind this build of peerd does not include, with its options as written.
#[derive(Clone, Debug, PartialEq)]
pub struct NotCompiled {
    /// The kind named in the config.
    pub kind: &'static str,
    /// How to get it (`rebuild with cargo feature ...`).
    pub hint: &'static str,
    /// The section's other keys, unchecked.
    pub options: serde_json::Value,
}

/// The `[store]` section: one variant per backend.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StoreConfig {
    /// `kind = "sled"`.
    #[cfg(feature = "sled")]
    Sled(peerd_store_sled::Config),
    /// `kind = "rocksdb"`.
    #[cfg(feature = "rocksdb")]
    Rocksdb(peerd_store_rocksdb::Config),
    /// `kind = "memory"`: nothing reaches disk.
    Memory(peerd_store_memory::Config),
    /// A backend left out of this build.
    NotCompiled(NotCompiled),
}

#[cfg(not(feature = "sled"))]
const SLED_HINT: &str = "rebuild peerd with cargo feature `sled`";
#[cfg(not(feature = "rocksdb"))]
const ROCKSDB_HINT: &str = "rebuild peerd with cargo feature `rocksdb`";

impl Default for StoreConfig {
    /// sled: pure Rust, quick to build, and fast enough for a node.
    fn default() -> Self {
        #[cfg(feature = "sled")]
        return StoreConfig::Sled(Default::default());
        #[cfg(not(feature = "sled"))]
        StoreConfig::NotCompiled(NotCompiled { kind: "sled", hint: SLED_HINT, options: empty() })
    }
}

impl StoreConfig {
    /// Every store kind peerd knows, compiled in or not.
    pub const KINDS: &'static [&'static str] = &["sled", "rocksdb", "memory"];

    /// The `kind` of this section.
    pub fn kind(&self) -> &'static str {
        match self {
            #[cfg(feature = "sled")]
            StoreConfig::Sled(_) => "sled",
            #[cfg(feature = "rocksdb")]
            StoreConfig::Rocksdb(_) => "rocksdb",
            StoreConfig::Memory(_) => "memory",
            StoreConfig::NotCompiled(n) => n.kind,
        }
    }

    /// Parses the section for `kind` (its other keys are in `parser`).
    ///
    /// # Errors
    ///
    /// The known kinds, if `kind` is none of them.
    pub fn parse(
        kind: &str,
        parser: &mut SectionParser<'_>,
    ) -> Result<Self, &'static [&'static str]> {
        Ok(match kind {
            #[cfg(feature = "sled")]
            "sled" => StoreConfig::Sled(parser.parse()),
            #[cfg(not(feature = "sled"))]
            "sled" => StoreConfig::NotCompiled(NotCompiled {
                kind: "sled",
                hint: SLED_HINT,
                options: parser.raw(),
            }),
            #[cfg(feature = "rocksdb")]
            "rocksdb" => StoreConfig::Rocksdb(parser.parse()),
            #[cfg(not(feature = "rocksdb"))]
            "rocksdb" => StoreConfig::NotCompiled(NotCompiled {
                kind: "rocksdb",
                hint: ROCKSDB_HINT,
                options: parser.raw(),
            }),
            "memory" => StoreConfig::Memory(parser.parse()),
            _ => return Err(Self::KINDS),
        })
    }

    /// The directory the store lives in: its `path`, taken under `data_dir` when
    /// relative, or `<data_dir>/<kind>` when unset. `None` for the memory store.
    pub fn path(&self, data_dir: &Path) -> Option<PathBuf> {
        let configured: Option<&PathBuf> = match self {
            #[cfg(feature = "sled")]
            StoreConfig::Sled(c) => c.path.as_ref(),
            #[cfg(feature = "rocksdb")]
            StoreConfig::Rocksdb(c) => c.path.as_ref(),
            StoreConfig::Memory(_) => return None,
            StoreConfig::NotCompiled(_) => None,
        };
        Some(match configured {
            Some(p) => data_dir.join(p),
            None => data_dir.join(self.kind()),
        })
    }

    /// [`StoreConfig::path`] for the kinds that have one.
    #[cfg(any(feature = "sled", feature = "rocksdb"))]
    fn dir(&self, data_dir: &Path) -> PathBuf {
        self.path(data_dir).unwrap_or_else(|| data_dir.to_path_buf())
    }

    /// Opens the store. Blocking: call it from `spawn_blocking` in async code.
    ///
    /// # Errors
    ///
    /// [`BuildError::NotCompiled`] for a kind left out of this build, else the backend's
    /// [`StoreError`] (locked, corrupt or unopenable directory, each naming it).
    pub fn open(&self, data_dir: &Path) -> Result<Arc<dyn Store>, BuildError> {
        let store: Box<dyn Store> = match self {
            #[cfg(feature = "sled")]
            StoreConfig::Sled(c) => {
                Box::new(peerd_store_sled::Store::open(&self.dir(data_dir), c)?)
            }
            #[cfg(feature = "rocksdb")]
            StoreConfig::Rocksdb(c) => {
                Box::new(peerd_store_rocksdb::Store::open(&self.dir(data_dir), c)?)
            }
            StoreConfig::Memory(c) => c.build(data_dir)?,
            StoreConfig::NotCompiled(n) => return Err(BuildError::not_compiled("store", n)),
        };
        Ok(Arc::from(store))
    }
}

impl Serialize for StoreConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            #[cfg(feature = "sled")]
            StoreConfig::Sled(c) => tagged(s, "sled", c),
            #[cfg(feature = "rocksdb")]
            StoreConfig::Rocksdb(c) => tagged(s, "rocksdb", c),
            StoreConfig::Memory(c) => tagged(s, "memory", c),
            StoreConfig::NotCompiled(n) => tagged(s, n.kind, &n.options),
        }
    }
}

/// The compiled-in handler plugins (`block`, `reservoir`, `announce`; see
/// `peerd_handlers`), and the handles the node keeps to them.
pub struct Builtins {
    /// The plugins, in registration order.
    pub plugins: Vec<Box<dyn Plugin>>,
    /// Asks the announce plugin for a rebalance (the kernel's `RebalanceRequest`s).
    pub rebalance: peerd_handlers::RebalanceTrigger,
    /// The reservoir (payments seam, pool counts).
    pub reservoir: std::sync::Arc<peerd_handlers::Reservoir>,
}

impl Builtins {
    /// Fresh instances of every built-in plugin.
    pub fn new() -> Self {
        let announce = peerd_handlers::AnnouncePlugin::new();
        let reservoir = peerd_handlers::ReservoirPlugin::new();
        Self {
            rebalance: announce.rebalance_trigger(),
            reservoir: reservoir.reservoir(),
            plugins: peerd_handlers::builtin(announce, reservoir),
        }
    }
}

impl Default for Builtins {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Builtins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.plugins.iter().map(|p| p.name()).collect();
        f.debug_struct("Builtins").field("plugins", &names).finish_non_exhaustive()
    }
}

/// The compiled-in handler plugins (fresh instances).
pub fn plugins() -> Vec<Box<dyn Plugin>> {
    Builtins::new().plugins
}

/// Builds the dispatch table: every enabled plugin registers with its `[handlers.<name>]`
/// section (or the defaults if it has none).
///
/// # Errors
///
/// [`PluginError::Unknown`] for a section naming no plugin, [`PluginError::DuplicateName`],
/// or the plugin's own error.
pub fn registry(
    plugins: &[Box<dyn Plugin>],
    sections: &BTreeMap<String, PluginConfig>,
) -> Result<Registry, PluginError> {
    if let Some(name) = sections.keys().find(|n| !plugins.iter().any(|p| p.name() == n.as_str())) {
        return Err(PluginError::Unknown(name.clone()));
    }
    let mut registry = Registry::new();
    for (i, plugin) in plugins.iter().enumerate() {
        if plugins[..i].iter().any(|p| p.name() == plugin.name()) {
            return Err(PluginError::DuplicateName(plugin.name().to_owned()));
        }
        let config = sections.get(plugin.name()).cloned().unwrap_or_default();
        if config.enabled {
            plugin.register(&config, &mut registry)?;
        }
    }
    Ok(registry)
}

/// Errors building the node's parts from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The config names a kind this build does not include.
    #[error("{what} kind {kind:?} is not available in this build: {hint}")]
    NotCompiled {
        /// `store` or `transport`.
        what: &'static str,
        /// The kind.
        kind: &'static str,
        /// How to get it.
        hint: &'static str,
    },
    /// The store backend failed to open.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A transport rejected its configuration or failed to start.
    #[error("{kind} transport: {source}")]
    Transport {
        /// The transport's kind.
        kind: &'static str,
        /// Its error.
        #[source]
        source: TransportError,
    },
    /// The handler plugins could not be registered.
    #[error(transparent)]
    Plugin(#[from] PluginError),
}

impl BuildError {
    fn not_compiled(what: &'static str, n: &NotCompiled) -> Self {
        BuildError::NotCompiled { what, kind: n.kind, hint: n.hint }
    }
}

#[cfg(not(feature = "sled"))]
fn empty() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

/// Serializes `body` as a table with `kind` first; unset options are left out.
fn tagged<S: Serializer, T: Serialize>(s: S, kind: &str, body: &T) -> Result<S::Ok, S::Error> {
    let body = serde_json::to_value(body).map_err(S::Error::custom)?;
    let fields = match body {
        serde_json::Value::Object(map) => map,
        _ => Default::default(),
    };
    let mut map = s.serialize_map(None)?;
    map.serialize_entry("kind", kind)?;
    for (k, v) in fields.iter().filter(|(_, v)| !v.is_null()) {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

#[cfg(test)]
mod tests;
