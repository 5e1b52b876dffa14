//! The block handler against a real dev chain.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Chain, DigestSource, Handler, HandlerContext, HandlerError, Item, ItemKind, Mode, ModeCell,
    NodeLink, Origin, Outcome, TokioClock,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::chain::ChainParams;
use peerd_handlers::block::{BlockHandler, MISSING_PARAMETERS, OUT_OF_SEQUENCE};
use tokio_util::sync::CancellationToken;

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
        let block = chain.produce(T0 + i).unwrap();
        chain.accept(&block, DigestSource::Compute).unwrap();
    }
    chain
}

fn context(chain: Arc<BitmarkChain>) -> HandlerContext {
    let store = Arc::new(peerd_store_memory::Store::new());
    HandlerContext {
        chain,
        store,
        mode: ModeCell::new(Mode::Normal),
        clock: Arc::new(TokioClock::starting_at(T0)),
        node: NodeLink::new(tokio::sync::mpsc::channel(4).0),
        identities: Arc::from(vec![]),
        shutdown: CancellationToken::new(),
    }
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
    let ctx = context(local.clone());
    let handler = BlockHandler;
    let block = |n| block_item(source.block(n).unwrap().unwrap());

    // Block 3 before block 2: we are behind, sync will fetch it.
    assert_eq!(rejected(handler.handle(&ctx, &origin(), &block(3)).await), OUT_OF_SEQUENCE);
    assert_eq!(local.height().unwrap(), 1);

    assert_eq!(handler.handle(&ctx, &origin(), &block(2)).await.unwrap(), Outcome::Relay);
    assert_eq!(local.height().unwrap(), 2);
    assert_eq!(local.digest(2).unwrap(), source.digest(2).unwrap());

    // Pushed back by a peer: known, not relayed again.
    assert_eq!(handler.handle(&ctx, &origin(), &block(2)).await.unwrap(), Outcome::Accepted);
    assert_eq!(handler.handle(&ctx, &origin(), &block(3)).await.unwrap(), Outcome::Relay);
    assert_eq!(local.height().unwrap(), 3);
}

#[tokio::test]
async fn invalid_blocks_are_rejected_and_nothing_is_stored() {
    let source = produced(2);
    let local = dev_chain();
    let ctx = context(local.clone());
    let handler = BlockHandler;

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
