//! Bitcoin and Litecoin address checks (`currency/bitcoin`, `currency/litecoin`).
//!
//! An address is Base58 of 25 bytes: version ‖ 20-byte hash160 ‖ first 4 bytes of
//! SHA-256(SHA-256(version ‖ hash160)).

use sha2::{Digest as _, Sha256};

use crate::{base58, Fault};

/// What a valid address holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressInfo {
    /// The version byte (network and kind).
    pub version: u8,
    /// The 20-byte hash160.
    pub hash160: [u8; 20],
}

const BITCOIN_VERSIONS: [u8; 4] = [0, 5, 111, 196];
const LITECOIN_VERSIONS: [u8; 6] = [48, 5, 50, 111, 196, 58];

fn double_sha256_check(payload: &[u8]) -> [u8; 4] {
    let digest = Sha256::digest(Sha256::digest(payload));
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Decodes and checks the common layout; `None` on any failure.
fn decode(address: &[u8], versions: &[u8]) -> Option<AddressInfo> {
    let bytes = base58::try_decode_bytes(address)?;
    if bytes.len() != 25
        || double_sha256_check(&bytes[..21]) != bytes[21..]
        || !versions.contains(&bytes[0])
    {
        return None;
    }
    let mut hash160 = [0u8; 20];
    hash160.copy_from_slice(&bytes[1..21]);
    Some(AddressInfo { version: bytes[0], hash160 })
}

/// Validates a Bitcoin address (versions 0, 5 live; 111, 196 test).
///
/// # Errors
/// `invalid bitcoin address`.
pub fn validate_bitcoin(address: &[u8]) -> Result<AddressInfo, Fault> {
    decode(address, &BITCOIN_VERSIONS).ok_or(Fault::InvalidBitcoinAddress)
}

/// Validates a Litecoin address (versions 48, 5, 50 live; 111, 196, 58 test).
///
/// # Errors
/// `invalid litecoin address`.
pub fn validate_litecoin(address: &[u8]) -> Result<AddressInfo, Fault> {
    decode(address, &LITECOIN_VERSIONS).ok_or(Fault::InvalidLitecoinAddress)
}

/// True for Bitcoin test-network versions.
pub fn bitcoin_is_testnet(version: u8) -> bool {
    matches!(version, 111 | 196)
}

/// True for Litecoin test-network versions.
pub fn litecoin_is_testnet(version: u8) -> bool {
    matches!(version, 111 | 196 | 58)
}

/// bitmarkd's `litecoin.TransformAddress`: swaps the two script-address versions
/// (5 ↔ 50 live, 196 ↔ 58 test); other addresses are returned unchanged.
///
/// # Errors
/// `invalid litecoin address`.
pub fn litecoin_transform(address: &str) -> Result<String, Fault> {
    let info = validate_litecoin(address.as_bytes())?;
    let version = match info.version {
        5 => 50,
        50 => 5,
        196 => 58,
        58 => 196,
        _ => return Ok(address.to_owned()),
    };
    let mut bytes = Vec::with_capacity(25);
    bytes.push(version);
    bytes.extend_from_slice(&info.hash160);
    let check = double_sha256_check(&bytes);
    bytes.extend_from_slice(&check);
    Ok(base58::encode(&bytes))
}
