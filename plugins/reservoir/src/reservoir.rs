//! [`Reservoir`]: the shared object behind the handlers, the payments seam and the pool.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};

use bytes::Bytes;
use peerd_api::TransactionPool;
use peerd_bitmark::payid::PayId;
use peerd_bitmark::transaction::Link;

use crate::config::ReservoirConfig;
use crate::error::ReservoirError;
use crate::payment::{acceptable, PaymentDetail};
use crate::state::{Orphan, State};
use crate::view::{LedgerView, Submitted};
use crate::{assets, issues, proof, transfer};

/// What [`Reservoir::record_payment`] did with a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// It paid a waiting group, now verified.
    Verified {
        /// Transactions verified.
        transactions: usize,
    },
    /// No waiting group matched (unknown pay id, or not enough paid): kept as an orphan
    /// payment for a group submitted later.
    Orphaned,
    /// Neither matched nor kept: the orphan table is full.
    Dropped,
}

/// Where a transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionState {
    /// Not held.
    Unknown,
    /// Held, waiting for payment or proof.
    Pending,
    /// Held and verified, waiting for a block.
    Verified,
}

/// Sizes of the pools.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Unverified transactions.
    pub pending: usize,
    /// Verified, unconfirmed transactions.
    pub verified: usize,
    /// Cached unconfirmed assets.
    pub assets: usize,
    /// Orphan payments.
    pub orphans: usize,
}

/// The reservoir of unconfirmed transactions. Share it as `Arc<Reservoir>`; every method
/// takes `&self`.
#[derive(Debug, Default)]
pub struct Reservoir {
    config: RwLock<ReservoirConfig>,
    state: Mutex<State>,
}

impl Reservoir {
    /// An empty reservoir.
    pub fn new(config: ReservoirConfig) -> Self {
        Self { config: RwLock::new(config), state: Mutex::default() }
    }

    /// The options in force.
    pub fn config(&self) -> ReservoirConfig {
        self.config.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Replaces the options (the plugin does it at registration).
    pub fn set_config(&self, config: ReservoirConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        crate::state::lock(&self.state)
    }

    /// Caches the asset records concatenated in `packed`; returns how many were new.
    ///
    /// # Errors
    ///
    /// `missing parameters`, a decode fault, `transaction is not an asset`,
    /// `assets already registered`, `buffer capacity limit`, or a store error.
    pub fn store_assets(
        &self,
        view: &LedgerView<'_>,
        packed: &[u8],
        now: u64,
    ) -> Result<usize, ReservoirError> {
        assets::store(&mut self.lock(), &self.config(), view, packed, now)
    }

    /// Holds the issue records concatenated in `packed` under one pay id.
    ///
    /// # Errors
    ///
    /// See [`crate::handler`] for the fault texts.
    pub fn store_issues(
        &self,
        view: &LedgerView<'_>,
        packed: &[u8],
        now: u64,
    ) -> Result<Submitted, ReservoirError> {
        issues::store(&self.state, &self.config(), view, packed, now)
    }

    /// Holds one transfer, share, share grant or share swap record.
    ///
    /// # Errors
    ///
    /// See [`crate::handler`] for the fault texts.
    pub fn store_transfer(
        &self,
        view: &LedgerView<'_>,
        packed: &[u8],
        now: u64,
    ) -> Result<Submitted, ReservoirError> {
        transfer::store(&self.state, &self.config(), view, packed, now)
    }

    /// Checks a `proof` payload (pay id ‖ nonce) against a waiting free issue group and
    /// verifies the group; returns its pay id.
    ///
    /// # Errors
    ///
    /// `invalid nonce` (nonce not 8…64 bytes), `pay id already used` (no such waiting
    /// group, or the proof does not meet its difficulty), `missing parameters`.
    pub fn try_proof(
        &self,
        view: &LedgerView<'_>,
        payload: &[u8],
    ) -> Result<PayId, ReservoirError> {
        proof::try_proof(&self.state, view, payload)
    }

    /// The payments seam: a payment for `pay_id` was observed on a currency chain. A waiting
    /// group it pays becomes verified; otherwise the payment is kept (as an orphan, for
    /// `expiry_seconds`) and verifies the group when it is submitted.
    pub fn record_payment(&self, pay_id: PayId, detail: PaymentDetail, now: u64) -> PaymentOutcome {
        let config = self.config();
        let mut state = self.lock();
        if let Some(entry) = state.entries.get(&pay_id) {
            if !entry.verified && acceptable(&detail, &entry.payments) {
                let transactions = state.verify(&pay_id, None);
                tracing::info!(%pay_id, transactions, tx = %detail.tx_id, "payment verified transactions");
                return PaymentOutcome::Verified { transactions };
            }
        }
        if state.orphans.len() >= config.max_orphans && !state.orphans.contains_key(&pay_id) {
            tracing::warn!(%pay_id, "orphan payment table full: payment dropped");
            return PaymentOutcome::Dropped;
        }
        let expires_at = now.saturating_add(config.expiry_seconds);
        state.orphans.insert(pay_id, Orphan { detail, expires_at });
        PaymentOutcome::Orphaned
    }

    /// Where transaction `id` is.
    pub fn state_of(&self, id: &Link) -> TransactionState {
        match self.lock().held_state(id) {
            None => TransactionState::Unknown,
            Some(false) => TransactionState::Pending,
            Some(true) => TransactionState::Verified,
        }
    }

    /// Sizes of the pools.
    pub fn counts(&self) -> Counts {
        let state = self.lock();
        let verified: usize =
            state.entries.values().filter(|e| e.verified).map(|e| e.txs.len()).sum();
        Counts {
            pending: state.held - verified,
            verified,
            assets: state.assets.len(),
            orphans: state.orphans.len(),
        }
    }
}

impl TransactionPool for Reservoir {
    fn ready(&self, limit: usize) -> Vec<Bytes> {
        Reservoir::ready(self, limit)
    }
}
