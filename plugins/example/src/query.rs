//! The `note-query` item: "list one author's notes".
//!
//! Request frames: author (32 bytes), since (BE64 Unix seconds, inclusive), limit (BE32).
//! The answer is [`peerd_api::Outcome::Reply`]: the frames of up to
//! `min(limit, max_notes_per_author)` notes, four per note exactly as in a `note` item,
//! oldest first. Ask again with `since` one past the last timestamp for the next page.

use bytes::Bytes;
use peerd_api::{Item, ItemKind};

use crate::note::{Note, NoteError, KEY_BYTES};

/// The command of a note query.
pub const QUERY_KIND: &str = "note-query";

/// The `note-query` item kind.
pub fn query_kind() -> ItemKind {
    ItemKind::Custom(QUERY_KIND.to_owned())
}

/// A decoded note query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoteQuery {
    /// Whose notes.
    pub author: [u8; KEY_BYTES],
    /// Only notes with a timestamp at or after this.
    pub since: u64,
    /// At most this many (the node caps it at its `max_notes_per_author`).
    pub limit: u32,
}

impl NoteQuery {
    /// The query as a gossip item.
    pub fn to_item(&self) -> Item {
        Item::new(
            query_kind(),
            vec![
                Bytes::copy_from_slice(&self.author),
                Bytes::copy_from_slice(&self.since.to_be_bytes()),
                Bytes::copy_from_slice(&self.limit.to_be_bytes()),
            ],
        )
    }

    /// Decodes a query item's frames.
    ///
    /// # Errors
    ///
    /// [`NoteError::QueryFrameCount`] or [`NoteError::QueryFrameLength`].
    pub fn decode(params: &[Bytes]) -> Result<Self, NoteError> {
        let [author, since, limit] = params else {
            return Err(NoteError::QueryFrameCount(params.len()));
        };
        let length = |frame, expected, got| NoteError::QueryFrameLength { frame, expected, got };
        let author = <[u8; KEY_BYTES]>::try_from(author.as_ref())
            .map_err(|_| length("author", KEY_BYTES, author.len()))?;
        let since = <[u8; 8]>::try_from(since.as_ref())
            .map(u64::from_be_bytes)
            .map_err(|_| length("since", 8, since.len()))?;
        let limit = <[u8; 4]>::try_from(limit.as_ref())
            .map(u32::from_be_bytes)
            .map_err(|_| length("limit", 4, limit.len()))?;
        Ok(Self { author, since, limit })
    }
}

/// Decodes and verifies the notes of a `note-query` answer, as a client would.
///
/// # Errors
///
/// [`NoteError::FrameCount`] with the length of a trailing partial note if the frames
/// are not a multiple of four, or the first note that does not decode or verify.
pub fn decode_reply(frames: &[Bytes], max_text_bytes: usize) -> Result<Vec<Note>, NoteError> {
    let notes = frames.chunks_exact(4);
    if !notes.remainder().is_empty() {
        return Err(NoteError::FrameCount(notes.remainder().len()));
    }
    notes
        .map(|chunk| {
            let note = Note::decode(chunk, max_text_bytes)?;
            note.verify()?;
            Ok(note)
        })
        .collect()
}
