//! Notes in the node's store.
//!
//! Two columns, written together in one batch:
//!
//! - [`BY_AUTHOR`]: author ‖ BE64 timestamp ‖ SHA-256(text) → signature ‖ text. A prefix
//!   scan over one author lists that author's notes in time order.
//! - [`BY_TIME`]: BE64 timestamp ‖ author ‖ SHA-256(text) → empty. A range scan from the
//!   start lists the oldest notes of every author, for expiry.
//!
//! The text digest in the key tells two notes of one author at the same second apart, and
//! makes "the same note again" a single `contains` lookup.

use peerd_api::{Column, KeyRange, Store, StoreError, WriteBatch};
use sha2::{Digest as _, Sha256};

use crate::note::{Note, NoteError, KEY_BYTES, SIGNATURE_BYTES};

/// Notes by author, then time.
pub const BY_AUTHOR: Column = Column::new("notes.by_author");

/// Note keys by time, for expiry.
pub const BY_TIME: Column = Column::new("notes.by_time");

/// Length of a key in either column.
const KEY_LEN: usize = KEY_BYTES + 8 + 32;

/// Most notes deleted in one expiry batch, so one sweep never builds a huge batch.
const EXPIRY_BATCH: usize = 1024;

/// What [`insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// The note is new and stored; `evicted` older notes of its author made room.
    New {
        /// Number of the author's oldest notes deleted.
        evicted: usize,
    },
    /// The note was already stored.
    Known,
}

fn author_key(note: &Note) -> Vec<u8> {
    let mut key = Vec::with_capacity(KEY_LEN);
    key.extend_from_slice(&note.author);
    key.extend_from_slice(&note.timestamp.to_be_bytes());
    key.extend_from_slice(&Sha256::digest(note.text.as_bytes()));
    key
}

/// The [`BY_TIME`] key of a [`BY_AUTHOR`] key: the same three parts, time first.
fn time_key(author_key: &[u8]) -> Vec<u8> {
    let (author, rest) = author_key.split_at(KEY_BYTES.min(author_key.len()));
    let (time, digest) = rest.split_at(8.min(rest.len()));
    [time, author, digest].concat()
}

/// The [`BY_AUTHOR`] key of a [`BY_TIME`] key.
fn author_key_of_time_key(time_key: &[u8]) -> Vec<u8> {
    let (time, rest) = time_key.split_at(8.min(time_key.len()));
    let (author, digest) = rest.split_at(KEY_BYTES.min(rest.len()));
    [author, time, digest].concat()
}

fn corrupt(reason: impl Into<String>) -> StoreError {
    StoreError::CorruptValue { column: BY_AUTHOR.name(), reason: reason.into() }
}

/// Stores a verified note, keeping the author's newest `max_per_author` notes.
///
/// The caller serialises inserts (the kernel calls a handler for one item at a time).
pub(crate) fn insert(
    store: &dyn Store,
    note: &Note,
    max_per_author: usize,
) -> Result<Result<Inserted, NoteError>, StoreError> {
    let key = author_key(note);
    if store.contains(BY_AUTHOR, &key)? {
        return Ok(Ok(Inserted::Known));
    }
    let mut existing = Vec::new();
    for row in store.scan_prefix(BY_AUTHOR, &note.author)? {
        existing.push(row?.0);
    }
    // Keys sort by time: the note is kept only if it is among the newest `max_per_author`.
    let evicted = (existing.len() + 1).saturating_sub(max_per_author);
    if evicted > 0 && existing.first().is_some_and(|oldest| key < *oldest) {
        return Ok(Err(NoteError::Crowded(max_per_author)));
    }
    let mut value = Vec::with_capacity(SIGNATURE_BYTES + note.text.len());
    value.extend_from_slice(&note.signature);
    value.extend_from_slice(note.text.as_bytes());
    let mut batch = WriteBatch::new();
    batch.put(BY_AUTHOR, key.clone(), value).put(BY_TIME, time_key(&key), Vec::new());
    for old in existing.iter().take(evicted) {
        batch.delete(BY_TIME, time_key(old)).delete(BY_AUTHOR, old.clone());
    }
    store.write(batch)?;
    Ok(Ok(Inserted::New { evicted }))
}

