//! `peerd completions <shell>` and `peerd man`: shell completion scripts (clap_complete)
//! and man pages (clap_mangen), generated from the command line definition so they never
//! drift from it.

use std::path::{Path, PathBuf};

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::Cli;

/// Errors writing man pages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManError {
    /// The output directory or a page could not be written.
    #[error("writing man pages to {dir}: {source}", dir = .dir.display())]
    Write {
        /// The output directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "peerd", &mut out);
    out
}

/// The `peerd(1)` man page (roff): synopsis, options and the list of commands.
pub fn man_page() -> Vec<u8> {
    let mut out = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = clap_mangen::Man::new(command()).render(&mut out);
    out
}

/// Writes `peerd.1` and one page per command (`peerd-db-inspect.1`, …) into `dir`,
/// creating it; returns the files written.
///
/// # Errors
///
/// [`ManError::Write`] naming the directory.
pub fn write_man_pages(dir: &Path) -> Result<Vec<PathBuf>, ManError> {
    let error = |source| ManError::Write { dir: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(error)?;
    let mut written = Vec::new();
    write_tree(command(), dir, &mut written).map_err(error)?;
    Ok(written)
}

fn write_tree(cmd: clap::Command, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    out.push(clap_mangen::Man::new(cmd.clone()).generate_to(dir)?);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_tree(sub.clone(), dir, out)?;
    }
    Ok(())
}

/// The command, built so that subcommands carry their full names (`peerd-db-inspect`).
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_pages_cover_every_command() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_man_pages(&dir.path().join("man1")).unwrap();
        let names: Vec<String> =
            files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
        for name in ["peerd.1", "peerd-run.1", "peerd-db-inspect.1", "peerd-config-init.1"] {
            assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
        }
        let page = std::fs::read_to_string(dir.path().join("man1/peerd-db-inspect.1")).unwrap();
        assert!(page.contains(".TH") && page.contains("json"), "{page}");
    }
}
