//! The checks, one function each; the suite macros turn each into a `#[test]`.
//!
//! Every check takes a [`Harness`] and panics with a message naming what broke.

use std::ops::Bound;

use peerd_api::{Column, ColumnStats, KeyRange, WriteBatch};

use super::{collect, keys, Harness, A, B, C};

pub use super::concurrent::readers_never_see_half_a_batch;
pub use super::crash::crash_keeps_whole_batches;
pub use super::persist::{
    clean_close_keeps_unflushed_writes, data_survives_reopen, garbage_files_are_reported,
    regular_file_as_directory_is_reported, second_open_in_the_same_process_is_locked,
    unreadable_directory_is_reported,
};
pub use super::process::directory_held_by_another_process_is_locked;

/// Put, get, contains, delete, and reads of keys and columns never written.
pub fn crud(h: &Harness<'_>) {
    let store = h.open();
    assert_eq!(store.get(A, b"k").unwrap(), None, "fresh store is empty");
    assert!(!store.contains(A, b"k").unwrap());
    assert!(collect(store.scan(Column::new("testkit.never"), KeyRange::all())).is_empty());
    assert_eq!(store.last(A).unwrap(), None);

    store.put(A, b"k", b"v1").unwrap();
    assert_eq!(store.get(A, b"k").unwrap().as_deref(), Some(&b"v1"[..]));
    assert!(store.contains(A, b"k").unwrap());
    store.put(A, b"", b"empty key").unwrap();
    store.put(A, b"e", b"").unwrap();
    assert_eq!(store.get(A, b"").unwrap().as_deref(), Some(&b"empty key"[..]));
    assert_eq!(store.get(A, b"e").unwrap().as_deref(), Some(&b""[..]), "empty value is kept");

    store.delete(A, b"k").unwrap();
    assert_eq!(store.get(A, b"k").unwrap(), None);
    store.delete(A, b"absent").unwrap();
    assert_eq!(keys(store.scan(A, KeyRange::all())), vec![b"".to_vec(), b"e".to_vec()]);
    assert_eq!(store.kind(), store.kind().trim(), "kind is a plain name");
}

/// The last write of a key wins, also inside one batch; put then delete removes.
pub fn overwrite_and_delete(h: &Harness<'_>) {
    let store = h.open();
    store.put(A, b"k", b"old").unwrap();
    store.put(A, b"k", b"new").unwrap();
    assert_eq!(store.get(A, b"k").unwrap().as_deref(), Some(&b"new"[..]));

    let mut batch = WriteBatch::new();
    batch.put(A, "x", "1").put(A, "x", "2").put(A, "y", "1").delete(A, "y");
    batch.delete(A, "z").put(A, "z", "back");
    store.write(batch).unwrap();
    assert_eq!(store.get(A, b"x").unwrap().as_deref(), Some(&b"2"[..]));
    assert_eq!(store.get(A, b"y").unwrap(), None, "put then delete in one batch");
    assert_eq!(store.get(A, b"z").unwrap().as_deref(), Some(&b"back"[..]));
    store.write(WriteBatch::new()).unwrap();
    assert_eq!(keys(store.scan(A, KeyRange::all())).len(), 3, "an empty batch changes nothing");
}

fn be(n: u64) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

const NUMBERS: [u64; 10] = [256, 0, u64::MAX, 1, 65_535, 1 << 32, 255, u64::MAX - 1, 2, 65_536];

/// Big-endian `u64` keys come back in numeric order, forward and reverse.
pub fn u64_keys_scan_in_numeric_order(h: &Harness<'_>) {
    let store = h.open();
    for n in NUMBERS {
        store.put(A, &be(n), &be(n.wrapping_mul(3))).unwrap();
    }
    let mut sorted = NUMBERS.to_vec();
    sorted.sort_unstable();
    let forward = collect(store.scan(A, KeyRange::all()));
    let want: Vec<_> = sorted.iter().map(|&n| (be(n), be(n.wrapping_mul(3)))).collect();
    assert_eq!(forward, want, "forward scan in numeric order with values");
    let reverse = keys(store.scan(A, KeyRange::all().rev()));
    let want_rev: Vec<_> = sorted.iter().rev().map(|&n| be(n)).collect();
    assert_eq!(reverse, want_rev, "reverse scan");
    assert_eq!(store.last(A).unwrap().map(|(k, _)| k), Some(be(u64::MAX)));
}

