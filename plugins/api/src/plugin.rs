//! Plugins: how handlers get into a node.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::{Handler, ItemKind};

/// The `[handlers.<name>]` section of a plugin: whether it is enabled and its options.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginConfig {
    /// False when the operator disabled the plugin (`enabled = false`).
    pub enabled: bool,
    /// The section's other keys, as JSON.
    pub options: serde_json::Value,
}

impl Default for PluginConfig {
    fn default() -> Self {
        Self { enabled: true, options: serde_json::Value::Object(Default::default()) }
    }
}

impl PluginConfig {
    /// Parses the options into the plugin's own config type (use `deny_unknown_fields`).
    ///
    /// # Errors
    ///
    /// [`PluginError::Config`] naming the plugin and the problem.
    pub fn parse<T: DeserializeOwned>(&self, plugin: &str) -> Result<T, PluginError> {
        serde_json::from_value(self.options.clone())
            .map_err(|e| PluginError::Config { plugin: plugin.to_owned(), reason: e.to_string() })
    }
}

/// A compiled-in plugin that registers one or more handlers.
pub trait Plugin: Send + Sync {
    /// The plugin's name: its config section is `[handlers.<name>]`.
    fn name(&self) -> &str;

    /// Builds the plugin's handlers from its config and adds them to the registry.
    fn register(&self, config: &PluginConfig, registry: &mut Registry) -> Result<(), PluginError>;
}

/// The dispatch table under construction: item kind → handler.
#[derive(Default)]
pub struct Registry {
    handlers: Vec<Arc<dyn Handler>>,
    by_kind: BTreeMap<ItemKind, usize>,
    pool: Option<Arc<dyn TransactionPool>>,
}

/// Verified, unconfirmed transactions a local block producer may include (the reservoir).
pub trait TransactionPool: Send + Sync {
    /// Up to `limit` packed transactions, in the order they should be included. They were
    /// valid when verified; the producer still skips any the ledger no longer accepts.
    fn ready(&self, limit: usize) -> Vec<Bytes>;
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.by_kind.iter().map(|(k, i)| (k, self.handlers[*i].name())))
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler for all its kinds.
    ///
    /// # Errors
    ///
    /// [`PluginError::DuplicateKind`] if another handler already takes one of its kinds;
    /// nothing is added then.
    pub fn add_handler(&mut self, handler: Arc<dyn Handler>) -> Result<(), PluginError> {
        let kinds = handler.kinds();
        for kind in &kinds {
            if let Some(&i) = self.by_kind.get(kind) {
                return Err(PluginError::DuplicateKind {
                    kind: kind.clone(),
                    first: self.handlers[i].name().to_owned(),
                    second: handler.name().to_owned(),
                });
            }
        }
        let index = self.handlers.len();
        self.handlers.push(handler);
        for kind in kinds {
            self.by_kind.insert(kind, index);
        }
        Ok(())
    }

    /// The handler registered for `kind`.
    pub fn handler_for(&self, kind: &ItemKind) -> Option<&Arc<dyn Handler>> {
        self.by_kind.get(kind).map(|&i| &self.handlers[i])
    }

    /// All handlers, in registration order.
    pub fn handlers(&self) -> &[Arc<dyn Handler>] {
        &self.handlers
    }

    /// All registered kinds.
    pub fn kinds(&self) -> impl Iterator<Item = &ItemKind> {
        self.by_kind.keys()
    }

    /// Offers the pool of verified transactions to the local block producer.
    ///
    /// # Errors
    ///
    /// [`PluginError::DuplicatePool`] if another plugin already offered one.
    pub fn set_transaction_pool(
        &mut self,
        plugin: &str,
        pool: Arc<dyn TransactionPool>,
    ) -> Result<(), PluginError> {
        if self.pool.is_some() {
            return Err(PluginError::DuplicatePool(plugin.to_owned()));
        }
        self.pool = Some(pool);
        Ok(())
    }

    /// The transaction pool, if a plugin offered one.
    pub fn transaction_pool(&self) -> Option<&Arc<dyn TransactionPool>> {
        self.pool.as_ref()
    }
}

/// Errors of the plugin boundary, reported at start-up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// Two handlers claim the same item kind.
    #[error("item kind {kind} is claimed by both handler {first} and handler {second}")]
    DuplicateKind {
        /// The contested kind.
        kind: ItemKind,
        /// Handler registered first.
        first: String,
        /// Handler that tried to register it again.
        second: String,
    },
    /// A second plugin offered a transaction pool.
    #[error("plugin {0} offers a transaction pool, but one is already registered")]
    DuplicatePool(String),
    /// Two plugins have the same name.
    #[error("two plugins are named {0}")]
    DuplicateName(String),
    /// A plugin's `[handlers.<name>]` section is invalid.
    #[error("invalid [handlers.{plugin}] section: {reason}")]
    Config {
        /// Plugin name.
        plugin: String,
        /// What is wrong.
        reason: String,
    },
    /// A `[handlers.<name>]` section names no compiled-in plugin.
    #[error("[handlers.{0}] names no known plugin")]
    Unknown(String),
    /// The plugin failed to initialise.
    #[error("plugin {plugin} failed to start: {reason}")]
    Init {
        /// Plugin name.
        plugin: String,
        /// Why.
        reason: String,
    },
}
