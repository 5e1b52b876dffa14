//! [`ReservoirPlugin`]: registers the handler and the transaction pool.

use std::sync::Arc;

use peerd_api::{Plugin, PluginConfig, PluginError, Registry};

use crate::config::ReservoirConfig;
use crate::handler::ReservoirHandler;
use crate::reservoir::Reservoir;

/// The `reservoir` plugin (`[handlers.reservoir]`). Holds one [`Reservoir`], shared by its
/// handler, the transaction pool it offers and whoever calls [`ReservoirPlugin::reservoir`]
/// (a payment watcher, an RPC server).
#[derive(Debug, Default)]
pub struct ReservoirPlugin {
    reservoir: Arc<Reservoir>,
}

impl ReservoirPlugin {
    /// The plugin name and config section.
    pub const NAME: &'static str = "reservoir";

    /// A plugin with an empty reservoir (configured at registration).
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared reservoir.
    pub fn reservoir(&self) -> Arc<Reservoir> {
        Arc::clone(&self.reservoir)
    }
}

impl Plugin for ReservoirPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn register(&self, config: &PluginConfig, registry: &mut Registry) -> Result<(), PluginError> {
        let options: ReservoirConfig = config.parse(Self::NAME)?;
        options.validate().map_err(|e| PluginError::Config {
            plugin: Self::NAME.to_owned(),
            reason: e.to_string(),
        })?;
        self.reservoir.set_config(options);
        registry.add_handler(Arc::new(ReservoirHandler::new(self.reservoir())))?;
        registry.set_transaction_pool(Self::NAME, self.reservoir())?;
        Ok(())
    }
}
