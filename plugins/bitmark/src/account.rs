//! bitmarkd accounts (`account/account.go`): public keys with their network.
//!
//! Binary form: `varint(key variant) ‖ key`, key variant = `(algorithm << 4) | 0x01
//! (public) | 0x02 (testnet)`; Ed25519 → `0x11` live, `0x13` test, then the 32-byte key.
//! Text form: Base58 of the binary form followed by the first 4 bytes of its SHA3-256.
//! Private keys (`account/private.go`) use the same layout without the public bit.
//!
//! Decoding follows bitmarkd's order of checks so that bad input gets bitmarkd's text.
//! Like bitmarkd, decoding accepts a non-minimal key-variant varint and the spare bits
//! 0x04/0x08; [`Account::to_bytes`] always writes the canonical one-byte variant.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::Verifier as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha3::{Digest as _, Sha3_256};

use crate::{base58, varint, Fault};

mod private;
mod signature;

pub use private::{PrivateKey, ED25519_PRIVATE_KEY_LENGTH};
pub use signature::Signature;

/// Key-variant bit: public key (clear for a private key).
pub(crate) const PUBLIC_KEY_CODE: u64 = 0x01;
/// Key-variant bit: test network (clear for the live network).
pub(crate) const TEST_KEY_CODE: u64 = 0x02;
/// Shift from key variant to algorithm.
pub(crate) const ALGORITHM_SHIFT: u32 = 4;
/// Bytes of SHA3-256 appended to the Base58 forms.
pub(crate) const CHECKSUM_LENGTH: usize = 4;

/// Ed25519 public key length.
pub const ED25519_PUBLIC_KEY_LENGTH: usize = 32;
/// Key length of the test-only "Nothing" algorithm.
pub const NOTHING_KEY_LENGTH: usize = 2;

/// A key algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// bitmarkd's "Nothing": a 2-byte key for tests; it never verifies a signature.
    Nothing = 0,
    /// Ed25519 (RFC 8032).
    Ed25519 = 1,
}

impl Algorithm {
    /// The algorithm of a key variant, or `invalid key type`.
    pub(crate) fn from_variant(variant: u64) -> Result<Self, Fault> {
        match variant >> ALGORITHM_SHIFT {
            0 => Ok(Algorithm::Nothing),
            1 => Ok(Algorithm::Ed25519),
            _ => Err(Fault::InvalidKeyType),
        }
    }

    /// The key variant byte for this algorithm.
    pub(crate) fn variant(self, public: bool, testnet: bool) -> u8 {
        let mut variant = (self as u8) << ALGORITHM_SHIFT;
        if public {
            variant |= PUBLIC_KEY_CODE as u8;
        }
        if testnet {
            variant |= TEST_KEY_CODE as u8;
        }
        variant
    }
}

/// An account: a public key and the network it belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// An Ed25519 public key.
    Ed25519 {
        /// True for the test network.
        testnet: bool,
        /// The 32-byte public key.
        public_key: [u8; ED25519_PUBLIC_KEY_LENGTH],
    },
    /// bitmarkd's test-only "Nothing" key (accepted by decoders; never signs).
    Nothing {
        /// True for the test network.
        testnet: bool,
        /// The 2-byte key.
        public_key: [u8; NOTHING_KEY_LENGTH],
    },
}

/// The first 4 bytes of SHA3-256 of `bytes`.
pub(crate) fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LENGTH] {
    let digest = Sha3_256::digest(bytes);
    [digest[0], digest[1], digest[2], digest[3]]
}

impl Account {
    /// An Ed25519 account.
    pub fn ed25519(public_key: [u8; ED25519_PUBLIC_KEY_LENGTH], testnet: bool) -> Self {
        Account::Ed25519 { testnet, public_key }
    }

