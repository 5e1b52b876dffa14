//! Merkle trees over SHA3-256 transaction ids (`merkle/merkle.go`, `merkle/digest.go`).
//!
//! Ids ("links") are [`Digest`]s in raw order: the SHA3-256 output as computed, printed
//! byte-reversed. A parent is SHA3-256(left_raw ‖ right_raw); an odd last node is paired
//! with itself; one id is its own root.

use peerd_api::Digest;

use crate::digest::sha3_256;
use crate::Fault;

/// Largest id count [`minimum_tree`] accepts (bitmarkd's 24-bit limit).
pub const MINIMUM_TREE_MAX_IDS: usize = 0x100_0000;

fn parent(left: &Digest, right: &Digest) -> Digest {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&left.0);
    buf[32..].copy_from_slice(&right.0);
    sha3_256(&buf)
}

/// bitmarkd's `FullMerkleTree`: the leaves, then each level, the root last. Empty input
/// gives `[ZERO]` (Go's tree of one zero slot).
pub fn full_tree(leaves: &[Digest]) -> Vec<Digest> {
    let mut tree = Vec::with_capacity(2 * leaves.len() + 1);
    tree.extend_from_slice(leaves);
    let mut start = 0;
    let mut width = leaves.len();
    while width > 1 {
        for i in (0..width).step_by(2) {
            let left = tree[start + i];
            let right = tree[start + (i + 1).min(width - 1)];
            tree.push(parent(&left, &right));
        }
        start += width;
        width = width.div_ceil(2);
    }
    if tree.is_empty() {
        tree.push(Digest::ZERO);
    }
    tree
}

/// The merkle root of `leaves` (the last entry of [`full_tree`]) without keeping the tree;
/// `None` for no leaves.
pub fn root(leaves: &[Digest]) -> Option<Digest> {
    let mut level: Vec<Digest> = leaves.to_vec();
    while level.len() > 1 {
        level =
            level.chunks(2).map(|pair| parent(&pair[0], pair.get(1).unwrap_or(&pair[0]))).collect();
    }
    level.first().copied()
}

/// bitmarkd's `MinimumMerkleTree` (the mining job's path): `ids[0]`, then the first node of
/// each level of the tree built over `ids[1..]`… as bitmarkd computes it. `None` for no ids
/// or more than 2^24.
pub fn minimum_tree(ids: &[Digest]) -> Option<Vec<Digest>> {
    let length = ids.len();
    if length == 0 || length > MINIMUM_TREE_MAX_IDS {
        return None;
    }
    let mut tree = vec![Digest::ZERO; length / 2 + 1];
    tree[0] = ids[0];
    let mut finish = length;
    let mut start = 1;
    while start < finish {
        let mut n = start;
        for i in (start..finish).step_by(2) {
            let j = if i + 1 >= finish { i } else { i + 1 };
            let (left, right) = if start == 1 { (ids[i], ids[j]) } else { (tree[i], tree[j]) };
            tree[n] = parent(&left, &right);
            n += 1;
        }
        finish = n;
        start += 1;
    }
    tree.truncate(finish);
    Some(tree)
}

/// Folds a merkle path: `acc = start; acc = SHA3-256(acc ‖ sibling)` for each sibling.
pub fn fold_path(start: &Digest, siblings: &[Digest]) -> Digest {
    siblings.iter().fold(*start, |acc, s| parent(&acc, s))
}

/// Parses a link in display order (64 hex digits, byte-reversed), surrounding whitespace
/// allowed; anything else is `not link`. (Go's `Scan` also ignores text after the 64
/// digits; peerd is strict.)
pub fn parse_link(text: &str) -> Result<Digest, Fault> {
    let text = text.trim();
    let mut raw = [0u8; 32];
    if text.len() != 64 || hex::decode_to_slice(text, &mut raw).is_err() {
        return Err(Fault::NotLink);
    }
    raw.reverse();
    Ok(Digest(raw))
}

/// Parses the JSON form of a link (64 hex digits, raw order) or `not link`.
pub fn link_from_json_text(text: &str) -> Result<Digest, Fault> {
    let mut raw = [0u8; 32];
    hex::decode_to_slice(text, &mut raw).map_err(|_| Fault::NotLink)?;
    Ok(Digest(raw))
}

/// bitmarkd's `DigestFromBytes`: exactly 32 raw bytes, else `not link`.
pub fn link_from_bytes(bytes: &[u8]) -> Result<Digest, Fault> {
    Digest::from_slice(bytes).ok_or(Fault::NotLink)
}

/// Go's `%#v` form of a link: `<SHA3-256-BE:` display hex `>`.
pub fn go_string(link: &Digest) -> String {
    format!("<SHA3-256-BE:{}>", link.to_display_hex())
}
