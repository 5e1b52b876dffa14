//! The chain seam: what the kernel asks of a chain plugin.
//!
//! The kernel syncs blocks without knowing their format. Everything format-specific
//! (headers, digests, transactions, the ledger) sits behind [`Chain`], implemented by
//! `plugins/bitmark`.

use bytes::Bytes;

use crate::{Digest, StoreError};

mod layer;

pub use layer::ChainLayer;

/// What the kernel needs to know of a block without understanding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockMeta {
    /// Block number.
    pub number: u64,
    /// Digest of the previous block, as recorded in this block's header.
    pub previous: Digest,
}

/// How [`Chain::accept`] learns the digest of the block it stores.
#[derive(Clone, Copy, Debug)]
pub enum DigestSource<'a> {
    /// Compute it (Argon2d on `bitmark`/`testing`/`local`) and check proof of work and linkage.
    Compute,
    /// Fast path: trust the previous-digest field of this next block (bitmarkd's fast sync).
    NextBlock(&'a [u8]),
    /// Already computed and checked by [`Chain::verify_digests`].
    Verified(Digest),
}

/// The result of storing a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Number of the stored block (the new height).
    pub number: u64,
    /// Its digest.
    pub digest: Digest,
}

/// The kernel-facing chain: height, digests, blocks, accept, delete down.
///
/// A chain that wraps another implements [`ChainLayer`], not this trait.
///
/// Implementations are synchronous (they sit on a [`crate::Store`]); the kernel calls the
/// slow ones (`accept`, `verify_digests`, `delete_down`) from `spawn_blocking`.
pub trait Chain: Send + Sync + 'static {
    /// The chain's name (`bitmark`, `testing`, `local`, `dev`); the first frame of every request.
    fn name(&self) -> &str;

    /// Digest of the genesis block (number 1, never stored).
    fn genesis_digest(&self) -> Digest;

    /// Number of the highest stored block; 1 when only the genesis exists. Must be cheap
    /// (keep the tip in memory): the kernel calls it on its own loop, e.g. to answer `N`.
    fn height(&self) -> Result<u64, ChainError>;

    /// Digest of block `number`: the genesis digest for 0 and 1, `None` above the height.
    fn digest(&self, number: u64) -> Result<Option<Digest>, ChainError>;

    /// The packed block `number` as stored; `None` for 0, 1 (genesis) and above the height.
    fn block(&self, number: u64) -> Result<Option<Bytes>, ChainError>;

    /// Reads the number and previous digest from a packed block, checking only its framing.
    fn meta(&self, block: &[u8]) -> Result<BlockMeta, ChainError>;

    /// Validates and stores a block that extends the local tip by one (or replaces the tip,
    /// as bitmarkd allows), all in one atomic store batch.
    fn accept(&self, block: &[u8], digest: DigestSource<'_>) -> Result<Accepted, ChainError>;

    /// Computes the digests of a run of packed blocks (on all cores where the digest is
    /// expensive) and checks each one's proof of work. Returns them in input order.
    fn verify_digests(&self, blocks: &[Bytes]) -> Result<Vec<Digest>, ChainError>;

    /// Deletes blocks from the tip down to and including `number`, undoing all their
    /// effects; afterwards the height is `number - 1`. A `number` above the height is a no-op.
    fn delete_down(&self, number: u64) -> Result<(), ChainError>;

    /// bitmarkd's tie-break between two chains of equal height: true if `candidate` is
    /// preferred over `current` (bitmarkd's `SmallerDigestThan`, quirk included).
    fn prefers(&self, candidate: &Digest, current: &Digest) -> bool;

    /// Builds a new block on the local tip, for chains that allow local production
    /// (`dev`, `local`), including as many of `transactions` (packed, verified by the
    /// reservoir) as the ledger still accepts, in order; the others are skipped. Does not
    /// store it: pass it to [`Chain::accept`]. Chains that do not produce return
    /// [`ChainError::Unsupported`].
    ///
    /// Every method of this trait is required, this one included, so no chain falls back
    /// to a default by forgetting one (a default once dropped the transactions silently).
    /// A chain that wraps another implements [`ChainLayer`] instead, which forwards
    /// everything it does not override.
    fn produce(&self, now_unix: u64, transactions: &[Bytes]) -> Result<Bytes, ChainError>;
}

/// Errors of the chain seam. [`ChainError::Invalid`] means the block's sender is at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The block or record is invalid; the text is bitmarkd's fault text
    /// (`previous block digest does not match`, `merkle root does not match`, …).
    #[error("{fault}")]
    Invalid {
        /// bitmarkd's fault text.
        fault: String,
    },
    /// The block does not fit at the local tip (`height out of sequence`): not the sender's
    /// fault on its own, the local chain may simply be elsewhere.
    #[error("height out of sequence: expected {expected}, got {got}")]
    OutOfSequence {
        /// The number the chain can accept next.
        expected: u64,
        /// The number offered.
        got: u64,
    },
    /// The store under the chain failed; local data was not changed.
    #[error("chain store: {0}")]
    Store(#[from] StoreError),
    /// Stored data is inconsistent (for example an index pointing at a missing block).
    #[error("chain data is inconsistent: {0}")]
    Inconsistent(String),
    /// The chain does not support this operation.
    #[error("{0} is not supported on this chain")]
    Unsupported(&'static str),
}

impl ChainError {
    /// Builds [`ChainError::Invalid`] from a fault text.
    pub fn invalid(fault: impl Into<String>) -> Self {
        ChainError::Invalid { fault: fault.into() }
    }
}
