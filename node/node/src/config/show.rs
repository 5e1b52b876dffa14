//! `peerd config show`: the effective configuration and where each value came from.

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use super::template::literal;
use super::{Loaded, Origin};

/// Column where the origin comment starts.
const COMMENT_COLUMN: usize = 44;

/// The merged configuration as TOML, each value followed by `# <origin>`: `default`,
/// `file <path>:<line>`, `env PEERD_…` or `flag --…`.
pub fn render_effective(loaded: &Loaded) -> String {
    let json = serde_json::to_value(&loaded.config).unwrap_or_default();
    let mut out = String::new();
    if let Some(file) = &loaded.file {
        let _ = writeln!(out, "# config file: {}", file.display());
    } else {
        out.push_str("# config file: none\n");
    }
    for name in super::load::SECTIONS {
        let body = json.get(name).cloned().unwrap_or(Json::Null);
        match body {
            Json::Array(entries) => {
                for (i, entry) in entries.iter().enumerate() {
                    out.push_str("\n[[transports]]\n");
                    section(&mut out, loaded, &[name.to_owned(), i.to_string()], entry.as_object());
                }
            }
            Json::Object(map) if name == "handlers" => {
                for (handler, body) in &map {
                    let _ = writeln!(out, "\n[handlers.{handler}]");
                    section(
                        &mut out,
                        loaded,
                        &[name.to_owned(), handler.clone()],
                        body.as_object(),
                    );
                }
            }
            Json::Object(map) => {
                let _ = writeln!(out, "\n[{name}]");
                section(&mut out, loaded, &[name.to_owned()], Some(&map));
                if name == "store" && !map.contains_key("path") {
                    if let Some(path) = loaded.config.store_path() {
                        let value = literal(&Json::from(path.display().to_string()));
                        line(&mut out, &format!("path = {value}"), "default: under node.data_dir");
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn section(out: &mut String, loaded: &Loaded, path: &[String], body: Option<&Map<String, Json>>) {
    for (key, value) in body.into_iter().flatten().filter(|(_, v)| !v.is_null()) {
        let mut full = path.to_vec();
        full.push(key.clone());
        let origin = loaded.origins.of(&full);
        line(out, &format!("{key} = {}", literal(value)), &origin_text(&origin));
    }
}

fn origin_text(origin: &Origin) -> String {
    origin.to_string()
}

fn line(out: &mut String, text: &str, comment: &str) {
    let pad = COMMENT_COLUMN.saturating_sub(text.len()).max(1);
    let _ = writeln!(out, "{text}{:pad$}# {comment}", "");
}
