// `figment::Jail` closures return figment's (large) error type; that is its API, not ours.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;

use figment::Jail;

use super::template::render;
use super::*;

/// Loads `toml` from a file in a temp dir, without the environment.
fn load_str(toml: &str) -> (Result<Loaded, ConfigError>, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("peerd.toml");
    std::fs::write(&file, toml).unwrap();
    let sources = Sources { file: Some(file.clone()), env: false, ..Sources::default() };
    (load(&sources), file, dir)
}

fn problems(toml: &str) -> (Vec<Problem>, PathBuf) {
    let (result, file, _dir) = load_str(toml);
    (result.expect_err("config should be invalid").problems().to_vec(), file)
}

fn at(line: usize, file: &std::path::Path) -> Option<Origin> {
    Some(Origin::File { path: file.to_path_buf(), line: Some(line) })
}

#[test]
fn layers_override_in_order_default_file_env_flag() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "my.toml",
            "[node]\nchain = \"local\"\nname = \"from-file\"\ndata_dir = \"file-dir\"\n\n[store]\nkind = \"memory\"\n",
        )?;
        jail.set_env("PEERD_NODE__CHAIN", "testing");
        jail.set_env("PEERD_NODE__DATA_DIR", "env-dir");
        let sources = Sources {
            file: Some("my.toml".into()),
            env: true,
            data_dir: Some("flag-dir".into()),
            chain: None,
        };
        let loaded = load(&sources).unwrap();
        let node = &loaded.config.node;
        assert_eq!(loaded.config.sync.min_upstreams, 5);
        assert_eq!(loaded.origins.of(&["sync", "min_upstreams"]), Origin::Default);
        assert_eq!(node.name, "from-file");
        assert_eq!(
            loaded.origins.of(&["node", "name"]),
            Origin::File { path: "my.toml".into(), line: Some(3) }
        );
        assert_eq!(node.chain, ChainName::Testing);
        assert_eq!(
            loaded.origins.of(&["node", "chain"]),
            Origin::Env { var: "PEERD_NODE__CHAIN".into() }
        );
        assert_eq!(node.data_dir, PathBuf::from("flag-dir"));
        assert_eq!(
            loaded.origins.of(&["node", "data_dir"]),
            Origin::Flag { flag: "--data-dir".into() }
        );

        // Without the flag the environment wins over the file; with --chain the flag wins.
        let sources = Sources { data_dir: None, chain: Some("bitmark".into()), ..sources };
        let loaded = load(&sources).unwrap();
        assert_eq!(loaded.config.node.data_dir, PathBuf::from("env-dir"));
        assert_eq!(loaded.config.node.chain, ChainName::Bitmark);
        Ok(())
    });
}

#[test]
fn the_file_in_the_data_dir_is_read_unless_config_is_given() {
    Jail::expect_with(|jail| {
        jail.create_dir("data")?;
        jail.create_file(
            "data/peerd.toml",
            "[node]\nname = \"in-data-dir\"\n[store]\nkind = \"memory\"\n",
        )?;
        jail.create_file("other.toml", "[node]\nname = \"other\"\n[store]\nkind = \"memory\"\n")?;
        let sources = Sources { data_dir: Some("data".into()), env: true, ..Sources::default() };
        let loaded = load(&sources).unwrap();
        assert_eq!(loaded.config.node.name, "in-data-dir");
        assert_eq!(loaded.file, Some(PathBuf::from("data/peerd.toml")));
        let sources = Sources { file: Some("other.toml".into()), ..sources };
        assert_eq!(load(&sources).unwrap().config.node.name, "other");
        // The data dir may also come from the environment.
        jail.set_env("PEERD_NODE__DATA_DIR", "data");
        let loaded = load(&Sources { env: true, ..Sources::default() }).unwrap();
        assert_eq!(loaded.config.node.name, "in-data-dir");
        Ok(())
    });
}

