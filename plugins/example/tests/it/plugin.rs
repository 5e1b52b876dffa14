//! The plugin: registration, its config section, and the background expiry.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::support;
use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    async_trait, Handler, HandlerContext, HandlerError, Item, ItemKind, Origin, Outcome, Plugin,
    PluginConfig, PluginError, Registry, TokioClock,
};
use peerd_example::{
    note_kind, query_kind, signed_note, Config, NoteHandler, NotePlugin, NoteQuery, SWEEP_INTERVAL,
};
use support::{author, context, handle, START};

/// Another plugin's handler that also wants `note` items.
struct Squatter;

#[async_trait]
impl Handler for Squatter {
    fn name(&self) -> &str {
        "squatter"
    }
    fn kinds(&self) -> Vec<ItemKind> {
        vec!["memo".parse().unwrap(), note_kind()]
    }
    async fn handle(
        &self,
        _: &HandlerContext,
        _: &Origin,
        _: &Item,
    ) -> Result<Outcome, HandlerError> {
        Ok(Outcome::Accepted)
    }
}

#[test]
fn the_plugin_registers_one_handler_for_both_kinds() {
    let mut registry = Registry::new();
    NotePlugin.register(&PluginConfig::default(), &mut registry).unwrap();
    assert_eq!(NotePlugin.name(), "notes");
    let kinds: Vec<_> = registry.kinds().cloned().collect();
    assert_eq!(kinds, [note_kind(), query_kind()]);
    assert_eq!(registry.handler_for(&note_kind()).unwrap().name(), "notes");
    assert_eq!(registry.handler_for(&query_kind()).unwrap().name(), "notes");
    // Custom kinds are processed in every mode, also while resynchronising.
    assert!(kinds.iter().all(|k| !k.gated_by_mode()));

    let mut off = Registry::new();
    let disabled = PluginConfig { enabled: false, ..PluginConfig::default() };
    NotePlugin.register(&disabled, &mut off).unwrap();
    assert_eq!(off.kinds().count(), 0, "a disabled plugin registers nothing");
}

#[test]
fn a_second_handler_for_note_is_a_start_up_error() {
    let mut registry = Registry::new();
    NotePlugin.register(&PluginConfig::default(), &mut registry).unwrap();
    match registry.add_handler(Arc::new(Squatter)) {
        Err(PluginError::DuplicateKind { kind, first, second }) => {
            assert_eq!((kind, first.as_str(), second.as_str()), (note_kind(), "notes", "squatter"));
        }
        other => panic!("expected DuplicateKind, got {other:?}"),
    }
    // Nothing of the refused handler was added.
    assert!(registry.handler_for(&"memo".parse().unwrap()).is_none());

    // The other way round: the notes plugin is the one refused.
    let mut registry = Registry::new();
    registry.add_handler(Arc::new(Squatter)).unwrap();
    let error = NotePlugin.register(&PluginConfig::default(), &mut registry).unwrap_err();
    assert!(matches!(error, PluginError::DuplicateKind { ref first, .. } if first == "squatter"));
    assert!(registry.handler_for(&query_kind()).is_none());
}

