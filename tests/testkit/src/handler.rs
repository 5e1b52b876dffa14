//! A handler context for handler tests, with the kernel's end of its node link.

use std::sync::Arc;

use peerd_api::{Chain, HandlerContext, NodeLink, NodeRequest, Store};
use tokio::sync::mpsc;

/// Requests a test context's node link holds before a handler's sends are refused.
pub const REQUESTS: usize = 256;

/// A context on `chain` and `store` ([`HandlerContext::new`]: Normal mode, system clock,
/// no identities), and the receiving end of its node link, where the test reads what the
/// handler asked of the kernel. Change the rest with the context's `with_*` methods.
pub fn context(
    chain: Arc<dyn Chain>,
    store: Arc<dyn Store>,
) -> (HandlerContext, mpsc::Receiver<NodeRequest>) {
    let (tx, requests) = mpsc::channel(REQUESTS);
    (HandlerContext::new(chain, store, NodeLink::new(tx)), requests)
}
