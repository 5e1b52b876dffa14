//! Block digests as the kernel sees them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 32-byte block digest in raw (wire and store) order.
///
/// bitmarkd displays digests byte-reversed; [`fmt::Display`] and [`FromStr`] use that display
/// order, while [`Digest::as_bytes`] is the raw order sent on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The all-zero digest, used by bitmarkd for "never polled".
    pub const ZERO: Digest = Digest([0; 32]);

    /// Builds a digest from raw-order bytes; `None` unless exactly 32 bytes.
    pub fn from_slice(raw: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(raw).ok().map(Digest)
    }

    /// Raw-order bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// True for the all-zero digest.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 32]
    }

    /// Display-order hex (byte-reversed), as bitmarkd prints digests.
    pub fn to_display_hex(&self) -> String {
        let mut rev = self.0;
        rev.reverse();
        hex::encode(rev)
    }
}

/// Error parsing a display-order digest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid digest text {0:?}: expected 64 hex digits")]
pub struct DigestParseError(pub String);

impl FromStr for Digest {
    type Err = DigestParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(s, &mut raw).map_err(|_| DigestParseError(s.to_owned()))?;
        raw.reverse();
        Ok(Digest(raw))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_display_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_display_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_display_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_reversed_raw() {
        let mut raw = [0u8; 32];
        raw[0] = 0xab;
        let d = Digest(raw);
        assert!(d.to_string().ends_with("ab"));
        assert_eq!(d.to_string().parse::<Digest>(), Ok(d));
        assert!("zz".parse::<Digest>().is_err());
    }
}