/// Ranges honour every kind of bound, in both directions.
pub fn bounded_ranges_forward_and_reverse(h: &Harness<'_>) {
    let store = h.open();
    for n in 0..20u64 {
        store.put(A, &be(n * 10), b"").unwrap();
    }
    let nums = |range: KeyRange| -> Vec<u64> {
        let ks = keys(store.scan(A, range));
        ks.iter().map(|k| u64::from_be_bytes(k.as_slice().try_into().unwrap()) / 10).collect()
    };
    assert_eq!(nums(KeyRange::between(be(30), be(70))), vec![3, 4, 5, 6]);
    assert_eq!(nums(KeyRange::between(be(30), be(70)).rev()), vec![6, 5, 4, 3]);
    assert_eq!(nums(KeyRange::between(be(31), be(69))), vec![4, 5, 6]);
    assert_eq!(nums(KeyRange::from(be(170))), vec![17, 18, 19]);
    assert_eq!(nums(KeyRange::from(be(170)).rev()), vec![19, 18, 17]);
    let closed =
        |start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse| KeyRange { start, end, reverse };
    let (ex, inc) = (Bound::Excluded, Bound::Included);
    assert_eq!(nums(closed(ex(be(30)), inc(be(60)), false)), vec![4, 5, 6]);
    assert_eq!(nums(closed(ex(be(30)), inc(be(60)), true)), vec![6, 5, 4]);
    assert_eq!(nums(closed(Bound::Unbounded, inc(be(20)), true)), vec![2, 1, 0]);
    assert_eq!(nums(closed(Bound::Unbounded, ex(be(20)), false)), vec![0, 1]);
    assert_eq!(nums(closed(inc(be(190)), inc(be(190)), true)), vec![19]);
}

/// Prefix scans, including prefixes ending in (or made of) `0xff`.
pub fn prefix_scans(h: &Harness<'_>) {
    let store = h.open();
    let all: [&[u8]; 12] = [
        &[0x00],
        &[0x01],
        &[0x01, 0x00],
        &[0x01, 0xfe, 0xff],
        &[0x01, 0xff],
        &[0x01, 0xff, 0x00],
        &[0x01, 0xff, 0xff, 0xff],
        &[0x02],
        &[0xfe, 0xff],
        &[0xff],
        &[0xff, 0x00],
        &[0xff, 0xff, 0x07],
    ];
    for key in all.iter().rev() {
        store.put(B, key, key).unwrap();
    }
    let prefix = |p: &[u8]| keys(store.scan_prefix(B, p));
    let expect = |p: &[u8]| -> Vec<Vec<u8>> {
        all.iter().filter(|k| k.starts_with(p)).map(|k| k.to_vec()).collect()
    };
    for p in [&[0x01][..], &[0x01, 0xff], &[0x01, 0xff, 0xff], &[0xff], &[0xff, 0xff], &[]] {
        assert_eq!(prefix(p), expect(p), "prefix {p:02x?}");
        let mut rev = expect(p);
        rev.reverse();
        assert_eq!(keys(store.scan(B, KeyRange::prefix(p).rev())), rev, "reverse prefix {p:02x?}");
    }
    assert_eq!(prefix(&[0x01, 0xff]).len(), 3);
    assert!(prefix(&[0x03]).is_empty());
    assert!(prefix(&[0xff, 0xff, 0xff]).is_empty());
}

/// Ranges that hold no key, or whose start lies above their end, yield nothing.
pub fn empty_ranges(h: &Harness<'_>) {
    let store = h.open();
    for n in [1u64, 5, 9] {
        store.put(A, &be(n), b"x").unwrap();
    }
    let empty = [
        KeyRange::between(be(2), be(5)),
        KeyRange::between(be(5), be(5)),
        KeyRange::between(be(9), be(1)),
        KeyRange::from(be(10)),
        KeyRange { start: Bound::Excluded(be(5)), end: Bound::Excluded(be(5)), reverse: false },
        KeyRange { start: Bound::Excluded(be(5)), end: Bound::Included(be(5)), reverse: false },
        KeyRange { start: Bound::Included(be(9)), end: Bound::Included(be(1)), reverse: false },
    ];
    for range in empty {
        assert!(keys(store.scan(A, range.clone())).is_empty(), "{range:?}");
        assert!(keys(store.scan(A, range.clone().rev())).is_empty(), "{range:?} reversed");
    }
    assert!(keys(store.scan(C, KeyRange::all().rev())).is_empty(), "column never written");
}

/// The same key in two columns holds two values; deleting one leaves the other.
pub fn columns_are_independent(h: &Harness<'_>) {
    let store = h.open();
    store.put(A, b"k", b"in a").unwrap();
    store.put(B, b"k", b"in b").unwrap();
    store.put(B, b"only b", b"1").unwrap();
    assert_eq!(store.get(A, b"k").unwrap().as_deref(), Some(&b"in a"[..]));
    assert_eq!(store.get(B, b"k").unwrap().as_deref(), Some(&b"in b"[..]));
    assert_eq!(store.get(A, b"only b").unwrap(), None);
    assert_eq!(keys(store.scan(A, KeyRange::all())), vec![b"k".to_vec()]);
    store.delete(A, b"k").unwrap();
    assert_eq!(store.get(A, b"k").unwrap(), None);
    assert_eq!(store.get(B, b"k").unwrap().as_deref(), Some(&b"in b"[..]));
    assert_eq!(store.get(C, b"k").unwrap(), None);
}

