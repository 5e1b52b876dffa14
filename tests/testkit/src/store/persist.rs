//! Checks for stores kept on disk: reopening, locking within one process, and
//! directories that are not a usable store.

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;

use peerd_api::{Column, KeyRange, StoreError};

use super::process::{assert_locked, report, ChildGuard};
use super::{collect, get_u64, Harness, A, B};

/// Flushed data, deletes and columns are all there after closing and reopening.
pub fn data_survives_reopen(h: &Harness<'_>) {
    let big: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    {
        let store = h.open();
        for n in 0..100u64 {
            store.put(A, &n.to_be_bytes(), &n.to_le_bytes()).unwrap();
        }
        store.delete(A, &7u64.to_be_bytes()).unwrap();
        store.put(B, b"big", &big).unwrap();
        store.flush().unwrap();
    }
    let store = h.open();
    let rows = collect(store.scan(A, KeyRange::all()));
    assert_eq!(rows.len(), 99, "99 keys of A came back");
    assert!(rows.iter().all(|(k, v)| k.iter().rev().eq(v.iter()) && k[7] != 7));
    assert!(store.get(B, b"big").unwrap() == Some(big), "the 5 MB value came back");
    let mut names: Vec<String> = store.stats().unwrap().into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(names, vec![A.name().to_owned(), B.name().to_owned()]);
}

/// Dropping the store is a clean close: writes never flushed explicitly are kept too.
pub fn clean_close_keeps_unflushed_writes(h: &Harness<'_>) {
    {
        let store = h.open();
        store.put(A, b"counter", &41u64.to_be_bytes()).unwrap();
        store.flush().unwrap();
        store.put(A, b"counter", &42u64.to_be_bytes()).unwrap();
        store.put(Column::new("testkit.late"), b"k", b"v").unwrap();
    }
    let store = h.open();
    assert_eq!(get_u64(&*store, A, b"counter"), 42);
    assert!(store.contains(Column::new("testkit.late"), b"k").unwrap());
}

/// A second open of a directory this process already holds fails with `Locked`.
pub fn second_open_in_the_same_process_is_locked(h: &Harness<'_>) {
    let store = h.open();
    store.put(A, b"k", b"v").unwrap();
    match h.try_open() {
        Err(err @ StoreError::Locked { .. }) => assert_locked(&err, h),
        Err(other) => panic!("expected StoreError::Locked, got {other:?}: {other}"),
        Ok(_) => panic!("opened the same directory twice"),
    }
    drop(store);
    assert!(h.open().contains(A, b"k").unwrap(), "opens again once closed");
}

/// Asserts that opening `dir` failed with `Corrupt` or `Open` naming exactly `dir`.
fn assert_names_dir(result: Result<Box<dyn peerd_api::Store>, StoreError>, dir: &Path) {
    let err = match result {
        Ok(_) => panic!("opened {} although it is not a usable store", dir.display()),
        Err(err) => err,
    };
    match &err {
        StoreError::Corrupt { path, .. } | StoreError::Open { path, .. } => {
            assert_eq!(path, dir, "{err}");
        }
        other => panic!("expected Corrupt or Open for {}, got {other:?}", dir.display()),
    }
    let shown = err.to_string();
    assert!(shown.contains(&dir.display().to_string()), "{shown:?} names the directory");
}

/// Overwrites every file under `dir` with the same number of pseudo-random bytes (at
/// least 4 KiB).
fn scribble(dir: &Path, seed: &mut u64) {
    for entry in fs::read_dir(dir).expect("list the store directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            scribble(&path, seed);
            continue;
        }
        let len = fs::metadata(&path).expect("file size").len().max(4096);
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                (*seed >> 24) as u8
            })
            .collect();
        fs::write(&path, garbage).expect("overwrite a store file");
    }
}

/// A directory whose files hold garbage is reported as `Corrupt` (or `Open`) naming it,
/// without a panic.
pub fn garbage_files_are_reported(h: &Harness<'_>) {
    {
        let store = h.open();
        store.put(A, b"k", b"v").unwrap();
        store.flush().unwrap();
    }
    scribble(h.dir(), &mut 0x9e37_79b9_7f4a_7c15);
    assert_names_dir(h.try_open(), h.dir());
}

/// A path that is a regular file, or lies under one, is reported naming the path.
pub fn regular_file_as_directory_is_reported(h: &Harness<'_>) {
    let scratch = h.scratch();
    fs::create_dir_all(&scratch).unwrap();
    let file = scratch.join("a-file");
    fs::write(&file, b"not a store").unwrap();
    assert_names_dir(h.factory.open(&file), &file);
    let under = file.join("store");
    assert_names_dir(h.factory.open(&under), &under);
    assert_eq!(fs::read(&file).unwrap(), b"not a store", "the file was left alone");
}

/// True if this process reads files whatever their permissions (root).
fn ignores_permissions(scratch: &Path) -> bool {
    let probe = scratch.join("probe");
    fs::OpenOptions::new().write(true).create_new(true).mode(0o000).open(&probe).unwrap();
    fs::File::open(&probe).is_ok()
}

/// A directory this process may not read is reported as `Open` or `Corrupt` naming it.
/// When the tests run as root, the check runs in a child process with the uid and gid of
/// `nobody` (65534), because root reads anything.
pub fn unreadable_directory_is_reported(h: &Harness<'_>) {
    if h.is_child() {
        let shown = match h.try_open() {
            Ok(_) => "opened".to_owned(),
            Err(StoreError::Open { path, .. } | StoreError::Corrupt { path, .. })
                if path == h.dir() =>
            {
                "refused".to_owned()
            }
            Err(other) => format!("wrong error {other:?}"),
        };
        report(&shown);
        return;
    }
    drop(h.open());
    let scratch = h.scratch();
    fs::create_dir_all(&scratch).unwrap();
    let set_mode = |path: &Path, mode| fs::set_permissions(path, fs::Permissions::from_mode(mode));
    set_mode(h.dir(), 0o000).unwrap();
    if ignores_permissions(&scratch) {
        // Let `nobody` reach the store directory itself (but not read it).
        let parent = h.dir().parent().expect("the store directory has a parent");
        set_mode(parent, 0o755).unwrap();
        let mut child = ChildGuard::spawn(h, |cmd| {
            cmd.uid(65_534).gid(65_534);
        });
        assert_eq!(child.next_report(), "refused", "as uid 65534");
    } else {
        assert_names_dir(h.try_open(), h.dir());
    }
    set_mode(h.dir(), 0o755).unwrap();
    drop(h.open());
}