    /// Decodes the binary form (bitmarkd's `AccountFromBytes`).
    ///
    /// # Errors
    /// `not public key`, `invalid key type`, `invalid key length`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Fault> {
        let (variant, used) = public_variant(bytes)?;
        let algorithm = Algorithm::from_variant(variant)?;
        let testnet = variant & TEST_KEY_CODE != 0;
        let key = &bytes[used..];
        if key.is_empty() {
            return Err(Fault::InvalidKeyLength);
        }
        Self::from_key(algorithm, testnet, key)
    }

    /// Decodes the Base58 text form (bitmarkd's `AccountFromBase58`).
    ///
    /// # Errors
    /// `cannot decode account`, `not public key`, `invalid key type`, `invalid key length`,
    /// `checksum mismatch` — checked in bitmarkd's order.
    pub fn from_base58(text: &str) -> Result<Self, Fault> {
        let decoded = base58::decode(text);
        if decoded.is_empty() {
            return Err(Fault::CannotDecodeAccount);
        }
        let (variant, used) = public_variant(&decoded)?;
        let algorithm = Algorithm::from_variant(variant)?;
        let testnet = variant & TEST_KEY_CODE != 0;
        if decoded.len() <= used + CHECKSUM_LENGTH {
            return Err(Fault::InvalidKeyLength);
        }
        let checksum_start = decoded.len() - CHECKSUM_LENGTH;
        if checksum(&decoded[..checksum_start]) != decoded[checksum_start..] {
            return Err(Fault::ChecksumMismatch);
        }
        Self::from_key(algorithm, testnet, &decoded[used..checksum_start])
    }

    fn from_key(algorithm: Algorithm, testnet: bool, key: &[u8]) -> Result<Self, Fault> {
        match algorithm {
            Algorithm::Ed25519 => {
                let public_key = key.try_into().map_err(|_| Fault::InvalidKeyLength)?;
                Ok(Account::Ed25519 { testnet, public_key })
            }
            Algorithm::Nothing => {
                let public_key = key.try_into().map_err(|_| Fault::InvalidKeyLength)?;
                Ok(Account::Nothing { testnet, public_key })
            }
        }
    }

    /// The key algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Account::Ed25519 { .. } => Algorithm::Ed25519,
            Account::Nothing { .. } => Algorithm::Nothing,
        }
    }

    /// True for a test-network account.
    pub fn is_testnet(&self) -> bool {
        match self {
            Account::Ed25519 { testnet, .. } | Account::Nothing { testnet, .. } => *testnet,
        }
    }

    /// The raw public key bytes.
    pub fn public_key(&self) -> &[u8] {
        match self {
            Account::Ed25519 { public_key, .. } => public_key,
            Account::Nothing { public_key, .. } => public_key,
        }
    }

    /// True when every key byte is zero (the "destroyed" account).
    pub fn is_zero(&self) -> bool {
        self.public_key().iter().all(|&b| b == 0)
    }

    /// Appends the binary form to `out`.
    pub fn write_bytes(&self, out: &mut Vec<u8>) {
        out.push(self.algorithm().variant(true, self.is_testnet()));
        out.extend_from_slice(self.public_key());
    }

    /// The binary form: key variant then key.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + ED25519_PUBLIC_KEY_LENGTH);
        self.write_bytes(&mut out);
        out
    }

    /// The Base58 text form (binary form ‖ 4 checksum bytes).
    pub fn to_base58(&self) -> String {
        let mut bytes = self.to_bytes();
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum);
        base58::encode(&bytes)
    }

    /// Verifies an Ed25519 signature of `message` by this account (bitmarkd's
    /// `CheckSignature`; cofactorless, like Go's `ed25519.Verify`).
    ///
    /// # Errors
    /// `invalid signature` for a wrong length, a bad signature, an undecodable key or a
    /// "Nothing" account.
    pub fn check_signature(&self, message: &[u8], signature: &[u8]) -> Result<(), Fault> {
        let Account::Ed25519 { public_key, .. } = self else {
            return Err(Fault::InvalidSignature);
        };
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| Fault::InvalidSignature)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(public_key)
            .map_err(|_| Fault::InvalidSignature)?;
        // `verify` (not `verify_strict`) is cofactorless, rejects a non-canonical S and
        // accepts small-order keys: the rules of Go's `ed25519.Verify`.
        key.verify(message, &signature).map_err(|_| Fault::InvalidSignature)
    }
}

/// Reads the key variant and requires the public bit (`not public key`).
fn public_variant(bytes: &[u8]) -> Result<(u64, usize), Fault> {
    match varint::decode(bytes) {
        Some((variant, used)) if variant & PUBLIC_KEY_CODE != 0 => Ok((variant, used)),
        _ => Err(Fault::NotPublicKey),
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base58())
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({})", self.to_base58())
    }
}

impl FromStr for Account {
    type Err = Fault;

    fn from_str(text: &str) -> Result<Self, Fault> {
        Account::from_base58(text)
    }
}

impl Serialize for Account {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base58())
    }
}

/// Parsed from the Base58 text form.
impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Account::from_base58(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_bytes() {
        assert_eq!(Account::ed25519([7; 32], false).to_bytes()[0], 0x11);
        assert_eq!(Account::ed25519([7; 32], true).to_bytes()[0], 0x13);
    }

    #[test]
    fn decode_errors_in_bitmarkd_order() {
        assert_eq!(Account::from_bytes(&[]), Err(Fault::NotPublicKey));
        assert_eq!(Account::from_bytes(&[0x10; 33]), Err(Fault::NotPublicKey));
        assert_eq!(Account::from_bytes(&[0x21; 33]), Err(Fault::InvalidKeyType));
        assert_eq!(Account::from_bytes(&[0x11]), Err(Fault::InvalidKeyLength));
        assert_eq!(Account::from_bytes(&[0x11; 32]), Err(Fault::InvalidKeyLength));
        assert_eq!(Account::from_base58(""), Err(Fault::CannotDecodeAccount));
    }

    #[test]
    fn non_minimal_variant_is_accepted_and_canonicalised() {
        let mut bytes = vec![0x93, 0x00];
        bytes.extend_from_slice(&[5; 32]);
        let account = Account::from_bytes(&bytes).unwrap();
        assert_eq!(account, Account::ed25519([5; 32], true));
        assert_eq!(account.to_bytes()[0], 0x13);
    }

    #[test]
    fn json_is_base58() {
        let account = Account::ed25519([3; 32], true);
        let json = serde_json::to_string(&account).unwrap();
        assert_eq!(serde_json::from_str::<Account>(&json).unwrap(), account);
        assert!(serde_json::from_str::<Account>("\"nope\"").is_err());
    }
}