#[test]
fn a_misspelt_key_names_the_key_the_file_and_the_line() {
    let (problems, file) = problems("[store]\nkind = \"memory\"\n\n[node]\nnmae = \"x\"\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "node.nmae");
    assert_eq!(problems[0].origin, at(5, &file));
    let text = problems[0].to_string();
    assert!(text.contains("unknown key") && text.contains("`name`"), "{text}");
    assert!(text.contains(&format!("{}:5", file.display())), "{text}");
}

#[test]
fn a_wrong_type_names_the_key_and_the_value() {
    let (problems, file) =
        problems("[store]\nkind = \"memory\"\n[sync]\npoll_interval = \"soon\"\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "sync.poll_interval");
    assert_eq!(problems[0].origin, at(4, &file));
    assert!(problems[0].message.contains("\"soon\""), "{}", problems[0]);
}

#[test]
fn every_problem_in_a_file_is_reported() {
    let toml = "[node]\nchain = \"mainnet\"\nnaem = 1\n[store]\nkind = \"memory\"\nsize = 3\n\
                [[transports]]\nkind = \"carrier-pigeon\"\n[sync]\nmin_votes = 0\nfetch_window = -1\n[extra]\n";
    let (problems, file) = problems(toml);
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    for key in
        ["extra", "node.chain", "node.naem", "store.size", "transports.0.kind", "sync.fetch_window"]
    {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    let chain = problems.iter().find(|p| p.key == "node.chain").unwrap();
    assert!(chain.message.contains("\"mainnet\"") && chain.message.contains("`dev`"), "{chain}");
    let kind = problems.iter().find(|p| p.key == "transports.0.kind").unwrap();
    assert!(kind.message.contains("`zmq`, `libp2p`, `memory`"), "{kind}");
    assert_eq!(kind.origin, at(8, &file));
    // sync.min_votes = 0 is caught by the range check once the section parsed.
    assert!(keys.contains(&"sync.min_votes"), "{keys:?}");
}

#[test]
fn ranges_are_checked_with_the_bad_value_and_what_is_allowed() {
    let (problems, file) =
        problems("[store]\nkind = \"memory\"\n[sync]\nmin_upstreams = 2\nmin_votes = 4\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "sync.min_votes");
    assert_eq!(problems[0].origin, at(5, &file));
    assert!(
        problems[0].message.contains("value 4") && problems[0].message.contains("= 3"),
        "{}",
        problems[0]
    );
    let (ok, _, _dir) =
        load_str("[store]\nkind = \"memory\"\n[sync]\nmin_upstreams = 2\nmin_votes = 3\n");
    assert_eq!(ok.unwrap().config.sync.min_votes, 3);
}

#[test]
fn a_kind_in_the_environment_is_reported_with_its_variable() {
    Jail::expect_with(|jail| {
        jail.set_env("PEERD_STORE__KIND", "tape");
        let err = load(&Sources::default()).unwrap_err();
        let problem = &err.problems()[0];
        assert_eq!(problem.key, "store.kind");
        assert_eq!(problem.origin, Some(Origin::Env { var: "PEERD_STORE__KIND".into() }));
        assert!(
            problem.message.contains("\"tape\"") && problem.message.contains("`rocksdb`"),
            "{problem}"
        );
        Ok(())
    });
}

#[test]
fn switching_the_store_kind_does_not_inherit_keys_of_the_default_backend() {
    Jail::expect_with(|jail| {
        jail.set_env("PEERD_STORE__KIND", "memory");
        let loaded = load(&Sources::default()).unwrap();
        assert_eq!(loaded.config.store.kind(), "memory");
        assert_eq!(loaded.config.store_path(), None);
        let shown = render_effective(&loaded);
        assert!(
            shown.contains("kind = \"memory\"") && shown.contains("# env PEERD_STORE__KIND"),
            "{shown}"
        );
        Ok(())
    });
}

#[test]
fn a_single_underscore_variable_is_flagged_and_unrelated_ones_are_ignored() {
    Jail::expect_with(|jail| {
        jail.set_env("PEERD_STORE_KIND", "memory");
        jail.set_env("PEERD_VECTORS", "/somewhere");
        jail.set_env("PEERD_STORE__KIND", "memory");
        let err = load(&Sources::default()).unwrap_err();
        assert_eq!(err.problems().len(), 1, "{err}");
        assert_eq!(err.problems()[0].origin, Some(Origin::Env { var: "PEERD_STORE_KIND".into() }));
        Ok(())
    });
}

#[test]
fn handler_sections_become_plugin_configs() {
    let toml = "[store]\nkind = \"memory\"\n[handlers.notes]\nenabled = false\nlimit = 5\n[handlers.other]\n";
    let (loaded, file, _dir) = load_str(toml);
    let loaded = loaded.unwrap();
    let notes = &loaded.config.handlers["notes"];
    assert!(!notes.enabled);
    assert_eq!(notes.options, serde_json::json!({ "limit": 5 }));
    assert!(loaded.config.handlers["other"].enabled);
    let unknown = check_handlers(&loaded.config, &loaded.origins, &["notes"]);
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].key, "handlers.other");
    assert_eq!(unknown[0].origin, at(6, &file));
}

#[test]
fn show_names_file_lines_and_defaults() {
    let (loaded, file, _dir) = load_str(
        "[store]\nkind = \"memory\"\n\n[[transports]]\nkind = \"memory\"\npeers = [\"b\"]\n",
    );
    let shown = render_effective(&loaded.unwrap());
    let line = shown.lines().find(|l| l.starts_with("peers")).unwrap();
    assert!(line.ends_with(&format!("# file {}:6", file.display())), "{line}");
    let line = shown.lines().find(|l| l.starts_with("min_votes")).unwrap();
    assert!(line.ends_with("# default"), "{line}");
}

#[test]
fn every_default_key_is_documented() {
    let text = render_default();
    assert!(!text.contains("(undocumented)"), "document these keys in config/docs.rs:\n{text}");
    for line in text.lines() {
        assert!(line.len() <= 100, "line too long: {line}");
    }
}

#[test]
fn every_documented_key_exists_and_its_sample_parses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.toml");
    std::fs::write(&file, render(&Config::default(), true)).unwrap();
    match load(&Sources { file: Some(file), env: false, ..Sources::default() }) {
        Ok(loaded) => {
            assert_eq!(loaded.config.http.listen, Some("127.0.0.1:2131".parse().unwrap()))
        }
        // Without the sled feature the default store cannot be checked; nothing else may fail.
        Err(e) => {
            if cfg!(feature = "sled") {
                panic!("{e}");
            }
            assert!(e.problems().iter().all(|p| p.key == "store.kind"), "{e}");
        }
    }
    // And each documented key is either in the defaults or has a sample value.
    let json = serde_json::to_value(Config::default()).unwrap();
    let compiled = |d: &&docs::Doc| cfg!(feature = "sled") || !d.key.starts_with("store.sled.");
    for doc in docs::KEYS.iter().filter(|d| d.example.is_none()).filter(compiled) {
        let parts: Vec<&str> = doc.key.split('.').collect();
        let present = match parts.as_slice() {
            [section, key] => {
                json[section].get(key).is_some() || json[section][0].get(key).is_some()
            }
            [section, kind, key] => {
                let body =
                    if json[section].is_array() { &json[section][0] } else { &json[section] };
                body["kind"] != *kind || body.get(key).is_some()
            }
            _ => false,
        };
        assert!(present, "documented key {} is not in the default configuration", doc.key);
    }
}

#[test]
#[cfg(feature = "sled")]
fn the_default_file_loads_back_to_the_defaults() {
    let (loaded, _, _dir) = load_str(&render_default());
    assert_eq!(loaded.unwrap().config, Config::default());
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub/peerd.toml");
    write_default(&file, false).unwrap();
    std::fs::write(&file, "# mine\n").unwrap();
    let err = write_default(&file, false).unwrap_err();
    assert!(matches!(err, ConfigError::Exists(_)) && err.to_string().contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
    write_default(&file, true).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), render_default());
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let (problems, file) =
        problems("[store]\nkind = \"memory\"\n[sync]\nmin_votes = 2\nmin_votes = 3\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].origin, at(5, &file));
    assert!(problems[0].message.contains("duplicate key `min_votes`"), "{}", problems[0]);
    assert!(!problems[0].message.contains('\n'), "{}", problems[0]);
}

#[test]
fn a_missing_config_file_is_a_problem_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("absent.toml");
    let sources = Sources { file: Some(file.clone()), env: false, ..Sources::default() };
    let err = load(&sources).unwrap_err();
    assert_eq!(err.problems()[0].origin, Some(Origin::File { path: file, line: None }));
    assert!(err.to_string().contains("absent.toml"), "{err}");
}

#[test]
fn a_value_rejected_by_its_parser_is_quoted() {
    let (problems, file) = problems("[store]\nkind = \"memory\"\n[http]\nlisten = \"localhost\"\n");
    assert_eq!(problems[0].key, "http.listen");
    assert_eq!(problems[0].origin, at(4, &file));
    assert!(problems[0].message.starts_with("invalid value \"localhost\""), "{}", problems[0]);
}

#[test]
fn a_transport_rejects_its_own_bad_values_at_check_time() {
    let toml = "[store]\nkind = \"memory\"\n[[transports]]\nkind = \"memory\"\nqueue_limit = 0\n";
    let (problems, file) = problems(toml);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "transports.0");
    assert_eq!(problems[0].origin, at(3, &file));
    assert!(problems[0].message.contains("queue_limit"), "{}", problems[0]);
}
