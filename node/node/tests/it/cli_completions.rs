//! `peerd completions <shell>`, `peerd man` and the `db` tools' messages, run as a user would.

use std::path::Path;
use std::process::{Command, Output};

fn peerd(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peerd"));
    cmd.current_dir(dir).env_remove("RUST_LOG").args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PEERD_") {
            cmd.env_remove(key);
        }
    }
    if !cfg!(feature = "sled") {
        cmd.env("PEERD_STORE__KIND", "memory");
    }
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn completion_scripts_name_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&peerd(dir.path(), &["completions", shell]));
        for word in ["delete-down", "export-blocks", "completions", "config"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    let bad = peerd(dir.path(), &["completions", "tcsh"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tcsh"));
}

#[test]
fn the_man_page_goes_to_stdout_or_one_page_per_command_to_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let page = stdout(&peerd(dir.path(), &["man"]));
    assert!(page.starts_with(".ie") || page.contains(".TH peerd"), "{page}");
    for word in ["run", "db", "completions", "\\-\\-data\\-dir"] {
        assert!(page.contains(word), "the page lacks {word}");
    }
    let said = stdout(&peerd(dir.path(), &["man", "--out", "man1"]));
    assert!(said.starts_with("wrote ") && said.trim_end().ends_with("man pages to man1"), "{said}");
    let db = std::fs::read_to_string(dir.path().join("man1/peerd-db-delete-down.1")).unwrap();
    assert!(db.contains("genesis"), "{db}");
}

#[test]
fn db_tools_explain_what_they_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let out = peerd(dir.path(), &["--data-dir", "data", "db", "delete-down", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("block 1 is the genesis block"), "{err}");
    let out = peerd(dir.path(), &["--data-dir", "data", "db", "export-blocks", "2", "5", "x.bin"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("holds only the genesis block"), "{err}");
    let out = peerd(dir.path(), &["--data-dir", "data", "db", "import-blocks", "missing.bin"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("missing.bin"), "{err}");
}
