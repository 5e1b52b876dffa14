//! Every config file stored under `config/` must keep loading.

use std::path::{Path, PathBuf};

use peerd_node::config::{self, Sources};

fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// Kinds whose cargo feature is off in this build; a file using them cannot be checked
/// fully here (CI builds with every feature and checks them there).
fn missing_feature(message: &str) -> bool {
    let missing =
        [("\"sled\"", cfg!(feature = "sled")), ("\"rocksdb\"", cfg!(feature = "rocksdb"))];
    message.contains("not available in this build")
        && missing.iter().any(|(kind, on)| !on && message.contains(kind))
}

#[test]
fn every_stored_config_file_loads() {
    let mut files = Vec::new();
    toml_files(&config_dir(), &mut files);
    let names: Vec<String> =
        files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into()).collect();
    for expected in ["default.toml", "single-sled.toml", "rocksdb.toml", "memory.toml"] {
        assert!(names.iter().any(|n| n == expected), "config/{expected} is missing: {names:?}");
    }
    let mut failures = Vec::new();
    for file in &files {
        let sources = Sources { file: Some(file.clone()), env: false, ..Sources::default() };
        if let Err(e) = config::load(&sources) {
            if !e.problems().iter().all(|p| missing_feature(&p.message)) || e.problems().is_empty()
            {
                failures.push(format!("{}: {e}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[cfg(feature = "sled")]
fn default_toml_is_what_config_init_writes() {
    let stored = std::fs::read_to_string(config_dir().join("default.toml")).unwrap();
    assert!(
        stored == config::render_default(),
        "config/default.toml is stale: regenerate it with `peerd config init --out config/default.toml --force`"
    );
}

#[test]
fn a_broken_file_fails_the_check_above() {
    // The walk above is only worth something if a bad file makes load fail.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[store]\nkind = \"memory\"\ncache = 1\n").unwrap();
    let err =
        config::load(&Sources { file: Some(file), env: false, ..Sources::default() }).unwrap_err();
    assert!(!missing_feature(&err.problems()[0].message), "{err}");
}

#[cfg(feature = "tools")]
#[test]
fn the_tools_name_the_config_file_and_environment_the_node_reads() {
    assert_eq!(peerd_tools::CONFIG_FILE, peerd_node::config::FILE_NAME);
    assert_eq!(peerd_tools::ENV_PREFIX, peerd_node::config::ENV_PREFIX);
    assert_eq!(peerd_tools::VERSION, peerd_node::run::VERSION);
}
