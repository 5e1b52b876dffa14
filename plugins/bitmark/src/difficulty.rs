//! Difficulty (`difficulty/difficulty.go`): bits ⇄ value ⇄ 256-bit target, and re-targeting.
//!
//! The 64-bit "bits" hold an 8-bit exponent `e` and a 56-bit mantissa with an implicit
//! leading 1: target = `(mantissa | 1<<56) << (191 - e)`. `0x00ffffffffffffff` is
//! difficulty 1 (target `00ffffffffffffff8000…`). The value is `target(1) / target` as an
//! `f64`, computed exactly as Go's `big.Float` does. bitmarkd re-targets every 200 blocks for
//! header version ≥ 5 (except on chain `local`).

mod wide;

use std::fmt;

use wide::U384;

/// Bits of difficulty 1.
pub const ONE_BITS: u64 = 0x00ff_ffff_ffff_ffff;
/// Blocks between re-targets.
pub const ADJUST_TIMESPAN_BLOCKS: u64 = 200;
/// Expected seconds between blocks.
pub const EXPECTED_BLOCK_SPACING_SECONDS: u64 = 120;
/// Expected seconds per re-target period (24000).
pub const ADJUST_TIMESPAN_SECONDS: u64 = EXPECTED_BLOCK_SPACING_SECONDS * ADJUST_TIMESPAN_BLOCKS;
/// First block number of a chain after the genesis.
const FIRST_BLOCK: u64 = 2;

/// The numerator `2^57 - 1` of every value: target(1) = `(2^57 - 1) << 191`.
const ONE_MANTISSA: u64 = (1 << 57) - 1;

/// Target of difficulty 1, big-endian.
const ONE_TARGET: [u8; 32] = {
    let mut t = [0u8; 32];
    let mut i = 1;
    while i < 8 {
        t[i] = 0xff;
        i += 1;
    }
    t[8] = 0x80;
    t
};

/// A difficulty bits word that bitmarkd cannot expand (exponent ≥ 0xc0; bitmarkd panics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid difficulty bits {0:016x}: exponent must be below 0xc0")]
pub struct InvalidBits(pub u64);

/// A difficulty as bitmarkd keeps it: the bits, the floating value and the 256-bit number.
///
/// From bits, `target` is the proof-of-work target and `value` its reciprocal. From a value
/// ([`Difficulty::from_value`], used by re-targeting) the value is kept exactly and the bits
/// and `target` are derived with bitmarkd's rounding (`target` is then Go's intermediate
/// `floor(ceil₂₅₆(one / value))`, not the target of the bits).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difficulty {
    bits: u64,
    value: f64,
    target: [u8; 32],
}

impl Default for Difficulty {
    fn default() -> Self {
        Self::ONE
    }
}

impl Difficulty {
    /// Difficulty 1, the initial difficulty of every chain.
    pub const ONE: Difficulty = Difficulty { bits: ONE_BITS, value: 1.0, target: ONE_TARGET };

    /// Expands bits (bitmarkd's `SetBits`).
    pub fn from_bits(bits: u64) -> Result<Self, InvalidBits> {
        if bits == ONE_BITS {
            return Ok(Self::ONE);
        }
        let exponent = (bits >> 56) as u32;
        if exponent >= 0xc0 {
            return Err(InvalidBits(bits));
        }
        let mantissa = (bits & 0x00ff_ffff_ffff_ffff) | (1 << 56);
        let target = U384::from_u64(mantissa).shl(191 - exponent).to_be_256();
        Ok(Difficulty { bits, value: reciprocal(mantissa, exponent), target })
    }

    /// Expands 8 little-endian bytes, as in a block header (bitmarkd's `SetBytes`).
    pub fn from_le_bytes(bytes: [u8; 8]) -> Result<Self, InvalidBits> {
        Self::from_bits(u64::from_le_bytes(bytes))
    }

    /// bitmarkd's `Set(value)` on a fresh difficulty: values below 1 (and non-finite ones)
    /// give difficulty 1; otherwise the value is kept and the bits derived from
    /// `floor(ceil₂₅₆(one / value))` with bitmarkd's normalisation quirk (the mantissa is
    /// rounded up when more than four 1-bits were shifted out).
    pub fn from_value(value: f64) -> Self {
        if !value.is_finite() || value < 1.0 {
            return Self::ONE;
        }
        let big = reciprocal_big(value);
        let bits = normalise(&big).unwrap_or(ONE_BITS);
        Difficulty { bits, value, target: big }
    }

    /// The bits word.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// The value (difficulty 1 = 1.0; higher is harder).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The 256-bit number, big-endian (the proof-of-work target when built from bits).
    pub fn target(&self) -> &[u8; 32] {
        &self.target
    }

    /// JSON/`MarshalText` form: the bits as little-endian hex.
    pub fn json_text(&self) -> String {
        hex::encode(self.bits.to_le_bytes())
    }

    /// Parses the JSON form (16 hex digits of little-endian bits).
    pub fn from_json_text(text: &str) -> Option<Self> {
        let mut le = [0u8; 8];
        hex::decode_to_slice(text, &mut le).ok()?;
        Self::from_le_bytes(le).ok()
    }
}

impl fmt::Display for Difficulty {
    /// bitmarkd's `String()`: the bits as 16 big-endian hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.bits)
    }
}

