//! The `peerd` binary, driven as a user would: config commands, `run` with signals, `db`.

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{ChildStderr, Command, Output, Stdio};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// `peerd` in `dir`, with no `PEERD_*`/`RUST_LOG` inherited from the test's environment.
fn peerd(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peerd"));
    cmd.current_dir(dir).env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PEERD_") {
            cmd.env_remove(key);
        }
    }
    // Without the sled feature the default store is not available; use memory instead.
    if !cfg!(feature = "sled") {
        cmd.env("PEERD_STORE__KIND", "memory");
    }
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed: {}{}", text(&out.stdout), text(&out.stderr));
    out
}

#[test]
fn version_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(peerd(dir.path()).arg("--version"));
    assert_eq!(text(&out.stdout).trim(), format!("peerd {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn config_init_then_check_round_trips_and_init_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(peerd(dir.path()).args(["--data-dir", "data", "config", "init"]));
    assert_eq!(text(&out.stdout).trim(), "wrote data/peerd.toml");
    let written = std::fs::read_to_string(dir.path().join("data/peerd.toml")).unwrap();
    assert!(written.contains("[node]") && written.contains("min_votes = 3"), "{written}");

    // `check` finds the file in the data directory on its own.
    let out = run_ok(peerd(dir.path()).args(["--data-dir", "data", "config", "check"]));
    assert_eq!(text(&out.stdout), "ok\n");

    let again = peerd(dir.path()).args(["--data-dir", "data", "config", "init"]).output().unwrap();
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists; pass --force"),
        "{}",
        text(&again.stderr)
    );
    std::fs::write(dir.path().join("data/peerd.toml"), "# edited\n").unwrap();
    let again = peerd(dir.path()).args(["--data-dir", "data", "config", "init"]).output().unwrap();
    assert!(!again.status.success());
    assert_eq!(std::fs::read_to_string(dir.path().join("data/peerd.toml")).unwrap(), "# edited\n");
    run_ok(peerd(dir.path()).args(["--data-dir", "data", "config", "init", "--force"]));
    assert_eq!(std::fs::read_to_string(dir.path().join("data/peerd.toml")).unwrap(), written);
}

#[test]
fn config_check_lists_every_problem_with_key_and_file_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[node]\nnmae = \"x\"\n\n[sync]\nmin_votes = \"three\"\n").unwrap();
    let out = peerd(dir.path()).args(["config", "check"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("2 problems:"), "{stdout}");
    assert!(
        stdout.contains("`node.nmae`: unknown key") && stdout.contains("bad.toml:2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("`sync.min_votes`")
            && stdout.contains("\"three\"")
            && stdout.contains("bad.toml:5"),
        "{stdout}"
    );
}

#[test]
fn config_show_names_the_environment_as_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(peerd(dir.path()).env("PEERD_STORE__KIND", "memory").args(["config", "show"]));
    let stdout = text(&out.stdout);
    let line =
        stdout.lines().find(|l| l.starts_with("kind = \"memory\"") && l.contains("PEERD")).unwrap();
    assert!(line.ends_with("# env PEERD_STORE__KIND"), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("data_dir")).unwrap();
    assert!(line.ends_with("# default"), "{line}");
}

#[test]
#[cfg(feature = "rocksdb")]
fn rocksdb_from_the_environment_shows_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        run_ok(peerd(dir.path()).env("PEERD_STORE__KIND", "rocksdb").args(["config", "show"]));
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("kind = \"rocksdb\"") && l.ends_with("# env PEERD_STORE__KIND")),
        "{stdout}"
    );
}

#[test]
#[cfg(not(feature = "rocksdb"))]
fn rocksdb_without_its_feature_is_refused_naming_the_variable_and_feature() {
    let dir = tempfile::tempdir().unwrap();
    let out = peerd(dir.path())
        .env("PEERD_STORE__KIND", "rocksdb")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("env PEERD_STORE__KIND") && stderr.contains("feature `rocksdb`"),
        "{stderr}"
    );
}

/// Reads JSON log lines until one has `message`; returns it.
fn wait_for(
    lines: &mut Lines<BufReader<ChildStderr>>,
    message: &str,
    seen: &mut Vec<String>,
) -> serde_json::Value {
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) {
            if json["message"] == message {
                return json;
            }
        }
    }
    panic!("peerd ended without logging {message:?}; output:\n{}", seen.join("\n"));
}

