//! The `[handlers.reservoir]` section.

use serde::Deserialize;

/// Options of the reservoir, parsed from `[handlers.reservoir]` (unknown keys are an error).
///
/// Defaults are bitmarkd's (`constants/constants.go`, `reservoir/setup.go`): unverified
/// transactions live 45 minutes, a cached asset 72 hours, verified transactions are
/// re-broadcast every 33.75 minutes and expired items are swept every 5 minutes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReservoirConfig {
    /// Seconds an unverified (unpaid, unproven) transaction waits before it is dropped;
    /// also how long an orphan payment waits for its transactions (bitmarkd: 45 min).
    pub expiry_seconds: u64,
    /// Seconds a cached, unconfirmed asset lives without an issue that needs it; an
    /// identical submission restarts the time (72 hours, as the issue tracker specifies;
    /// bitmarkd's asset cache uses 67.5 minutes).
    pub asset_expiry_seconds: u64,
    /// Seconds between re-broadcasts of verified, unconfirmed transactions (bitmarkd: 33.75 min).
    pub rebroadcast_seconds: u64,
    /// Seconds between sweeps of expired items (bitmarkd: 5 min).
    pub expiry_check_seconds: u64,
    /// Most transactions held, unverified and verified together; beyond it submissions get
    /// `buffer capacity limit` (bitmarkd: 16 × 10000 transfers plus 2 × 2 × 10000 issues).
    pub max_pending: usize,
    /// Most cached unconfirmed assets; beyond it new assets get `buffer capacity limit`.
    pub max_assets: usize,
    /// Most orphan payments (payments seen before their transactions); beyond it a new
    /// orphan is dropped.
    pub max_orphans: usize,
    /// Verify paid issues and transfers without a payment (bitmarkd's `autoVerify`, for test
    /// networks without payment watchers). Free issues still need their proof.
    pub auto_verify: bool,
}

impl Default for ReservoirConfig {
    fn default() -> Self {
        Self {
            expiry_seconds: 45 * 60,
            asset_expiry_seconds: 72 * 60 * 60,
            rebroadcast_seconds: 45 * 60 * 3 / 4,
            expiry_check_seconds: 5 * 60,
            max_pending: 200_000,
            max_assets: 20_000,
            max_orphans: 10_000,
            auto_verify: false,
        }
    }
}

/// An interval option of `[handlers.reservoir]` set to 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} must be at least 1")]
pub struct ZeroInterval(pub &'static str);

impl ReservoirConfig {
    /// Checks the values: every interval must be at least one second.
    ///
    /// # Errors
    ///
    /// [`ZeroInterval`] naming the bad option.
    pub fn validate(&self) -> Result<(), ZeroInterval> {
        for (name, value) in [
            ("expiry_seconds", self.expiry_seconds),
            ("asset_expiry_seconds", self.asset_expiry_seconds),
            ("rebroadcast_seconds", self.rebroadcast_seconds),
            ("expiry_check_seconds", self.expiry_check_seconds),
        ] {
            if value == 0 {
                return Err(ZeroInterval(name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use peerd_api::PluginConfig;

    #[test]
    fn defaults_are_bitmarkds() {
        let config = ReservoirConfig::default();
        assert_eq!(config.expiry_seconds, 2700);
        assert_eq!(config.asset_expiry_seconds, 72 * 3600);
        assert_eq!(config.rebroadcast_seconds, 2025);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn parsed_from_the_section() {
        let section = PluginConfig {
            enabled: true,
            options: serde_json::json!({"auto_verify": true, "max_pending": 5}),
        };
        let config: ReservoirConfig = section.parse("reservoir").unwrap();
        assert!(config.auto_verify);
        assert_eq!(config.max_pending, 5);
        assert_eq!(config.expiry_seconds, 2700);
        let bad = PluginConfig { enabled: true, options: serde_json::json!({"expiry_hours": 72}) };
        let err = bad.parse::<ReservoirConfig>("reservoir").unwrap_err().to_string();
        assert!(err.contains("expiry_hours"), "{err}");
        let zero = ReservoirConfig { rebroadcast_seconds: 0, ..Default::default() };
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "rebroadcast_seconds must be at least 1"
        );
    }
}
