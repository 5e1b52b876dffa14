//! The node processes: started as `peerd --config … run` in their own process group,
//! output appended to their log file; stopped with SIGTERM, then SIGKILL after a grace.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::manifest::Node;
use super::TestnetError;

/// How long a node gets to stop after SIGTERM before it is killed (peerd's own shutdown
/// waits up to 5 s for its transports, then flushes the store).
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// Lines of a node's log shown when it fails.
pub const TAIL_LINES: usize = 20;

/// Starts `node` with the `peerd` at `exe`. `PEERD_*` variables are not passed on, so the
/// node runs exactly its config file.
///
/// # Errors
///
/// [`TestnetError::Io`] if the log cannot be opened or the process not started.
pub fn spawn(exe: &Path, node: &Node) -> Result<Child, TestnetError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| TestnetError::Io { path, source }
    };
    let log =
        OpenOptions::new().create(true).append(true).open(&node.log).map_err(io(&node.log))?;
    let err = log.try_clone().map_err(io(&node.log))?;
    let mut cmd = Command::new(exe);
    cmd.arg("--config").arg(&node.config).arg("run");
    cmd.current_dir(&node.data_dir).stdin(Stdio::null()).stdout(log).stderr(err);
    // Own process group: Ctrl-C on the terminal reaches `peerd testnet`, which stops the
    // nodes in order, and detached nodes outlive the terminal's foreground job.
    cmd.process_group(0);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with(crate::ENV_PREFIX) {
            cmd.env_remove(key);
        }
    }
    cmd.spawn().map_err(io(exe))
}

/// True if `pid` is a live (not zombie) process running `node`'s config. Where `/proc` is
/// readable the command line must name the config, so a reused pid is not taken for the node.
pub fn alive(pid: u32, node: &Node) -> bool {
    let Ok(raw) = i32::try_from(pid) else { return false };
    if raw <= 0 || kill(Pid::from_raw(raw), None).is_err() {
        return false;
    }
    let proc_dir = Path::new("/proc").join(pid.to_string());
    if let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) {
        // "pid (comm) S …": the state follows the last ')'.
        if stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()) == Some("Z") {
            return false;
        }
    }
    match std::fs::read(proc_dir.join("cmdline")) {
        Ok(cmdline) => {
            let config = node.config.to_string_lossy();
            cmdline.split(|b| *b == 0).any(|arg| arg == config.as_bytes())
        }
        Err(_) => true,
    }
}

/// Sends `signal` to `pid`; a process that is already gone is fine.
fn signal(pid: u32, signal: Signal) {
    if let Ok(raw) = i32::try_from(pid) {
        let _ = kill(Pid::from_raw(raw), signal);
    }
}

/// Stops the given nodes: SIGTERM to the live ones, then SIGKILL to those still running
/// after `grace`. `reap` is called while waiting (the caller's children must be waited
/// for to disappear). Returns the names of the nodes that had to be killed.
pub fn stop(nodes: &[&Node], grace: Duration, mut reap: impl FnMut()) -> Vec<String> {
    let live: Vec<&Node> = nodes.iter().copied().filter(|n| alive(n.pid, n)).collect();
    live.iter().for_each(|n| signal(n.pid, Signal::SIGTERM));
    let start = Instant::now();
    let running = |reap: &mut dyn FnMut()| {
        reap();
        live.iter().copied().filter(|n| alive(n.pid, n)).collect::<Vec<_>>()
    };
    let mut left = running(&mut reap);
    while !left.is_empty() && start.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(100));
        left = running(&mut reap);
    }
    let killed: Vec<String> = left.iter().map(|n| n.name.clone()).collect();
    for n in &left {
        tracing::warn!(node = %n.name, pid = n.pid, "node did not stop in time; killing it");
        signal(n.pid, Signal::SIGKILL);
    }
    let start = Instant::now();
    while !left.is_empty() && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(50));
        left = running(&mut reap);
    }
    killed
}

/// The last `lines` lines of a log file (a note if it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}
