//! Storing an incoming block (bitmarkd's `StoreIncoming`, protocol §5.3), checks in its order.
//!
//! 1. Header: unpacked with the injected `now` (size, version, count, timestamp ≤ now + 5
//!    min, usable bits); the number must be `height` or `height + 1`
//!    ([`ChainError::OutOfSequence`] otherwise). The digest comes from the
//!    [`DigestSource`]: computed with the chain's algorithm (full path), taken from the next
//!    block's previous-digest field (fast path; the next block's number must be `height + 1`
//!    or `height + 2`), or already verified by `Chain::verify_digests`.
//! 2. Version must not decrease.
//! 3. At a re-target block (version ≥ 5, number % 200 == 0) the difficulty is recomputed
//!    from the stored blocks; a version ≥ 5 header must carry the current difficulty (both
//!    only where the chain checks re-targeting: not on `local` and `dev`).
//! 4. Full path: proof of work and previous-digest linkage. Pre-verified path: linkage only
//!    (proof of work was checked with the digest). Fast path: neither, as bitmarkd.
//! 5. Timestamp: a block older than its predecessor may lag by 14400 s (v1) or 600 s (v ≥ 2).
//! 6. Transactions (unpacked, signatures verified, checked against the confirmed ledger),
//!    then the merkle root, then the block owner.
//! 7. Every effect, the block, its digest and foundation record, and the undo log go into ONE
//!    write batch.
//!
//! A block numbered `height` (bitmarkd's number check allows it, meaning "a competing
//! block for the tip") fails linkage on the full path exactly as in bitmarkd (`previous
//! block digest does not match`). On the other paths bitmarkd would reach a panic; peerd
//! rejects it with [`ChainError::OutOfSequence`]. To replace the tip, delete it first
//! (`Chain::delete_down`) and then accept the new block.

use peerd_api::{Accepted, ChainError, DigestSource, Store, WriteBatch};

use super::admission;
use super::columns::{number_key, BLOCKS, DIGESTS};
use super::records;
use super::staging::Staging;
use super::tip::{self, Tip};
use crate::header::{self, Header, HEADER_LEN};
use crate::params::ChainParams;
use crate::{merkle, rules, Fault};

/// A validated block, ready to be written.
#[derive(Debug)]
pub struct Prepared {
    /// Every write of the block, its undo log included: apply with ONE `Store::write`.
    pub batch: WriteBatch,
    /// The tip once the batch is written.
    pub tip: Tip,
    /// Number and digest of the block.
    pub accepted: Accepted,
}

/// Validates `block` on top of `tip` and builds its write batch; changes nothing.
///
/// # Errors
///
/// [`ChainError::Invalid`] with bitmarkd's fault text, [`ChainError::OutOfSequence`] when
/// the number does not fit the tip, a store error, or [`ChainError::Inconsistent`].
pub fn prepare(
    store: &dyn Store,
    params: &ChainParams,
    tip: &Tip,
    block: &[u8],
    source: DigestSource<'_>,
    now_unix: u64,
) -> Result<Prepared, ChainError> {
    let expected = tip.height + 1;
    let header_bytes = header::header_bytes(block)?;
    let header = Header::unpack(header_bytes, now_unix)?;
    in_sequence(expected, header.number)?;

    let (next_previous, check_pow, check_linkage) = match source {
        DigestSource::Compute => (None, true, true),
        DigestSource::NextBlock(next) => {
            let next = Header::unpack(header::header_bytes(next)?, now_unix)?;
            in_sequence(expected + 1, next.number)?;
            (Some(next.previous_block), false, false)
        }
        DigestSource::Verified(digest) => (Some(digest), false, true),
    };

    rules::header_version(tip.version, header.version)?;
    // Cheap before dear: a block that does not link to our tip is refused before its
    // Argon2d digest is computed (bitmarkd computes the digest first; a block wrong in both
    // ways is refused either way, only the first fault named differs).
    if check_linkage {
        rules::block_linkage(&tip.digest, &header.previous_block)?;
    }
    rules::timestamp_after(header.version, tip.timestamp, header.timestamp)?;

    let difficulty = if params.retarget_checked()
        && rules::is_block_to_adjust_difficulty(header.number, header.version)
        && header.number > header::MINIMUM_BLOCK_NUMBER
    {
        tip::retarget(store, header.number)?
    } else {
        tip.difficulty
    };
    let header_difficulty = header.difficulty().map_err(|_| Fault::InvalidBlockHeaderDifficulty)?;
    rules::incoming_difficulty(
        header.version,
        &header_difficulty,
        &difficulty,
        params.retarget_checked(),
    )?;

    // Computed after the cheap checks (sequence, version, linkage, timestamp, difficulty).
    let digest = match next_previous {
        Some(digest) => digest,
        None => params
            .block_digest(header_bytes)
            .map_err(|e| ChainError::Inconsistent(format!("block digest: {e}")))?,
    };
    if check_pow && !params.proof_of_work_ok(&digest, &header_difficulty) {
        return Err(Fault::InvalidBlockHeaderDifficulty.into());
    }
    if header.number != expected {
        return Err(ChainError::OutOfSequence { expected, got: header.number });
    }

    let mut st = Staging::new(store);
    stage_transactions(&mut st, params, &header, &block[HEADER_LEN..], &digest)?;
    let key = number_key(header.number);
    st.put(BLOCKS, key.to_vec(), block.to_vec())?;
    st.put(DIGESTS, key.to_vec(), digest.0.to_vec())?;
    let batch = st.into_batch(header.number)?;

    let tip = Tip {
        height: header.number,
        digest,
        version: header.version,
        timestamp: header.timestamp,
        difficulty,
    };
    Ok(Prepared { batch, tip, accepted: Accepted { number: header.number, digest } })
}

fn in_sequence(expected: u64, got: u64) -> Result<(), ChainError> {
    rules::next_height(expected, got).map_err(|_| ChainError::OutOfSequence { expected, got })
}

fn stage_transactions(
    st: &mut Staging<'_>,
    params: &ChainParams,
    header: &Header,
    data: &[u8],
    digest: &peerd_api::Digest,
) -> Result<(), ChainError> {
    let testnet = params.is_testnet();
    let suppress_duplicates = header.version == 1;
    let items =
        admission::validate_all(st, data, header.transaction_count, testnet, suppress_duplicates)?;
    let ids: Vec<peerd_api::Digest> = items.iter().map(|i| i.id.into()).collect();
    if merkle::root(&ids) != Some(header.merkle_root) {
        return Err(Fault::MerkleRootDoesNotMatch.into());
    }
    let foundation = records::foundation(&items, testnet)?;
    let rest = items.get(foundation.start..).ok_or(Fault::TransactionCountOutOfRange)?;
    records::apply_items(st, rest, header.number, testnet)?;
    records::apply_foundation(st, &foundation, header.number, digest)
}
