//! `peerd db …`: tools for a stopped node's data directory.
//!
//! - `inspect`: the store's columns with their key counts and sizes;
//! - `delete-down`, `export-blocks`, `import-blocks`: the chain's blocks, through the chain
//!   rules ([`delete_down`], [`export_blocks`], [`import_blocks`]; file format in [`blockfile`]).
//!
//! - `check [--repair]`: every block and index verified against the blocks ([`check`]);
//! - `peerd chain generate`: test blocks with realistic traffic ([`generate`]).
//!
//! Every tool takes the data directory lock first, so none ever runs beside a live node.

pub mod blockfile;
mod check;
mod generate;
mod tools;

pub use check::{check, check_store, Checked, Problem};
pub use generate::{generate, Generated, GENERATE_CHAINS};
pub use tools::{delete_down, export_blocks, import_blocks, DbError, DeletedDown, Imported};

use std::fmt::Write as _;

use peerd_api::ColumnStats;
use serde::Serialize;

use crate::builtin::BuildError;
use crate::config::Config;
use crate::lockfile::{DataDirLock, LockError};

/// What `db inspect` reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// The store's kind.
    pub kind: String,
    /// Its directory, if it has one.
    pub path: Option<String>,
    /// Every column, sorted by name.
    pub columns: Vec<ColumnStats>,
}

/// Errors of `db inspect`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The data directory is in use (a node is running on it) or unusable.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The store could not be opened.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Reading the statistics failed.
    #[error("reading store statistics: {0}")]
    Stats(#[from] peerd_api::StoreError),
}

/// Opens the configured store under the data directory lock (so it never races a running
/// node) and collects its column statistics. Nothing is written.
///
/// # Errors
///
/// See [`InspectError`].
pub fn inspect(config: &Config) -> Result<Inspection, InspectError> {
    let _lock = DataDirLock::acquire(&config.node.data_dir)?;
    let store = config.store.open(&config.node.data_dir)?;
    let mut columns = store.stats()?;
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Inspection {
        kind: store.kind().to_owned(),
        path: config.store_path().map(|p| p.display().to_string()),
        columns,
    })
}

impl Inspection {
    /// A plain-text table: column, keys, bytes, and a total line.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let place = self.path.as_deref().unwrap_or("(in memory)");
        let _ = writeln!(out, "store: {} at {place}", self.kind);
        let width =
            self.columns.iter().map(|c| c.name.len()).max().unwrap_or(0).max("column".len());
        let _ = writeln!(out, "{:<width$}  {:>12}  {:>14}", "column", "keys", "bytes");
        for c in &self.columns {
            let _ = writeln!(out, "{:<width$}  {:>12}  {:>14}", c.name, c.keys, c.bytes);
        }
        let keys: u64 = self.columns.iter().map(|c| c.keys).sum();
        let bytes: u64 = self.columns.iter().map(|c| c.bytes).sum();
        let _ = writeln!(out, "{:<width$}  {keys:>12}  {bytes:>14}", "total");
        out
    }

    /// The same as JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_columns_and_totals() {
        let inspection = Inspection {
            kind: "sled".into(),
            path: Some("/d/sled".into()),
            columns: vec![
                ColumnStats { name: "bitmark.blocks".into(), keys: 3, bytes: 300 },
                ColumnStats { name: "x".into(), keys: 1, bytes: 10 },
            ],
        };
        let table = inspection.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "store: sled at /d/sled");
        assert!(lines[2].starts_with("bitmark.blocks") && lines[2].ends_with(" 300"), "{table}");
        assert!(lines[4].starts_with("total") && lines[4].ends_with(" 310"), "{table}");
        let json: serde_json::Value = serde_json::from_str(&inspection.json()).unwrap();
        assert_eq!(json["columns"][0]["keys"], 3);
    }
}
