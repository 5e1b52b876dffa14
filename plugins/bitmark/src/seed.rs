//! Wallet recovery seeds (`account/seed.go`, `account/phrase.go`); client side only.
//!
//! - v1, 40 bytes: `5a fe 01 ‖ network ‖ 32-byte secret ‖ checksum`; the Ed25519 seed is
//!   NaCl `secretbox.Seal(00…03e7, zero nonce, secret)` (tag ‖ ciphertext, 32 bytes).
//! - v2, 24 bytes: `5a fe 02 ‖ 17-byte secret ‖ checksum` (132 bits used, the network
//!   folded into the top nibble of byte 15); the Ed25519 seed is SHAKE256(secret × 4)[..32].
//!
//! Checksum = first 4 bytes of SHA3-256 of the rest; text form is Base58. Recovery
//! phrases are the BIP-39 English words of the secret (v1 with the network byte first),
//! 11 bits per word.

use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::{Digest as _, Sha3_256, Shake256};

use crate::account::PrivateKey;
use crate::{base58, Fault};

const HEADER_V1: [u8; 3] = [0x5a, 0xfe, 0x01];
const HEADER_V2: [u8; 3] = [0x5a, 0xfe, 0x02];
const V1_LENGTH: usize = 40;
const V2_LENGTH: usize = 24;
const CHECKSUM_LENGTH: usize = 4;
const V1_SECRET_LENGTH: usize = 32;
const V2_SECRET_LENGTH: usize = 17;
/// The message sealed with the v1 secret.
const AUTH_SEED_INDEX: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe7];

/// The secret of a seed.
#[derive(Clone, PartialEq, Eq)]
enum Secret {
    V1([u8; V1_SECRET_LENGTH]),
    V2([u8; V2_SECRET_LENGTH]),
}

/// A decoded recovery seed.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed {
    secret: Secret,
    testnet: bool,
}

impl Seed {
    /// Decodes a Base58 seed (bitmarkd's `parseBase58Seed`).
    ///
    /// # Errors
    /// `invalid seed length`, `checksum mismatch`, `invalid seed header`.
    pub fn from_base58(text: &str) -> Result<Self, Fault> {
        let seed = base58::decode(text);
        if seed.len() != V1_LENGTH && seed.len() != V2_LENGTH {
            return Err(Fault::InvalidSeedLength);
        }
        let checksum_start = seed.len() - CHECKSUM_LENGTH;
        if Sha3_256::digest(&seed[..checksum_start])[..CHECKSUM_LENGTH] != seed[checksum_start..] {
            return Err(Fault::ChecksumMismatch);
        }
        let header = &seed[..HEADER_V1.len()];
        if header == HEADER_V1 {
            // Like bitmarkd, copy what follows the network byte (a 24-byte seed with a v1
            // header leaves the end of the secret zero).
            let mut secret = [0u8; V1_SECRET_LENGTH];
            let rest = &seed[4..];
            let n = rest.len().min(V1_SECRET_LENGTH);
            secret[..n].copy_from_slice(&rest[..n]);
            Ok(Seed { secret: Secret::V1(secret), testnet: seed[3] == 0x01 })
        } else if header == HEADER_V2 {
            let secret: [u8; V2_SECRET_LENGTH] = seed[HEADER_V2.len()..checksum_start]
                .try_into()
                .map_err(|_| Fault::InvalidSeedLength)?;
            if secret[16] & 0x0f != 0 {
                return Err(Fault::InvalidSeedLength);
            }
            let mode = secret[0] & 0x80 | secret[1] & 0x40 | secret[2] & 0x20 | secret[3] & 0x10;
            let testnet = mode == (secret[15] & 0xf0) ^ 0xf0;
            Ok(Seed { secret: Secret::V2(secret), testnet })
        } else {
            Err(Fault::InvalidSeedHeader)
        }
    }

    /// True for a test-network seed.
    pub fn is_testnet(&self) -> bool {
        self.testnet
    }

    /// The 32-byte Ed25519 seed this recovery seed stands for.
    pub fn ed25519_seed(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        match &self.secret {
            Secret::V1(secret) => {
                let cipher = XSalsa20Poly1305::new(secret.into());
                let mut ciphertext = AUTH_SEED_INDEX;
                let nonce = Default::default();
                // Sealing a 16-byte message cannot fail (the limit is 2^38 bytes); an
                // error would leave the all-zero seed, never a panic.
                if let Ok(tag) = cipher.encrypt_in_place_detached(&nonce, b"", &mut ciphertext) {
                    out[..16].copy_from_slice(&tag);
                    out[16..].copy_from_slice(&ciphertext);
                }
            }
            Secret::V2(secret) => {
                let mut shake = Shake256::default();
                for _ in 0..4 {
                    shake.update(secret);
                }
                shake.finalize_xof().read(&mut out);
            }
        }
        out
    }

    /// The private key of this seed (bitmarkd's `PrivateKeyFromBase58Seed`).
    pub fn private_key(&self) -> PrivateKey {
        PrivateKey::from_ed25519_seed(&self.ed25519_seed(), self.testnet)
    }

    /// The recovery phrase: 24 words for v1, 12 for v2 (`Base58EncodedSeedToPhrase`).
    pub fn phrase(&self) -> Vec<&'static str> {
        let words = bip39::Language::English.word_list();
        let bytes: Vec<u8> = match &self.secret {
            Secret::V1(secret) => {
                std::iter::once(u8::from(self.testnet)).chain(secret.iter().copied()).collect()
            }
            Secret::V2(secret) => secret.to_vec(),
        };
        let mut phrase = Vec::with_capacity(24);
        let (mut accumulator, mut bits) = (0u32, 0u32);
        for byte in bytes {
            accumulator = (accumulator << 8) | u32::from(byte);
            bits += 8;
            if bits >= 11 {
                bits -= 11;
                phrase.push(words[(accumulator >> bits) as usize & 0x7ff]);
                accumulator &= (1 << bits) - 1;
            }
        }
        phrase
    }
}

/// Decodes a Base58 seed into its private key.
///
/// # Errors
/// As [`Seed::from_base58`].
pub fn private_key_from_base58_seed(text: &str) -> Result<PrivateKey, Fault> {
    Ok(Seed::from_base58(text)?.private_key())
}

/// Decodes a Base58 seed into its recovery phrase.
///
/// # Errors
/// As [`Seed::from_base58`].
pub fn phrase_from_base58_seed(text: &str) -> Result<Vec<&'static str>, Fault> {
    Ok(Seed::from_base58(text)?.phrase())
}

/// Shows the network only, never the secret.
impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let version = match self.secret {
            Secret::V1(_) => 1,
            Secret::V2(_) => 2,
        };
        write!(f, "Seed(v{version}, testnet {})", self.testnet)
    }
}
