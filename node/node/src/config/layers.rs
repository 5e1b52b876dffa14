//! The figment layers: defaults, file, environment, flags.

use std::path::PathBuf;

use figment::providers::{Env, Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::origin::{DEFAULTS_NAME, FLAG_PREFIX};
use super::{Config, ENV_PREFIX};

/// A layer of values with a fixed name (`default`, `flag --chain`).
pub(crate) struct Layer {
    name: String,
    data: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.data.clone()))
    }
}

impl Layer {
    /// The compiled-in defaults. Sections chosen by `kind` contribute only their kind:
    /// the chosen backend's own defaults apply after parsing, so that switching kind in a
    /// later layer never inherits keys of the default backend.
    pub(crate) fn defaults() -> Self {
        let config = Config::default();
        let mut data = match Value::serialize(&config) {
            Ok(Value::Dict(_, dict)) => dict,
            _ => Dict::new(),
        };
        data.insert("store".into(), kind_only(config.store.kind()));
        let transports: Vec<Value> =
            config.transports.iter().map(|t| kind_only(t.kind())).collect();
        data.insert("transports".into(), Value::from(transports));
        Self { name: DEFAULTS_NAME.into(), data }
    }

    /// One command-line flag setting the dotted `key`.
    pub(crate) fn flag(flag: &str, key: &str, value: Value) -> Self {
        let mut value = value;
        for part in key.rsplit('.') {
            let mut dict = Dict::new();
            dict.insert(part.to_owned(), value);
            value = Value::from(dict);
        }
        let data = match value {
            Value::Dict(_, dict) => dict,
            _ => Dict::new(),
        };
        Self { name: format!("{FLAG_PREFIX}{flag}"), data }
    }
}

fn kind_only(kind: &str) -> Value {
    let mut dict = Dict::new();
    dict.insert("kind".into(), Value::from(kind.to_owned()));
    Value::from(dict)
}

/// The environment layer: `PEERD_A__B=v` sets `a.b`. Variables without `__` are not
/// configuration (`PEERD_VECTORS` belongs to the test vectors) and are skipped.
pub(crate) fn env() -> Env {
    Env::prefixed(ENV_PREFIX).filter(|key| key.as_str().contains("__")).split("__")
}

/// Environment variables that look like a misspelt configuration variable: a known
/// section followed by a single `_` (`PEERD_STORE_KIND`).
pub(crate) fn suspicious_env(sections: &[&str]) -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| {
            let Some(rest) = k.strip_prefix(ENV_PREFIX) else { return false };
            !rest.contains("__")
                && sections.iter().any(|s| {
                    rest.to_ascii_lowercase().strip_prefix(s).is_some_and(|r| r.starts_with('_'))
                })
        })
        .collect()
}

/// Stacks the layers in order; `file` is read only if given.
pub(crate) fn figment(file: Option<&PathBuf>, env: bool, flags: Vec<Layer>) -> Figment {
    let mut figment = Figment::from(Layer::defaults());
    if let Some(path) = file {
        figment = figment.merge(Toml::file_exact(path));
    }
    if env {
        figment = figment.merge(self::env());
    }
    for flag in flags {
        figment = figment.merge(flag);
    }
    figment
}
