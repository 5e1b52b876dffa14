//! Why a kernel stopped other than by its shutdown token.

/// The error of [`crate::Kernel::run`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// Every transport's event channel closed while no shutdown was asked: nothing can
    /// reach the kernel any more.
    #[error("every transport stopped before the kernel was asked to stop")]
    TransportsClosed,
    /// The task that applies blocks in order ended (the chain panicked): no block can be
    /// stored any more.
    #[error("the chain worker stopped: no block can be stored")]
    ChainWorkerStopped,
}
