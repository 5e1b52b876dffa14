//! Parsing one section into its typed config, collecting every problem in it.

use figment::error::Kind;
use figment::value::Value;
use serde::de::DeserializeOwned;

use super::problem::describe;
use super::{Origins, Problem};

/// Upper bound on problems reported for one section (each retry removes one bad key).
const MAX_PROBLEMS_PER_SECTION: usize = 64;

/// Turns one section of the merged configuration into a typed config.
///
/// serde stops at the first error, so [`SectionParser::parse`] reports it (with the full
/// key path and its origin), drops the offending key and tries again; the typed configs
/// all have defaults, so what remains still parses. Used by `builtin.rs` to parse each
/// plugin's own `Config` once the `kind` has picked it.
pub struct SectionParser<'a> {
    path: Vec<String>,
    label: String,
    body: Value,
    origins: &'a Origins,
    problems: &'a mut Vec<Problem>,
}

impl std::fmt::Debug for SectionParser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SectionParser").field("path", &self.path).finish_non_exhaustive()
    }
}

impl<'a> SectionParser<'a> {
    /// A parser for `body`, found at `path`; `label` names the section in messages
    /// (`store kind "sled"`).
    pub(crate) fn new(
        path: Vec<String>,
        label: String,
        body: Value,
        origins: &'a Origins,
        problems: &'a mut Vec<Problem>,
    ) -> Self {
        Self { path, label, body, origins, problems }
    }

    /// Dotted path of the section (`store`, `transports.1`).
    pub fn path(&self) -> String {
        self.path.join(".")
    }

    /// The section's keys as JSON (for kinds this build cannot parse).
    pub fn raw(&self) -> serde_json::Value {
        serde_json::to_value(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// Parses the section into `T`, recording every problem and falling back to the
    /// defaults for the keys that were wrong.
    pub fn parse<T: DeserializeOwned + Default>(&mut self) -> T {
        let mut body = self.body.clone();
        for _ in 0..MAX_PROBLEMS_PER_SECTION {
            let err = match body.deserialize::<T>() {
                Ok(value) => return value,
                Err(err) => err,
            };
            let mut rel = err.path.clone();
            if let Kind::UnknownField(field, _) = &err.kind {
                if rel.last() != Some(field) {
                    rel.push(field.clone());
                }
            }
            let full: Vec<String> = self.path.iter().cloned().chain(rel.iter().cloned()).collect();
            let origin = self.origins.of(&full);
            let mut message = describe(&err.kind, &self.label);
            // Custom messages (from `FromStr` impls) do not repeat the value; add it.
            if let (Kind::Message(_), Some(value)) = (&err.kind, scalar_at(&body, &rel)) {
                message = format!("invalid value {value}: {message}");
            }
            self.problems.push(Problem::new(full.join("."), Some(origin), message));
            if !remove(&mut body, &rel) {
                return T::default();
            }
        }
        T::default()
    }

    /// Records a problem with the key `key` of this section (a value out of range).
    pub fn problem(&mut self, key: &str, message: impl Into<String>) {
        let full: Vec<String> =
            self.path.iter().cloned().chain(key.split('.').map(String::from)).collect();
        let origin = self.origins.of(&full);
        self.problems.push(Problem::new(full.join("."), Some(origin), message));
    }
}

/// The scalar at `path` in `body`, as TOML-ish text.
fn scalar_at(body: &Value, path: &[String]) -> Option<String> {
    let mut node = body;
    for key in path {
        node = match node {
            Value::Dict(_, dict) => dict.get(key)?,
            Value::Array(_, items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match node {
        Value::String(_, s) => Some(format!("{s:?}")),
        Value::Num(_, n) => n.to_f64().map(|f| f.to_string()),
        Value::Bool(_, b) => Some(b.to_string()),
        _ => None,
    }
}

/// Removes the key at `path` from `body`; inside an array, the whole array goes. False
/// if nothing could be removed (the error is about `body` itself).
fn remove(body: &mut Value, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else { return false };
    let Value::Dict(_, dict) = body else { return false };
    if rest.is_empty() || matches!(dict.get(first), Some(Value::Array(..))) {
        return dict.remove(first).is_some();
    }
    match dict.get_mut(first) {
        Some(inner) => remove(inner, rest) || dict.remove(first).is_some(),
        None => false,
    }
}
