//! Free issues: the scaled proof-of-work difficulty (bitmarkd's `reservoir/difficulty.go`)
//! and `proof` checking (`tryProof`).

use std::sync::Mutex;

use peerd_bitmark::difficulty::Difficulty;
use peerd_bitmark::payid::{PayId, PayNonce, PAY_ID_LENGTH};
use peerd_bitmark::Fault;
use sha3::{Digest as _, Sha3_256};

use crate::error::{ReservoirError, ReservoirFault};
use crate::state::{lock, State};
use crate::view::LedgerView;

/// Shortest proof nonce (bitmarkd's `MinimumNonceLength`).
pub const MINIMUM_NONCE_LENGTH: usize = 8;
/// Longest proof nonce (bitmarkd's `MaximumNonceLength`).
pub const MAXIMUM_NONCE_LENGTH: usize = 64;
/// How many pay nonces (one per 128 blocks, newest first) a proof may use.
const PAY_NONCE_WINDOWS: u64 = 6;
/// Blocks between pay nonces.
const PAY_NONCE_DELTA: u64 = 0x80;

/// The difficulty of proving `count` free issues: `count × base × discount`, with base 2048
/// on `bitmark` and 256 on the test networks, and a discount of 0 % for 1 item, 5 % up to
/// 10, 10 % up to 50 and 15 % above.
pub fn scaled_difficulty(count: usize, testnet: bool) -> Difficulty {
    let factor = match count {
        0 | 1 => 1.00,
        2..=10 => 0.95,
        11..=50 => 0.90,
        _ => 0.85,
    };
    let base = if testnet { 256.0 } else { 2048.0 };
    Difficulty::from_value(count as f64 * base * factor)
}

/// The current pay nonce (from the block at bitmarkd's rounded height).
pub(crate) fn current_pay_nonce(view: &LedgerView<'_>) -> Result<PayNonce, ReservoirError> {
    pay_nonce_at(view, PayNonce::rounded_height(view.chain.height()?))
}

fn pay_nonce_at(view: &LedgerView<'_>, number: u64) -> Result<PayNonce, ReservoirError> {
    Ok(view.chain.digest(number)?.map(|d| PayNonce::from_digest(&d.0)).unwrap_or_default())
}

/// True if SHA3-256(pay id ‖ pay nonce ‖ nonce), read big-endian, is at most the target.
pub fn meets(pay_id: &PayId, pay_nonce: &PayNonce, nonce: &[u8], difficulty: &Difficulty) -> bool {
    let mut hasher = Sha3_256::new();
    hasher.update(pay_id.as_bytes());
    hasher.update(pay_nonce.as_bytes());
    hasher.update(nonce);
    let digest: [u8; 32] = hasher.finalize().into();
    digest <= *difficulty.target()
}

/// bitmarkd's `processProof` + `tryProof`.
pub(crate) fn try_proof(
    state: &Mutex<State>,
    view: &LedgerView<'_>,
    payload: &[u8],
) -> Result<PayId, ReservoirError> {
    if payload.is_empty() {
        return Err(ReservoirFault::MissingParameters.into());
    }
    let nonce_length = payload.len().saturating_sub(PAY_ID_LENGTH);
    if payload.len() < PAY_ID_LENGTH
        || !(MINIMUM_NONCE_LENGTH..=MAXIMUM_NONCE_LENGTH).contains(&nonce_length)
    {
        return Err(Fault::InvalidNonce.into());
    }
    let (id, nonce) = payload.split_at(PAY_ID_LENGTH);
    let pay_id = PayId::from_slice(id)?;
    let difficulty = {
        let state = lock(state);
        match state.entries.get(&pay_id) {
            Some(entry) if !entry.verified => entry.difficulty,
            _ => None,
        }
    };
    let Some(difficulty) = difficulty else {
        return Err(Fault::PayIdAlreadyUsed.into());
    };
    let mut height = PayNonce::rounded_height(view.chain.height()?);
    for _ in 0..PAY_NONCE_WINDOWS {
        let pay_nonce = pay_nonce_at(view, height)?;
        if meets(&pay_id, &pay_nonce, nonce, &difficulty) {
            let mut state = lock(state);
            if state.verify(&pay_id, Some(bytes::Bytes::copy_from_slice(nonce))) == 0 {
                return Err(Fault::PayIdAlreadyUsed.into());
            }
            tracing::info!(%pay_id, "proof accepted: free issues verified");
            return Ok(pay_id);
        }
        if height < PAY_NONCE_DELTA {
            break;
        }
        height -= PAY_NONCE_DELTA;
    }
    Err(Fault::PayIdAlreadyUsed.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_scales_with_a_discount() {
        assert_eq!(scaled_difficulty(1, true).value(), 256.0);
        assert_eq!(scaled_difficulty(1, false).value(), 2048.0);
        assert_eq!(scaled_difficulty(10, true).value(), 10.0 * 256.0 * 0.95);
        assert_eq!(scaled_difficulty(11, true).value(), 11.0 * 256.0 * 0.90);
        assert_eq!(scaled_difficulty(51, false).value(), 51.0 * 2048.0 * 0.85);
    }

    #[test]
    fn a_proof_meets_the_target_or_not() {
        let pay_id = PayId([7; 48]);
        let pay_nonce = PayNonce([1; 8]);
        let easy = Difficulty::ONE;
        let hard = scaled_difficulty(1, true);
        let found = (0u64..1_000_000)
            .map(u64::to_be_bytes)
            .find(|n| meets(&pay_id, &pay_nonce, n, &hard))
            .unwrap_or_default();
        assert!(meets(&pay_id, &pay_nonce, &found, &hard));
        assert!(meets(&pay_id, &pay_nonce, &found, &easy));
        // The same nonce under another pay nonce is (almost surely) not a proof.
        assert!(!meets(&pay_id, &PayNonce([2; 8]), &found, &hard));
    }
}
