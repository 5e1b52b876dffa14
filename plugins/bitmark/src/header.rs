//! The 100-byte block header (`blockrecord/header.go`), protocol §5.1.
//!
//! All integers are little-endian inside the header; block numbers are big-endian on the wire
//! and in store keys ([`number_key`]).

use peerd_api::Digest;
use serde_json::json;

use crate::difficulty::{Difficulty, InvalidBits};
use crate::digest::sha3_256;
use crate::Fault;

/// Size of a packed header.
pub const HEADER_LEN: usize = 100;
/// Current block version.
pub const CURRENT_VERSION: u16 = 5;
pub use crate::rules::MINIMUM_VERSION;
/// Number of the genesis block.
pub const GENESIS_NUMBER: u64 = 1;
/// Lowest number of a non-genesis block.
pub const MINIMUM_BLOCK_NUMBER: u64 = 2;
/// Fewest transactions in a non-genesis block.
pub const MINIMUM_TRANSACTIONS: u16 = 2;
/// Most transactions in a block.
pub const MAXIMUM_TRANSACTIONS: u16 = 10000;
/// How far in the future (seconds) a header timestamp may be.
pub const MAX_FUTURE_SECONDS: u64 = 5 * 60;

/// An unpacked block header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Header {
    /// Block version (current 5).
    pub version: u16,
    /// Number of transactions in the block.
    pub transaction_count: u16,
    /// Block number.
    pub number: u64,
    /// Digest of the previous block (raw order).
    pub previous_block: Digest,
    /// Merkle root of the transaction ids (raw order).
    pub merkle_root: Digest,
    /// Unix seconds.
    pub timestamp: u64,
    /// Difficulty bits ([`Difficulty::from_bits`]).
    pub difficulty_bits: u64,
    /// Proof-of-work nonce.
    pub nonce: u64,
}

impl Header {
    /// Packs the header into its 100 bytes.
    pub fn pack(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..2].copy_from_slice(&self.version.to_le_bytes());
        out[2..4].copy_from_slice(&self.transaction_count.to_le_bytes());
        out[4..12].copy_from_slice(&self.number.to_le_bytes());
        out[12..44].copy_from_slice(&self.previous_block.0);
        out[44..76].copy_from_slice(&self.merkle_root.0);
        out[76..84].copy_from_slice(&self.timestamp.to_le_bytes());
        out[84..92].copy_from_slice(&self.difficulty_bits.to_le_bytes());
        out[92..100].copy_from_slice(&self.nonce.to_le_bytes());
        out
    }

    /// Reads the fields without any check (for tools and tests; blocks go through
    /// [`Header::unpack`] or [`extract_header`]).
    pub fn unpack_unchecked(bytes: &[u8; HEADER_LEN]) -> Self {
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let digest_at = |i: usize| {
            let mut d = [0u8; 32];
            d.copy_from_slice(&bytes[i..i + 32]);
            Digest(d)
        };
        Header {
            version: u16_at(0),
            transaction_count: u16_at(2),
            number: u64_at(4),
            previous_block: digest_at(12),
            merkle_root: digest_at(44),
            timestamp: u64_at(76),
            difficulty_bits: u64_at(84),
            nonce: u64_at(92),
        }
    }

    /// bitmarkd's `Unpack`: the genesis exemption (number 1, count 1, version 1) or version
    /// ≥ 1, number ≥ 2 and 2…10000 transactions; timestamp not after `now_unix` + 5 min.
    /// Difficulty bits with an exponent ≥ 0xc0 (bitmarkd panics on them) are rejected with
    /// `invalid block header difficulty`.
    pub fn unpack(bytes: &[u8; HEADER_LEN], now_unix: u64) -> Result<Self, Fault> {
        let header = Self::unpack_unchecked(bytes);
        if !header.is_genesis() {
            if header.version < MINIMUM_VERSION || header.number < MINIMUM_BLOCK_NUMBER {
                return Err(Fault::InvalidBlockHeaderVersion);
            }
            if !(MINIMUM_TRANSACTIONS..=MAXIMUM_TRANSACTIONS).contains(&header.transaction_count) {
                return Err(Fault::TransactionCountOutOfRange);
            }
        }
        if header.timestamp > now_unix.saturating_add(MAX_FUTURE_SECONDS) {
            return Err(Fault::InvalidBlockHeaderTimestamp);
        }
        header.difficulty().map_err(|_| Fault::InvalidBlockHeaderDifficulty)?;
        Ok(header)
    }

    /// True for the genesis triple: number 1, one transaction, version 1.
    pub fn is_genesis(&self) -> bool {
        self.number == GENESIS_NUMBER && self.transaction_count == 1 && self.version == 1
    }

    /// The expanded difficulty.
    pub fn difficulty(&self) -> Result<Difficulty, InvalidBits> {
        Difficulty::from_bits(self.difficulty_bits)
    }

    /// bitmarkd's JSON of a header (`number`/`timestamp` as strings, digests raw-order hex,
    /// difficulty and nonce little-endian hex), keys in Go's order.
    pub fn to_go_json(&self) -> String {
        json!({
            "version": self.version,
            "transactionCount": self.transaction_count,
            "number": self.number.to_string(),
            "previousBlock": hex::encode(self.previous_block.0),
            "merkleRoot": hex::encode(self.merkle_root.0),
            "timestamp": self.timestamp.to_string(),
            "difficulty": hex::encode(self.difficulty_bits.to_le_bytes()),
            "nonce": nonce_json_text(self.nonce),
        })
        .to_string()
    }
}

