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

use crate::difficulty::Difficulty;
use crate::digest::{sha3_256, Argon2dHasher, DigestAlgorithm, DigestError};
use crate::header::header_bytes;
use crate::params::ChainParams;
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
    tracing::debug!(
        chain = params.name(),
        blocks = blocks.len(),
        threads,
        "verifying block digests"
    );
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
    // The bits are checked before the (expensive) digest.
    let difficulty = if params.proof_of_work_checked() {
        let bits = u64::from_le_bytes([
            header[84], header[85], header[86], header[87], header[88], header[89], header[90],
            header[91],
        ]);
        let difficulty = Difficulty::from_bits(bits)
            .map_err(|_| invalid(Fault::InvalidBlockHeaderDifficulty))?;
        Some(difficulty)
    } else {
        None
    };
    let digest = digest(header).map_err(|source| VerifyError::Digest { index, source })?;
    if let Some(difficulty) = difficulty {
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
                // Allocated on first use: a thread that finds no work takes no memory.
                let mut hasher: Option<Argon2dHasher> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= limit.load(Ordering::Relaxed) {
                        break;
                    }
                    let result = check_one(params, i, &blocks[i], |h| {
                        hasher.get_or_insert_with(Argon2dHasher::new).digest(h)
                    });
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
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::Header;

    fn dev_block(number: u64) -> Bytes {
        let header = Header {
            version: 1,
            transaction_count: 2,
            number,
            nonce: number * 7,
            ..Header::default()
        };
        let mut block = header.pack().to_vec();
        block.extend_from_slice(b"transactions");
        Bytes::from(block)
    }

    #[test]
    fn dev_digests_in_parallel_match_sequential_and_keep_order() {
        let blocks: Vec<Bytes> = (2..700).map(dev_block).collect();
        let expected: Vec<Digest> = blocks.iter().map(|b| sha3_256(&b[..100])).collect();
        assert_eq!(verify_digests_with(&ChainParams::DEV, &blocks, 2), Ok(expected.clone()));
        assert_eq!(verify_digests_with(&ChainParams::DEV, &blocks, 1), Ok(expected));
        assert_eq!(verify_digests(&ChainParams::DEV, &[]), Ok(vec![]));
    }

    #[test]
    fn the_lowest_failing_block_is_reported() {
        let mut blocks: Vec<Bytes> = (2..700).map(dev_block).collect();
        blocks[650] = Bytes::from_static(&[1, 2, 3]);
        blocks[300] = blocks[300].slice(..99);
        let err = verify_digests_with(&ChainParams::DEV, &blocks, 2).unwrap_err();
        assert_eq!(err, VerifyError::Invalid { index: 300, fault: Fault::InvalidBlockHeaderSize });
        // Argon2d chains: size and difficulty bits are checked before any digest.
        let mut bad_bits = dev_block(2).to_vec();
        bad_bits[84..92].copy_from_slice(&0xc0ff_ffff_ffff_ffffu64.to_le_bytes());
        let blocks = [Bytes::from_static(&[0; 10]), Bytes::from(bad_bits)];
        let err = verify_digests_with(&ChainParams::TESTING, &blocks, 2).unwrap_err();
        assert_eq!(err, VerifyError::Invalid { index: 0, fault: Fault::InvalidBlockHeaderSize });
        let err = verify_digests_with(&ChainParams::TESTING, &blocks[1..], 2).unwrap_err();
        assert_eq!(
            err,
            VerifyError::Invalid { index: 0, fault: Fault::InvalidBlockHeaderDifficulty }
        );
        let chain_error = ChainError::from(err);
        assert_eq!(chain_error.to_string(), "invalid block header difficulty");
    }

    #[test]
    fn argon2d_run_checks_proof_of_work() {
        // Two genesis headers (valid at difficulty 1) and one made too hard: 3 Argon2d digests.
        let live = Bytes::from_static(crate::genesis::LIVE.block());
        let test = Bytes::from_static(crate::genesis::TEST.block());
        let digests = verify_digests_with(&ChainParams::BITMARK, &[live, test.clone()], 2).unwrap();
        assert_eq!(digests, vec![crate::genesis::LIVE.digest(), crate::genesis::TEST.digest()]);

        let mut hard = test.to_vec();
        hard[84..92].copy_from_slice(&0xbf00_0000_0000_0000u64.to_le_bytes());
        let err = verify_digests_with(&ChainParams::TESTING, &[Bytes::from(hard.clone())], 1);
        assert_eq!(
            err,
            Err(VerifyError::Invalid { index: 0, fault: Fault::InvalidBlockHeaderDifficulty })
        );
        // `local` computes the digest but skips proof of work.
        let local = verify_digests_with(&ChainParams::LOCAL, &[Bytes::from(hard)], 1).unwrap();
        assert_ne!(local[0], crate::genesis::TEST.digest());
    }
}
