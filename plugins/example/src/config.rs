//! The `[handlers.notes]` section.

use peerd_api::{PluginConfig, PluginError, MAX_MESSAGE_BYTES};
use serde::{Deserialize, Serialize};

use crate::note::{KEY_BYTES, SIGNATURE_BYTES};
use crate::PLUGIN_NAME;

/// Largest `max_text_bytes` accepted: notes are meant to be short.
pub const MAX_TEXT_LIMIT: usize = 4096;

/// Longest retention accepted (ten years), so that time arithmetic cannot overflow.
pub const MAX_RETENTION_HOURS: u64 = 24 * 365 * 10;

/// Options of the notes plugin.
///
/// ```toml
/// [handlers.notes]
/// max_text_bytes = 280
/// retention_hours = 168
/// max_future_secs = 600
/// max_notes_per_author = 100
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Longest note text, in bytes of UTF-8.
    pub max_text_bytes: usize,
    /// Notes older than this are rejected on arrival and deleted by the background sweep.
    pub retention_hours: u64,
    /// How far a note's timestamp may lie ahead of this node's clock (clock skew).
    pub max_future_secs: u64,
    /// Notes kept per author: the newest ones. Also the most a `note-query` returns.
    pub max_notes_per_author: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_text_bytes: 280,
            retention_hours: 24 * 7,
            max_future_secs: 10 * 60,
            max_notes_per_author: 100,
        }
    }
}

impl Config {
    /// Parses and checks the plugin's section.
    ///
    /// # Errors
    ///
    /// [`PluginError::Config`] for an unknown key, a wrong type or a value out of range.
    pub fn from_section(section: &PluginConfig) -> Result<Self, PluginError> {
        let config: Config = section.parse(PLUGIN_NAME)?;
        config.check().map_err(|reason| PluginError::Config {
            plugin: PLUGIN_NAME.to_owned(),
            reason: reason.to_owned(),
        })?;
        Ok(config)
    }

    /// The retention in seconds.
    pub fn retention_secs(&self) -> u64 {
        self.retention_hours * 3600
    }

    /// Largest reply a `note-query` can produce, in payload bytes.
    pub fn max_reply_bytes(&self) -> usize {
        let per_note = KEY_BYTES + 8 + self.max_text_bytes + SIGNATURE_BYTES;
        per_note.saturating_mul(self.max_notes_per_author)
    }

    fn check(&self) -> Result<(), &'static str> {
        if self.max_text_bytes == 0 || self.max_text_bytes > MAX_TEXT_LIMIT {
            return Err("max_text_bytes must be between 1 and 4096");
        }
        if self.retention_hours == 0 || self.retention_hours > MAX_RETENTION_HOURS {
            return Err("retention_hours must be between 1 and 87600 (ten years)");
        }
        if self.max_future_secs > self.retention_secs() {
            return Err("max_future_secs must not exceed the retention");
        }
        if self.max_notes_per_author == 0 {
            return Err("max_notes_per_author must be at least 1");
        }
        // A query answer lists up to max_notes_per_author notes in one message.
        if self.max_reply_bytes() > MAX_MESSAGE_BYTES {
            return Err("max_notes_per_author × (max_text_bytes + 104) must fit in one \
                        5,000,000-byte message");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(options: serde_json::Value) -> PluginConfig {
        PluginConfig { enabled: true, options }
    }

    #[test]
    fn empty_section_gives_the_defaults() {
        let config = Config::from_section(&PluginConfig::default()).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.retention_secs(), 7 * 24 * 3600);
        let partial = section(serde_json::json!({ "max_text_bytes": 100 }));
        let config = Config::from_section(&partial).unwrap();
        assert_eq!((config.max_text_bytes, config.max_notes_per_author), (100, 100));
    }

    #[test]
    fn out_of_range_values_are_config_errors() {
        for (options, expected) in [
            (serde_json::json!({ "max_text_bytes": 0 }), "max_text_bytes"),
            (serde_json::json!({ "max_text_bytes": 5000 }), "max_text_bytes"),
            (serde_json::json!({ "retention_hours": 0 }), "retention_hours"),
            (serde_json::json!({ "retention_hours": 1, "max_future_secs": 3601 }), "max_future"),
            (serde_json::json!({ "max_notes_per_author": 0 }), "max_notes_per_author"),
            (
                serde_json::json!({ "max_text_bytes": 4096, "max_notes_per_author": 2000 }),
                "fit in one",
            ),
            (serde_json::json!({ "retention_hours": "a week" }), "invalid type"),
        ] {
            match Config::from_section(&section(options.clone())) {
                Err(PluginError::Config { plugin, reason }) => {
                    assert_eq!(plugin, "notes");
                    assert!(reason.contains(expected), "{options}: {reason}");
                }
                other => panic!("{options}: {other:?}"),
            }
        }
    }
}
