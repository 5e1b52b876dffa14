//! Child processes for the checks that need one, and the check that a directory held by
//! another process is locked.
//!
//! The child is the current test binary run again with `--exact <test>`: the same check
//! function runs in it, sees [`CHILD_ENV`] naming its test, and plays the child role.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::time::Duration;

use peerd_api::{Store, StoreError};

use super::{Harness, A, CHILD_ENV, DIR_ENV};

/// Prefix of the lines a child writes for its parent.
const TAG: &str = "peerd-testkit:";

/// How long a parent waits for a child to make progress before failing the test. Not a
/// timing assertion: a generous watchdog that turns a hung child (a deadlocked backend)
/// into a failure that says so, instead of a test run that never ends.
pub(super) const WATCHDOG: Duration = Duration::from_secs(120);

/// A child process that is killed (SIGKILL on Unix) and reaped when dropped, so a failing
/// parent never leaves it behind.
pub(super) struct ChildGuard {
    child: Child,
    /// The child's reports, read from its stdout by a thread (so waits can time out).
    reports: Receiver<String>,
}

impl ChildGuard {
    /// Runs this test again as a child process with the store directory of `h`.
    pub(super) fn spawn(h: &Harness<'_>, configure: impl FnOnce(&mut Command)) -> Self {
        let exe = std::env::current_exe().expect("current test binary");
        let mut command = Command::new(exe);
        command
            .args(["--exact", h.test_name(), "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, h.test_name())
            .env(DIR_ENV, h.dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        configure(&mut command);
        let mut child = command.spawn().expect("spawn the child test process");
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, reports) = sync_channel(64);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest may have written `test <name> ... ` on the same line first.
                if let Some(at) = line.find(TAG) {
                    if send.send(line[at + TAG.len()..].trim().to_owned()).is_err() {
                        return;
                    }
                }
            }
        });
        Self { child, reports }
    }

    /// The next line the child reported (without the tag).
    ///
    /// # Panics
    ///
    /// If the child ends first, or reports nothing within [`WATCHDOG`].
    pub(super) fn next_report(&mut self) -> String {
        match self.reports.recv_timeout(WATCHDOG) {
            Ok(report) => report,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the child reported nothing for {WATCHDOG:?}: is the store deadlocked?")
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().expect("wait for the child");
                panic!("the child ended ({status}) before reporting; is the test name right?");
            }
        }
    }

    /// True while the child process has not exited.
    pub(super) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the child with SIGKILL and waits for it.
    pub(super) fn kill(mut self) {
        self.child.kill().expect("kill the child");
        self.child.wait().expect("reap the child");
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes one line for the parent; false once the parent has gone away.
pub(super) fn report(line: &str) -> bool {
    // Flush explicitly: stdout is a pipe here, and the parent waits for this line.
    let mut out = io::stdout().lock();
    writeln!(out, "{TAG} {line}").and_then(|()| out.flush()).is_ok()
}

fn lock_child(h: &Harness<'_>) {
    let store = h.open();
    store.put(A, b"owner", b"child").expect("child: put");
    store.flush().expect("child: flush");
    if report("ready") {
        // Hold the store until the parent kills us or closes our stdin.
        let _ = io::stdin().lock().lines().count();
    }
    drop(store);
}

/// Opening a directory that another process holds open fails with
/// [`StoreError::Locked`] naming the directory; once that process dies, it opens.
pub fn directory_held_by_another_process_is_locked(h: &Harness<'_>) {
    if h.is_child() {
        return lock_child(h);
    }
    let mut child = ChildGuard::spawn(h, |_| {});
    assert_eq!(child.next_report(), "ready");
    match h.try_open() {
        Err(err @ StoreError::Locked { .. }) => assert_locked(&err, h),
        Err(other) => panic!("expected StoreError::Locked, got {other:?}: {other}"),
        Ok(_) => panic!("opened a directory that another process holds"),
    }
    child.kill();
    let store: Box<dyn Store> = h.open();
    assert_eq!(store.get(A, b"owner").unwrap().as_deref(), Some(&b"child"[..]));
}

/// Asserts that a [`StoreError::Locked`] names the harness's directory.
pub(super) fn assert_locked(err: &StoreError, h: &Harness<'_>) {
    let StoreError::Locked { path } = err else { panic!("not Locked: {err:?}") };
    assert_eq!(path, h.dir(), "Locked names the store directory");
    let shown = err.to_string();
    assert!(shown.contains(&h.dir().display().to_string()), "{shown:?} names the directory");
}
