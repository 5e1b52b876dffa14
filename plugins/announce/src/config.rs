//! The `[handlers.announce]` section and its validated form.

use std::time::Duration;

use bytes::Bytes;
use peerd_wire::address::{pack_list, Connection};
use serde::Deserialize;

use crate::{MAX_RPC_LISTENER_BYTES, RPC_FINGERPRINT_BYTES};

/// The options of `[handlers.announce]`.
///
/// ```toml
/// [handlers.announce]
/// rpc_fingerprint = "5a1e…"            # 64 hex digits: SHA3-256 of the RPC TLS certificate
/// rpc_announce = ["203.0.113.7:2130"]  # announced RPC listeners, packed as bitmarkd does
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// False disables the plugin. The node's config loader takes `enabled` out of the
    /// section itself ([`peerd_api::PluginConfig::enabled`]); it is accepted here too for
    /// sections built by hand.
    pub enabled: bool,
    /// Hex of this node's RPC certificate fingerprint (32 bytes). With no fingerprint no
    /// `rpc` item is announced.
    pub rpc_fingerprint: Option<String>,
    /// RPC listener addresses to announce (`1.2.3.4:2130`, `[::1]:2130`); packed into
    /// bitmarkd's 19-byte records (protocol §3.4), at most 100 bytes in all.
    pub rpc_announce: Vec<String>,
    /// The announced RPC listeners already packed, in hex (instead of `rpc_announce`).
    pub rpc_listeners_hex: Option<String>,
    /// Seconds from start to the first self-announcement (bitmarkd: 2 minutes).
    pub initial_delay_secs: u64,
    /// Seconds between self-announcements, expiry runs and cache saves (bitmarkd: 11 minutes).
    pub broadcast_interval_secs: u64,
    /// Seconds after which an unrefreshed peer or rpc entry expires (bitmarkd: 55 minutes).
    pub expiry_secs: u64,
    /// An update of a known entry counts only if at least this much newer (bitmarkd: 7 minutes).
    pub rebroadcast_secs: u64,
    /// Most entries per table (each transport's peer table, the rpc table).
    pub max_entries: usize,
    /// Most heard-of entries one relaying peer may put in a peer table (peerd's defence
    /// against a peer flooding invented announcements).
    pub max_per_source: usize,
    /// Keep peers whose listeners point into private, loopback or link-local ranges out of
    /// the tables. Unset: on the `bitmark` and `testing` chains, not on `local` and `dev`
    /// (where test networks run on one host).
    pub public_listeners_only: Option<bool>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            enabled: true,
            rpc_fingerprint: None,
            rpc_announce: Vec::new(),
            rpc_listeners_hex: None,
            initial_delay_secs: 2 * 60,
            broadcast_interval_secs: 11 * 60,
            expiry_secs: 55 * 60,
            rebroadcast_secs: 7 * 60,
            max_entries: 10_000,
            max_per_source: 256,
            public_listeners_only: None,
        }
    }
}

/// Why a `[handlers.announce]` section is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `rpc_fingerprint` is not 64 hex digits.
    #[error("rpc_fingerprint must be 64 hex digits (32 bytes): {0}")]
    Fingerprint(String),
    /// An `rpc_announce` entry is not `ip:port`.
    #[error("rpc_announce entry {0:?} is not an address like 1.2.3.4:2130 or [::1]:2130")]
    Address(String),
    /// `rpc_listeners_hex` is not hex.
    #[error("rpc_listeners_hex is not hex: {0}")]
    ListenersHex(String),
    /// Both `rpc_announce` and `rpc_listeners_hex` are set.
    #[error("set either rpc_announce or rpc_listeners_hex, not both")]
    BothListeners,
    /// The packed RPC listeners exceed bitmarkd's limit.
    #[error("announced rpc listeners take {0} bytes packed; bitmarkd accepts at most 100")]
    ListenersTooLong(usize),
    /// RPC listeners without a fingerprint (or the reverse).
    #[error("rpc_fingerprint and rpc listeners must be set together")]
    RpcIncomplete,
    /// A timing or size key is zero.
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
}

