//! Decoding for `peerd inspect block|header|tx|address`: bytes in, JSON out.
//!
//! Field names are snake case; digests and transaction ids are display-order hex (as
//! bitmarkd prints them), asset ids plain hex, numbers JSON numbers, accounts base58, and
//! a record's kind appears under `"record"` with bitmarkd's record name (`BitmarkIssue`,
//! `ShareBalance`, …). Invalid input gives bitmarkd's fault text ([`InspectError::Fault`]).
//! Decoding never checks the wall clock: a header's timestamp is shown, not judged.
//!
//! ```
//! use peerd_bitmark::params::ChainParams;
//! use peerd_bitmark::inspect;
//!
//! let genesis = ChainParams::DEV.genesis().block();
//! let json = inspect::block(genesis, &ChainParams::DEV).unwrap();
//! assert_eq!(json["header"]["number"], 1);
//! assert_eq!(json["digest"], ChainParams::DEV.genesis_digest().to_string());
//! assert_eq!(json["transactions"][0]["record"], "BaseData");
//! ```

use serde_json::{json, Value};

use crate::header::{self, Header, HEADER_LEN};
use crate::params::ChainParams;
use crate::transaction::{Link, Transaction};
use crate::Fault;
use peerd_wire::address;

/// Why input could not be inspected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The text is not hexadecimal.
    #[error("invalid hex: {0}")]
    Hex(String),
    /// The bytes are invalid; the text is bitmarkd's fault text.
    #[error("{0}")]
    Fault(#[from] Fault),
    /// The digest could not be computed.
    #[error("digest: {0}")]
    Digest(String),
}

/// Decodes command-line hex (surrounding white space and an optional `0x` allowed).
///
/// # Errors
///
/// [`InspectError::Hex`] naming the problem.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, InspectError> {
    let text = text.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(text).map_err(|e| InspectError::Hex(e.to_string()))
}

/// A header's fields. Accepts a whole block (only the first 100 bytes are read).
///
/// # Errors
///
/// bitmarkd's header faults: `invalid block header size`, `invalid block header version`,
/// `transaction count out of range`, `invalid block header difficulty`.
pub fn header(bytes: &[u8]) -> Result<Value, InspectError> {
    Ok(header_json(&unpack_header(bytes)?))
}

fn unpack_header(bytes: &[u8]) -> Result<Header, Fault> {
    // No clock: any timestamp is acceptable for display.
    Header::unpack(header::header_bytes(bytes)?, u64::MAX)
}

fn header_json(h: &Header) -> Value {
    json!({
        "version": h.version,
        "transaction_count": h.transaction_count,
        "number": h.number,
        "previous_block": h.previous_block.to_string(),
        "merkle_root": h.merkle_root.to_string(),
        "timestamp": h.timestamp,
        "difficulty": format!("{:016x}", h.difficulty_bits),
        "difficulty_value": h.difficulty().map(|d| d.value()).ok(),
        "nonce": h.nonce,
    })
}

/// One transaction record with its id and size (`testnet` selects the network of its
/// accounts and addresses).
///
/// # Errors
///
/// bitmarkd's unpack faults (`not transaction pack`, …); `not transaction pack` for bytes
/// after the record.
pub fn transaction(bytes: &[u8], testnet: bool) -> Result<Value, InspectError> {
    let tx = Transaction::unpack_exact(bytes, testnet)?;
    Ok(tx_json(&tx, bytes))
}

fn tx_json(tx: &Transaction, packed: &[u8]) -> Value {
    let mut value = serde_json::to_value(tx).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("tx_id".into(), Link::of(packed).to_string().into());
        map.insert("tag".into(), tx.tag().into());
        map.insert("size".into(), packed.len().into());
    }
    value
}

/// A whole block: header, digest (by the chain's algorithm) and every transaction
/// (testnet flag = chain ≠ `bitmark`).
///
/// # Errors
///
/// Header faults, transaction faults, `transaction count out of range` for bytes after the
/// last transaction, `merkle root does not match`.
pub fn block(bytes: &[u8], params: &ChainParams) -> Result<Value, InspectError> {
    let h = unpack_header(bytes)?;
    let digest = params
        .block_digest(&bytes[..HEADER_LEN])
        .map_err(|e| InspectError::Digest(e.to_string()))?;
    let mut rest = &bytes[HEADER_LEN..];
    let mut txs = Vec::with_capacity(usize::from(h.transaction_count));
    let mut ids = Vec::with_capacity(usize::from(h.transaction_count));
    for _ in 0..h.transaction_count {
        let (tx, used) = Transaction::unpack(rest, params.is_testnet())?;
        txs.push(tx_json(&tx, &rest[..used]));
        ids.push(Link::of(&rest[..used]).into());
        rest = &rest[used..];
    }
    if !rest.is_empty() {
        return Err(Fault::TransactionCountOutOfRange.into());
    }
    if crate::merkle::root(&ids) != Some(h.merkle_root) {
        return Err(Fault::MerkleRootDoesNotMatch.into());
    }
    Ok(json!({
        "chain": params.name(),
        "digest": digest.to_string(),
        "header": header_json(&h),
        "transactions": txs,
    }))
}

/// A packed listener address list: every record up to the first bad one.
///
/// # Errors
///
/// `invalid ip address` when not even the first record decodes.
pub fn address(bytes: &[u8]) -> Result<Value, InspectError> {
    let (list, used) = address::unpack_list(bytes);
    if list.is_empty() {
        return Err(Fault::InvalidIpAddress.into());
    }
    let listeners: Vec<Value> = list
        .iter()
        .map(|c| json!({ "address": c.to_string(), "ip": c.ip().to_string(), "port": c.port(), "ipv6": c.is_ipv6() }))
        .collect();
    Ok(json!({ "listeners": listeners, "ignored_bytes": bytes.len() - used }))
}

#[cfg(test)]
mod tests;
