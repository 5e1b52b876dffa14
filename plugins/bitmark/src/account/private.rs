//! Private keys (`account/private.go`): the key variant without the public bit.

use std::fmt;

use ed25519_dalek::Signer as _;

use super::{
    checksum, Account, Algorithm, Signature, CHECKSUM_LENGTH, PUBLIC_KEY_CODE, TEST_KEY_CODE,
};
use crate::{base58, varint, Fault};

/// Length of an Ed25519 private key in Go's form: 32-byte seed ‖ 32-byte public key.
pub const ED25519_PRIVATE_KEY_LENGTH: usize = 64;

/// A private key and the network it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub enum PrivateKey {
    /// An Ed25519 key in Go's 64-byte form (seed ‖ public key).
    Ed25519 {
        /// True for the test network.
        testnet: bool,
        /// Seed ‖ public key.
        key: [u8; ED25519_PRIVATE_KEY_LENGTH],
    },
    /// bitmarkd's test-only "Nothing" key; it has no account and cannot sign.
    Nothing {
        /// True for the test network.
        testnet: bool,
        /// The 2-byte key.
        key: [u8; 2],
    },
}

impl PrivateKey {
    /// The Ed25519 key derived from a 32-byte RFC 8032 seed.
    pub fn from_ed25519_seed(seed: &[u8; 32], testnet: bool) -> Self {
        let signing = ed25519_dalek::SigningKey::from_bytes(seed);
        PrivateKey::Ed25519 { testnet, key: signing.to_keypair_bytes() }
    }

    /// A fresh random Ed25519 key from the operating system's generator.
    pub fn generate(testnet: bool) -> Self {
        let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        PrivateKey::Ed25519 { testnet, key: signing.to_keypair_bytes() }
    }

    /// Decodes the binary form (bitmarkd's `PrivateKeyFromBytes`).
    ///
    /// # Errors
    /// `not private key`, `invalid key type`, `invalid key length`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Fault> {
        let (variant, used) = private_variant(bytes)?;
        let algorithm = Algorithm::from_variant(variant)?;
        let key = &bytes[used..];
        if key.is_empty() {
            return Err(Fault::InvalidKeyLength);
        }
        Self::from_key(algorithm, variant & TEST_KEY_CODE != 0, key)
    }

    /// Decodes the Base58 text form (bitmarkd's `PrivateKeyFromBase58`).
    ///
    /// # Errors
    /// `cannot decode private key`, `not private key`, `invalid key type`,
    /// `invalid key length`, `checksum mismatch` — in bitmarkd's order.
    pub fn from_base58(text: &str) -> Result<Self, Fault> {
        let decoded = base58::decode(text);
        if decoded.is_empty() {
            return Err(Fault::CannotDecodePrivateKey);
        }
        let (variant, used) = private_variant(&decoded)?;
        let algorithm = Algorithm::from_variant(variant)?;
        if decoded.len() <= used + CHECKSUM_LENGTH {
            return Err(Fault::InvalidKeyLength);
        }
        let checksum_start = decoded.len() - CHECKSUM_LENGTH;
        if checksum(&decoded[..checksum_start]) != decoded[checksum_start..] {
            return Err(Fault::ChecksumMismatch);
        }
        Self::from_key(algorithm, variant & TEST_KEY_CODE != 0, &decoded[used..checksum_start])
    }

    fn from_key(algorithm: Algorithm, testnet: bool, key: &[u8]) -> Result<Self, Fault> {
        match algorithm {
            Algorithm::Ed25519 => {
                let key = key.try_into().map_err(|_| Fault::InvalidKeyLength)?;
                Ok(PrivateKey::Ed25519 { testnet, key })
            }
            Algorithm::Nothing => {
                let key = key.try_into().map_err(|_| Fault::InvalidKeyLength)?;
                Ok(PrivateKey::Nothing { testnet, key })
            }
        }
    }

    /// The key algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PrivateKey::Ed25519 { .. } => Algorithm::Ed25519,
            PrivateKey::Nothing { .. } => Algorithm::Nothing,
        }
    }

    /// True for a test-network key.
    pub fn is_testnet(&self) -> bool {
        match self {
            PrivateKey::Ed25519 { testnet, .. } | PrivateKey::Nothing { testnet, .. } => *testnet,
        }
    }

    /// The raw key bytes (Go's 64-byte form for Ed25519).
    pub fn key_bytes(&self) -> &[u8] {
        match self {
            PrivateKey::Ed25519 { key, .. } => key,
            PrivateKey::Nothing { key, .. } => key,
        }
    }

    /// The account of this key: for Ed25519 the last 32 bytes of the key, as bitmarkd
    /// takes them; `None` for a "Nothing" key.
    pub fn account(&self) -> Option<Account> {
        match self {
            PrivateKey::Ed25519 { testnet, key } => {
                let mut public_key = [0u8; 32];
                public_key.copy_from_slice(&key[32..]);
                Some(Account::Ed25519 { testnet: *testnet, public_key })
            }
            PrivateKey::Nothing { .. } => None,
        }
    }

    /// The binary form: key variant then key.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.algorithm().variant(false, self.is_testnet())];
        out.extend_from_slice(self.key_bytes());
        out
    }

    /// The Base58 text form (binary form ‖ 4 checksum bytes).
    pub fn to_base58(&self) -> String {
        let mut bytes = self.to_bytes();
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum);
        base58::encode(&bytes)
    }

    /// Signs `message` with Ed25519 (deterministic, RFC 8032). The public half of the key
    /// is re-derived from the seed.
    ///
    /// # Errors
    /// `invalid key type` for a "Nothing" key.
    pub fn sign(&self, message: &[u8]) -> Result<Signature, Fault> {
        match self {
            PrivateKey::Ed25519 { key, .. } => {
                let mut seed = [0u8; 32];
                seed.copy_from_slice(&key[..32]);
                let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
                Ok(Signature::from(signing.sign(message).to_bytes()))
            }
            PrivateKey::Nothing { .. } => Err(Fault::InvalidKeyType),
        }
    }
}

/// Reads the key variant and requires the public bit to be clear (`not private key`).
fn private_variant(bytes: &[u8]) -> Result<(u64, usize), Fault> {
    match varint::decode(bytes) {
        Some((variant, used)) if variant & PUBLIC_KEY_CODE == 0 => Ok((variant, used)),
        _ => Err(Fault::NotPrivateKey),
    }
}

/// Shows the account only, never the key.
impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.account() {
            Some(account) => write!(f, "PrivateKey(account {account})"),
            None => write!(f, "PrivateKey(nothing, testnet {})", self.is_testnet()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_the_account() {
        let key = PrivateKey::from_ed25519_seed(&[9; 32], true);
        let account = key.account().unwrap();
        let signature = key.sign(b"message").unwrap();
        assert_eq!(account.check_signature(b"message", signature.as_bytes()), Ok(()));
        assert_eq!(
            account.check_signature(b"massage", signature.as_bytes()),
            Err(Fault::InvalidSignature)
        );
        assert_eq!(PrivateKey::from_base58(&key.to_base58()), Ok(key));
    }
}