/// Up to `limit` notes of `author` with a timestamp of at least `since`, oldest first.
pub(crate) fn list(
    store: &dyn Store,
    author: &[u8; KEY_BYTES],
    since: u64,
    limit: usize,
) -> Result<Vec<Note>, StoreError> {
    let start = [&author[..], &since.to_be_bytes()].concat();
    let range = match peerd_api::prefix_successor(author) {
        Some(end) => KeyRange::between(start, end),
        None => KeyRange::from(start),
    };
    let mut notes = Vec::new();
    for row in store.scan(BY_AUTHOR, range)?.take(limit) {
        let (key, value) = row?;
        notes.push(decode_row(&key, &value)?);
    }
    Ok(notes)
}

fn decode_row(key: &[u8], value: &[u8]) -> Result<Note, StoreError> {
    let bad_key = || corrupt(format!("key of {} bytes, expected {KEY_LEN}", key.len()));
    let author = key.get(..KEY_BYTES).and_then(|a| a.try_into().ok()).ok_or_else(bad_key)?;
    let time = key.get(KEY_BYTES..KEY_BYTES + 8).and_then(|t| t.try_into().ok());
    let timestamp = u64::from_be_bytes(time.ok_or_else(bad_key)?);
    if value.len() < SIGNATURE_BYTES {
        return Err(corrupt(format!("value of {} bytes is shorter than a signature", value.len())));
    }
    let (signature, text) = value.split_at(SIGNATURE_BYTES);
    let signature = signature.try_into().map_err(|_| corrupt("signature"))?;
    let text = String::from_utf8(text.to_vec()).map_err(|_| corrupt("text is not UTF-8"))?;
    Ok(Note { author, timestamp, text, signature })
}

/// Deletes every note with a timestamp before `cutoff`; returns how many.
pub(crate) fn expire(store: &dyn Store, cutoff: u64) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let range = KeyRange::between(Vec::new(), cutoff.to_be_bytes().to_vec());
        let mut batch = WriteBatch::new();
        for row in store.scan(BY_TIME, range)?.take(EXPIRY_BATCH) {
            let (key, _) = row?;
            batch.delete(BY_AUTHOR, author_key_of_time_key(&key)).delete(BY_TIME, key);
        }
        let deleted = batch.len() / 2;
        if deleted == 0 {
            return Ok(total);
        }
        store.write(batch)?;
        total += deleted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::Note;
    use ed25519_dalek::SigningKey;

    #[test]
    fn time_keys_and_author_keys_convert_both_ways() {
        let note = Note::sign(&SigningKey::from_bytes(&[1; 32]), 0x0102_0304, "k");
        let key = author_key(&note);
        assert_eq!(key.len(), KEY_LEN);
        let time = time_key(&key);
        assert_eq!(&time[..8], &0x0102_0304u64.to_be_bytes());
        assert_eq!(&time[8..40], &note.author);
        assert_eq!(author_key_of_time_key(&time), key);
    }

    #[test]
    fn corrupt_rows_are_store_errors_not_panics() {
        let store = peerd_store_memory::Store::new();
        let author = [9; KEY_BYTES];
        let mut key = author.to_vec();
        key.extend_from_slice(&5u64.to_be_bytes());
        store.put(BY_AUTHOR, &key, &[0; 10]).unwrap();
        let error = list(&store, &author, 0, 10).unwrap_err();
        assert!(error.to_string().contains("shorter than a signature"), "{error}");
        let mut bad_text = vec![0; SIGNATURE_BYTES];
        bad_text.push(0xff);
        store.put(BY_AUTHOR, &key, &bad_text).unwrap();
        let error = list(&store, &author, 0, 10).unwrap_err();
        assert!(error.to_string().contains("not UTF-8"), "{error}");
    }
}
