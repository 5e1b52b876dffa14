//! # peerd-transport-memory — an in-process transport with fault injection
//!
//! (Being built: see issue 4. The config below is the stable part.)

use serde::{Deserialize, Serialize};

/// The `[[transports]]` entry with `kind = "memory"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// This node's name on the in-process network (defaults to `[node] name`).
    pub name: Option<String>,
    /// Names of nodes on the same in-process network to connect to.
    pub peers: Vec<String>,
}
