//! Where each configuration value came from: default, file and line, environment, flag.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::value::Value;
use figment::Figment;
use toml_edit::{ImDocument, Item};

/// Prefix of the environment variables read as configuration.
pub const ENV_PREFIX: &str = "PEERD_";

/// Metadata name of the compiled-in defaults layer.
pub(crate) const DEFAULTS_NAME: &str = "default";
/// Prefix of the metadata name of a command-line flag layer (`flag --data-dir`).
pub(crate) const FLAG_PREFIX: &str = "flag ";

/// The source of one configuration value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The compiled-in default.
    Default,
    /// A TOML file; `line` is 1-based, when the key could be located.
    File {
        /// The file.
        path: PathBuf,
        /// Line of the key in the file.
        line: Option<usize>,
    },
    /// An environment variable.
    Env {
        /// The variable's name, e.g. `PEERD_STORE__KIND`.
        var: String,
    },
    /// A command-line flag.
    Flag {
        /// The flag, e.g. `--data-dir`.
        flag: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line: Some(line) } => write!(f, "file {}:{line}", path.display()),
            Origin::File { path, line: None } => write!(f, "file {}", path.display()),
            Origin::Env { var } => write!(f, "env {var}"),
            Origin::Flag { flag } => write!(f, "flag {flag}"),
        }
    }
}

/// Resolves key paths of a merged configuration to their [`Origin`].
#[derive(Debug)]
pub struct Origins {
    figment: Figment,
    root: Value,
    file: Option<FileSpans>,
}

/// The config file's text, parsed with spans so keys can be located by line.
struct FileSpans {
    path: PathBuf,
    text: String,
    doc: Option<ImDocument<String>>,
}

impl fmt::Debug for FileSpans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSpans").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Origins {
    /// Wraps a merged figment; `file` is the config file and its text, if one was read.
    pub(crate) fn new(figment: Figment, root: Value, file: Option<(PathBuf, String)>) -> Self {
        let file = file.map(|(path, text)| FileSpans {
            doc: ImDocument::parse(text.clone()).ok(),
            path,
            text,
        });
        Self { figment, root, file }
    }

    /// The merged figment.
    pub fn figment(&self) -> &Figment {
        &self.figment
    }

    /// The merged value tree (tags intact).
    pub(crate) fn root(&self) -> &Value {
        &self.root
    }

    /// The origin of the value at `path` (section, key, array index as text, …). For a
    /// key that is not present (a default the layers did not mention) this is
    /// [`Origin::Default`]; otherwise the nearest present ancestor decides.
    pub fn of<S: AsRef<str>>(&self, path: &[S]) -> Origin {
        let mut node = &self.root;
        let mut found = None;
        for (depth, key) in path.iter().enumerate() {
            let next = match node {
                Value::Dict(_, dict) => dict.get(key.as_ref()),
                Value::Array(_, items) => {
                    key.as_ref().parse::<usize>().ok().and_then(|i| items.get(i))
                }
                _ => None,
            };
            match next {
                Some(v) => {
                    node = v;
                    found = Some(depth + 1);
                }
                None => break,
            }
        }
        let Some(depth) = found else { return Origin::Default };
        let keys: Vec<&str> = path[..depth].iter().map(AsRef::as_ref).collect();
        self.classify(node, &keys)
    }

    fn classify(&self, node: &Value, keys: &[&str]) -> Origin {
        let Some(meta) = self.figment.get_metadata(node.tag()) else { return Origin::Default };
        if let Some(path) = meta.source.as_ref().and_then(|s| s.file_path()) {
            return Origin::File { path: path.to_path_buf(), line: self.line_of(path, keys) };
        }
        if let Some(flag) = meta.name.strip_prefix(FLAG_PREFIX) {
            return Origin::Flag { flag: flag.to_owned() };
        }
        if meta.name == DEFAULTS_NAME {
            return Origin::Default;
        }
        let var: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
        Origin::Env { var: format!("{ENV_PREFIX}{}", var.join("__")) }
    }

    /// 1-based line of `keys` in the config file, if `path` is that file.
    fn line_of(&self, path: &Path, keys: &[&str]) -> Option<usize> {
        let file = self.file.as_ref()?;
        if !same_file(&file.path, path) {
            return None;
        }
        let offset = span_start(file.doc.as_ref()?.as_table(), keys)?;
        Some(file.text.get(..offset)?.matches('\n').count() + 1)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// Byte offset where the key (or array element) at `keys` starts in the document.
fn span_start(table: &toml_edit::Table, keys: &[&str]) -> Option<usize> {
    let (first, rest) = keys.split_first()?;
    let (key, item) = table.get_key_value(first)?;
    let here = key.span().or_else(|| item.span()).map(|s| s.start);
    if rest.is_empty() {
        return here;
    }
    item_span(item, rest).or(here)
}

fn item_span(item: &Item, keys: &[&str]) -> Option<usize> {
    let (first, rest) = keys.split_first()?;
    if let Some(tables) = item.as_array_of_tables() {
        let table = tables.get(first.parse().ok()?)?;
        let here = table.span().map(|s| s.start);
        return if rest.is_empty() { here } else { span_start(table, rest).or(here) };
    }
    if let Some(array) = item.as_array() {
        let value = array.get(first.parse().ok()?)?;
        return value.span().map(|s| s.start);
    }
    let like = item.as_table_like()?;
    let (key, inner) = like.get_key_value(first)?;
    let here = key.span().or_else(|| inner.span()).map(|s| s.start);
    if rest.is_empty() {
        return here;
    }
    item_span(inner, rest).or(here)
}
