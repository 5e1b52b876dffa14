//! The `note` item: verified, stored, relayed once, rejected with clear texts.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::support;
use peerd_api::bytes::Bytes;
use peerd_api::{HandlerContext, KeyRange, Outcome};
use peerd_example::{decode_reply, signed_note, Config, NoteQuery, BY_AUTHOR, BY_TIME};
use support::{author, handle, rejection, setup, setup_with, START};

fn rows(ctx: &HandlerContext, column: peerd_api::Column) -> usize {
    ctx.store.scan(column, KeyRange::all()).unwrap().count()
}

/// The texts of `n`'s stored notes, oldest first, read back through a query.
async fn texts(handler: &peerd_example::NoteHandler, ctx: &HandlerContext, n: u8) -> Vec<String> {
    let author = author(n).verifying_key().to_bytes();
    let query = NoteQuery { author, since: 0, limit: u32::MAX }.to_item();
    let Outcome::Reply(frames) = handle(handler, ctx, &query).await.unwrap() else {
        panic!("a query is answered with a reply");
    };
    decode_reply(&frames, 280).unwrap().into_iter().map(|n| n.text).collect()
}

#[tokio::test]
async fn a_valid_note_is_stored_and_relayed_once() {
    let (handler, ctx) = setup();
    let item = signed_note(&author(1), START - 5, "first note");
    assert_eq!(handle(&handler, &ctx, &item).await.unwrap(), Outcome::Relay);
    assert_eq!((rows(&ctx, BY_AUTHOR), rows(&ctx, BY_TIME)), (1, 1));
    assert_eq!(texts(&handler, &ctx, 1).await, ["first note"]);

    // The same note again: known, accepted, not relayed, not stored twice.
    assert_eq!(handle(&handler, &ctx, &item).await.unwrap(), Outcome::Accepted);
    assert_eq!((rows(&ctx, BY_AUTHOR), rows(&ctx, BY_TIME)), (1, 1));

    // Same author and second, other text: a different note.
    let other = signed_note(&author(1), START - 5, "second note");
    assert_eq!(handle(&handler, &ctx, &other).await.unwrap(), Outcome::Relay);
    assert_eq!(rows(&ctx, BY_AUTHOR), 2);
}

#[tokio::test]
async fn a_bad_signature_is_rejected_and_not_stored() {
    let (handler, ctx) = setup();
    let mut item = signed_note(&author(1), START, "signed by 1");
    // Author 2's key with author 1's signature.
    item.params[0] = Bytes::copy_from_slice(&author(2).verifying_key().to_bytes());
    let text = rejection(handle(&handler, &ctx, &item).await);
    assert_eq!(text, "note signature does not verify");
    let mut forged = signed_note(&author(1), START, "original");
    forged.params[2] = Bytes::from_static(b"forged!!");
    assert_eq!(rejection(handle(&handler, &ctx, &forged).await), text);
    assert_eq!(rows(&ctx, BY_AUTHOR), 0);
}

#[tokio::test]
async fn an_oversized_text_is_rejected() {
    let (handler, ctx) = setup();
    let fits = "x".repeat(280);
    assert_eq!(
        handle(&handler, &ctx, &signed_note(&author(1), START, &fits)).await.unwrap(),
        Outcome::Relay
    );
    let long = "x".repeat(281);
    let text = rejection(handle(&handler, &ctx, &signed_note(&author(1), START, &long)).await);
    assert_eq!(text, "note text is 281 bytes, more than the limit of 280");
    // The limit counts bytes, not characters: 100 three-byte characters are 300 bytes.
    let wide = "€".repeat(100);
    let text = rejection(handle(&handler, &ctx, &signed_note(&author(1), START, &wide)).await);
    assert_eq!(text, "note text is 300 bytes, more than the limit of 280");
    assert_eq!(rows(&ctx, BY_AUTHOR), 1);
}

#[tokio::test]
async fn timestamps_outside_the_window_are_rejected() {
    let (handler, ctx) = setup(); // 600 s into the future, 168 hours back
    let edge = signed_note(&author(1), START + 600, "just in time");
    assert_eq!(handle(&handler, &ctx, &edge).await.unwrap(), Outcome::Relay);
    let future = signed_note(&author(1), START + 601, "too early");
    assert_eq!(
        rejection(handle(&handler, &ctx, &future).await),
        format!("note timestamp {} is more than 600 s ahead of now ({START})", START + 601)
    );
    let retention = 168 * 3600;
    let oldest = signed_note(&author(1), START - retention, "still kept");
    assert_eq!(handle(&handler, &ctx, &oldest).await.unwrap(), Outcome::Relay);
    let old = signed_note(&author(1), START - retention - 1, "too old");
    assert_eq!(
        rejection(handle(&handler, &ctx, &old).await),
        format!("note timestamp {} is older than the 168-hour retention", START - retention - 1)
    );
    assert_eq!(rows(&ctx, BY_AUTHOR), 2);
}

#[tokio::test]
async fn malformed_frames_are_rejected_with_their_fault() {
    let (handler, ctx) = setup();
    let good = signed_note(&author(1), START, "frames");
    let mut three = good.clone();
    three.params.pop();
    assert_eq!(
        rejection(handle(&handler, &ctx, &three).await),
        "note needs 4 frames (author, timestamp, text, signature), got 3"
    );
    let mut five = good.clone();
    five.params.push(Bytes::new());
    assert_eq!(
        rejection(handle(&handler, &ctx, &five).await),
        "note needs 4 frames (author, timestamp, text, signature), got 5"
    );
    let mut short_time = good.clone();
    short_time.params[1] = Bytes::from_static(&[0; 4]);
    assert_eq!(
        rejection(handle(&handler, &ctx, &short_time).await),
        "note timestamp must be 8 bytes, got 4"
    );
    let mut binary = good.clone();
    binary.params[2] = Bytes::from_static(&[0xc3, 0x28]);
    assert_eq!(rejection(handle(&handler, &ctx, &binary).await), "note text is not valid UTF-8");
    assert_eq!(rows(&ctx, BY_AUTHOR), 0);
}

#[tokio::test]
async fn each_author_keeps_only_the_newest_notes() {
    let config = Config { max_notes_per_author: 3, ..Config::default() };
    let (handler, ctx) = setup_with(config);
    for (i, text) in ["n0", "n1", "n2", "n3"].iter().enumerate() {
        let item = signed_note(&author(1), START - 100 + i as u64, text);
        assert_eq!(handle(&handler, &ctx, &item).await.unwrap(), Outcome::Relay);
    }
    // The fourth note evicted the oldest.
    assert_eq!(texts(&handler, &ctx, 1).await, ["n1", "n2", "n3"]);
    // A note older than all three kept ones would be evicted at once: refused.
    let stale = signed_note(&author(1), START - 100, "older");
    assert_eq!(
        rejection(handle(&handler, &ctx, &stale).await),
        "note is older than the author's 3 newest stored notes"
    );
    // Other authors have their own allowance.
    let other = signed_note(&author(2), START - 100, "other author");
    assert_eq!(handle(&handler, &ctx, &other).await.unwrap(), Outcome::Relay);
    assert_eq!(texts(&handler, &ctx, 1).await, ["n1", "n2", "n3"]);
    assert_eq!((rows(&ctx, BY_AUTHOR), rows(&ctx, BY_TIME)), (4, 4));
}
