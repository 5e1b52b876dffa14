//! Shared test support: a handler context over a memory store and a stub chain.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Accepted, BlockMeta, Chain, ChainError, Clock, Digest, DigestSource, Handler, HandlerContext,
    HandlerError, Item, Origin, Outcome,
};
use peerd_example::ed25519_dalek::SigningKey;
use peerd_example::{Config, NoteHandler};

/// Unix time the test clocks start at.
pub const START: u64 = 1_700_000_000;

/// A chain with only its genesis: the notes handler never touches the chain.
pub struct StubChain;

impl Chain for StubChain {
    fn name(&self) -> &str {
        "stub"
    }
    fn genesis_digest(&self) -> Digest {
        Digest::ZERO
    }
    fn height(&self) -> Result<u64, ChainError> {
        Ok(1)
    }
    fn digest(&self, number: u64) -> Result<Option<Digest>, ChainError> {
        Ok((number <= 1).then_some(Digest::ZERO))
    }
    fn block(&self, _number: u64) -> Result<Option<Bytes>, ChainError> {
        Ok(None)
    }
    fn meta(&self, _block: &[u8]) -> Result<BlockMeta, ChainError> {
        Err(ChainError::Unsupported("blocks"))
    }
    fn accept(&self, _block: &[u8], _digest: DigestSource<'_>) -> Result<Accepted, ChainError> {
        Err(ChainError::Unsupported("blocks"))
    }
    fn verify_digests(&self, _blocks: &[Bytes]) -> Result<Vec<Digest>, ChainError> {
        Err(ChainError::Unsupported("blocks"))
    }
    fn delete_down(&self, _number: u64) -> Result<(), ChainError> {
        Ok(())
    }
    fn prefers(&self, _candidate: &Digest, _current: &Digest) -> bool {
        false
    }

    fn produce(&self, _now_unix: u64, _transactions: &[Bytes]) -> Result<Bytes, ChainError> {
        Err(ChainError::Unsupported("block production"))
    }
}

/// A clock the test sets by hand.
#[derive(Default)]
pub struct FixedClock(pub std::sync::atomic::AtomicU64);

impl Clock for FixedClock {
    fn unix_now(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A context with a fresh memory store and this clock.
pub fn context(clock: Arc<dyn Clock>) -> HandlerContext {
    let store = Arc::new(peerd_store_memory::Store::new());
    let (ctx, _requests) = peerd_testkit::handler::context(Arc::new(StubChain), store);
    ctx.with_clock(clock)
}

/// A handler with default options, and a context whose clock reads [`START`].
pub fn setup() -> (NoteHandler, HandlerContext) {
    setup_with(Config::default())
}

/// A handler with these options, and a context whose clock reads [`START`].
pub fn setup_with(config: Config) -> (NoteHandler, HandlerContext) {
    let clock = FixedClock::default();
    clock.0.store(START, std::sync::atomic::Ordering::Relaxed);
    (NoteHandler::new(config), context(Arc::new(clock)))
}

/// The signing key of test author `n`.
pub fn author(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

/// A remote origin on the memory transport.
pub fn remote() -> Origin {
    Origin::Remote { transport: "memory".into(), peer: None }
}

/// Hands `item` to the handler as if it came from a peer.
pub async fn handle(
    handler: &NoteHandler,
    ctx: &HandlerContext,
    item: &Item,
) -> Result<Outcome, HandlerError> {
    handler.handle(ctx, &remote(), item).await
}

/// The rejection text of a result, or a panic naming what came instead.
pub fn rejection(result: Result<Outcome, HandlerError>) -> String {
    match result {
        Err(HandlerError::Rejected(text)) => text,
        other => panic!("expected a rejection, got {other:?}"),
    }
}
