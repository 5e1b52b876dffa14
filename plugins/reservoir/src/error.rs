//! Rejections: bitmarkd's fault texts, and the reservoir's error boundary.

use peerd_api::{ChainError, HandlerError, StoreError};
use peerd_bitmark::Fault;

/// bitmarkd fault texts used by the reservoir that peerd-bitmark's [`Fault`] does not have
/// (`fault/fault.go`, byte for byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReservoirFault {
    /// A different asset record with the same fingerprint is already cached.
    #[error("assets already registered")]
    AssetsAlreadyRegistered,
    /// The pool is full.
    #[error("buffer capacity limit")]
    BufferCapacityLimit,
    /// An item without its data frame, or an empty record list.
    #[error("missing parameters")]
    MissingParameters,
    /// More than 100 issues in one message.
    #[error("too many items to process")]
    TooManyItemsToProcess,
    /// A transfer whose id equals its link.
    #[error("transaction links to self")]
    TransactionLinksToSelf,
}

/// Why the reservoir refused a submission or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReservoirError {
    /// The submission is invalid: one of peerd-bitmark's fault texts.
    #[error("{0}")]
    Fault(#[from] Fault),
    /// The submission is invalid: a reservoir fault text.
    #[error("{0}")]
    Reservoir(#[from] ReservoirFault),
    /// Reading the ledger failed.
    #[error("reservoir ledger read: {0}")]
    Store(#[from] StoreError),
    /// The chain failed (reading a block digest).
    #[error("reservoir chain: {0}")]
    Chain(#[from] ChainError),
}

impl ReservoirError {
    /// True when the sender is at fault (the text is a bitmarkd fault text).
    pub fn is_rejection(&self) -> bool {
        matches!(self, ReservoirError::Fault(_) | ReservoirError::Reservoir(_))
    }
}

impl From<ReservoirError> for HandlerError {
    fn from(error: ReservoirError) -> Self {
        match error {
            ReservoirError::Fault(f) => HandlerError::Rejected(f.to_string()),
            ReservoirError::Reservoir(f) => HandlerError::Rejected(f.to_string()),
            ReservoirError::Store(e) => HandlerError::Store(e),
            ReservoirError::Chain(e) => HandlerError::Chain(e),
        }
    }
}
