//! The `[clients]` section: limits, prices and decay, as written and as checked.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::balance::Rates;
use super::ClientId;

/// The client pool's settings as written in the config file (`[clients]`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientsConfig {
    /// Most clients connected at once.
    pub max_inbound: usize,
    /// Most capacity units connected at once (an ordinary peer connects with 1).
    pub max_capacity: u64,
    /// Credits a connected client pays per second.
    pub time_price: f64,
    /// Credits a connected client pays per second and capacity unit.
    pub capacity_price: f64,
    /// Credits a client pays per request served.
    pub request_price: f64,
    /// Time constant of the positive balance's exponential decay, in seconds (0: never).
    pub positive_decay_secs: u64,
    /// Time constant of the negative balance's exponential decay, in seconds (0: never).
    pub negative_decay_secs: u64,
    /// Seconds of priority a connected client has over a newcomer.
    pub connected_bias_secs: u64,
    /// Seconds a client that is not connected is remembered after its last activity
    /// (longer while it has a balance at or above `floor`).
    pub inactive_timeout_secs: u64,
    /// Balances below this are worth nothing: not stored, and not a reason to remember.
    pub floor: f64,
    /// A client whose priority falls below this (minus its debt) is disconnected even when
    /// there is room, and refused until its debt has decayed.
    pub evict_below: f64,
    /// Clients always admitted and never evicted, as `transport:hexkey`.
    pub pinned: Vec<String>,
    /// Positive balances the operator gives (`"transport:hexkey" = credits`), at start.
    pub positive: BTreeMap<String, f64>,
}

impl Default for ClientsConfig {
    fn default() -> Self {
        Self {
            max_inbound: 50,
            max_capacity: 50,
            time_price: 0.001,
            capacity_price: 0.0,
            // Not priced by default: a peer syncing from us asks hundreds of blocks a second
            // and must not lose its place to a fresh key for it (measured with `peerd
            // bench flood`: at 0.01 the honest client's debt passed its connected bias
            // within seconds and a flooder took its place).
            request_price: 0.0,
            positive_decay_secs: 7 * 86_400,
            negative_decay_secs: 3_600,
            connected_bias_secs: 60,
            inactive_timeout_secs: 600,
            floor: 0.01,
            evict_below: -1000.0,
            pinned: Vec::new(),
            positive: BTreeMap::new(),
        }
    }
}

/// One bad entry of a list, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadEntry {
    /// The entry as written.
    pub entry: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Every bad entry of a list, in order, as one text.
fn list(entries: &[BadEntry]) -> String {
    let parts: Vec<String> = entries.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

impl fmt::Display for BadEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.entry, self.reason)
    }
}

/// What is wrong with a `[clients]` section: one variant per boundary. Lists report every
/// bad entry at once.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientsConfigError {
    /// `max_inbound` or `max_capacity` is zero.
    #[error("[clients] {field} must be at least 1")]
    ZeroLimit {
        /// The field.
        field: &'static str,
    },
    /// A price is negative or not a number.
    #[error("[clients] {field} must be a finite number >= 0, not {value}")]
    BadPrice {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// `floor` is negative or not a number.
    #[error("[clients] floor must be a finite number >= 0, not {0}")]
    BadFloor(f64),
    /// `evict_below` is positive or not a number.
    #[error("[clients] evict_below must be a finite number <= 0, not {0}")]
    BadEvictBelow(f64),
    /// Entries of `pinned` that are not client ids.
    #[error("[clients] pinned: {}", list(.0))]
    BadPinned(Vec<BadEntry>),
    /// Entries of `positive` whose key is not a client id or whose amount is not a finite
    /// number >= 0.
    #[error("[clients] positive: {}", list(.0))]
    BadPositive(Vec<BadEntry>),
}

/// A checked `[clients]` section, made by [`ClientsConfig::validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct ValidClients {
    pub(crate) max_inbound: usize,
    pub(crate) max_capacity: u64,
    pub(crate) rates: Rates,
    pub(crate) connected_bias: Duration,
    pub(crate) inactive_timeout: Duration,
    pub(crate) floor: f64,
    pub(crate) evict_below: f64,
    pub(crate) pinned: BTreeSet<ClientId>,
    pub(crate) positive: BTreeMap<ClientId, f64>,
}

impl ClientsConfig {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// The first boundary crossed, in field order; a list's error names all its bad entries.
    pub fn validate(&self) -> Result<ValidClients, ClientsConfigError> {
        for (field, value) in
            [("max_inbound", self.max_inbound as u64), ("max_capacity", self.max_capacity)]
        {
            if value == 0 {
                return Err(ClientsConfigError::ZeroLimit { field });
            }
        }
        for (field, value) in [
            ("time_price", self.time_price),
            ("capacity_price", self.capacity_price),
            ("request_price", self.request_price),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(ClientsConfigError::BadPrice { field, value });
            }
        }
        if !self.floor.is_finite() || self.floor < 0.0 {
            return Err(ClientsConfigError::BadFloor(self.floor));
        }
        if !self.evict_below.is_finite() || self.evict_below > 0.0 {
            return Err(ClientsConfigError::BadEvictBelow(self.evict_below));
        }
        let mut pinned = BTreeSet::new();
        let mut bad = Vec::new();
        for entry in &self.pinned {
            match entry.parse::<ClientId>() {
                Ok(id) => {
                    pinned.insert(id);
                }
                Err(e) => bad.push(BadEntry { entry: entry.clone(), reason: e.to_string() }),
            }
        }
        if !bad.is_empty() {
            return Err(ClientsConfigError::BadPinned(bad));
        }
        let mut positive = BTreeMap::new();
        for (entry, &amount) in &self.positive {
            let reason = match entry.parse::<ClientId>() {
                Err(e) => e.to_string(),
                Ok(_) if !amount.is_finite() || amount < 0.0 => {
                    format!("the amount must be a finite number >= 0, not {amount}")
                }
                Ok(id) => {
                    positive.insert(id, amount);
                    continue;
                }
            };
            bad.push(BadEntry { entry: entry.clone(), reason });
        }
        if !bad.is_empty() {
            return Err(ClientsConfigError::BadPositive(bad));
        }
        Ok(ValidClients {
            max_inbound: self.max_inbound,
            max_capacity: self.max_capacity,
            rates: Rates {
                time_price: self.time_price,
                capacity_price: self.capacity_price,
                request_price: self.request_price,
                positive_decay: Duration::from_secs(self.positive_decay_secs),
                negative_decay: Duration::from_secs(self.negative_decay_secs),
            },
            connected_bias: Duration::from_secs(self.connected_bias_secs),
            inactive_timeout: Duration::from_secs(self.inactive_timeout_secs),
            floor: self.floor,
            evict_below: self.evict_below,
            pinned,
            positive,
        })
    }
}
