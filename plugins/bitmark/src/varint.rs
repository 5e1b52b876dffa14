//! bitmarkd's `Varint64` (`util/varint.go`).
//!
//! Little-endian base-128 groups with `0x80` as the continuation bit, at most 9 bytes; the
//! 9th byte carries 8 full bits (bits 56..63), so the encoding differs from LEB128 only for
//! values ≥ 2^63. Decoding accepts non-minimal encodings, as bitmarkd does.

#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

/// Most bytes a varint can take.
pub const MAX_LEN: usize = 9;

/// Appends the varint encoding of `value` to `out`.
pub fn encode_into(value: u64, out: &mut Vec<u8>) {
    let mut value = value;
    for _ in 0..MAX_LEN - 1 {
        if value < 0x80 {
            out.push(value as u8);
            return;
        }
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    // The 9th byte holds the remaining 8 bits (56..63) with no continuation bit.
    out.push(value as u8);
}

/// The varint encoding of `value` (bitmarkd's `ToVarint64`).
pub fn encode(value: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAX_LEN);
    encode_into(value, &mut out);
    out
}

/// Decodes a varint from the front of `buf`: the value and the number of bytes used, or
/// `None` when `buf` ends before the varint does.
pub fn decode(buf: &[u8]) -> Option<(u64, usize)> {
    let mut result = 0u64;
    for ((used, shift), &byte) in (1..).zip((0u32..).step_by(7)).zip(buf.iter().take(MAX_LEN)) {
        if used == MAX_LEN {
            return Some((result | (u64::from(byte) << shift), MAX_LEN));
        }
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((result, used));
        }
    }
    None
}

/// bitmarkd's `FromVarint64`: like [`decode`] but `(0, 0)` for a truncated buffer.
pub fn from_varint64(buf: &[u8]) -> (u64, usize) {
    decode(buf).unwrap_or((0, 0))
}

/// Decodes a varint whose value, read as a signed 64-bit integer, lies in
/// `minimum..=maximum`; `None` when truncated or out of range, and always `None` unless
/// `0 <= minimum < maximum` (bitmarkd's `ClippedVarint64`).
pub fn decode_clipped(buf: &[u8], minimum: i64, maximum: i64) -> Option<(i64, usize)> {
    if minimum < 0 || maximum < 0 || minimum >= maximum {
        return None;
    }
    let (value, count) = decode(buf)?;
    // Go converts to a signed `int`: values ≥ 2^63 become negative and fail the range.
    let value = value as i64;
    (minimum..=maximum).contains(&value).then_some((value, count))
}

/// bitmarkd's `ClippedVarint64`: like [`decode_clipped`] but `(0, 0)` on rejection.
pub fn clipped_varint64(buf: &[u8], minimum: i64, maximum: i64) -> (i64, usize) {
    decode_clipped(buf, minimum, maximum).unwrap_or((0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninth_byte_carries_eight_bits() {
        assert_eq!(encode(u64::MAX), vec![0xff; 9]);
        assert_eq!(decode(&[0xff; 9]), Some((u64::MAX, 9)));
        assert_eq!(encode(1 << 56), [&[0x80u8; 8][..], &[0x01]].concat());
        assert_eq!(decode(&[0x80; 8]), None);
    }
}