/// `(2^57 - 1) / mantissa * 2^exponent` correctly rounded to an `f64` (Go rounds to 248
/// bits and then to 53; the quotient of two 57-bit integers is never close enough to a
/// 53-bit midpoint for the double rounding to differ from one rounding).
fn reciprocal(mantissa: u64, exponent: u32) -> f64 {
    let num = u128::from(ONE_MANTISSA) << 70;
    let (mut q, rem) = (num / u128::from(mantissa), num % u128::from(mantissa));
    let mut shift = 128 - q.leading_zeros() - 53;
    let low = q & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    q >>= shift;
    if low > half || (low == half && (rem != 0 || q & 1 == 1)) {
        q += 1;
        if q == 1 << 53 {
            q >>= 1;
            shift += 1;
        }
    }
    // q < 2^53 converts exactly; the scale is an exact power of two in the normal range.
    let scale = i64::from(shift) - 70 + i64::from(exponent);
    q as f64 * f64::from_bits(((1023 + scale) as u64) << 52)
}

/// `floor(ceil₂₅₆(one / value))` for a finite `value >= 1`, big-endian.
fn reciprocal_big(value: f64) -> [u8; 32] {
    // value = m · 2^e with m < 2^53; one / value = (2^57 - 1) · 2^(191 - e) / m.
    let raw = value.to_bits();
    let m = (raw & ((1 << 52) - 1)) | (1 << 52);
    let e = ((raw >> 52) & 0x7ff) as i64 - 1075;
    const S: u32 = 300;
    let (q, rem) = U384::from_u64(ONE_MANTISSA).shl(S).div_rem(m);
    let drop = q.bit_len().saturating_sub(256);
    let mut r = q.shr(drop);
    if rem != 0 || q.low_bits_nonzero(drop) {
        r = r.add_one(); // round towards +inf at 256 significant bits
    }
    let shift = i64::from(drop) + 191 - e - i64::from(S);
    let d = match shift {
        s if s >= 0 => r.shl(s as u32),
        s if s <= -384 => U384::ZERO,
        s => r.shr((-s) as u32),
    };
    d.to_be_256()
}

/// The bits bitmarkd derives from a 256-bit number (`convertDifficultyIntoReciprocal`);
/// `None` for zero (bitmarkd then leaves the bits unchanged).
fn normalise(big: &[u8; 32]) -> Option<u64> {
    let first = big.iter().position(|b| *b != 0)?;
    let buffer = &big[first..];
    let mut u = 0u64;
    for k in 0..8 {
        u |= u64::from(buffer.get(k).copied().unwrap_or(0)) << (56 - 8 * k);
    }
    // Go: e = (32 - len(buffer) + i)*8 - 1 with i = 0 (the buffer has no leading zeros).
    let mut e = (32 - buffer.len() as u64) * 8 - 1;
    let mut rounder = 0;
    while u & 0xff00_0000_0000_0000 != 0x0100_0000_0000_0000 {
        rounder += u & 1;
        u >>= 1;
        e -= 1;
    }
    if rounder > 4 {
        u = u.wrapping_add(1);
    }
    Some((u & 0x00ff_ffff_ffff_ffff) | (e << 56))
}

/// bitmarkd's `NextDifficultyByPreviousTimespan`: the current value times
/// `24000 / timespan`, the ratio clamped to 4 (timespan ≤ 6000 s) and 0.25 (≥ 96000 s),
/// the result floored at 1.
pub fn next_difficulty(prev_timespan_seconds: u64, current: f64) -> f64 {
    let ratio = if prev_timespan_seconds <= ADJUST_TIMESPAN_SECONDS >> 2 {
        4.0
    } else if prev_timespan_seconds >= ADJUST_TIMESPAN_SECONDS << 2 {
        0.25
    } else {
        ADJUST_TIMESPAN_SECONDS as f64 / prev_timespan_seconds as f64
    };
    let next = ratio * current;
    if next < 1.0 {
        1.0
    } else {
        next
    }
}

/// bitmarkd's `PrevTimespanBlockBeginAndEnd`: the first and last block of the period whose
/// duration sets the difficulty at `height`.
pub fn prev_timespan_range(height: u64) -> (u64, u64) {
    let start = height - height % ADJUST_TIMESPAN_BLOCKS;
    if start / ADJUST_TIMESPAN_BLOCKS >= 2 {
        (start - 1 - ADJUST_TIMESPAN_BLOCKS, start - 1)
    } else {
        (FIRST_BLOCK, ADJUST_TIMESPAN_BLOCKS - 1)
    }
}

/// bitmarkd's `Hashrate` for a difficulty value: `2^(8 + log2 value) / 120`, rounded to
/// three decimals.
pub fn hashrate(value: f64) -> f64 {
    let zero_bits = 8.0 + value.log2();
    let rate = 2f64.powf(zero_bits) / EXPECTED_BLOCK_SPACING_SECONDS as f64;
    (rate * 1000.0 + 0.5).floor() / 1000.0
}

/// True for header versions that carry the difficulty rule (≥ 5).
pub fn is_applied_version(version: u16) -> bool {
    version >= 5
}

/// bitmarkd's `IsBlockToAdjustDifficulty`: version ≥ 5 and a multiple of 200.
pub fn is_adjust_block(height: u64, version: u16) -> bool {
    is_applied_version(version) && height.is_multiple_of(ADJUST_TIMESPAN_BLOCKS)
}
