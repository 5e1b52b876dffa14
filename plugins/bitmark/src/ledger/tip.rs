//! The chain tip kept in memory: height, digest, version, timestamp and current difficulty
//! (bitmarkd's `blockheader` state plus `difficulty.Current`), rebuilt from the store.

use peerd_api::{ChainError, Digest, Store};

use super::columns::{number_key, BLOCKS, DIGESTS};
use crate::difficulty::{self, Difficulty, ADJUST_TIMESPAN_BLOCKS};
use crate::header::{Header, HEADER_LEN, MINIMUM_BLOCK_NUMBER};
use crate::params::ChainParams;
use crate::Fault;

/// bitmarkd's `MinimumDifficultyBaseBlock`: the block whose difficulty seeds the first periods.
const MINIMUM_DIFFICULTY_BASE_BLOCK: u64 = 3;

/// The state of the highest stored block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tip {
    /// Number of the highest block (1 = only the genesis).
    pub height: u64,
    /// Its digest.
    pub digest: Digest,
    /// Its header version (1 for the genesis).
    pub version: u16,
    /// Its timestamp (0 for the genesis, as bitmarkd).
    pub timestamp: u64,
    /// The difficulty the next version ≥ 5 block must carry (until the next re-target).
    pub difficulty: Difficulty,
}

impl Tip {
    /// The state of an empty chain (bitmarkd's `setGenesis`).
    pub fn genesis(params: &ChainParams) -> Self {
        Tip {
            height: 1,
            digest: params.genesis_digest(),
            version: 1,
            timestamp: 0,
            difficulty: Difficulty::ONE,
        }
    }

    /// The state of the highest stored block.
    ///
    /// # Errors
    ///
    /// A store error, or [`ChainError::Inconsistent`] if the stored tip cannot be read.
    pub fn load(store: &dyn Store, params: &ChainParams) -> Result<Self, ChainError> {
        let Some((key, block)) = store.last(BLOCKS)? else {
            return Ok(Self::genesis(params));
        };
        let number = super::columns::read_be64(&key)
            .ok_or_else(|| ChainError::Inconsistent(format!("block key {}", hex::encode(&key))))?;
        Self::at(store, params, number, &block)
    }

    /// The state with stored block `number` (packed `block`) as the tip.
    pub(crate) fn at(
        store: &dyn Store,
        params: &ChainParams,
        number: u64,
        block: &[u8],
    ) -> Result<Self, ChainError> {
        let header = stored_header(number, block)?;
        let digest = store
            .get(DIGESTS, &number_key(number))?
            .and_then(|d| Digest::from_slice(&d))
            .ok_or_else(|| ChainError::Inconsistent(format!("no digest for block {number}")))?;
        let difficulty = current_difficulty(store, params, &header)?;
        Ok(Tip {
            height: number,
            digest,
            version: header.version,
            timestamp: header.timestamp,
            difficulty,
        })
    }
}

/// Unpacks the header of a stored block without the time check.
pub(crate) fn stored_header(number: u64, block: &[u8]) -> Result<Header, ChainError> {
    let bytes: &[u8; HEADER_LEN] = block
        .get(..HEADER_LEN)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ChainError::Inconsistent(format!("stored block {number} is too short")))?;
    let header = Header::unpack_unchecked(bytes);
    if header.number != number {
        return Err(ChainError::Inconsistent(format!(
            "stored block {number} has number {} in its header",
            header.number
        )));
    }
    Ok(header)
}

/// The difficulty in force after `tip` (bitmarkd recomputes it at start-up and after a
/// delete-down the same way): re-targeted from the stored blocks when the chain checks
/// re-targeting, the tip is version ≥ 5 and at least one period long; difficulty 1 otherwise.
pub(crate) fn current_difficulty(
    store: &dyn Store,
    params: &ChainParams,
    tip: &Header,
) -> Result<Difficulty, ChainError> {
    if params.retarget_checked()
        && difficulty::is_applied_version(tip.version)
        && tip.number >= ADJUST_TIMESPAN_BLOCKS
    {
        retarget(store, tip.number)
    } else {
        Ok(Difficulty::ONE)
    }
}

