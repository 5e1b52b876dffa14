//! `peerd db check [--repair]`: the whole store verified offline against its own blocks.
//!
//! 1. The block keys are contiguous from 2 and the tip is the highest of them.
//! 2. Every block's digest is recomputed (Argon2d on every core where the chain needs it,
//!    [`verify_digests`], 256 blocks at a time so memory stays bounded) and compared with the
//!    stored one and with the next block's link.
//! 3. Every block is replayed through the chain rules into a fresh in-memory ledger
//!    (decoding, linkage, signatures, ownership, balances, undo logs); the first refused block
//!    ends the consistent chain.
//! 4. Every ledger column of the store is compared key by key with the replay's.
//!
//! `--repair` makes the store's ledger columns equal to the replay's: blocks above the last
//! consistent one are deleted, and indexes that disagree are rewritten from the blocks.
//! The replay holds the ledger in memory: about the size of the store's ledger columns.

use std::sync::Arc;

use peerd_api::{Chain, Column, DigestSource, KeyRange, Store, SystemClock, WriteBatch};
use peerd_bitmark::batch_digests::verify_digests;
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::ledger::columns::{self, BLOCKS, DIGESTS};
use peerd_bitmark::params::ChainParams;
use serde::Serialize;

use super::tools::DbError;
use crate::config::Config;
use crate::lockfile::DataDirLock;

/// Blocks whose digests are computed together.
const CHUNK: usize = 256;
/// Differences listed per column (all are counted).
const LISTED: usize = 5;
/// Changes per write batch of `--repair`.
const REWRITE_BATCH: usize = 4096;

/// One inconsistency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: `block N`, or a column and key (hex).
    pub at: String,
    /// What is wrong.
    pub what: String,
}

/// What `db check` found (and `--repair` did).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// The chain.
    pub chain: String,
    /// Blocks stored (the highest block key).
    pub stored_height: u64,
    /// The highest block up to which blocks and indexes are consistent.
    pub consistent_height: u64,
    /// Keys compared over every ledger column.
    pub keys_compared: u64,
    /// Every inconsistency (per column at most a few listed, the rest counted).
    pub problems: Vec<Problem>,
    /// The height after `--repair` (None without it).
    pub repaired_height: Option<u64>,
}

