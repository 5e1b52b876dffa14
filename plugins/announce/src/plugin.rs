//! The `announce` plugin: builds the handler from `[handlers.announce]`.

use std::sync::Arc;

use peerd_api::{Plugin, PluginConfig, PluginError, Registry};

use crate::config::Config;
use crate::handler::AnnounceHandler;
use crate::rebalance::RebalanceTrigger;

/// The plugin named `announce`. Its handler takes the `peer`, `rpc` and `heart` kinds and
/// the `R` hook.
///
/// The node keeps the plugin's [`RebalanceTrigger`] to ask for rebalances when it lacks
/// upstreams:
///
/// ```
/// use peerd_announce::AnnouncePlugin;
/// use peerd_api::{Plugin, PluginConfig, Registry};
///
/// let plugin = AnnouncePlugin::new();
/// let trigger = plugin.rebalance_trigger(); // give to the kernel side (see below)
/// let mut registry = Registry::new();
/// plugin.register(&PluginConfig::default(), &mut registry).unwrap();
/// assert!(registry.handler_for(&peerd_api::ItemKind::Peer).is_some());
/// trigger.request(); // served once the handler runs
/// // With the kernel's channel: `tokio::spawn(trigger.forward(receiver))`.
/// ```
#[derive(Debug, Default)]
pub struct AnnouncePlugin {
    trigger: RebalanceTrigger,
}

impl AnnouncePlugin {
    /// The plugin, with a fresh rebalance trigger.
    pub fn new() -> Self {
        Self::default()
    }

    /// The trigger shared with every handler this plugin registers.
    pub fn rebalance_trigger(&self) -> RebalanceTrigger {
        self.trigger.clone()
    }
}

impl Plugin for AnnouncePlugin {
    fn name(&self) -> &str {
        "announce"
    }

    fn register(&self, config: &PluginConfig, registry: &mut Registry) -> Result<(), PluginError> {
        if !config.enabled {
            return Ok(());
        }
        let options: Config = config.parse(self.name())?;
        if !options.enabled {
            return Ok(());
        }
        let settings = options.validate().map_err(|e| PluginError::Config {
            plugin: self.name().to_owned(),
            reason: e.to_string(),
        })?;
        let handler = AnnounceHandler::with_trigger(settings, self.trigger.clone());
        registry.add_handler(Arc::new(handler))
    }
}
