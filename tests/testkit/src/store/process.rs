//! Checks that need a second process: SIGKILL in the middle of writing, and a directory
//! held by another process.
//!
//! The child is the current test binary run again with `--exact <test>`: the same check
//! function runs in it, sees [`CHILD_ENV`] naming its test, and plays the child role.

use std::io::{self, BufRead, BufReader, Lines, Write};
use std::process::{Child, ChildStdout, Command, Stdio};

use peerd_api::{KeyRange, Store, StoreError, WriteBatch};

use super::{get_u64, keys, Harness, A, B, C, CHILD_ENV, DIR_ENV, LOG};

/// Prefix of the lines a child writes for its parent.
const TAG: &str = "peerd-testkit:";
/// The crash child flushes (and reports) every this many batches...
const FLUSH_EVERY: u64 = 100;
/// ...and the parent kills it when it reports having written this many batches (past
/// two flushes, and far enough past the last one that unflushed writes have filled
/// whole write buffers: a kill then lands in the middle of backend I/O).
const KILL_AT: u64 = 270;
/// The crash child stops here if nobody kills it (the parent is gone or broken).
const MAX_BATCHES: u64 = 1_000_000;
/// Size of the value each crash batch writes to column C: 100 batches write about
/// 800 KiB, more than one of sled's 512 KiB log buffers.
const BLOB: usize = 8192;

/// A child process that is killed (SIGKILL on Unix) and reaped when dropped, so a failing
/// parent never leaves it behind.
pub(super) struct ChildGuard {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
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
        Self { child, lines: BufReader::new(stdout).lines() }
    }

    /// The next line the child reported (without the tag); panics if the child ended first.
    pub(super) fn next_report(&mut self) -> String {
        for line in self.lines.by_ref() {
            let line = line.expect("read the child's stdout");
            // libtest may have written `test <name> ... ` on the same line first.
            if let Some(at) = line.find(TAG) {
                return line[at + TAG.len()..].trim().to_owned();
            }
        }
        let status = self.child.wait().expect("wait for the child");
        panic!("the child process ended ({status}) before reporting; is the test name right?");
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

fn crash_batch(n: u64) -> WriteBatch {
    let counter = n.to_be_bytes();
    let blob: Vec<u8> = counter.iter().copied().cycle().take(BLOB).collect();
    let mut batch = WriteBatch::new();
    batch.put(A, "counter", counter).put(LOG, counter, "");
    batch.put(C, "blob", blob).delete(B, (n - 1).to_be_bytes()).put(B, counter, "pending");
    batch.put(B, "counter", counter);
    batch
}

fn crash_child(h: &Harness<'_>) {
    let store = h.open();
    for n in 1..=MAX_BATCHES {
        store.write(crash_batch(n)).expect("child: write a batch");
        if n % FLUSH_EVERY == 0 {
            store.flush().expect("child: flush");
            if !report(&format!("flushed {n}")) {
                return;
            }
        } else if !report(&format!("wrote {n}")) {
            return;
        }
    }
}

/// A process killed with SIGKILL while writing batches leaves whole batches only: every
/// column agrees on the last batch, which is no older than the last flush reported.
pub fn crash_keeps_whole_batches(h: &Harness<'_>) {
    if h.is_child() {
        return crash_child(h);
    }
    let mut child = ChildGuard::spawn(h, |_| {});
    let mut flushed = 0;
    loop {
        let report = child.next_report();
        let (what, n) = report.split_once(' ').unwrap_or_else(|| panic!("report {report:?}"));
        let n: u64 = n.parse().unwrap_or_else(|_| panic!("report {report:?}"));
        match what {
            "flushed" => flushed = n,
            "wrote" if n >= KILL_AT => break,
            "wrote" => {}
            _ => panic!("unexpected report {report:?}"),
        }
    }
    child.kill();

    let store = h.open();
    let n = get_u64(&*store, A, b"counter");
    assert!(n >= flushed, "last batch {n} is older than the reported flush of {flushed}");
    assert_eq!(get_u64(&*store, B, b"counter"), n, "column B disagrees with A");
    let blob = store.get(C, b"blob").expect("get blob").expect("blob present");
    let want: Vec<u8> = n.to_be_bytes().iter().copied().cycle().take(BLOB).collect();
    assert!(blob == want, "the blob holds another batch's counter than {n}");
    let log = keys(store.scan(LOG, KeyRange::all()));
    let want: Vec<Vec<u8>> = (1..=n).map(|i| i.to_be_bytes().to_vec()).collect();
    assert!(log == want, "the log holds {} keys, not exactly 1..={n}", log.len());
    let pending = keys(store.scan(B, KeyRange::all()));
    assert_eq!(pending, vec![n.to_be_bytes().to_vec(), b"counter".to_vec()]);
    // The reopened store keeps working.
    store.write(crash_batch(n + 1)).expect("write after recovery");
    assert_eq!(get_u64(&*store, B, b"counter"), n + 1);
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