/// bitmarkd's `AdjustDifficultyAtBlock(height)` result: the previous period's difficulty
/// scaled by how long that period took, read from the stored blocks.
///
/// # Errors
///
/// `block not found` when a needed block is missing, `block end earlier than begin` when
/// the period's timestamps run backwards (bitmarkd's faults).
pub(crate) fn retarget(store: &dyn Store, height: u64) -> Result<Difficulty, ChainError> {
    let (begin, end) = difficulty::prev_timespan_range(height);
    let begin_time = header_at(store, begin)?.timestamp;
    let end_time = header_at(store, end)?.timestamp;
    if end_time <= begin_time {
        return Err(Fault::BlockEndEarlierThanBegin.into());
    }
    let mut base = if height.is_multiple_of(ADJUST_TIMESPAN_BLOCKS) {
        height - 1
    } else {
        height - ADJUST_TIMESPAN_BLOCKS
    };
    if base <= MINIMUM_BLOCK_NUMBER || height <= ADJUST_TIMESPAN_BLOCKS {
        base = MINIMUM_DIFFICULTY_BASE_BLOCK;
    }
    let base_value = header_at(store, base)?
        .difficulty()
        .map_err(|_| ChainError::Inconsistent(format!("stored block {base} has invalid bits")))?
        .value();
    let next = difficulty::next_difficulty(end_time - begin_time, base_value);
    Ok(Difficulty::from_value(next))
}

fn header_at(store: &dyn Store, number: u64) -> Result<Header, ChainError> {
    let block = store.get(BLOCKS, &number_key(number))?.ok_or(Fault::BlockNotFound)?;
    stored_header(number, &block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use peerd_api::WriteBatch;

    const T: u64 = 1_600_000_000;

    /// A store holding bare headers for blocks 2..=`top`: one minute apart, difficulty 1
    /// except the blocks given in `bits`.
    fn headers(top: u64, bits: &[(u64, u64)]) -> peerd_store_memory::Store {
        let store = peerd_store_memory::Store::new();
        let mut batch = WriteBatch::new();
        for n in 2..=top {
            let header = Header {
                version: 5,
                transaction_count: 2,
                number: n,
                timestamp: T + n * 60,
                difficulty_bits: bits
                    .iter()
                    .find(|(b, _)| *b == n)
                    .map_or(difficulty::ONE_BITS, |(_, v)| *v),
                ..Header::default()
            };
            batch.put(BLOCKS, number_key(n), header.pack().to_vec());
        }
        store.write(batch).unwrap();
        store
    }

    #[test]
    fn retarget_reads_the_previous_period_and_its_difficulty() {
        let three = Difficulty::from_value(3.0).bits();
        let base = Difficulty::from_bits(three).unwrap().value();
        // Blocks 199..399 took 200 minutes: half the expected 24000 s, so twice as hard.
        let expected = Difficulty::from_value(difficulty::next_difficulty(12_000, base));
        let store = headers(450, &[(399, three), (250, three)]);
        assert_eq!(retarget(&store, 400).unwrap(), expected, "at the re-target block: base 399");
        assert_eq!(retarget(&store, 450).unwrap(), expected, "inside the period: base 250");
        // In the first periods the base is block 3 (difficulty 1 here).
        let first = Difficulty::from_value(difficulty::next_difficulty(197 * 60, 1.0));
        assert_eq!(retarget(&store, 200).unwrap(), first);
        let err = retarget(&headers(300, &[]), 400).unwrap_err();
        assert_eq!(err.to_string(), "block not found");
    }

    #[test]
    fn retarget_needs_time_to_pass() {
        let store = headers(400, &[]);
        let mut header =
            Header { version: 5, transaction_count: 2, number: 399, ..Header::default() };
        header.timestamp = T; // before block 199
        store.put(BLOCKS, &number_key(399), &header.pack()).unwrap();
        assert_eq!(retarget(&store, 400).unwrap_err().to_string(), "block end earlier than begin");
    }

    #[test]
    fn only_retargeting_chains_leave_difficulty_one() {
        let three = Difficulty::from_value(3.0).bits();
        let store = headers(450, &[(250, three), (399, three)]);
        let tip = Header { version: 5, number: 450, ..Header::default() };
        assert_eq!(current_difficulty(&store, &ChainParams::DEV, &tip).unwrap(), Difficulty::ONE);
        assert_eq!(current_difficulty(&store, &ChainParams::LOCAL, &tip).unwrap(), Difficulty::ONE);
        assert_ne!(
            current_difficulty(&store, &ChainParams::TESTING, &tip).unwrap(),
            Difficulty::ONE
        );
        let old = Header { version: 4, ..tip };
        assert_eq!(
            current_difficulty(&store, &ChainParams::TESTING, &old).unwrap(),
            Difficulty::ONE
        );
        let short = Header { number: 199, ..tip };
        assert_eq!(
            current_difficulty(&store, &ChainParams::TESTING, &short).unwrap(),
            Difficulty::ONE
        );
    }
}
