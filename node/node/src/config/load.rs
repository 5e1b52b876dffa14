//! Loading: stack the layers, parse each section, validate, report every problem.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::value::{Dict, Value};
use peerd_api::PluginConfig;
use serde::de::DeserializeOwned;

use super::layers::{self, Layer};
use super::problem::one_of;
use super::section::SectionParser;
use super::{validate, Config, ConfigError, NodeConfig, Origin, Origins, Problem, FILE_NAME};
use crate::builtin::{StoreConfig, TransportConfig};

/// The top-level sections, in file order.
pub(crate) const SECTIONS: [&str; 8] =
    ["node", "transports", "store", "handlers", "sync", "http", "producer", "clients"];

/// What to read besides the compiled-in defaults.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The config file (`--config`); `None` looks for `<data_dir>/peerd.toml`.
    pub file: Option<PathBuf>,
    /// Read `PEERD_*` environment variables (true in the binary).
    pub env: bool,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--chain`.
    pub chain: Option<String>,
}

impl Default for Sources {
    fn default() -> Self {
        Self { file: None, env: true, data_dir: None, chain: None }
    }
}

/// A loaded configuration and where each of its values came from.
#[derive(Debug)]
pub struct Loaded {
    /// The typed, validated configuration.
    pub config: Config,
    /// The config file that was read, if any.
    pub file: Option<PathBuf>,
    /// Origins of the values, for `config show` and error messages.
    pub origins: Origins,
}

impl Sources {
    fn flags(&self) -> Vec<Layer> {
        let mut flags = Vec::new();
        if let Some(dir) = &self.data_dir {
            flags.push(Layer::flag(
                "--data-dir",
                "node.data_dir",
                Value::from(dir.display().to_string()),
            ));
        }
        if let Some(chain) = &self.chain {
            flags.push(Layer::flag("--chain", "node.chain", Value::from(chain.clone())));
        }
        flags
    }

    /// The data directory as far as it is known without a config file: `--data-dir`,
    /// else `PEERD_NODE__DATA_DIR`, else the default (a file cannot say where it is itself).
    pub fn data_dir(&self) -> PathBuf {
        layers::figment(None, self.env, self.flags())
            .extract_inner("node.data_dir")
            .unwrap_or_else(|_| NodeConfig::default().data_dir)
    }

    /// The file to read: `--config`, else `<data_dir>/peerd.toml` if it exists.
    pub fn config_file(&self) -> Option<PathBuf> {
        if let Some(file) = &self.file {
            return Some(file.clone());
        }
        let candidate = self.data_dir().join(FILE_NAME);
        candidate.is_file().then_some(candidate)
    }
}

/// Loads the configuration from `sources`.
///
/// # Errors
///
/// [`ConfigError::Invalid`] listing every problem found: unreadable or malformed file,
/// unknown keys, wrong types, values out of range, kinds not compiled in.
pub fn load(sources: &Sources) -> Result<Loaded, ConfigError> {
    let file = sources.config_file();
    let mut problems = Vec::new();
    let text = match &file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                let origin = Origin::File { path: path.clone(), line: None };
                problems.push(Problem::new(
                    "",
                    Some(origin),
                    format!("cannot read the config file: {e}"),
                ));
                return Err(ConfigError::Invalid(problems));
            }
        },
        None => None,
    };
    let figment = layers::figment(file.as_ref(), sources.env, sources.flags());
    let root = match figment.find_value("") {
        Ok(root) => root,
        Err(e) => {
            let origin = e
                .metadata
                .as_ref()
                .and_then(|m| m.source.as_ref()?.file_path().map(Path::to_path_buf));
            let (line, message) = syntax_error(&e.kind.to_string());
            let origin = origin.map(|path| Origin::File { path, line });
            problems.push(Problem::new("", origin, message));
            return Err(ConfigError::Invalid(problems));
        }
    };
    let origins = Origins::new(figment, root, file.clone().zip(text));
    if sources.env {
        for var in layers::suspicious_env(&SECTIONS) {
            let origin = Some(Origin::Env { var: var.clone() });
            problems.push(Problem::new(
                "",
                origin,
                "not read: nested keys are joined with `__` (e.g. `PEERD_STORE__KIND`)",
            ));
        }
    }
    let config = parse(&origins, &mut problems);
    validate::check(&config, &origins, &mut problems);
    if problems.is_empty() {
        Ok(Loaded { config, file, origins })
    } else {
        Err(ConfigError::Invalid(problems))
    }
}

/// A TOML parser error as one line, and the line it points at. The parser's text is
/// `TOML parse error at line L, column C`, a source excerpt, then the message.
fn syntax_error(text: &str) -> (Option<usize>, String) {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else { return (None, text.to_owned()) };
    let Some(at) = first.strip_prefix("TOML parse error at line ") else {
        return (None, text.trim().to_owned());
    };
    let line = at.split(',').next().and_then(|n| n.trim().parse().ok());
    let reason = lines.filter(|l| !l.contains('|')).collect::<Vec<_>>().join("; ");
    (line, format!("TOML syntax error at line {at}: {reason}"))
}

/// Parses every section of the merged tree.
fn parse(origins: &Origins, problems: &mut Vec<Problem>) -> Config {
    let root = match origins.root() {
        Value::Dict(_, dict) => dict.clone(),
        _ => Dict::new(),
    };
    for key in root.keys().filter(|k| !SECTIONS.contains(&k.as_str())) {
        let message = format!("unknown section; allowed sections: {}", one_of(&SECTIONS));
        problems.push(Problem::new(key.clone(), Some(origins.of(&[key])), message));
    }
    let node = plain(&root, "node", origins, problems);
    let sync = plain(&root, "sync", origins, problems);
    let http = plain(&root, "http", origins, problems);
    let producer = plain(&root, "producer", origins, problems);
    let clients = plain(&root, "clients", origins, problems);
    let store = parse_store(root.get("store"), origins, problems);
    let transports = parse_transports(root.get("transports"), origins, problems);
    let handlers = parse_handlers(root.get("handlers"), origins, problems);
    Config { node, transports, store, handlers, sync, http, producer, clients }
}

/// Parses a section that is one plain struct.
fn plain<T: DeserializeOwned + Default>(
    root: &Dict,
    name: &str,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) -> T {
    let body = root.get(name).cloned().unwrap_or_else(|| Value::from(Dict::new()));
    SectionParser::new(vec![name.into()], format!("[{name}]"), body, origins, problems).parse()
}

/// Splits a `kind`-tagged section into its kind and the rest; records a problem if the
/// section is not a table or has no string `kind`.
fn tagged(
    body: &Value,
    path: &[String],
    origins: &Origins,
    problems: &mut Vec<Problem>,
    allowed: &[&str],
) -> Option<(String, Value)> {
    let key = path.join(".");
    let Value::Dict(tag, dict) = body else {
        problems.push(Problem::new(key, Some(origins.of(path)), "wrong type: expected a table"));
        return None;
    };
    let mut dict = dict.clone();
    let kind_path: Vec<String> = path.iter().cloned().chain(["kind".to_owned()]).collect();
    match dict.remove("kind") {
        Some(Value::String(_, kind)) => Some((kind, Value::Dict(*tag, dict))),
        Some(other) => {
            let message = format!(
                "wrong type: found {}, expected a string: one of {}",
                other.to_actual(),
                one_of(allowed)
            );
            problems.push(Problem::new(
                format!("{key}.kind"),
                Some(origins.of(&kind_path)),
                message,
            ));
            None
        }
        None => {
            let message = format!("missing key `kind`: one of {}", one_of(allowed));
            problems.push(Problem::new(key, Some(origins.of(path)), message));
            None
        }
    }
}

fn parse_store(
    body: Option<&Value>,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) -> StoreConfig {
    let path = vec!["store".to_owned()];
    let Some((kind, rest)) =
        body.and_then(|b| tagged(b, &path, origins, problems, StoreConfig::KINDS))
    else {
        return StoreConfig::default();
    };
    let label = format!("store kind {kind:?}");
    let mut parser = SectionParser::new(path.clone(), label, rest, origins, problems);
    StoreConfig::parse(&kind, &mut parser).unwrap_or_else(|allowed| {
        let message = format!("unknown store kind {kind:?}; allowed kinds: {}", one_of(allowed));
        problems.push(Problem::new("store.kind", Some(origins.of(&["store", "kind"])), message));
        StoreConfig::default()
    })
}

fn parse_transports(
    body: Option<&Value>,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) -> Vec<TransportConfig> {
    let items = match body {
        None => return Vec::new(),
        Some(Value::Array(_, items)) => items,
        Some(_) => {
            let message = "wrong type: expected an array of tables (`[[transports]]`)";
            problems.push(Problem::new("transports", Some(origins.of(&["transports"])), message));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = vec!["transports".to_owned(), i.to_string()];
        let Some((kind, rest)) = tagged(item, &path, origins, problems, TransportConfig::KINDS)
        else {
            continue;
        };
        let label = format!("transport kind {kind:?}");
        let mut parser = SectionParser::new(path.clone(), label, rest, origins, problems);
        match TransportConfig::parse(&kind, &mut parser) {
            Ok(cfg) => out.push(cfg),
            Err(allowed) => {
                let message =
                    format!("unknown transport kind {kind:?}; allowed kinds: {}", one_of(allowed));
                let key: Vec<String> = path.iter().cloned().chain(["kind".to_owned()]).collect();
                problems.push(Problem::new(key.join("."), Some(origins.of(&key)), message));
            }
        }
    }
    out
}

fn parse_handlers(
    body: Option<&Value>,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, PluginConfig> {
    let mut out = BTreeMap::new();
    let Some(body) = body else { return out };
    let Value::Dict(_, dict) = body else {
        let message = "wrong type: expected tables `[handlers.<name>]`";
        problems.push(Problem::new("handlers", Some(origins.of(&["handlers"])), message));
        return out;
    };
    for (name, section) in dict {
        let path = ["handlers", name.as_str()];
        let Value::Dict(_, keys) = section else {
            let message = "wrong type: expected a table `[handlers.<name>]`";
            problems.push(Problem::new(path.join("."), Some(origins.of(&path)), message));
            continue;
        };
        let mut keys = keys.clone();
        let enabled = match keys.remove("enabled") {
            None => true,
            Some(Value::Bool(_, b)) => b,
            Some(other) => {
                let key = ["handlers", name.as_str(), "enabled"];
                let message =
                    format!("wrong type: found {}, expected a boolean", other.to_actual());
                problems.push(Problem::new(key.join("."), Some(origins.of(&key)), message));
                true
            }
        };
        let options = serde_json::to_value(&keys).unwrap_or_default();
        out.insert(name.clone(), PluginConfig { enabled, options });
    }
    out
}
