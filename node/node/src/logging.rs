//! The binary's tracing subscriber: filter from `--log` or `RUST_LOG`, text or JSON lines
//! on stderr (stdout is kept for command output such as `config show`).
//!
//! Levels: `error` — the node or a part of it stopped working; `warn` — something is
//! wrong but the node carries on (a peer misbehaved, a setting is ignored); `info` — the
//! node's life: start-up summary, mode changes, shutdown; `debug` — per-peer and
//! per-request detail; `trace` — bytes.

use std::io::IsTerminal as _;
use std::str::FromStr;

use tracing_subscriber::EnvFilter;

/// Filter used when neither `--log` nor `RUST_LOG` is set.
pub const DEFAULT_FILTER: &str = "info";

/// The log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Errors setting up logging.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoggingError {
    /// The filter directive is malformed.
    #[error("invalid log filter {filter:?}: {reason}")]
    Filter {
        /// The filter as given.
        filter: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A global subscriber was already installed.
    #[error("logging is already initialised")]
    AlreadySet,
}

/// Builds the filter: `flag`, else `RUST_LOG`, else [`DEFAULT_FILTER`].
///
/// # Errors
///
/// [`LoggingError::Filter`] naming the directive that does not parse.
pub fn filter(flag: Option<&str>) -> Result<EnvFilter, LoggingError> {
    let text = match flag {
        Some(f) => f.to_owned(),
        None => std::env::var("RUST_LOG")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_FILTER.into()),
    };
    EnvFilter::from_str(&text)
        .map_err(|e| LoggingError::Filter { filter: text, reason: e.to_string() })
}

/// Installs the global subscriber. Call once, from `main`.
///
/// # Errors
///
/// A bad filter, or a subscriber already installed.
pub fn init(flag: Option<&str>, format: LogFormat) -> Result<(), LoggingError> {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(flag)?)
        // Log lines are written around the resynchronisation progress bar.
        .with_writer(crate::progress::LogWriter)
        .with_ansi(std::io::stderr().is_terminal());
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|_| LoggingError::AlreadySet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_filter_is_rejected_with_its_text() {
        let err = filter(Some("peerd=notalevel")).unwrap_err();
        assert!(err.to_string().contains("peerd=notalevel"), "{err}");
        assert!(filter(Some("peerd_node=debug,info")).is_ok());
    }
}
