//! # peerd-handlers — the built-in handler plugins of peerd
//!
//! bitmarkd hard-wires what it does with each gossip item; peerd registers a plugin per
//! concern, each configured under `[handlers.<name>]` (`enabled = false` turns it off):
//!
//! | plugin | kinds | crate |
//! |---|---|---|
//! | `block` | `block` | here: [`block::BlockPlugin`] |
//! | `reservoir` | `assets`, `issues`, `transfer`, `proof` | `peerd-reservoir` |
//! | `announce` | `peer`, `rpc`, `heart` (and the `R` hook) | `peerd-announce` |
//!
//! [`builtin`] lists them for a node; user plugins are added next to them and register
//! the same way (a kind claimed twice is a start-up error).

pub mod block;

use peerd_api::Plugin;

pub use peerd_announce::{AnnouncePlugin, RebalanceTrigger};
pub use peerd_reservoir::{Reservoir, ReservoirPlugin};

/// The built-in plugins, in registration order. `announce` and `reservoir` are passed in
/// because the node keeps handles to them: the announce plugin's [`RebalanceTrigger`] (to
/// ask for connections when it has too few upstreams) and the [`Reservoir`] (the payments
/// seam, for example).
pub fn builtin(announce: AnnouncePlugin, reservoir: ReservoirPlugin) -> Vec<Box<dyn Plugin>> {
    vec![Box::new(block::BlockPlugin), Box::new(reservoir), Box::new(announce)]
}
