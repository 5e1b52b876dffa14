//! Block digests (`blockdigest/digest.go`), protocol §5.2 and §4.4.
//!
//! The digest type is [`peerd_api::Digest`] in raw (wire and store) order; bitmarkd prints it
//! byte-reversed ([`peerd_api::Digest::to_display_hex`]) and writes it to JSON in raw order
//! ([`json_text`]). Live, test and local chains hash the 100-byte header with Argon2d; the
//! `dev` chain uses SHA3-256 of the same bytes.

use std::cmp::Ordering;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use peerd_api::Digest;
use sha3::{Digest as _, Sha3_256};

use crate::difficulty::Difficulty;

/// Argon2d memory cost in KiB blocks (128 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 1 << 17;
/// Argon2d iterations.
pub const ARGON2_ITERATIONS: u32 = 4;
/// Argon2d lanes.
pub const ARGON2_PARALLELISM: u32 = 1;

const PARAMS: Params =
    match Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM, Some(32)) {
        Ok(params) => params,
        Err(_) => panic!("bitmarkd's Argon2d parameters are valid"),
    };

/// The digest algorithm of a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// Argon2d v0x13, t = 4, m = 128 MiB, p = 1, the input as password and salt (bitmarkd).
    Argon2d,
    /// SHA3-256 of the input (peerd's `dev` chain).
    Sha3,
}

/// Why a digest could not be computed (only inputs shorter than Argon2's 8-byte minimum
/// salt can fail; block headers are 100 bytes).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// Argon2 refused the input.
    #[error("argon2d digest of a {len}-byte input failed: {reason}")]
    Argon2 {
        /// Length of the input.
        len: usize,
        /// Argon2's reason.
        reason: String,
    },
}

/// An Argon2d hasher that owns its 128 MiB of working memory, so a thread computing many
/// digests allocates it once.
pub struct Argon2dHasher {
    argon2: Argon2<'static>,
    memory: Vec<Block>,
}

impl Argon2dHasher {
    /// Allocates the working memory (128 MiB).
    pub fn new() -> Self {
        Argon2dHasher {
            argon2: Argon2::new(Algorithm::Argon2d, Version::V0x13, PARAMS),
            memory: vec![Block::new(); PARAMS.block_count()],
        }
    }

    /// bitmarkd's `NewDigest(input)`: Argon2d with `input` as both password and salt.
    pub fn digest(&mut self, input: &[u8]) -> Result<Digest, DigestError> {
        let mut out = [0u8; 32];
        self.argon2
            .hash_password_into_with_memory(input, input, &mut out, &mut self.memory)
            .map_err(|e| DigestError::Argon2 { len: input.len(), reason: e.to_string() })?;
        Ok(Digest(out))
    }
}

impl Default for Argon2dHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Argon2dHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2dHasher").field("memory_blocks", &self.memory.len()).finish()
    }
}

/// Argon2d digest of `input`, allocating 128 MiB for this one call (use [`Argon2dHasher`]
/// for many).
pub fn argon2d(input: &[u8]) -> Result<Digest, DigestError> {
    Argon2dHasher::new().digest(input)
}

/// SHA3-256 of `input` in raw (output) order: the `dev` chain's block digest, and
/// bitmarkd's transaction id / merkle hash.
pub fn sha3_256(input: &[u8]) -> Digest {
    Digest(Sha3_256::digest(input).into())
}

impl DigestAlgorithm {
    /// Digest of `input` with this algorithm (allocates Argon2d memory per call).
    pub fn digest(self, input: &[u8]) -> Result<Digest, DigestError> {
        match self {
            DigestAlgorithm::Argon2d => argon2d(input),
            DigestAlgorithm::Sha3 => Ok(sha3_256(input)),
        }
    }
}

/// bitmarkd's `SmallerDigestThan`, quirk included (protocol §4.4): scanning bytes 31 down to 0,
/// true as soon as some byte of `a` is smaller than the same byte of `b`; it never stops
/// early on a larger byte, so it is true iff *any* byte of `a` is smaller. Use it only where
/// bitmarkd compatibility demands it (the voting tie-break); elsewhere use [`numeric_cmp`].
pub fn smaller_digest_than(a: &Digest, b: &Digest) -> bool {
    a.0.iter().rev().zip(b.0.iter().rev()).any(|(x, y)| x < y)
}

/// Correct ordering of two digests as the 256-bit numbers bitmarkd prints (display order,
/// i.e. raw bytes compared from 31 down to 0). Note that [`Digest`]'s own `Ord` compares
/// the raw bytes from 0 up, which is a different order.
pub fn numeric_cmp(a: &Digest, b: &Digest) -> Ordering {
    a.0.iter().rev().cmp(b.0.iter().rev())
}

/// True for the all-zero digest (bitmarkd's `IsEmpty`).
pub fn is_empty(digest: &Digest) -> bool {
    digest.is_zero()
}

/// The reversed digest as a 256-bit big-endian number (bitmarkd's `Cmp` operand).
pub fn to_big_endian(digest: &Digest) -> [u8; 32] {
    let mut be = digest.0;
    be.reverse();
    be
}

/// Proof of work: the reversed digest as a 256-bit big-endian number is ≤ the target of
/// `difficulty`. Chains that skip the check (`local`, `dev`) decide that in
/// [`crate::params::ChainParams::proof_of_work_ok`].
pub fn meets_difficulty(digest: &Digest, difficulty: &Difficulty) -> bool {
    to_big_endian(digest) <= *difficulty.target()
}

/// The JSON/`MarshalText` form of a block digest: raw-order hex (not reversed).
pub fn json_text(digest: &Digest) -> String {
    hex::encode(digest.0)
}

/// Go's `%#v` form: `<Argon2d:` display hex `>`.
pub fn go_string(digest: &Digest) -> String {
    format!("<Argon2d:{}>", digest.to_display_hex())
}
