//! bitmarkd's Base58 codec (`util/base58.go`), Bitcoin alphabet.
//!
//! Leading zero bytes map to leading `1`s and back. Decoding has bitmarkd's behaviour for
//! bad input: any character outside the alphabet (including every non-ASCII byte) makes
//! [`decode`] return an empty vector — bitmarkd's `FromBase58` has no error return, and
//! its callers treat "empty" as "cannot decode". [`try_decode`] says the same with `None`.

/// The Bitcoin Base58 alphabet (no `0`, `O`, `I`, `l`).
pub const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Digit value of each byte, or `0xff` for bytes outside the alphabet.
const DIGITS: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Encodes `bytes` (bitmarkd's `ToBase58`). The empty input gives the empty string.
pub fn encode(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    // Base-58 digits of the big-endian number, least significant first.
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for &byte in &bytes[zeros..] {
        let mut carry = u32::from(byte);
        for digit in digits.iter_mut() {
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut text = String::with_capacity(zeros + digits.len());
    text.extend(std::iter::repeat_n('1', zeros));
    text.extend(digits.iter().rev().map(|&d| char::from(ALPHABET[usize::from(d)])));
    text
}

/// Decodes `text`, or `None` when it holds a character outside the alphabet.
/// `Some(vec![])` for the empty string.
pub fn try_decode(text: &str) -> Option<Vec<u8>> {
    try_decode_bytes(text.as_bytes())
}

/// [`try_decode`] over raw bytes (bitmarkd decodes Go strings, which may hold any byte).
pub fn try_decode_bytes(text: &[u8]) -> Option<Vec<u8>> {
    // Base-256 digits of the number, least significant first.
    let mut bytes: Vec<u8> = Vec::with_capacity(text.len() * 733 / 1000 + 1);
    for &c in text {
        let digit = DIGITS[usize::from(c)];
        if digit == 0xff {
            return None;
        }
        let mut carry = u32::from(digit);
        for byte in bytes.iter_mut() {
            carry += u32::from(*byte) * 58;
            *byte = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push(carry as u8);
            carry >>= 8;
        }
    }
    let zeros = text.iter().take_while(|&&c| c == ALPHABET[0]).count();
    let mut out = vec![0u8; zeros];
    out.extend(bytes.iter().rev());
    Some(out)
}

/// Decodes `text` as bitmarkd's `FromBase58` does: an empty vector for invalid input.
pub fn decode(text: &str) -> Vec<u8> {
    try_decode(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_zeros_are_ones() {
        assert_eq!(encode(&[0, 0, 1]), "112");
        assert_eq!(decode("112"), vec![0, 0, 1]);
        assert_eq!(decode("1"), vec![0]);
        assert_eq!(encode(&[]), "");
        assert_eq!(try_decode(""), Some(vec![]));
    }

    #[test]
    fn non_ascii_is_invalid() {
        assert_eq!(try_decode("2é"), None);
        assert_eq!(decode("abc0"), Vec::<u8>::new());
    }

    #[test]
    fn round_trip_of_a_long_value() {
        let bytes: Vec<u8> = (0u8..=255).collect();
        assert_eq!(decode(&encode(&bytes)), bytes);
    }
}
