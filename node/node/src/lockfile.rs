//! The data directory lock: one `peerd` per data directory.
//!
//! [`DataDirLock::acquire`] takes an exclusive advisory lock (`flock`) on
//! `<data_dir>/peerd.lock` before anything else touches the directory, so a second
//! `peerd` fails with a message naming the directory instead of a backend-specific
//! store error (the store's own lock stays as a second line of defence). The lock goes
//! with the process: it is released when the [`DataDirLock`] is dropped, or by the kernel
//! if the process dies.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use fs2::FileExt;

/// Name of the lock file inside the data directory.
pub const LOCK_FILE: &str = "peerd.lock";

/// An exclusive hold on a data directory; released on drop.
#[derive(Debug)]
pub struct DataDirLock {
    dir: PathBuf,
    file: File,
}

/// Errors taking the data directory lock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process holds the lock.
    #[error("data directory {dir} is in use by another peerd process (lock file {dir}/{LOCK_FILE} is held{holder})", dir = .dir.display(), holder = holder(.pid))]
    Held {
        /// The directory.
        dir: PathBuf,
        /// The process id recorded by the holder, if readable.
        pid: Option<u32>,
    },
    /// The directory or lock file could not be created or locked.
    #[error("cannot lock data directory {dir}: {source}", dir = .dir.display())]
    Io {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn holder(pid: &Option<u32>) -> String {
    pid.map(|p| format!(" by pid {p}")).unwrap_or_default()
}

impl DataDirLock {
    /// Creates `dir` if needed and locks it.
    ///
    /// # Errors
    ///
    /// [`LockError::Held`] if another process (or another handle in this one) holds it;
    /// [`LockError::Io`] if the directory or file cannot be created.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io { dir: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        if let Err(e) = file.try_lock_exclusive() {
            if e.kind() == fs2::lock_contended_error().kind() {
                let pid = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse().ok());
                return Err(LockError::Held { dir: dir.to_path_buf(), pid });
            }
            return Err(io(e));
        }
        // Record who holds it, for the message a second process prints.
        file.set_len(0).and_then(|()| write!(file, "{}", std::process::id())).map_err(io)?;
        Ok(Self { dir: dir.to_path_buf(), file })
    }

    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        // Unlocking also happens when the file closes; doing it explicitly documents intent.
        let _ = FileExt::unlock(&self.file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_naming_the_directory_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = DataDirLock::acquire(&data).unwrap();
        assert_eq!(first.dir(), data);
        let err = DataDirLock::acquire(&data).unwrap_err();
        assert!(matches!(err, LockError::Held { pid: Some(p), .. } if p == std::process::id()));
        assert!(err.to_string().contains(&data.display().to_string()), "{err}");
        drop(first);
        DataDirLock::acquire(&data).unwrap();
    }

    #[test]
    fn an_unusable_directory_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        std::fs::write(&file, b"x").unwrap();
        let err = DataDirLock::acquire(&file).unwrap_err();
        assert!(matches!(err, LockError::Io { .. }));
        assert!(err.to_string().contains("plain-file"), "{err}");
    }
}
