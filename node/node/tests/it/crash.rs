//! Crash safety of a writer: `peerd chain generate` (one write batch per block, through the
//! chain rules, as sync and `db import-blocks` write), `peerd db import-blocks` and `peerd db
//! delete-down` are SIGKILLed at seeded random moments on sled and on RocksDB; after every
//! kill `peerd db check` must find the store consistent, the height must never go the wrong
//! way, and a last uninterrupted run must finish the job (the import reaches the tip). The kill moment is the test's random input, drawn
//! from `PEERD_CRASH_SEED` (default 1) so a failing kill point can be replayed; the number
//! of kills per store is `PEERD_CRASH_KILLS` (default 3 here; `scripts/crash.sh` runs more).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::text;

/// The seed and the kill count, from the environment.
pub(crate) fn knobs() -> (u64, u32) {
    let get = |name: &str, default: u64| {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    (get("PEERD_CRASH_SEED", 1), u32::try_from(get("PEERD_CRASH_KILLS", 3)).unwrap_or(3))
}

/// xorshift64*: enough to spread kill moments, and the same for a seed everywhere.
pub(crate) fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn peerd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peerd"));
    cmd.arg("--config").arg(dir.join("peerd.toml")).args(args).env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PEERD_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `db check --json` on `dir`: (consistent, stored height, the report).
fn check(dir: &Path) -> (bool, u64, String) {
    let out = peerd(dir, &["db", "check", "--json"]).output().unwrap();
    let report = text(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("db check printed no JSON ({e}): {report}"));
    let height = json["stored_height"].as_u64().unwrap();
    (out.status.success() && json["problems"].as_array().unwrap().is_empty(), height, report)
}

fn killed_writers_leave_a_consistent_store(store: &str) {
    let (seed, kills) = knobs();
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[node]\nchain = \"dev\"\ndata_dir = \"{}\"\n\n[store]\nkind = \"{store}\"\n",
        dir.path().join("data").display()
    );
    std::fs::write(dir.path().join("peerd.toml"), config).unwrap();
    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut last_height = 1;
    for kill in 0..kills {
        let mut child = peerd(dir.path(), &["chain", "generate", "--blocks", "1000000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The kill moment: 0.3 s to 2.3 s after the start (opening the store included).
        let at = Duration::from_millis(300 + next(&mut rng) % 2000);
        std::thread::sleep(at);
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "{store} kill {kill}: the writer finished before the kill");
        let (clean, height, report) = check(dir.path());
        assert!(clean, "{store} seed {seed} kill {kill} at {at:?}: inconsistent:\n{report}");
        assert!(height >= last_height, "{store} kill {kill}: height fell to {height}");
        last_height = height;
    }
    assert!(last_height > 1, "{store}: no block was ever stored before a kill");
}

/// Starts `args` on `dir`, SIGKILLs it after `at` (if it is still running); true if the kill
/// landed before the process finished.
fn kill_after(dir: &Path, args: &[&str], at: Duration) -> bool {
    let mut child = peerd(dir, args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(at);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    !child.wait().unwrap().success()
}

/// Blocks of the chain the import and delete-down kills work on.
const BLOCKS: u64 = 2000;

fn killed_imports_and_delete_downs_leave_a_consistent_store(store: &str) {
    let (seed, kills) = knobs();
    let mut rng = seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1;
    let config = |dir: &Path| {
        let data = dir.join("data");
        let text = format!(
            "[node]\nchain = \"dev\"\ndata_dir = \"{}\"\n\n[store]\nkind = \"{store}\"\n",
            data.display()
        );
        std::fs::write(dir.join("peerd.toml"), text).unwrap();
    };
    // A chain to import, made once.
    let source = tempfile::tempdir().unwrap();
    config(source.path());
    let blocks = BLOCKS.to_string();
    let made = peerd(source.path(), &["chain", "generate", "--blocks", &blocks]).output().unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let file = source.path().join("blocks.bin");
    let file = file.to_str().unwrap();
    let top = (BLOCKS + 1).to_string();
    let export = peerd(source.path(), &["db", "export-blocks", "2", &top, file]).output().unwrap();
    assert!(export.status.success(), "{}", text(&export));

    // Imports killed at random moments: each run resumes where the last one stopped.
    let dir = tempfile::tempdir().unwrap();
    config(dir.path());
    let mut last = 1;
    let mut landed = 0;
    for kill in 0..kills {
        let at = Duration::from_millis(200 + next(&mut rng) % 1500);
        landed += u32::from(kill_after(dir.path(), &["db", "import-blocks", file], at));
        let (clean, height, report) = check(dir.path());
        assert!(clean, "{store} seed {seed} import kill {kill} at {at:?}: inconsistent:\n{report}");
        assert!(height >= last, "{store} import kill {kill}: height fell to {height}");
        last = height;
    }
    let done = peerd(dir.path(), &["db", "import-blocks", file]).output().unwrap();
    assert!(done.status.success(), "{}", text(&done));
    let (clean, height, report) = check(dir.path());
    assert!(clean && height == BLOCKS + 1, "{store}: the import did not finish:\n{report}");

    // Delete-downs to block 2 killed at random moments: the height only goes down.
    last = height;
    for kill in 0..kills {
        let at = Duration::from_millis(100 + next(&mut rng) % 600);
        landed += u32::from(kill_after(dir.path(), &["db", "delete-down", "2"], at));
        let (clean, height, report) = check(dir.path());
        assert!(
            clean,
            "{store} seed {seed} delete-down kill {kill} at {at:?}: inconsistent:\n{report}"
        );
        assert!(height <= last, "{store} delete-down kill {kill}: height rose to {height}");
        last = height;
    }
    assert!(landed > 0, "{store}: every run finished before its kill; nothing was tested");
}

#[cfg(feature = "sled")]
#[test]
fn sled_survives_imports_and_delete_downs_killed_at_random_moments() {
    let _one = crate::common::one_network_at_a_time();
    killed_imports_and_delete_downs_leave_a_consistent_store("sled");
}

#[cfg(feature = "rocksdb")]
#[test]
fn rocksdb_survives_imports_and_delete_downs_killed_at_random_moments() {
    let _one = crate::common::one_network_at_a_time();
    killed_imports_and_delete_downs_leave_a_consistent_store("rocksdb");
}

#[cfg(feature = "sled")]
#[test]
fn sled_survives_a_writer_killed_at_random_moments() {
    let _one = crate::common::one_network_at_a_time();
    killed_writers_leave_a_consistent_store("sled");
}

#[cfg(feature = "rocksdb")]
#[test]
fn rocksdb_survives_a_writer_killed_at_random_moments() {
    let _one = crate::common::one_network_at_a_time();
    killed_writers_leave_a_consistent_store("rocksdb");
}
