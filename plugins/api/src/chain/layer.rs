//! [`ChainLayer`]: the one way to wrap a [`Chain`].

use bytes::Bytes;

use super::{Accepted, BlockMeta, Chain, ChainError, DigestSource};
use crate::Digest;

/// A chain that wraps another and changes part of what it does: an observer that emits
/// events, a read-only view, a test adversary that serves forged blocks.
///
/// Every method forwards to [`ChainLayer::inner`] unless the layer overrides it, and every
/// `ChainLayer` is a [`Chain`]. So a wrapper writes only what it changes and cannot drop a
/// method by forgetting it: a new method of [`Chain`] is forwarded here once, for every
/// wrapper. (A hand-written wrapper once fell back to a default that dropped the producer's
/// transactions.) Wrap a chain through this trait, not by implementing [`Chain`] by hand.
///
/// ```
/// # use std::sync::Arc;
/// # use peerd_api::{Chain, ChainError, ChainLayer};
/// /// Refuses to delete anything.
/// struct NoDeletes(Arc<dyn Chain>);
///
/// impl ChainLayer for NoDeletes {
///     fn inner(&self) -> &dyn Chain {
///         &*self.0
///     }
///     fn delete_down(&self, _number: u64) -> Result<(), ChainError> {
///         Err(ChainError::Unsupported("delete_down"))
///     }
/// }
/// ```
pub trait ChainLayer: Send + Sync + 'static {
    /// The chain this layer wraps.
    fn inner(&self) -> &dyn Chain;

    /// [`Chain::name`].
    fn name(&self) -> &str {
        self.inner().name()
    }

    /// [`Chain::genesis_digest`].
    fn genesis_digest(&self) -> Digest {
        self.inner().genesis_digest()
    }

    /// [`Chain::height`].
    fn height(&self) -> Result<u64, ChainError> {
        self.inner().height()
    }

    /// [`Chain::digest`].
    fn digest(&self, number: u64) -> Result<Option<Digest>, ChainError> {
        self.inner().digest(number)
    }

    /// [`Chain::block`].
    fn block(&self, number: u64) -> Result<Option<Bytes>, ChainError> {
        self.inner().block(number)
    }

    /// [`Chain::meta`].
    fn meta(&self, block: &[u8]) -> Result<BlockMeta, ChainError> {
        self.inner().meta(block)
    }

    /// [`Chain::accept`].
    fn accept(&self, block: &[u8], digest: DigestSource<'_>) -> Result<Accepted, ChainError> {
        self.inner().accept(block, digest)
    }

    /// [`Chain::verify_digests`].
    fn verify_digests(&self, blocks: &[Bytes]) -> Result<Vec<Digest>, ChainError> {
        self.inner().verify_digests(blocks)
    }

    /// [`Chain::delete_down`].
    fn delete_down(&self, number: u64) -> Result<(), ChainError> {
        self.inner().delete_down(number)
    }

    /// [`Chain::prefers`].
    fn prefers(&self, candidate: &Digest, current: &Digest) -> bool {
        self.inner().prefers(candidate, current)
    }

    /// [`Chain::produce`].
    fn produce(&self, now_unix: u64, transactions: &[Bytes]) -> Result<Bytes, ChainError> {
        self.inner().produce(now_unix, transactions)
    }
}

impl<L: ChainLayer> Chain for L {
    fn name(&self) -> &str {
        ChainLayer::name(self)
    }
    fn genesis_digest(&self) -> Digest {
        ChainLayer::genesis_digest(self)
    }
    fn height(&self) -> Result<u64, ChainError> {
        ChainLayer::height(self)
    }
    fn digest(&self, number: u64) -> Result<Option<Digest>, ChainError> {
        ChainLayer::digest(self, number)
    }
    fn block(&self, number: u64) -> Result<Option<Bytes>, ChainError> {
        ChainLayer::block(self, number)
    }
    fn meta(&self, block: &[u8]) -> Result<BlockMeta, ChainError> {
        ChainLayer::meta(self, block)
    }
    fn accept(&self, block: &[u8], digest: DigestSource<'_>) -> Result<Accepted, ChainError> {
        ChainLayer::accept(self, block, digest)
    }
    fn verify_digests(&self, blocks: &[Bytes]) -> Result<Vec<Digest>, ChainError> {
        ChainLayer::verify_digests(self, blocks)
    }
    fn delete_down(&self, number: u64) -> Result<(), ChainError> {
        ChainLayer::delete_down(self, number)
    }
    fn prefers(&self, candidate: &Digest, current: &Digest) -> bool {
        ChainLayer::prefers(self, candidate, current)
    }
    fn produce(&self, now_unix: u64, transactions: &[Bytes]) -> Result<Bytes, ChainError> {
        ChainLayer::produce(self, now_unix, transactions)
    }
}