/// A batch built and dropped without being written leaves no trace.
pub fn dropped_batch_leaves_no_trace(h: &Harness<'_>) {
    let store = h.open();
    store.put(A, b"before", b"1").unwrap();
    {
        let mut batch = WriteBatch::new();
        batch.put(A, "k", "v").put(B, "k", "v").delete(A, "before");
        assert_eq!(batch.len(), 3);
    }
    assert_eq!(store.get(A, b"k").unwrap(), None);
    assert_eq!(store.get(B, b"k").unwrap(), None);
    assert!(store.contains(A, b"before").unwrap());
    let names: Vec<String> = store.stats().unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec![A.name().to_owned()], "the dropped batch created no column");
}

/// A batch across three columns is visible as a whole once written.
pub fn applied_batch_is_wholly_visible(h: &Harness<'_>) {
    let store = h.open();
    store.put(C, b"stale", b"1").unwrap();
    let mut batch = WriteBatch::new();
    for n in 0..50u64 {
        batch.put(A, be(n), be(n)).put(B, be(n), be(n + 1));
    }
    batch.delete(C, "stale").put(C, "count", be(50));
    store.write(batch).unwrap();
    assert_eq!(collect(store.scan(A, KeyRange::all())).len(), 50);
    assert_eq!(store.get(B, &be(49)).unwrap(), Some(be(50)));
    assert_eq!(collect(store.scan(C, KeyRange::all())), vec![(b"count".to_vec(), be(50))]);
}

/// A batch naming an unusable column fails as a whole: its valid writes are not applied.
pub fn invalid_batch_changes_nothing(h: &Harness<'_>) {
    let store = h.open();
    store.put(A, b"k", b"old").unwrap();
    let mut batch = WriteBatch::new();
    batch.put(A, "k", "new").put(B, "k", "new").put(Column::new(""), "k", "v");
    let err = store.write(batch).expect_err("an empty column name is rejected");
    assert!(matches!(err, peerd_api::StoreError::InvalidColumn(_)), "{err:?}");
    assert_eq!(store.get(A, b"k").unwrap().as_deref(), Some(&b"old"[..]));
    assert_eq!(store.get(B, b"k").unwrap(), None);
}

/// Writing (even to the scanned range) while a scan is open neither blocks nor fails.
pub fn writes_during_a_scan(h: &Harness<'_>) {
    let store = h.open();
    for n in 0..100u64 {
        store.put(A, &be(n), b"x").unwrap();
    }
    let mut seen = 0;
    for row in store.scan(A, KeyRange::all()).unwrap() {
        let (key, _) = row.unwrap();
        store.delete(A, &key).unwrap();
        store.put(B, &key, b"moved").unwrap();
        seen += 1;
    }
    assert_eq!(seen, 100, "every row was yielded once");
    assert_eq!(collect(store.scan(B, KeyRange::all())).len(), 100);
    assert!(collect(store.scan(A, KeyRange::all())).is_empty());
}

/// Values of 5 MB round-trip through put, batch, get and scan.
pub fn five_megabyte_values(h: &Harness<'_>) {
    let store = h.open();
    let big: Vec<u8> =
        (0..5 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    store.put(A, b"big", &big).unwrap();
    let mut batch = WriteBatch::new();
    let mut other = big.clone();
    other.reverse();
    batch.put(B, "big", other.clone()).put(B, "small", "s");
    store.write(batch).unwrap();
    assert!(store.get(A, b"big").unwrap() == Some(big.clone()), "5 MB value read back");
    let rows = collect(store.scan(B, KeyRange::all()));
    assert_eq!(rows.len(), 2);
    assert!(rows[0].1 == other, "5 MB value scanned back");
}

/// `stats` lists every written column with its exact key count and byte total.
pub fn stats_count_keys_and_bytes(h: &Harness<'_>) {
    let store = h.open();
    store.put(A, b"ab", b"cde").unwrap();
    store.put(A, b"f", b"").unwrap();
    store.put(B, b"12345", b"678").unwrap();
    store.put(B, b"gone", b"x").unwrap();
    store.delete(B, b"gone").unwrap();
    let mut stats = store.stats().unwrap();
    stats.sort_by(|x, y| x.name.cmp(&y.name));
    let stat = |c: Column, keys, bytes| ColumnStats { name: c.name().to_owned(), keys, bytes };
    assert_eq!(stats, vec![stat(A, 2, 6), stat(B, 1, 8)]);
}