/// The first 100 bytes of a block, or `invalid block header size`.
pub fn header_bytes(block: &[u8]) -> Result<&[u8; HEADER_LEN], Fault> {
    block.get(..HEADER_LEN).and_then(|b| b.try_into().ok()).ok_or(Fault::InvalidBlockHeaderSize)
}

/// bitmarkd's `ExtractHeader` without the digest: unpacks the header at the front of `block`
/// ([`Header::unpack`]) and returns it with the bytes after it (the transactions). When
/// `check_height` > 1 the number must be `check_height` or `check_height - 1`
/// (`height out of sequence`). The digest is computed separately, by the chain's algorithm
/// over [`header_bytes`].
pub fn extract_header(
    block: &[u8],
    check_height: u64,
    now_unix: u64,
) -> Result<(Header, &[u8]), Fault> {
    let bytes = header_bytes(block)?;
    let header = Header::unpack(bytes, now_unix)?;
    if check_height > GENESIS_NUMBER {
        crate::rules::next_height(check_height, header.number)?;
    }
    Ok((header, &block[HEADER_LEN..]))
}

/// The JSON text of a nonce: little-endian hex.
pub fn nonce_json_text(nonce: u64) -> String {
    hex::encode(nonce.to_le_bytes())
}

/// bitmarkd's `FoundationTxId`: SHA3-256(raw digest ‖ LE64(number)), the id of a block's
/// foundation record.
pub fn foundation_txid(number: u64, digest: &Digest) -> Digest {
    let mut buf = [0u8; 40];
    buf[..32].copy_from_slice(&digest.0);
    buf[32..].copy_from_slice(&number.to_le_bytes());
    sha3_256(&buf)
}

/// A block number as a store key / wire field: 8 bytes big-endian.
pub fn number_key(number: u64) -> [u8; 8] {
    number.to_be_bytes()
}

/// Reads a big-endian block number (store key or wire field); `None` unless 8 bytes.
pub fn number_from_key(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(number: u64, timestamp: u64, bits: u64) -> [u8; HEADER_LEN] {
        let header = Header {
            version: 5,
            transaction_count: 3,
            number,
            timestamp,
            difficulty_bits: bits,
            ..Header::default()
        };
        header.pack()
    }

    #[test]
    fn timestamp_may_be_at_most_five_minutes_ahead() {
        let now = 1_700_000_000;
        assert!(Header::unpack(&block(5, now + 300, ONE), now).is_ok());
        assert_eq!(
            Header::unpack(&block(5, now + 301, ONE), now),
            Err(Fault::InvalidBlockHeaderTimestamp)
        );
    }

    const ONE: u64 = crate::difficulty::ONE_BITS;

    #[test]
    fn unusable_difficulty_bits_are_rejected_not_panicked_on() {
        let bytes = block(5, 0, 0xc000_0000_0000_0000);
        assert_eq!(Header::unpack(&bytes, 0), Err(Fault::InvalidBlockHeaderDifficulty));
    }

    #[test]
    fn extract_checks_the_height_only_above_genesis() {
        let bytes = block(12, 0, ONE);
        assert_eq!(extract_header(&bytes, 14, 0).unwrap_err(), Fault::HeightOutOfSequence);
        assert_eq!(extract_header(&bytes, 13, 0).map(|(h, _)| h.number), Ok(12));
        assert_eq!(extract_header(&bytes, 1, 0).map(|(h, _)| h.number), Ok(12));
    }

    #[test]
    fn block_numbers_are_big_endian_in_keys() {
        assert_eq!(number_key(0x0102), [0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(number_from_key(&number_key(u64::MAX - 3)), Some(u64::MAX - 3));
        assert_eq!(number_from_key(&[1, 2, 3]), None);
        assert_eq!(block(0x0102, 0, ONE)[4..12], 0x0102u64.to_le_bytes());
    }
}
