//! The handler for `note` and `note-query`.

use std::time::Duration;

use async_trait::async_trait;
use peerd_api::prometheus_client::metrics::counter::Counter;
use peerd_api::prometheus_client::metrics::family::Family;
use peerd_api::{Handler, HandlerContext, HandlerError, Item, ItemKind, Origin, Outcome};
use tracing::{debug, info, warn};

use crate::book::{self, Inserted};
use crate::config::Config;
use crate::note::{note_kind, Note, NoteError, NOTE_KIND};
use crate::query::{query_kind, NoteQuery, QUERY_KIND};

/// How often the background task deletes notes older than the retention.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Verifies, stores and answers queries for signed notes.
///
/// Store calls are made inline: each touches at most `max_notes_per_author` small rows,
/// which is cheaper than a hop to `spawn_blocking`.
#[derive(Clone, Debug)]
pub struct NoteHandler {
    config: Config,
    /// `note` items by result (`stored`, `known`, `refused`), registered on the node's
    /// registry in [`Handler::run`] as `peerd_notes_items_total`.
    items: Family<Vec<(&'static str, &'static str)>, Counter>,
}

impl NoteHandler {
    /// A handler with these (already checked) options.
    pub fn new(config: Config) -> Self {
        Self { config, items: Family::default() }
    }

    fn count(&self, result: &'static str) {
        self.items.get_or_create(&vec![("result", result)]).inc();
    }

    /// The handler's options.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Checks a decoded note against the clock and its signature.
    fn check(&self, note: &Note, now: u64) -> Result<(), NoteError> {
        if note.timestamp > now.saturating_add(self.config.max_future_secs) {
            return Err(NoteError::InFuture {
                timestamp: note.timestamp,
                now,
                max_future_secs: self.config.max_future_secs,
            });
        }
        if note.timestamp < self.cutoff(now) {
            return Err(NoteError::Expired {
                timestamp: note.timestamp,
                retention_hours: self.config.retention_hours,
            });
        }
        // Last: the only expensive check.
        note.verify()
    }

    /// Notes with a timestamp below this are past the retention.
    fn cutoff(&self, now: u64) -> u64 {
        now.saturating_sub(self.config.retention_secs())
    }

    fn note(&self, ctx: &HandlerContext, item: &Item) -> Result<Outcome, HandlerError> {
        let outcome = self.store_note(ctx, item);
        self.count(match &outcome {
            Ok(Outcome::Relay) => "stored",
            Ok(_) => "known",
            Err(_) => "refused",
        });
        outcome
    }

    fn store_note(&self, ctx: &HandlerContext, item: &Item) -> Result<Outcome, HandlerError> {
        let note = Note::decode(&item.params, self.config.max_text_bytes)?;
        self.check(&note, ctx.clock.unix_now())?;
        match book::insert(ctx.store.as_ref(), &note, self.config.max_notes_per_author)?? {
            Inserted::Known => Ok(Outcome::Accepted),
            Inserted::New { evicted } => {
                debug!(timestamp = note.timestamp, evicted, "Stored a new note.");
                Ok(Outcome::Relay)
            }
        }
    }

    fn query(&self, ctx: &HandlerContext, item: &Item) -> Result<Outcome, HandlerError> {
        let query = NoteQuery::decode(&item.params)?;
        let limit = usize::try_from(query.limit)
            .unwrap_or(usize::MAX)
            .min(self.config.max_notes_per_author);
        let notes = book::list(ctx.store.as_ref(), &query.author, query.since, limit)?;
        Ok(Outcome::Reply(notes.iter().flat_map(Note::frames).collect()))
    }

    /// Deletes the notes past the retention; returns how many.
    fn sweep(&self, ctx: &HandlerContext) -> Result<usize, HandlerError> {
        Ok(book::expire(ctx.store.as_ref(), self.cutoff(ctx.clock.unix_now()))?)
    }
}

#[async_trait]
impl Handler for NoteHandler {
    fn name(&self) -> &str {
        crate::PLUGIN_NAME
    }

    fn kinds(&self) -> Vec<ItemKind> {
        vec![note_kind(), query_kind()]
    }

    async fn handle(
        &self,
        ctx: &HandlerContext,
        _origin: &Origin,
        item: &Item,
    ) -> Result<Outcome, HandlerError> {
        match item.kind.as_str() {
            NOTE_KIND => self.note(ctx, item),
            QUERY_KIND => self.query(ctx, item),
            other => Err(HandlerError::Internal(format!("notes handler was given a {other} item"))),
        }
    }

    async fn run(&self, ctx: HandlerContext) -> Result<(), HandlerError> {
        ctx.metrics.register(
            "peerd_notes_items",
            "note items received, by result (stored, known, refused)",
            self.items.clone(),
        );
        let mut timer = tokio::time::interval(SWEEP_INTERVAL);
        // After a stall one sweep catches up; no burst of back-to-back sweeps.
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return Ok(()),
                _ = timer.tick() => match self.sweep(&ctx) {
                    Ok(0) => {}
                    Ok(deleted) => info!(deleted, "Expired old notes."),
                    // Retried at the next tick; a failing store shows in the kernel's logs too.
                    Err(error) => warn!(%error, "Note expiry failed."),
                },
            }
        }
    }
}