#[test]
fn the_config_section_is_parsed_and_unknown_keys_are_refused() {
    let options = serde_json::json!({ "max_text_bytes": 64, "retention_hours": 2 });
    let section = PluginConfig { enabled: true, options };
    let config = Config::from_section(&section).unwrap();
    assert_eq!((config.max_text_bytes, config.retention_hours), (64, 2));
    assert_eq!(config.max_notes_per_author, Config::default().max_notes_per_author);

    let options = serde_json::json!({ "max_text_bytes": 64, "colour": "blue" });
    let error = NotePlugin.register(&PluginConfig { enabled: true, options }, &mut Registry::new());
    match error {
        Err(PluginError::Config { plugin, reason }) => {
            assert_eq!(plugin, "notes");
            assert!(reason.contains("unknown field `colour`"), "{reason}");
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_configured_text_limit_applies() {
    let options = serde_json::json!({ "max_text_bytes": 5 });
    let mut registry = Registry::new();
    NotePlugin.register(&PluginConfig { enabled: true, options }, &mut registry).unwrap();
    let handler = registry.handler_for(&note_kind()).unwrap().clone();
    let ctx = context(Arc::new(TokioClock::starting_at(START)));
    let origin = Origin::Local;
    let fits = signed_note(&author(1), START, "12345");
    assert_eq!(handler.handle(&ctx, &origin, &fits).await.unwrap(), Outcome::Relay);
    let long = signed_note(&author(1), START, "123456");
    let error = handler.handle(&ctx, &origin, &long).await.unwrap_err();
    assert_eq!(error.to_string(), "note text is 6 bytes, more than the limit of 5");
}

async fn stored(handler: &NoteHandler, ctx: &HandlerContext) -> Vec<String> {
    let query = NoteQuery { author: author(1).verifying_key().to_bytes(), since: 0, limit: 99 };
    let Outcome::Reply(frames) = handle(handler, ctx, &query.to_item()).await.unwrap() else {
        panic!("a query is answered with a reply");
    };
    peerd_example::decode_reply(&frames, 280).unwrap().into_iter().map(|n| n.text).collect()
}

#[tokio::test(start_paused = true)]
async fn the_background_task_drops_notes_past_the_retention() {
    let config = Config { retention_hours: 1, ..Config::default() };
    let handler = Arc::new(NoteHandler::new(config));
    let ctx = context(Arc::new(TokioClock::starting_at(START)));
    for (age, text) in [(1800, "half an hour old"), (0, "brand new")] {
        let item = signed_note(&author(1), START - age, text);
        assert_eq!(handle(&handler, &ctx, &item).await.unwrap(), Outcome::Relay);
    }
    let task = tokio::spawn({
        let (handler, ctx) = (handler.clone(), ctx.clone());
        async move { handler.run(ctx).await }
    });
    // The older note turns 60 minutes old at +30 min; the next sweep after that drops it.
    tokio::time::sleep(Duration::from_secs(1770)).await;
    assert_eq!(stored(&handler, &ctx).await, ["half an hour old", "brand new"]);
    tokio::time::sleep(SWEEP_INTERVAL * 2).await; // +31.5 min
    assert_eq!(stored(&handler, &ctx).await, ["brand new"]);
    tokio::time::sleep(Duration::from_secs(1800)).await; // +61.5 min
    assert!(stored(&handler, &ctx).await.is_empty());
    let index = ctx.store.scan(peerd_example::BY_TIME, peerd_api::KeyRange::all()).unwrap();
    assert_eq!(index.count(), 0, "the time index is emptied too");

    ctx.shutdown.cancel();
    assert!(task.await.unwrap().is_ok(), "run returns Ok at shutdown");
}

#[tokio::test(start_paused = true)]
async fn the_background_task_stops_at_shutdown_without_a_tick() {
    let handler = NoteHandler::new(Config::default());
    let ctx = context(Arc::new(TokioClock::starting_at(START)));
    ctx.shutdown.cancel();
    // Paused time jumps ahead while the task idles: a task that ignored the token would
    // run into the timeout.
    let stopped = tokio::time::timeout(SWEEP_INTERVAL * 3, handler.run(ctx)).await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
}

#[tokio::test(start_paused = true)]
async fn the_handler_counts_notes_on_the_nodes_metrics_registry() {
    let handler = NoteHandler::new(Config::default());
    let registry = peerd_api::MetricsRegistry::new();
    let ctx = context(Arc::new(TokioClock::starting_at(START))).with_metrics(registry.clone());
    // `run` registers the metrics first; with shutdown already cancelled it then returns.
    ctx.shutdown.cancel();
    handler.run(ctx.clone()).await.unwrap();
    let note = signed_note(&author(1), START, "counted");
    assert_eq!(handle(&handler, &ctx, &note).await.unwrap(), Outcome::Relay);
    assert_eq!(handle(&handler, &ctx, &note).await.unwrap(), Outcome::Accepted);
    let future = signed_note(&author(1), START + 86_400, "from tomorrow");
    assert!(handle(&handler, &ctx, &future).await.is_err());

    let mut text = String::new();
    registry.encode(&mut text).unwrap();
    for result in ["stored", "known", "refused"] {
        let line = format!("peerd_notes_items_total{{result=\"{result}\"}} 1");
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
}