/// This node's own `rpc` announcement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcSelf {
    /// SHA3-256 of the RPC TLS certificate.
    pub fingerprint: Bytes,
    /// Packed RPC listeners (≤ 100 bytes).
    pub listeners: Bytes,
}

/// The validated settings the handler runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// This node's rpc announcement, if configured.
    pub rpc: Option<RpcSelf>,
    /// Delay of the first self-announcement.
    pub initial_delay: Duration,
    /// Period of the announce cycle.
    pub broadcast_interval: Duration,
    /// Entry lifetime in seconds.
    pub expiry_secs: u64,
    /// Minimum age difference of a counted update, in seconds.
    pub rebroadcast_secs: u64,
    /// Most entries per table.
    pub max_entries: usize,
    /// Most heard-of entries per relaying peer.
    pub max_per_source: usize,
    /// Ignore peers with non-public listeners (`None`: by chain).
    pub public_listeners_only: Option<bool>,
}

impl Default for Settings {
    fn default() -> Self {
        let c = Config::default();
        Self {
            rpc: None,
            initial_delay: Duration::from_secs(c.initial_delay_secs),
            broadcast_interval: Duration::from_secs(c.broadcast_interval_secs),
            expiry_secs: c.expiry_secs,
            rebroadcast_secs: c.rebroadcast_secs,
            max_entries: c.max_entries,
            max_per_source: c.max_per_source,
            public_listeners_only: c.public_listeners_only,
        }
    }
}

impl Config {
    /// Checks the section and builds the [`Settings`].
    ///
    /// # Errors
    ///
    /// The first problem found, as a [`ConfigError`].
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        let nonzero = [
            ("initial_delay_secs", self.initial_delay_secs == 0),
            ("broadcast_interval_secs", self.broadcast_interval_secs == 0),
            ("expiry_secs", self.expiry_secs == 0),
            ("max_entries", self.max_entries == 0),
            ("max_per_source", self.max_per_source == 0),
        ];
        if let Some((key, _)) = nonzero.iter().find(|(_, zero)| *zero) {
            return Err(ConfigError::Zero(key));
        }
        Ok(Settings {
            rpc: self.rpc()?,
            initial_delay: Duration::from_secs(self.initial_delay_secs),
            broadcast_interval: Duration::from_secs(self.broadcast_interval_secs),
            expiry_secs: self.expiry_secs,
            rebroadcast_secs: self.rebroadcast_secs,
            max_entries: self.max_entries,
            max_per_source: self.max_per_source,
            public_listeners_only: self.public_listeners_only,
        })
    }

    fn rpc(&self) -> Result<Option<RpcSelf>, ConfigError> {
        let listeners = match (&self.rpc_listeners_hex, self.rpc_announce.is_empty()) {
            (Some(_), false) => return Err(ConfigError::BothListeners),
            (Some(text), true) => {
                Some(hex::decode(text).map_err(|e| ConfigError::ListenersHex(e.to_string()))?)
            }
            (None, false) => {
                let parse = |text: &String| {
                    Connection::parse(text).map_err(|_| ConfigError::Address(text.clone()))
                };
                let list = self.rpc_announce.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
                Some(pack_list(&list))
            }
            (None, true) => None,
        };
        let fingerprint = match &self.rpc_fingerprint {
            None => None,
            Some(text) => match hex::decode(text) {
                Ok(bytes) if bytes.len() == RPC_FINGERPRINT_BYTES => Some(bytes),
                Ok(bytes) => {
                    return Err(ConfigError::Fingerprint(format!("got {} bytes", bytes.len())))
                }
                Err(e) => return Err(ConfigError::Fingerprint(e.to_string())),
            },
        };
        match (fingerprint, listeners) {
            (None, None) => Ok(None),
            (Some(_), None) | (None, Some(_)) => Err(ConfigError::RpcIncomplete),
            (Some(_), Some(l)) if l.len() > MAX_RPC_LISTENER_BYTES => {
                Err(ConfigError::ListenersTooLong(l.len()))
            }
            (Some(f), Some(l)) => {
                Ok(Some(RpcSelf { fingerprint: Bytes::from(f), listeners: Bytes::from(l) }))
            }
        }
    }
}
