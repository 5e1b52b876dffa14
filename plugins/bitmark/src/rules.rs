//! Block validation rules (`blockrecord/validator.go`), with bitmarkd's fault texts.

use peerd_api::Digest;

use crate::difficulty::{self, Difficulty};
use crate::Fault;

/// Lowest valid block version.
pub const MINIMUM_VERSION: u16 = 1;

/// Largest backwards timestamp step (seconds) allowed for version 1 blocks.
pub const TIME_SPACING_INITIAL_SECONDS: u64 = 240 * 60;
/// Largest backwards timestamp step (seconds) allowed for version ≥ 2 blocks.
pub const TIME_SPACING_CURRENT_SECONDS: u64 = 10 * 60;

/// bitmarkd's `ValidBlockTimeSpacingAtVersion`: `time_spacing` = previous timestamp − this
/// timestamp (only checked when the previous block is later). Version 1 allows 14400 s,
/// version ≥ 2 allows 600 s, version 0 is unlimited.
pub fn time_spacing(version: u16, time_spacing: u64) -> Result<(), Fault> {
    let limit = match version {
        0 => return Ok(()),
        1 => TIME_SPACING_INITIAL_SECONDS,
        _ => TIME_SPACING_CURRENT_SECONDS,
    };
    if time_spacing > limit {
        return Err(Fault::InvalidBlockHeaderTimestamp);
    }
    Ok(())
}

/// The timestamp rule as applied to a block: a block earlier than its predecessor may lag
/// by at most [`time_spacing`]'s limit.
pub fn timestamp_after(version: u16, previous_timestamp: u64, timestamp: u64) -> Result<(), Fault> {
    if previous_timestamp > timestamp {
        time_spacing(version, previous_timestamp - timestamp)?;
    }
    Ok(())
}

/// bitmarkd's `ValidIncomingDifficulty`: for header version ≥ 5, unless the chain skips
/// re-targeting, the header's difficulty value must equal the locally computed current one
/// (`difficulty does not match calculated`).
pub fn incoming_difficulty(
    header_version: u16,
    header_difficulty: &Difficulty,
    current: &Difficulty,
    retarget_checked: bool,
) -> Result<(), Fault> {
    if !difficulty::is_applied_version(header_version) || !retarget_checked {
        return Ok(());
    }
    // Exact float comparison, as bitmarkd does.
    if header_difficulty.value() != current.value() {
        return Err(Fault::DifficultyDoesNotMatchCalculated);
    }
    Ok(())
}

/// True for header versions that carry the difficulty rule (≥ 5).
pub fn is_difficulty_applied_version(version: u16) -> bool {
    difficulty::is_applied_version(version)
}

/// bitmarkd's `IsBlockToAdjustDifficulty`: version ≥ 5 and `height` a multiple of 200.
pub fn is_block_to_adjust_difficulty(height: u64, version: u16) -> bool {
    difficulty::is_adjust_block(height, version)
}

/// bitmarkd's `ValidHeaderVersion`: version ≥ 1 (`invalid block header version`) and not
/// below the current one (`block version must not decrease`).
pub fn header_version(current: u16, incoming: u16) -> Result<(), Fault> {
    if incoming < MINIMUM_VERSION {
        return Err(Fault::InvalidBlockHeaderVersion);
    }
    if current > incoming {
        return Err(Fault::BlockVersionMustNotDecrease);
    }
    Ok(())
}

/// bitmarkd's `ValidBlockLinkage`: the incoming block's previous digest must be the current
/// tip's digest (`previous block digest does not match`).
pub fn block_linkage(current: &Digest, incoming_previous: &Digest) -> Result<(), Fault> {
    if current != incoming_previous {
        return Err(Fault::PreviousBlockDigestDoesNotMatch);
    }
    Ok(())
}

/// bitmarkd's `validNextHeightFromExpected`: `incoming` must be `expected` or
/// `expected - 1` (a same-height replacement), else `height out of sequence`.
pub fn next_height(expected: u64, incoming: u64) -> Result<(), Fault> {
    // Go's unsigned `expected - 1` wraps for 0; ExtractHeader only calls this with
    // expected > 1, where both agree.
    if incoming < expected.saturating_sub(1) || incoming > expected {
        return Err(Fault::HeightOutOfSequence);
    }
    Ok(())
}