impl Checked {
    /// True if nothing is wrong.
    pub fn clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the configured store; with `repair`, rewrites it to its consistent part.
///
/// # Errors
///
/// [`DbError`] when the store cannot be opened or read (inconsistencies are not errors: they
/// are in [`Checked::problems`]).
pub fn check(config: &Config, repair: bool) -> Result<Checked, DbError> {
    let _lock = DataDirLock::acquire(&config.node.data_dir)?;
    let store = config.store.open(&config.node.data_dir)?;
    let name = config.node.chain.as_str();
    let params = ChainParams::by_name(name)
        .ok_or_else(|| DbError::Range(format!("chain {name} has no parameters")))?;
    check_store(&store, params, repair)
}

/// [`check`] on an open store of the chain `params` (the caller holds whatever lock the
/// store needs).
///
/// # Errors
///
/// As [`check`].
pub fn check_store(
    store: &Arc<dyn Store>,
    params: ChainParams,
    repair: bool,
) -> Result<Checked, DbError> {
    let mut problems = Vec::new();
    let stored_height = scan_keys(store.as_ref(), &mut problems)?;
    let replay = replay(store.as_ref(), params, stored_height, &mut problems)?;
    let consistent_height = replay.chain.height().map_err(DbError::Chain)?;
    let mut keys_compared = 0;
    for column in columns::ALL {
        keys_compared += compare(store.as_ref(), replay.store.as_ref(), column, &mut problems)?;
    }
    let repaired_height = if repair && !problems.is_empty() {
        rewrite(store.as_ref(), replay.store.as_ref())?;
        store.flush().map_err(DbError::Flush)?;
        let reopened = BitmarkChain::open(store.clone(), params, Arc::new(SystemClock));
        Some(reopened.and_then(|c| c.height()).map_err(DbError::Chain)?)
    } else {
        None
    };
    Ok(Checked {
        chain: params.name().to_owned(),
        stored_height,
        consistent_height,
        keys_compared,
        problems,
        repaired_height,
    })
}

fn store_error(e: peerd_api::StoreError) -> DbError {
    DbError::Chain(e.into())
}

/// The highest block key; every malformed key and every gap is a problem.
fn scan_keys(store: &dyn Store, problems: &mut Vec<Problem>) -> Result<u64, DbError> {
    let mut expected = 2;
    let mut highest = 1;
    for entry in store.scan(BLOCKS, KeyRange::all()).map_err(store_error)? {
        let (key, _) = entry.map_err(store_error)?;
        let Some(number) = columns::read_be64(&key).filter(|_| key.len() == 8) else {
            let what = "not an 8-byte block number".to_owned();
            problems
                .push(Problem { at: format!("{} key {}", BLOCKS.name(), hex::encode(&key)), what });
            continue;
        };
        if number != expected {
            let what = format!("blocks {expected} to {} are missing", number.saturating_sub(1));
            problems.push(Problem { at: format!("block {number}"), what });
        }
        expected = number.saturating_add(1);
        highest = number;
    }
    Ok(highest)
}

struct Replay {
    store: Arc<dyn Store>,
    chain: BitmarkChain,
}

/// Verifies digests (in parallel) and replays blocks 2..=height until the first fault.
fn replay(
    store: &dyn Store,
    params: ChainParams,
    height: u64,
    problems: &mut Vec<Problem>,
) -> Result<Replay, DbError> {
    let fresh: Arc<dyn Store> = Arc::new(peerd_store_memory::Store::new());
    let chain =
        BitmarkChain::open(fresh.clone(), params, Arc::new(SystemClock)).map_err(DbError::Chain)?;
    let mut number = 2;
    while number <= height {
        let last = height.min(number + CHUNK as u64 - 1);
        let mut blocks = Vec::new();
        let mut gap = false;
        for n in number..=last {
            match store.get(BLOCKS, &columns::number_key(n)).map_err(store_error)? {
                Some(block) => blocks.push(peerd_api::bytes::Bytes::from(block)),
                None => {
                    gap = true; // reported by `scan_keys`: the chain ends below it
                    break;
                }
            }
        }
        let digests = match verify_digests(&params, &blocks) {
            Ok(digests) => digests,
            Err(error) => {
                let at = format!("block {}", number + error_index(&error) as u64);
                problems.push(Problem { at, what: error.to_string() });
                // The blocks before the bad one are replayed below with digests computed one
                // at a time.
                Vec::new()
            }
        };
        for (i, block) in blocks.iter().enumerate() {
            let n = number + i as u64;
            let source =
                digests.get(i).map_or(DigestSource::Compute, |d| DigestSource::Verified(*d));
            if let Err(fault) = chain.accept(block, source) {
                let at = format!("block {n}");
                if problems.last().is_none_or(|p| p.at != at) {
                    problems.push(Problem { at, what: fault.to_string() });
                }
                return Ok(Replay { store: fresh, chain });
            }
            let stored = store.get(DIGESTS, &columns::number_key(n)).map_err(store_error)?;
            let computed = chain.digest(n).map_err(DbError::Chain)?;
            if stored.as_deref() != computed.as_ref().map(|d| &d.0[..]) {
                let what = "the stored digest is not the block's".to_owned();
                problems.push(Problem { at: format!("block {n}"), what });
            }
        }
        if gap {
            break;
        }
        number = last + 1;
    }
    Ok(Replay { store: fresh, chain })
}

fn error_index(error: &peerd_bitmark::batch_digests::VerifyError) -> usize {
    use peerd_bitmark::batch_digests::VerifyError;
    match error {
        VerifyError::Invalid { index, .. }
        | VerifyError::Digest { index, .. }
        | VerifyError::Interrupted { index } => *index,
        _ => 0,
    }
}

/// Compares `column` in both stores key by key; returns the keys compared.
fn compare(
    store: &dyn Store,
    replay: &dyn Store,
    column: Column,
    problems: &mut Vec<Problem>,
) -> Result<u64, DbError> {
    let scan = |s: &dyn Store| -> Result<Vec<peerd_api::KeyValue>, DbError> {
        s.scan(column, KeyRange::all())
            .map_err(store_error)?
            .map(|e| e.map_err(store_error))
            .collect()
    };
    // Both sides in memory for the walk: a column of the replay is in memory anyway.
    let (ours, theirs) = (scan(store)?, scan(replay)?);
    let mut ours = ours.into_iter().peekable();
    let mut theirs = theirs.into_iter().peekable();
    let (mut compared, mut differing) = (0u64, 0u64);
    let mut note = |key: &[u8], what: &str, problems: &mut Vec<Problem>| {
        differing += 1;
        if differing <= LISTED as u64 {
            let at = format!("{} key {}", column.name(), hex::encode(key));
            problems.push(Problem { at, what: what.to_owned() });
        }
    };
    loop {
        let next = match (ours.peek(), theirs.peek()) {
            (None, None) => break,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
        };
        compared += 1;
        match next {
            std::cmp::Ordering::Less => {
                if let Some((key, _)) = ours.next() {
                    note(&key, "stored but not derived from the blocks", problems);
                }
            }
            std::cmp::Ordering::Greater => {
                if let Some((key, _)) = theirs.next() {
                    note(&key, "missing: the blocks imply it", problems);
                }
            }
            std::cmp::Ordering::Equal => {
                if let (Some((key, a)), Some((_, b))) = (ours.next(), theirs.next()) {
                    if a != b {
                        note(&key, "value differs from the one the blocks imply", problems);
                    }
                }
            }
        }
    }
    if differing > LISTED as u64 {
        let what = format!("{} more differences", differing - LISTED as u64);
        problems.push(Problem { at: column.name().to_owned(), what });
    }
    Ok(compared)
}

/// Makes every ledger column of `store` equal to `replay`'s. The changes of a column are
/// collected before any is written (no write runs under an open scan), then written in
/// batches of [`REWRITE_BATCH`].
fn rewrite(store: &dyn Store, replay: &dyn Store) -> Result<(), DbError> {
    for column in columns::ALL {
        let mut ops: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        for entry in store.scan(column, KeyRange::all()).map_err(store_error)? {
            let (key, value) = entry.map_err(store_error)?;
            match replay.get(column, &key).map_err(store_error)? {
                Some(wanted) if wanted == value => {}
                wanted => ops.push((key, wanted)),
            }
        }
        for entry in replay.scan(column, KeyRange::all()).map_err(store_error)? {
            let (key, value) = entry.map_err(store_error)?;
            if !store.contains(column, &key).map_err(store_error)? {
                ops.push((key, Some(value)));
            }
        }
        for chunk in ops.chunks(REWRITE_BATCH) {
            let mut batch = WriteBatch::new();
            for (key, value) in chunk {
                match value {
                    Some(value) => batch.put(column, key.clone(), value.clone()),
                    None => batch.delete(column, key.clone()),
                };
            }
            store.write(batch).map_err(store_error)?;
        }
    }
    Ok(())
}
