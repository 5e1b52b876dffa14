//! Configuration problems and the error that carries them.

use std::fmt;
use std::path::PathBuf;

use figment::error::{Actual, Kind};

use super::Origin;

/// One thing wrong with the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path (`store.kind`, `transports.0.peers`); empty for the whole file.
    pub key: String,
    /// Where the offending value came from, when there is one.
    pub origin: Option<Origin>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl Problem {
    /// A problem with the value at `key`.
    pub fn new(key: impl Into<String>, origin: Option<Origin>, message: impl Into<String>) -> Self {
        Self { key: key.into(), origin, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        f.write_str(&self.message)?;
        if let Some(origin) = &self.origin {
            write!(f, " (from {origin})")?;
        }
        Ok(())
    }
}

/// Errors of the configuration boundary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The layered configuration has problems; every one found is listed.
    #[error("invalid configuration ({} problem{}):\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, list(.0))]
    Invalid(Vec<Problem>),
    /// `config init` would overwrite an existing file.
    #[error("{0} already exists; pass --force to overwrite it")]
    Exists(PathBuf),
    /// A config file could not be read or written.
    #[error("cannot {op} config file {path}: {source}")]
    Io {
        /// `read` or `write`.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    /// The problems, for [`ConfigError::Invalid`]; empty otherwise.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
}

/// Words for a serde error kind: what was wrong and what is allowed. `label` names the
/// section kind for unknown keys (`store kind "memory"`).
pub(crate) fn describe(kind: &Kind, label: &str) -> String {
    match kind {
        Kind::UnknownField(_, allowed) => {
            let scope = if label.is_empty() { String::new() } else { format!(" for {label}") };
            format!("unknown key{scope}; allowed keys: {}", one_of(allowed))
        }
        Kind::UnknownVariant(got, allowed) => {
            format!("unknown value {got:?}; allowed values: {}", one_of(allowed))
        }
        Kind::InvalidType(actual, expected) => {
            let expected = if expected.starts_with("struct ") { "a table" } else { expected };
            format!("wrong type: found {}, expected {expected}", actual_text(actual))
        }
        Kind::InvalidValue(actual, expected) => {
            format!("invalid value {}, expected {expected}", actual_text(actual))
        }
        Kind::InvalidLength(len, expected) => format!("wrong length {len}, expected {expected}"),
        Kind::MissingField(field) => format!("missing required key `{field}`"),
        Kind::DuplicateField(field) => format!("key `{field}` is given twice"),
        other => other.to_string(),
    }
}

fn actual_text(actual: &Actual) -> String {
    match actual {
        Actual::Unsigned(v) => format!("integer {v}"),
        Actual::Signed(v) => format!("integer {v}"),
        Actual::Float(v) => format!("float {v}"),
        Actual::Map => "a table".into(),
        Actual::Seq => "an array".into(),
        other => other.to_string(),
    }
}

/// `a, b, c`, or `none` for an empty list.
pub(crate) fn one_of(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
    }
}
