//! The crash check: a child process writing batches is killed with SIGKILL, several times
//! over; after each kill the store must hold whole batches only.

use std::path::Path;
use std::time::Instant;

use peerd_api::{KeyRange, Store, WriteBatch};

use super::process::{report, ChildGuard, WATCHDOG};
use super::{get_u64, keys, Harness, A, B, C, LOG};

/// Kill rounds: each kill may land between two batches by chance; several rounds make
/// it likely that at least one lands inside a batch's writes.
const ROUNDS: usize = 3;
/// The child flushes (and reports) every this many batches...
const FLUSH_EVERY: u64 = 100;
/// ...until it has written this many batches (past two flushes); then it reports and
/// goes on writing, without flushing, until killed...
const KILL_AT: u64 = 270;
/// ...which happens once the store's files have grown this much more, so the kill lands
/// in the middle of steady writing (and, for sled, after whole log buffers were sealed).
const GROWTH: u64 = 1 << 20;
/// The child stops after this many batches if nobody kills it (the parent is broken).
const MAX_BATCHES: u64 = 20_000;
/// Size of the value each batch writes to column C: 100 batches write about 800 KiB,
/// more than one of sled's 512 KiB log buffers.
const BLOB: usize = 8192;

/// Batch `n`: the counter `n` in columns A and B, an 8 KiB value made of it in C, log key
/// `n`, and in B the pending key `n` replacing `n - 1`.
fn batch(n: u64) -> WriteBatch {
    let counter = n.to_be_bytes();
    // `repeat` copies in doubling chunks: cheap even unoptimised, so that the child spends
    // its time inside the store's writes, where the kill should land.
    let blob = counter.repeat(BLOB / counter.len());
    let mut batch = WriteBatch::new();
    batch.put(A, "counter", counter).put(LOG, counter, "");
    batch.put(C, "blob", blob).delete(B, (n - 1).to_be_bytes()).put(B, counter, "pending");
    batch.put(B, "counter", counter);
    batch
}

/// The child: continues the counter from what the store holds.
fn child(h: &Harness<'_>) {
    let store = h.open();
    let start = match store.get(A, b"counter").expect("child: read the counter") {
        Some(value) => u64::from_be_bytes(value.as_slice().try_into().expect("8-byte counter")),
        None => 0,
    };
    for i in 1..=MAX_BATCHES {
        let n = start + i;
        store.write(batch(n)).expect("child: write a batch");
        if i < KILL_AT && i % FLUSH_EVERY == 0 {
            store.flush().expect("child: flush");
            if !report(&format!("flushed {n}")) {
                return;
            }
        }
        // From here on: only writes, until killed.
        if i == KILL_AT && !report(&format!("writing past {n}")) {
            return;
        }
    }
}

/// Total size of the files under `dir`.
fn disk_usage(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let sizes = entries.flatten().map(|entry| match entry.metadata() {
        Ok(meta) if meta.is_dir() => disk_usage(&entry.path()),
        Ok(meta) => meta.len(),
        Err(_) => 0,
    });
    sizes.sum()
}

/// Runs the child until it has flushed twice and written on, kills it, and returns the
/// last batch it reported as flushed.
fn run_and_kill(h: &Harness<'_>) -> u64 {
    let mut child = ChildGuard::spawn(h, |_| {});
    let mut flushed = 0;
    loop {
        let report = child.next_report();
        let (what, n) = report.rsplit_once(' ').unwrap_or_else(|| panic!("report {report:?}"));
        let n: u64 = n.parse().unwrap_or_else(|_| panic!("report {report:?}"));
        match what {
            "flushed" => flushed = n,
            "writing past" => break,
            _ => panic!("unexpected report {report:?}"),
        }
    }
    // Let the child write on before the kill, so that it lands in the middle of steady
    // writing rather than right at the report (between two batches). Progress is
    // measured on disk, not by the clock.
    let (start, since) = (disk_usage(h.dir()), Instant::now());
    while disk_usage(h.dir()) < start + GROWTH {
        assert!(child.is_running(), "the crash child ended before it was killed");
        let stuck = since.elapsed() > WATCHDOG;
        assert!(!stuck, "the child wrote too little in {WATCHDOG:?}: is the store deadlocked?");
        std::thread::yield_now();
    }
    child.kill();
    flushed
}

/// Checks that the store holds exactly batches `1..=n` for some `n >= flushed`; returns `n`.
fn check_whole_batches(store: &dyn Store, flushed: u64) -> u64 {
    let n = get_u64(store, A, b"counter");
    assert!(n >= flushed, "last batch {n} is older than the reported flush of {flushed}");
    assert_eq!(get_u64(store, B, b"counter"), n, "column B disagrees with A");
    let blob = store.get(C, b"blob").expect("get blob").expect("blob present");
    assert!(blob == n.to_be_bytes().repeat(BLOB / 8), "C holds another batch's value than {n}");
    let log = keys(store.scan(LOG, KeyRange::all()));
    let want: Vec<Vec<u8>> = (1..=n).map(|i| i.to_be_bytes().to_vec()).collect();
    assert!(log == want, "the log holds {} keys, not exactly 1..={n}", log.len());
    let pending = keys(store.scan(B, KeyRange::all()));
    assert_eq!(pending, vec![n.to_be_bytes().to_vec(), b"counter".to_vec()], "B after {n}");
    n
}

/// A process killed with SIGKILL while writing batches leaves whole batches only: every
/// column agrees on the last batch, which is no older than the last flush reported. The
/// store is reopened, written to and killed again, several times.
pub fn crash_keeps_whole_batches(h: &Harness<'_>) {
    if h.is_child() {
        return child(h);
    }
    let mut last = 0;
    for round in 1..=ROUNDS {
        let flushed = run_and_kill(h);
        let store = h.open();
        let n = check_whole_batches(&*store, flushed);
        assert!(n > last, "round {round}: no progress past batch {last}");
        last = n;
    }
    // The recovered store keeps working.
    let store = h.open();
    store.write(batch(last + 1)).expect("write after recovery");
    check_whole_batches(&*store, last + 1);
}
