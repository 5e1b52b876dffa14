//! What the fuzz targets share: turning the fuzzer's bytes into frames, a clock, a store.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use peerd_api::{Clock, Store};

/// The fuzzer's bytes as a multipart message of at most 16 frames: each frame is a 2-byte
/// big-endian length and that many bytes; a short last frame takes what is left.
pub fn frames(mut data: &[u8]) -> Vec<Bytes> {
    let mut frames = Vec::new();
    while frames.len() < 16 {
        let Some((len, rest)) = data.split_first_chunk::<2>() else { break };
        let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
        let (frame, rest) = rest.split_at(len);
        frames.push(Bytes::copy_from_slice(frame));
        data = rest;
    }
    frames
}

/// The inverse of [`frames`], for seed inputs.
pub fn pack_frames(frames: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        let len = u16::try_from(frame.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&frame[..usize::from(len)]);
    }
    out
}

/// Splits `data` at its first byte: (selector, the rest).
pub fn select(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(first, rest)| (*first, rest))
}

/// A clock far ahead of every chain's genesis, so timestamps are judged by the rules, not
/// by the day the fuzzer runs.
#[derive(Debug)]
pub struct Late;

/// The clock's Unix seconds (2^34: the year 2514).
pub const LATE_UNIX: u64 = 1 << 34;

impl Clock for Late {
    fn unix_now(&self) -> u64 {
        LATE_UNIX
    }
}

/// A fresh in-memory store.
pub fn memory_store() -> Arc<dyn Store> {
    Arc::new(peerd_store_memory::Store::new())
}

/// One temporary directory per fuzzing process, for targets that read files.
pub fn temp_dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory")).path()
}
