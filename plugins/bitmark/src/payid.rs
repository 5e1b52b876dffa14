//! Pay ids and pay nonces (`pay/payid.go`, `reservoir/paynonce.go`).
//!
//! A pay id names the payment for a group of records: SHA3-384 over the packed records
//! in order (only the concatenated bytes matter). A pay nonce is the first 8 raw bytes of
//! the digest of a recent block, chosen by [`PayNonce::rounded_height`]. Both are shown
//! as plain hex (no byte reversal).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use sha3::{Digest as _, Sha3_384};

use crate::Fault;

/// Length of a pay id.
pub const PAY_ID_LENGTH: usize = 48;
/// Length of a pay nonce.
pub const PAY_NONCE_LENGTH: usize = 8;

/// A pay id: SHA3-384 of the packed records.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayId(pub [u8; PAY_ID_LENGTH]);

impl PayId {
    /// The pay id of `parts` (packed records), hashed in order.
    pub fn new<I, P>(parts: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let mut hasher = Sha3_384::new();
        for part in parts {
            hasher.update(part.as_ref());
        }
        PayId(hasher.finalize().into())
    }

    /// A pay id from 48 bytes.
    ///
    /// # Errors
    /// `not a pay id` unless exactly 48 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Fault> {
        bytes.try_into().map(PayId).map_err(|_| Fault::NotAPayId)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; PAY_ID_LENGTH] {
        &self.0
    }
}

/// Parses 96 hex digits.
impl FromStr for PayId {
    type Err = Fault;

    fn from_str(text: &str) -> Result<Self, Fault> {
        let mut raw = [0u8; PAY_ID_LENGTH];
        hex::decode_to_slice(text, &mut raw).map_err(|_| Fault::NotAPayId)?;
        Ok(PayId(raw))
    }
}

/// A pay nonce: 8 bytes of a recent block digest.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayNonce(pub [u8; PAY_NONCE_LENGTH]);

impl PayNonce {
    /// The nonce of a block: the first 8 bytes of its raw-order digest.
    pub fn from_digest(raw_digest: &[u8; 32]) -> Self {
        let mut nonce = [0u8; PAY_NONCE_LENGTH];
        nonce.copy_from_slice(&raw_digest[..PAY_NONCE_LENGTH]);
        PayNonce(nonce)
    }

    /// bitmarkd's `PayNonceRoundedHeight`: the block whose digest gives the current pay
    /// nonce at chain `height` — `height` rounded down to a multiple of 128, minus 128,
    /// or block 1 while that would be below 256.
    pub fn rounded_height(height: u64) -> u64 {
        let rounded = height & !0x7f;
        if rounded > 0xff {
            rounded - 0x80
        } else {
            1
        }
    }

    /// bitmarkd's `NewPayNonce` at chain `height`: the nonce of block
    /// [`PayNonce::rounded_height`], read through `digest_of` (raw-order digest of a block
    /// number); all zero when that block's digest is unknown, as in bitmarkd.
    pub fn for_height(height: u64, digest_of: impl FnOnce(u64) -> Option<[u8; 32]>) -> Self {
        digest_of(Self::rounded_height(height))
            .map(|digest| Self::from_digest(&digest))
            .unwrap_or_default()
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; PAY_NONCE_LENGTH] {
        &self.0
    }
}

/// Parses 16 hex digits.
impl FromStr for PayNonce {
    type Err = Fault;

    fn from_str(text: &str) -> Result<Self, Fault> {
        let mut raw = [0u8; PAY_NONCE_LENGTH];
        hex::decode_to_slice(text, &mut raw).map_err(|_| Fault::NotAPayNonce)?;
        Ok(PayNonce(raw))
    }
}

macro_rules! hex_text {
    ($type:ident, $label:literal) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, "({})"), hex::encode(self.0))
            }
        }

        /// Plain hex.
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&hex::encode(self.0))
            }
        }
    };
}

hex_text!(PayId, "PayId");
hex_text!(PayNonce, "PayNonce");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_for_an_unknown_block_is_zero() {
        assert_eq!(PayNonce::for_height(1000, |_| None), PayNonce::default());
        assert_eq!(PayNonce::for_height(1000, |n| Some([n as u8; 32])).0, [(768u64 as u8); 8]);
    }

    #[test]
    fn text_errors() {
        assert_eq!("00".parse::<PayId>(), Err(Fault::NotAPayId));
        assert_eq!("zz".repeat(8).parse::<PayNonce>(), Err(Fault::NotAPayNonce));
    }
}
