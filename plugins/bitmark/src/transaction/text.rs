//! Text fields of records: bytes that bitmarkd treats as a Go `string`.

use std::fmt;

use serde::{Serialize, Serializer};

/// A text field (asset name, fingerprint, metadata, payment address).
///
/// bitmarkd stores these as Go strings, which may hold any bytes, and limits them by
/// Go's rune count ([`Text::rune_count`]). Keeping the bytes (rather than a `String`)
/// keeps unpack → pack byte-exact for records with invalid UTF-8, which bitmarkd accepts.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(pub Vec<u8>);

impl Text {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text when it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Go's `utf8.RuneCount`: each valid UTF-8 sequence counts one, each byte of an
    /// invalid sequence counts one.
    pub fn rune_count(&self) -> usize {
        rune_count(&self.0)
    }
}

/// Go's `utf8.RuneCount` of `bytes`.
pub(crate) fn rune_count(mut bytes: &[u8]) -> usize {
    let mut count = 0;
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => return count + valid.chars().count(),
            Err(error) => {
                let valid = error.valid_up_to();
                // The first `valid` bytes are UTF-8 (checked just above).
                count += std::str::from_utf8(&bytes[..valid]).map_or(0, |s| s.chars().count());
                // Every byte of an invalid sequence is one (error) rune for Go: the maximal
                // invalid subpart is a lead byte plus continuation bytes, none of which
                // starts a valid sequence.
                let bad = error.error_len().unwrap_or(bytes.len() - valid);
                count += bad;
                bytes = &bytes[valid + bad..];
            }
        }
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text(text.as_bytes().to_vec())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text(text.into_bytes())
    }
}

impl From<Vec<u8>> for Text {
    fn from(bytes: Vec<u8>) -> Self {
        Text(bytes)
    }
}

impl From<&[u8]> for Text {
    fn from(bytes: &[u8]) -> Self {
        Text(bytes.to_vec())
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

/// Lossy for invalid UTF-8 (U+FFFD), as Go's JSON encoder does.
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// A JSON string; invalid UTF-8 becomes U+FFFD, as in Go's JSON encoder.
impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rune_count_matches_go() {
        assert_eq!(rune_count(b""), 0);
        assert_eq!(rune_count("héllo".as_bytes()), 5);
        // Truncated 3-byte sequence then 'A': Go counts 2 + 1.
        assert_eq!(rune_count(&[0xe2, 0x82, 0x41]), 3);
        // Lone continuation bytes and a truncated tail.
        assert_eq!(rune_count(&[0x80, 0x80, b'a', 0xf0, 0x9f]), 5);
        // A surrogate encoding is invalid in Go: 3 runes.
        assert_eq!(rune_count(&[0xed, 0xa0, 0x80]), 3);
    }
}
