//! Parallel digest verification for the kernel's full-verify sync (issue 3, item 6).
//!
//! Each Argon2d digest needs 128 MiB: at most `available_parallelism()` threads run at once,
//! each reusing one [`Argon2dHasher`], so a run of any length uses at most that many times
//! 128 MiB. SHA3 (`dev`) digests are split into chunks over the same number of threads.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bytes::Bytes;
use peerd_api::{ChainError, Digest};

use crate::chain::ChainParams;
use crate::digest::{sha3_256, Argon2dHasher, DigestAlgorithm, DigestError};
use crate::header::header_bytes;
use crate::Fault;

/// Runs shorter than this are hashed on the calling thread on the `dev` chain.
const SHA3_PARALLEL_MIN: usize = 512;

/// Why a run of blocks failed verification.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Block `index` of the run is invalid (the sender's fault): `invalid block header size`
    /// or `invalid block header difficulty` (proof of work not met, or bits unusable).
    #[error("block {index} of the run: {fault}")]
    Invalid {
        /// Position in the run.
        index: usize,
        /// bitmarkd's fault.
        fault: Fault,
    },
    /// The digest could not be computed (a local failure).
    #[error("block {index} of the run: {source}")]
    Digest {
        /// Position in the run.
        index: usize,
        /// The digest failure.
        source: DigestError,
    },
    /// A worker stopped before computing block `index` (a local failure).
    #[error("digest verification stopped before block {index} of the run")]
    Interrupted {
        /// Position in the run.
        index: usize,
    },
}

impl From<VerifyError> for ChainError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Invalid { fault, .. } => ChainError::invalid(fault.to_string()),
            _ => ChainError::Inconsistent(e.to_string()),
        }
    }
}

/// Computes the digests of `blocks` (packed blocks; only the 100-byte headers are read) on
/// all cores and checks each one's proof of work where the chain checks it. Returns the
/// digests in input order, or the failure of the lowest failing block.
pub fn verify_digests(params: &ChainParams, blocks: &[Bytes]) -> Result<Vec<Digest>, VerifyError> {
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    verify_digests_with(params, blocks, threads)
}

/// [`verify_digests`] on at most `threads` threads (at least one).
pub fn verify_digests_with(
    params: &ChainParams,
    blocks: &[Bytes],
    threads: usize,
) -> Result<Vec<Digest>, VerifyError> {
    let threads = threads.max(1).min(blocks.len().max(1));
    tracing::debug!(chain = params.name(), blocks = blocks.len(), threads, "verifying block digests");
    match params.digest_algorithm() {
        DigestAlgorithm::Argon2d => argon2d_run(params, blocks, threads),
        DigestAlgorithm::Sha3 if threads == 1 || blocks.len() < SHA3_PARALLEL_MIN => {
            blocks.iter().enumerate().map(|(i, b)| check_one(params, i, b, sha3)).collect()
        }
        DigestAlgorithm::Sha3 => sha3_run(params, blocks, threads),
    }
}

fn sha3(header: &[u8]) -> Result<Digest, DigestError> {
    Ok(sha3_256(header))
}

/// Digest and proof of work of block `index`.
fn check_one(
    params: &ChainParams,
    index: usize,
    block: &[u8],
    mut digest: impl FnMut(&[u8]) -> Result<Digest, DigestError>,
) -> Result<Digest, VerifyError> {
    let invalid = |fault| VerifyError::Invalid { index, fault };
    let header = header_bytes(block).map_err(invalid)?;
    let digest = digest(header).map_err(|source| VerifyError::Digest { index, source })?;
    if params.proof_of_work_checked() {
        let bits = u64::from_le_bytes([
            header[84], header[85], header[86], header[87], header[88], header[89], header[90],
            header[91],
        ]);
        let difficulty = crate::difficulty::Difficulty::from_bits(bits)
            .map_err(|_| invalid(Fault::InvalidBlockHeaderDifficulty))?;
        if !params.proof_of_work_ok(&digest, &difficulty) {
            return Err(invalid(Fault::InvalidBlockHeaderDifficulty));
        }
    }
    Ok(digest)
}

/// Work-stealing over indices; a failure at `i` stops the taking of indices above `i`, and
/// since indices are taken in order every lower one is still checked, so the reported
/// failure is the lowest.
fn argon2d_run(
    params: &ChainParams,
    blocks: &[Bytes],
    threads: usize,
) -> Result<Vec<Digest>, VerifyError> {
    let next = AtomicUsize::new(0);
    let limit = AtomicUsize::new(blocks.len());
    let results: Mutex<Vec<Option<Result<Digest, VerifyError>>>> =
        Mutex::new(vec![None; blocks.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut hasher = Argon2dHasher::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= limit.load(Ordering::Relaxed) {
                        break;
                    }
                    let result = check_one(params, i, &blocks[i], |h| hasher.digest(h));
                    if result.is_err() {
                        limit.fetch_min(i, Ordering::Relaxed);
                    }
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(result);
                    }
                }
            });
        }
    });
    collect(results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// Contiguous chunks, one per thread.
fn sha3_run(
    params: &ChainParams,
    blocks: &[Bytes],
    threads: usize,
) -> Result<Vec<Digest>, VerifyError> {
    let chunk = blocks.len().div_ceil(threads);
    let parts: Vec<Result<Vec<Digest>, VerifyError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = blocks
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(j, b)| check_one(params, c * chunk + j, b, sha3))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut out = Vec::with_capacity(blocks.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// In order: the first error, else all digests.
fn collect(slots: Vec<Option<Result<Digest, VerifyError>>>) -> Result<Vec<Digest>, VerifyError> {
    slots
        .into_iter()
        .enumerate()
        .map(|(index, slot)| slot.unwrap_or(Err(VerifyError::Interrupted { index })))
        .collect()
}
