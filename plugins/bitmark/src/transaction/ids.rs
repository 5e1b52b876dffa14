//! Transaction ids (links) and asset ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha3::{Digest as _, Sha3_256, Sha3_512};

use crate::Fault;

/// A transaction id: SHA3-256 of a packed record (bitmarkd's `merkle.Digest`).
///
/// Raw (wire and store) order in memory and in records; displayed and parsed
/// byte-reversed, as bitmarkd prints it. Links in records (previous record, share ids)
/// are raw transaction ids.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Link(pub [u8; 32]);

impl Link {
    /// The id of a packed record: SHA3-256 of its bytes.
    pub fn of(packed: &[u8]) -> Self {
        Link(Sha3_256::digest(packed).into())
    }

    /// A link from 32 raw-order bytes (bitmarkd's `DigestFromBytes`).
    ///
    /// # Errors
    /// `not link` unless exactly 32 bytes.
    pub fn from_slice(raw: &[u8]) -> Result<Self, Fault> {
        raw.try_into().map(Link).map_err(|_| Fault::NotLink)
    }

    /// Raw-order bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Display-order (byte-reversed) hex.
    pub fn to_display_hex(&self) -> String {
        let mut reversed = self.0;
        reversed.reverse();
        hex::encode(reversed)
    }
}

impl From<Link> for peerd_api::Digest {
    fn from(link: Link) -> Self {
        peerd_api::Digest(link.0)
    }
}

impl From<peerd_api::Digest> for Link {
    fn from(digest: peerd_api::Digest) -> Self {
        Link(digest.0)
    }
}

/// Parses display-order hex (64 digits).
impl FromStr for Link {
    type Err = Fault;

    fn from_str(text: &str) -> Result<Self, Fault> {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(text, &mut raw).map_err(|_| Fault::NotLink)?;
        raw.reverse();
        Ok(Link(raw))
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_display_hex())
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Link({})", self.to_display_hex())
    }
}

/// Display-order hex.
impl Serialize for Link {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_display_hex())
    }
}

/// Parsed from display-order hex.
impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Length of an asset id.
pub const ASSET_ID_LENGTH: usize = 64;

/// An asset id: SHA3-512 of the asset's fingerprint. Displayed in byte order (bitmarkd
/// does not reverse asset ids).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId(pub [u8; ASSET_ID_LENGTH]);

impl AssetId {
    /// The id of the asset with this fingerprint.
    pub fn of_fingerprint(fingerprint: &[u8]) -> Self {
        AssetId(Sha3_512::digest(fingerprint).into())
    }

    /// An asset id from 64 bytes (bitmarkd's `AssetIdentifierFromBytes`).
    ///
    /// # Errors
    /// `not asset id` unless exactly 64 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Fault> {
        bytes.try_into().map(AssetId).map_err(|_| Fault::NotAssetId)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; ASSET_ID_LENGTH] {
        &self.0
    }
}

/// Parses 128 hex digits.
impl FromStr for AssetId {
    type Err = Fault;

    fn from_str(text: &str) -> Result<Self, Fault> {
        let mut raw = [0u8; ASSET_ID_LENGTH];
        hex::decode_to_slice(text, &mut raw).map_err(|_| Fault::NotAssetId)?;
        Ok(AssetId(raw))
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssetId({})", hex::encode(self.0))
    }
}

/// Hex in byte order.
impl Serialize for AssetId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

/// Parsed from hex.
impl<'de> Deserialize<'de> for AssetId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_text_is_reversed() {
        let mut raw = [0u8; 32];
        raw[0] = 0xab;
        let link = Link(raw);
        assert!(link.to_string().ends_with("ab"));
        assert_eq!(link.to_string().parse::<Link>(), Ok(link));
        assert_eq!("ab".parse::<Link>(), Err(Fault::NotLink));
        assert_eq!(Link::from_slice(&[0; 31]), Err(Fault::NotLink));
        let json = serde_json::to_string(&link).unwrap();
        assert_eq!(serde_json::from_str::<Link>(&json).unwrap(), link);
    }
}
