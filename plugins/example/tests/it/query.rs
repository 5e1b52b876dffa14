//! The `note-query` item: one author's notes, oldest first, bounded.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::support;
use peerd_api::bytes::Bytes;
use peerd_api::{HandlerContext, Outcome};
use peerd_example::{decode_reply, signed_note, Config, NoteHandler, NoteQuery, KEY_BYTES};
use support::{author, handle, rejection, setup_with, START};

async fn query(handler: &NoteHandler, ctx: &HandlerContext, q: NoteQuery) -> Vec<(u64, String)> {
    let Outcome::Reply(frames) = handle(handler, ctx, &q.to_item()).await.unwrap() else {
        panic!("a query is answered with a reply");
    };
    let notes = decode_reply(&frames, 280).unwrap();
    assert!(notes.iter().all(|n| n.author == q.author), "only the asked author's notes");
    notes.into_iter().map(|n| (n.timestamp, n.text)).collect()
}

fn key(n: u8) -> [u8; KEY_BYTES] {
    author(n).verifying_key().to_bytes()
}

/// A handler keeping 5 notes per author, holding author 1's notes at START-50…START-10
/// (given out of order) and one note of author 2.
async fn five_notes() -> (NoteHandler, HandlerContext) {
    let (handler, ctx) = setup_with(Config { max_notes_per_author: 5, ..Config::default() });
    for age in [30, 10, 50, 20, 40] {
        let item = signed_note(&author(1), START - age, &format!("age {age}"));
        assert_eq!(handle(&handler, &ctx, &item).await.unwrap(), Outcome::Relay);
    }
    let item = signed_note(&author(2), START - 35, "someone else");
    assert_eq!(handle(&handler, &ctx, &item).await.unwrap(), Outcome::Relay);
    (handler, ctx)
}

#[tokio::test]
async fn a_query_lists_the_authors_notes_in_time_order() {
    let (handler, ctx) = five_notes().await;
    let all = query(&handler, &ctx, NoteQuery { author: key(1), since: 0, limit: 100 }).await;
    let expected: Vec<_> = [50, 40, 30, 20, 10].map(|a| (START - a, format!("age {a}"))).into();
    assert_eq!(all, expected);
    let other = query(&handler, &ctx, NoteQuery { author: key(2), since: 0, limit: 100 }).await;
    assert_eq!(other, [(START - 35, "someone else".to_owned())]);
    let nobody = query(&handler, &ctx, NoteQuery { author: key(3), since: 0, limit: 100 }).await;
    assert!(nobody.is_empty());
}

#[tokio::test]
async fn a_query_respects_its_limit_and_pages_with_since() {
    let (handler, ctx) = five_notes().await;
    let first = query(&handler, &ctx, NoteQuery { author: key(1), since: 0, limit: 2 }).await;
    assert_eq!(first.iter().map(|n| n.0).collect::<Vec<_>>(), [START - 50, START - 40]);
    let since = first[1].0 + 1;
    let next = query(&handler, &ctx, NoteQuery { author: key(1), since, limit: 2 }).await;
    assert_eq!(next.iter().map(|n| n.0).collect::<Vec<_>>(), [START - 30, START - 20]);
    // `since` is inclusive.
    let at = query(&handler, &ctx, NoteQuery { author: key(1), since: START - 10, limit: 9 }).await;
    assert_eq!(at, [(START - 10, "age 10".to_owned())]);
    let none = query(&handler, &ctx, NoteQuery { author: key(1), since: 0, limit: 0 }).await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn the_node_caps_the_limit_at_max_notes_per_author() {
    let (handler, ctx) = setup_with(Config { max_notes_per_author: 5, ..Config::default() });
    let (big, big_ctx) = setup_with(Config { max_notes_per_author: 8, ..Config::default() });
    for i in 0..8 {
        let item = signed_note(&author(1), START - 100 + i, &format!("note {i}"));
        handle(&handler, &ctx, &item).await.unwrap();
        handle(&big, &big_ctx, &item).await.unwrap();
    }
    let q = NoteQuery { author: key(1), since: 0, limit: u32::MAX };
    assert_eq!(query(&big, &big_ctx, q).await.len(), 8);
    // The small node kept its newest 5 and answers with at most 5.
    let capped = query(&handler, &ctx, q).await;
    assert_eq!(
        capped.iter().map(|n| n.1.as_str()).collect::<Vec<_>>(),
        ["note 3", "note 4", "note 5", "note 6", "note 7"]
    );
    let big_capped = NoteHandler::new(Config { max_notes_per_author: 3, ..Config::default() });
    let three = query(&big_capped, &big_ctx, q).await;
    assert_eq!(
        three.iter().map(|n| n.1.as_str()).collect::<Vec<_>>(),
        ["note 0", "note 1", "note 2"]
    );
}

#[tokio::test]
async fn malformed_queries_are_rejected() {
    let (handler, ctx) = five_notes().await;
    let good = NoteQuery { author: key(1), since: 0, limit: 1 }.to_item();
    let mut two = good.clone();
    two.params.pop();
    assert_eq!(
        rejection(handle(&handler, &ctx, &two).await),
        "note-query needs 3 frames (author, since, limit), got 2"
    );
    let mut short_author = good.clone();
    short_author.params[0] = Bytes::from_static(&[1; 20]);
    assert_eq!(
        rejection(handle(&handler, &ctx, &short_author).await),
        "note-query author must be 32 bytes, got 20"
    );
    let mut wide_limit = good.clone();
    wide_limit.params[2] = Bytes::from_static(&[0; 8]);
    assert_eq!(
        rejection(handle(&handler, &ctx, &wide_limit).await),
        "note-query limit must be 4 bytes, got 8"
    );
}