#[test]
fn run_starts_refuses_a_second_node_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut node = peerd(dir.path())
        .env("PEERD_STORE__KIND", "memory")
        .args(["--log-format", "json", "--log", "info", "--data-dir"])
        .arg(&data)
        .arg("run")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(node.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let summary = wait_for(&mut lines, "peerd started", &mut seen);
    assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary["chain"], "dev");
    assert_eq!(summary["store"], "memory");
    assert_eq!(summary["data_dir"], data.display().to_string());
    assert_eq!(summary["transports"], "memory [mem://peerd]");

    // A second node on the same data directory fails, naming it; so does `db inspect`.
    for args in [&["run"][..], &["db", "inspect"][..]] {
        let second = peerd(dir.path())
            .env("PEERD_STORE__KIND", "memory")
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        assert!(!second.status.success(), "{args:?}");
        let stderr = text(&second.stderr);
        assert!(
            stderr.contains(&format!("data directory {} is in use", data.display())),
            "{stderr}"
        );
    }

    kill(Pid::from_raw(i32::try_from(node.id()).unwrap()), Signal::SIGTERM).unwrap();
    wait_for(&mut lines, "shutting down", &mut seen);
    wait_for(&mut lines, "peerd stopped", &mut seen);
    assert_eq!(node.wait().unwrap().code(), Some(0), "{}", seen.join("\n"));
    // The lock went with the process: the directory can be used again.
    run_ok(
        peerd(dir.path())
            .env("PEERD_STORE__KIND", "memory")
            .arg("--data-dir")
            .arg(&data)
            .args(["db", "inspect"]),
    );
}

#[test]
#[cfg(feature = "sled")]
fn db_inspect_lists_columns_with_counts_and_sizes() {
    use peerd_api::{Column, Store as _, WriteBatch};

    let dir = tempfile::tempdir().unwrap();
    {
        let store =
            peerd_store_sled::Store::open(&dir.path().join("data/sled"), &Default::default())
                .unwrap();
        let mut batch = WriteBatch::new();
        batch.put(Column::new("a.blocks"), [1u8], [0u8; 10]).put(
            Column::new("a.blocks"),
            [2u8],
            [0u8; 20],
        );
        batch.put(Column::new("b.tip"), *b"height", [7u8]);
        store.write(batch).unwrap();
        store.flush().unwrap();
    }
    let out = run_ok(peerd(dir.path()).args(["--data-dir", "data", "db", "inspect", "--json"]));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["kind"], "sled");
    let columns = json["columns"].as_array().unwrap();
    let blocks = columns.iter().find(|c| c["name"] == "a.blocks").unwrap();
    assert_eq!((blocks["keys"].as_u64(), blocks["bytes"].as_u64()), (Some(2), Some(32)));
    let tip = columns.iter().find(|c| c["name"] == "b.tip").unwrap();
    assert_eq!((tip["keys"].as_u64(), tip["bytes"].as_u64()), (Some(1), Some(7)));

    let out = run_ok(peerd(dir.path()).args(["--data-dir", "data", "db", "inspect"]));
    let table = text(&out.stdout);
    assert!(table.lines().any(|l| l.starts_with("a.blocks") && l.ends_with(" 32")), "{table}");
}

#[test]
fn inspect_prints_json_or_the_bitmarkd_fault() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(peerd(dir.path()).args([
        "inspect",
        "address",
        "1304d200000000000000000000ffff7f0000011304d200000000000000000000000000000001",
    ]));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["listeners"][0]["address"], "127.0.0.1:1234");
    assert_eq!(json["listeners"][1]["address"], "[::1]:1234");

    for (args, fault) in [
        (&["inspect", "header", "0102"][..], "invalid block header size"),
        (&["inspect", "tx", "00"][..], "not transaction pack"),
        (&["inspect", "address", "05"][..], "invalid ip address"),
    ] {
        let out = peerd(dir.path()).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(text(&out.stderr).contains(fault), "{args:?}: {}", text(&out.stderr));
    }
}
