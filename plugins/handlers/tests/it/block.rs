//! The block handler against a real dev chain.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Chain, DigestSource, Handler, HandlerContext, HandlerError, Item, ItemKind, NodeEvent,
    NodeRequest, Origin, Outcome, TokioClock,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_handlers::block::{BlockHandler, MAX_AHEAD, MISSING_PARAMETERS, OUT_OF_SEQUENCE};
use tokio::sync::mpsc;

const T0: u64 = 1_700_000_000;

fn dev_chain() -> Arc<BitmarkChain> {
    let store = Arc::new(peerd_store_memory::Store::new());
    let clock = Arc::new(TokioClock::starting_at(T0));
    Arc::new(BitmarkChain::open(store, ChainParams::DEV, clock).unwrap())
}

/// A producer chain with `n` blocks above the genesis.
fn produced(n: u64) -> Arc<BitmarkChain> {
    let chain = dev_chain();
    for i in 0..n {
        let block = chain.produce(T0 + i, &[]).unwrap();
        chain.accept(&block, DigestSource::Compute).unwrap();
    }
    chain
}

fn context(chain: Arc<BitmarkChain>) -> (HandlerContext, mpsc::Receiver<NodeRequest>) {
    let store = Arc::new(peerd_store_memory::Store::new());
    let (ctx, rx) = peerd_testkit::handler::context(chain, store);
    (ctx.with_clock(Arc::new(TokioClock::starting_at(T0))), rx)
}

fn block_item(block: Bytes) -> Item {
    Item::new(ItemKind::Block, vec![block])
}

fn origin() -> Origin {
    Origin::Remote { transport: "memory".into(), peer: None }
}

fn rejected(result: Result<Outcome, HandlerError>) -> String {
    match result {
        Err(HandlerError::Rejected(text)) => text,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn stores_and_relays_only_the_block_that_extends_the_tip() {
    let source = produced(4);
    let local = dev_chain();
    let (ctx, _requests) = context(local.clone());
    let handler = BlockHandler::new();
    let block = |n| block_item(source.block(n).unwrap().unwrap());

    assert_eq!(handler.handle(&ctx, &origin(), &block(2)).await.unwrap(), Outcome::Relay);
    assert_eq!(local.height().unwrap(), 2);
    assert_eq!(local.digest(2).unwrap(), source.digest(2).unwrap());

    // Pushed back by a peer: known, not relayed again.
    assert_eq!(handler.handle(&ctx, &origin(), &block(2)).await.unwrap(), Outcome::Accepted);
    assert_eq!(handler.handle(&ctx, &origin(), &block(3)).await.unwrap(), Outcome::Relay);
    assert_eq!(local.height().unwrap(), 3);
    assert!(handler.held().is_empty());
}

#[tokio::test]
async fn a_block_slightly_ahead_waits_for_the_one_under_it() {
    let source = produced(MAX_AHEAD + 3);
    let local = dev_chain();
    let (ctx, mut requests) = context(local.clone());
    let handler = BlockHandler::new();
    let block = |n| block_item(source.block(n).unwrap().unwrap());

    // Block 3 before block 2 (sync is fetching 2): held, not stored, not relayed yet.
    assert_eq!(handler.handle(&ctx, &origin(), &block(3)).await.unwrap(), Outcome::Accepted);
    assert_eq!((local.height().unwrap(), handler.held()), (1, vec![3]));
    // Far ahead: refused as bitmarkd does.
    let far = block(MAX_AHEAD + 2);
    assert_eq!(rejected(handler.handle(&ctx, &origin(), &far).await), OUT_OF_SEQUENCE);

    // Block 2 arrives and is stored; its stored event releases block 3, which is relayed.
    assert_eq!(handler.handle(&ctx, &origin(), &block(2)).await.unwrap(), Outcome::Relay);
    let event = NodeEvent::BlockAccepted { number: 2, block: source.block(2).unwrap().unwrap() };
    handler.on_event(&ctx, &event).await.unwrap();
    assert_eq!(local.height().unwrap(), 3);
    assert_eq!(local.digest(3).unwrap(), source.digest(3).unwrap());
    match requests.try_recv().unwrap() {
        NodeRequest::Broadcast(item) => assert_eq!(item, block(3)),
        other => panic!("expected a broadcast, got {other:?}"),
    }
    assert!(handler.held().is_empty());

    // A held block the chain moved past is dropped; a delete-down clears what is held.
    handler.handle(&ctx, &origin(), &block(5)).await.unwrap();
    handler
        .on_event(&ctx, &NodeEvent::BlocksDeleted { from: 3, blocks: Vec::new() })
        .await
        .unwrap();
    assert!(handler.held().is_empty());
}

#[tokio::test]
async fn invalid_blocks_are_rejected_and_nothing_is_stored() {
    let source = produced(2);
    let local = dev_chain();
    let (ctx, _requests) = context(local.clone());
    let handler = BlockHandler::new();

    let empty = Item::new(ItemKind::Block, vec![]);
    assert_eq!(rejected(handler.handle(&ctx, &origin(), &empty).await), MISSING_PARAMETERS);

    let mut forged = source.block(2).unwrap().unwrap().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 0xff; // breaks the last transaction: the merkle root no longer matches
    let text = rejected(handler.handle(&ctx, &origin(), &block_item(forged.into())).await);
    assert!(!text.is_empty());

    let garbage = block_item(Bytes::from_static(b"not a block"));
    assert!(handler.handle(&ctx, &origin(), &garbage).await.is_err());
    assert_eq!(local.height().unwrap(), 1, "nothing was stored");
}
