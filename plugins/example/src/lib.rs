//! # peerd-example — a custom handler plugin: signed text notes
//!
//! This crate shows how a user adds a message kind to peerd without touching the node. It
//! depends only on `peerd-api` and registers one handler for two custom item kinds:
//!
//! - `note`: a short UTF-8 text signed with the author's ed25519 key ([`Note`]). The
//!   handler checks the framing, the size, the timestamp (not too far in the future, not
//!   past the retention) and the signature, stores new notes in the node's store (its own
//!   columns, [`BY_AUTHOR`] and [`BY_TIME`]) and returns [`Outcome::Relay`] so the kernel
//!   spreads them; a note it already has is [`Outcome::Accepted`] and goes no further.
//! - `note-query`: "list this author's notes" ([`NoteQuery`]), answered with
//!   [`Outcome::Reply`] and the notes' frames, oldest first, at most
//!   `max_notes_per_author` of them.
//!
//! A background task ([`Handler::run`]) deletes notes older than the retention every
//! [`SWEEP_INTERVAL`]. Options come from `[handlers.notes]` ([`Config`]).
//!
//! The guide `docs/handler-plugins.md` walks through this crate.
//!
//! ```
//! use peerd_api::{Plugin, PluginConfig, Registry};
//! use peerd_example::{ed25519_dalek::SigningKey, note_kind, signed_note, Note, NotePlugin};
//!
//! let mut registry = Registry::new();
//! NotePlugin.register(&PluginConfig::default(), &mut registry).unwrap();
//! assert!(registry.handler_for(&note_kind()).is_some());
//!
//! let key = SigningKey::from_bytes(&[7; 32]);
//! let item = signed_note(&key, 1_700_000_000, "hello from peerd");
//! let note = Note::decode(&item.params, 280).unwrap();
//! assert_eq!(note.verify(), Ok(()));
//! ```

mod book;
mod config;
mod handler;
mod note;
mod query;

use std::sync::Arc;

use peerd_api::{Plugin, PluginConfig, PluginError, Registry};

pub use book::{BY_AUTHOR, BY_TIME};
pub use config::{Config, MAX_RETENTION_HOURS, MAX_TEXT_LIMIT};
pub use handler::{NoteHandler, SWEEP_INTERVAL};
pub use note::{
    note_kind, signed_message, signed_note, Note, NoteError, KEY_BYTES, NOTE_KIND, SIGNATURE_BYTES,
    SIGNING_DOMAIN,
};
pub use query::{decode_reply, query_kind, NoteQuery, QUERY_KIND};

/// Re-exported so callers sign notes with the same version this crate verifies with.
pub use ed25519_dalek;

#[cfg(doc)]
use peerd_api::{Handler, Outcome};

/// The plugin's name: its section is `[handlers.notes]`.
pub const PLUGIN_NAME: &str = "notes";

/// Registers the [`NoteHandler`] for `note` and `note-query` (nothing when the section
/// says `enabled = false`).
#[derive(Clone, Copy, Debug, Default)]
pub struct NotePlugin;

impl Plugin for NotePlugin {
    fn name(&self) -> &str {
        PLUGIN_NAME
    }

    fn register(&self, config: &PluginConfig, registry: &mut Registry) -> Result<(), PluginError> {
        // The node skips disabled plugins itself; this covers callers that do not.
        if !config.enabled {
            return Ok(());
        }
        let config = Config::from_section(config)?;
        registry.add_handler(Arc::new(NoteHandler::new(config)))
    }
}
