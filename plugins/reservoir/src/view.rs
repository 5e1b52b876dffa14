//! What a submission is checked against, and what it gives back.

use peerd_api::{Chain, Store};
use peerd_bitmark::difficulty::Difficulty;
use peerd_bitmark::payid::{PayId, PayNonce};

use crate::payment::PaymentAlternative;

/// The ledger a submission is checked against: the chain (for block digests and its
/// network) and the store the ledger lives in.
#[derive(Clone, Copy)]
pub struct LedgerView<'a> {
    /// The chain.
    pub chain: &'a dyn Chain,
    /// The store holding the ledger columns.
    pub store: &'a dyn Store,
    /// True on the test networks (every chain but `bitmark`).
    pub testnet: bool,
}

impl<'a> LedgerView<'a> {
    /// The view of `chain` kept in `store`.
    pub fn new(chain: &'a dyn Chain, store: &'a dyn Store) -> Self {
        Self { chain, store, testnet: chain.name() != "bitmark" }
    }
}

/// The result of a submission of issues or a transfer.
#[derive(Clone, Debug, PartialEq)]
pub struct Submitted {
    /// The pay id of the group.
    pub pay_id: PayId,
    /// True if exactly this group was already held unverified (bitmarkd lets clients
    /// resubmit; the handlers answer `transaction already exists`).
    pub duplicate: bool,
    /// True if the group is verified (an orphan payment matched, or auto-verify).
    pub verified: bool,
    /// What verifies it by payment (empty for free issues).
    pub payments: Vec<PaymentAlternative>,
    /// Free issues: the proof-of-work difficulty and the pay nonce to prove with.
    pub proof: Option<(Difficulty, PayNonce)>,
}
