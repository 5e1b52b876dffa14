//! Test helpers: a dev chain on a memory store with a reservoir and its handler, keys and
//! signed records, proof search.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod records;

use std::sync::Arc;

use bytes::Bytes;
use peerd_api::{
    Chain, DigestSource, Handler, HandlerContext, HandlerError, Item, ItemKind, NodeEvent,
    NodeRequest, Origin, Outcome, Store, TokioClock,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::difficulty::Difficulty;
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::payid::{PayId, PayNonce};
use peerd_reservoir::{proof, LedgerView, Reservoir, ReservoirConfig, ReservoirHandler};
use tokio::sync::mpsc;

pub use records::*;

/// Unix time at the start of every test.
pub const T0: u64 = 1_700_000_000;

/// A node's worth of reservoir: chain, store, reservoir, handler, context.
pub struct Net {
    pub store: Arc<dyn Store>,
    pub chain: Arc<BitmarkChain>,
    pub reservoir: Arc<Reservoir>,
    pub handler: ReservoirHandler,
    pub ctx: HandlerContext,
    pub requests: mpsc::Receiver<NodeRequest>,
}

impl Net {
    /// A fresh dev chain with a reservoir configured by `config`.
    pub fn new(config: ReservoirConfig) -> Net {
        let store: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
        let clock = Arc::new(TokioClock::starting_at(T0));
        let chain =
            Arc::new(BitmarkChain::open(store.clone(), ChainParams::DEV, clock.clone()).unwrap());
        let reservoir = Arc::new(Reservoir::new(config));
        let handler = ReservoirHandler::new(reservoir.clone());
        let (ctx, requests) = peerd_testkit::handler::context(chain.clone(), store.clone());
        let ctx = ctx.with_clock(clock);
        Net { store, chain, reservoir, handler, ctx, requests }
    }

    pub fn view(&self) -> LedgerView<'_> {
        LedgerView::new(self.chain.as_ref(), self.store.as_ref())
    }

    pub fn now(&self) -> u64 {
        self.ctx.clock.unix_now()
    }

    /// Hands one item to the handler as if a peer sent it.
    pub async fn submit(&self, kind: ItemKind, frames: &[&[u8]]) -> Result<Outcome, HandlerError> {
        let item = Item::new(kind, frames.iter().map(|f| Bytes::copy_from_slice(f)).collect());
        let origin = Origin::Remote { transport: "memory".into(), peer: None };
        self.handler.handle(&self.ctx, &origin, &item).await
    }

    /// The fault text of a rejected submission.
    pub async fn rejected(&self, kind: ItemKind, data: &[u8]) -> String {
        match self.submit(kind, &[data]).await {
            Err(HandlerError::Rejected(text)) => text,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    /// Stores a block holding exactly `txs` (as given) and tells the handler.
    pub async fn confirm(&self, txs: &[Vec<u8>]) -> Bytes {
        let block = self.chain.produce_with(self.now(), txs).unwrap();
        self.accept(block).await
    }

    /// Stores `block` and tells the handler.
    pub async fn accept(&self, block: Bytes) -> Bytes {
        let accepted = self.chain.accept(&block, DigestSource::Compute).unwrap();
        let event = NodeEvent::BlockAccepted { number: accepted.number, block: block.clone() };
        self.handler.on_event(&self.ctx, &event).await.unwrap();
        block
    }

    /// Drains the broadcast requests sent so far.
    pub fn broadcasts(&mut self) -> Vec<Item> {
        let mut out = Vec::new();
        while let Ok(request) = self.requests.try_recv() {
            match request {
                NodeRequest::Broadcast(item) => out.push(item),
                other => panic!("unexpected request {other:?}"),
            }
        }
        out
    }
}

/// A nonce proving `pay_id` at `difficulty` under `pay_nonce`.
pub fn find_proof(pay_id: &PayId, pay_nonce: &PayNonce, difficulty: &Difficulty) -> Vec<u8> {
    (0u64..)
        .map(u64::to_be_bytes)
        .find(|n| proof::meets(pay_id, pay_nonce, n, difficulty))
        .unwrap()
        .to_vec()
}

/// A nonce that does NOT prove `pay_id`.
pub fn non_proof(pay_id: &PayId, pay_nonce: &PayNonce, difficulty: &Difficulty) -> Vec<u8> {
    (0u64..)
        .map(u64::to_be_bytes)
        .find(|n| !proof::meets(pay_id, pay_nonce, n, difficulty))
        .unwrap()
        .to_vec()
}

/// The `proof` payload: pay id ‖ nonce.
pub fn proof_payload(pay_id: &PayId, nonce: &[u8]) -> Vec<u8> {
    let mut out = pay_id.as_bytes().to_vec();
    out.extend_from_slice(nonce);
    out
}
