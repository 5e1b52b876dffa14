//! The `note` item: a short UTF-8 text signed with an ed25519 key.
//!
//! Frames, in order:
//!
//! | frame | bytes | content |
//! |-------|-------|---------|
//! | author | 32 | ed25519 public key |
//! | timestamp | 8 | Unix seconds, big-endian |
//! | text | 1…`max_text_bytes` | UTF-8 |
//! | signature | 64 | ed25519 over [`signed_message`] |

use bytes::Bytes;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use peerd_api::{HandlerError, Item, ItemKind};

/// The command of a note item.
pub const NOTE_KIND: &str = "note";

/// Prefix of every signed message, so a note signature can never be replayed as a
/// signature over anything else made with the same key.
pub const SIGNING_DOMAIN: &[u8] = b"peerd-example/note/v1\0";

/// Length of an author key.
pub const KEY_BYTES: usize = 32;

/// Length of a signature.
pub const SIGNATURE_BYTES: usize = 64;

/// The `note` item kind.
pub fn note_kind() -> ItemKind {
    ItemKind::Custom(NOTE_KIND.to_owned())
}

/// A decoded note. Decoding checks the framing only; [`Note::verify`] checks the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The author's ed25519 public key.
    pub author: [u8; KEY_BYTES],
    /// Unix seconds at which the author wrote the note.
    pub timestamp: u64,
    /// The text.
    pub text: String,
    /// The author's signature over [`signed_message`].
    pub signature: [u8; SIGNATURE_BYTES],
}

impl Note {
    /// Writes and signs a note.
    pub fn sign(key: &SigningKey, timestamp: u64, text: &str) -> Self {
        let author = key.verifying_key().to_bytes();
        let signature = key.sign(&signed_message(&author, timestamp, text)).to_bytes();
        Self { author, timestamp, text: text.to_owned(), signature }
    }

    /// Decodes a note item's frames, accepting texts of at most `max_text_bytes`.
    ///
    /// # Errors
    ///
    /// The first framing fault found, in frame order.
    pub fn decode(params: &[Bytes], max_text_bytes: usize) -> Result<Self, NoteError> {
        let [author, timestamp, text, signature] = params else {
            return Err(NoteError::FrameCount(params.len()));
        };
        let author = <[u8; KEY_BYTES]>::try_from(author.as_ref())
            .map_err(|_| NoteError::KeyLength(author.len()))?;
        let timestamp = <[u8; 8]>::try_from(timestamp.as_ref())
            .map(u64::from_be_bytes)
            .map_err(|_| NoteError::TimestampLength(timestamp.len()))?;
        let signature = <[u8; SIGNATURE_BYTES]>::try_from(signature.as_ref())
            .map_err(|_| NoteError::SignatureLength(signature.len()))?;
        if text.is_empty() {
            return Err(NoteError::EmptyText);
        }
        if text.len() > max_text_bytes {
            return Err(NoteError::TextTooLong { len: text.len(), max: max_text_bytes });
        }
        let text = std::str::from_utf8(text).map_err(|_| NoteError::NotUtf8)?.to_owned();
        Ok(Self { author, timestamp, text, signature })
    }

    /// Checks the signature (strictly: no weak keys, no malleable signatures).
    ///
    /// # Errors
    ///
    /// [`NoteError::InvalidKey`] or [`NoteError::BadSignature`].
    pub fn verify(&self) -> Result<(), NoteError> {
        let key = VerifyingKey::from_bytes(&self.author).map_err(|_| NoteError::InvalidKey)?;
        let signature = Signature::from_bytes(&self.signature);
        let message = signed_message(&self.author, self.timestamp, &self.text);
        key.verify_strict(&message, &signature).map_err(|_| NoteError::BadSignature)
    }

    /// The note's frames, as carried by a `note` item.
    pub fn frames(&self) -> Vec<Bytes> {
        vec![
            Bytes::copy_from_slice(&self.author),
            Bytes::copy_from_slice(&self.timestamp.to_be_bytes()),
            Bytes::copy_from_slice(self.text.as_bytes()),
            Bytes::copy_from_slice(&self.signature),
        ]
    }

    /// The note as a gossip item.
    pub fn to_item(&self) -> Item {
        Item::new(note_kind(), self.frames())
    }
}

/// Builds a signed `note` item: what a client submits and what tests feed the handler.
pub fn signed_note(key: &SigningKey, timestamp: u64, text: &str) -> Item {
    Note::sign(key, timestamp, text).to_item()
}

/// The bytes an author signs: [`SIGNING_DOMAIN`] ‖ author ‖ BE64 timestamp ‖ text.
pub fn signed_message(author: &[u8; KEY_BYTES], timestamp: u64, text: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_DOMAIN.len() + KEY_BYTES + 8 + text.len());
    message.extend_from_slice(SIGNING_DOMAIN);
    message.extend_from_slice(author);
    message.extend_from_slice(&timestamp.to_be_bytes());
    message.extend_from_slice(text.as_bytes());
    message
}

/// Why a note or note query was refused. The texts are what the sender's node logs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// A note has four frames.
    #[error("note needs 4 frames (author, timestamp, text, signature), got {0}")]
    FrameCount(usize),
    /// The author frame is not an ed25519 key's length.
    #[error("note author key must be 32 bytes, got {0}")]
    KeyLength(usize),
    /// The timestamp frame is not 8 bytes.
    #[error("note timestamp must be 8 bytes, got {0}")]
    TimestampLength(usize),
    /// The signature frame is not an ed25519 signature's length.
    #[error("note signature must be 64 bytes, got {0}")]
    SignatureLength(usize),
    /// The text frame is empty.
    #[error("note text is empty")]
    EmptyText,
    /// The text is longer than the node's `max_text_bytes`.
    #[error("note text is {len} bytes, more than the limit of {max}")]
    TextTooLong {
        /// The text's length.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The text is not UTF-8.
    #[error("note text is not valid UTF-8")]
    NotUtf8,
    /// The author frame is not a valid ed25519 public key.
    #[error("note author is not a valid ed25519 public key")]
    InvalidKey,
    /// The signature does not match the author, timestamp and text.
    #[error("note signature does not verify")]
    BadSignature,
    /// The timestamp lies further ahead of this node's clock than `max_future_secs`.
    #[error("note timestamp {timestamp} is more than {max_future_secs} s ahead of now ({now})")]
    InFuture {
        /// The note's timestamp.
        timestamp: u64,
        /// This node's clock.
        now: u64,
        /// The configured tolerance.
        max_future_secs: u64,
    },
    /// The note is older than the retention: this node would drop it at once.
    #[error("note timestamp {timestamp} is older than the {retention_hours}-hour retention")]
    Expired {
        /// The note's timestamp.
        timestamp: u64,
        /// The configured retention.
        retention_hours: u64,
    },
    /// The author already has `max_notes_per_author` newer notes stored.
    #[error("note is older than the author's {0} newest stored notes")]
    Crowded(usize),
    /// A note query has three frames.
    #[error("note-query needs 3 frames (author, since, limit), got {0}")]
    QueryFrameCount(usize),
    /// A note query frame has the wrong length.
    #[error("note-query {frame} must be {expected} bytes, got {got}")]
    QueryFrameLength {
        /// Which frame.
        frame: &'static str,
        /// Its required length.
        expected: usize,
        /// Its length.
        got: usize,
    },
}

impl From<NoteError> for HandlerError {
    fn from(error: NoteError) -> Self {
        HandlerError::Rejected(error.to_string())
    }
}

#[cfg(test)]
#[path = "note/tests.rs"]
mod tests;
