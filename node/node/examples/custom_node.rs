//! A peerd node with a handler plugin of your own: the `notes` plugin of
//! `plugins/example` (signed text notes, stored, relayed and queryable), registered next
//! to the built-in `block`, `reservoir` and `announce` plugins.
//!
//! ```text
//! cargo run -p peerd-node --example custom_node -- config/examples/notes.toml
//! ```
//!
//! The config's `[handlers.notes]` section configures the plugin (or `enabled = false`
//! turns it off); everything else is an ordinary peerd config.

use std::path::PathBuf;

use anyhow::{Context, Result};
use peerd_api::Plugin;
use peerd_example::NotePlugin;
use peerd_node::config::{self, Sources};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> Result<()> {
    let file = std::env::args_os().nth(1).map(PathBuf::from);
    let sources = Sources { file, ..Sources::default() };
    let loaded = config::load(&sources).context("loading the configuration")?;
    peerd_node::logging::init(None, peerd_node::logging::LogFormat::Text)
        .context("starting the logs")?;

    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let plugins: Vec<Box<dyn Plugin>> = vec![Box::new(NotePlugin)];
    peerd_node::run::run_with_plugins(loaded.config, shutdown, plugins).await?;
    Ok(())
}
