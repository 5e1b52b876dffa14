//! Readers running while another thread writes batches.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use peerd_api::{Store, WriteBatch};

use super::{get_u64, Harness, A, B, C, LOG};

const READERS: u64 = 3;
/// The writer writes at least this many batches...
const MIN_BATCHES: u64 = 1000;
/// ...and keeps writing until every reader has done this many rounds, so reads and
/// writes overlap however the threads are scheduled.
const MIN_ROUNDS: u64 = 500;
/// Writes each batch makes between the two counters: a backend that applied a batch
/// one write at a time would show the gap for longer.
const FILLER: u8 = 16;

fn write_counter(store: &dyn Store, n: u64) {
    let mut batch = WriteBatch::new();
    batch.put(A, "counter", n.to_be_bytes()).put(LOG, n.to_be_bytes(), "");
    for i in 0..FILLER {
        batch.put(C, [i], n.to_be_bytes());
    }
    batch.put(B, "counter", n.to_be_bytes());
    store.write(batch).expect("writer: write batch");
}

/// One reader: reads the two counters in both orders and the log's last key. Because each
/// batch raises all three together and batches are atomic, a later read never shows a
/// lower counter than an earlier one, whatever the column.
fn read_until_done(store: &dyn Store, done: &AtomicBool, rounds: &AtomicU64) {
    let mut floor = 0;
    while !done.load(Ordering::Acquire) {
        let a = get_u64(store, A, b"counter");
        let b = get_u64(store, B, b"counter");
        assert!(b >= a, "read A = {a} then B = {b}: B lags a batch that set both");
        let b2 = get_u64(store, B, b"counter");
        let a2 = get_u64(store, A, b"counter");
        assert!(a2 >= b2, "read B = {b2} then A = {a2}: A lags a batch that set both");
        let first = get_u64(store, C, &[0]);
        let last = get_u64(store, C, &[FILLER - 1]);
        assert!(last >= first, "read C[0] = {first} then C[{}] = {last}", FILLER - 1);
        let (last, _) = store.last(LOG).expect("last").expect("log is never empty");
        let logged = u64::from_be_bytes(last.as_slice().try_into().expect("8-byte key"));
        let a3 = get_u64(store, A, b"counter");
        assert!(a3 >= logged, "log holds {logged} but A = {a3}");
        assert!(a >= floor, "counter went back from {floor} to {a}");
        floor = a3;
        rounds.fetch_add(1, Ordering::Relaxed);
    }
}

/// Several reader threads never see a batch half-applied while one thread writes batches
/// that set two counters (in two columns) and a log key together.
pub fn readers_never_see_half_a_batch(h: &Harness<'_>) {
    let store = h.open();
    let store: &dyn Store = &*store;
    write_counter(store, 0);
    let done = AtomicBool::new(false);
    let rounds = AtomicU64::new(0);
    let written = thread::scope(|s| {
        let readers: Vec<_> =
            (0..READERS).map(|_| s.spawn(|| read_until_done(store, &done, &rounds))).collect();
        let mut n = 0;
        // A reader only finishes early by panicking: stop writing then.
        while (n < MIN_BATCHES || rounds.load(Ordering::Relaxed) < MIN_ROUNDS * READERS)
            && !readers.iter().any(|r| r.is_finished())
        {
            n += 1;
            write_counter(store, n);
        }
        done.store(true, Ordering::Release);
        for reader in readers {
            if let Err(panic) = reader.join() {
                std::panic::resume_unwind(panic);
            }
        }
        n
    });
    assert!(written >= MIN_BATCHES);
    assert_eq!(get_u64(store, A, b"counter"), written);
    assert_eq!(get_u64(store, B, b"counter"), written);
}
