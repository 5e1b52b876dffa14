//! The reservoir's pools: cached assets, pay-id groups (unverified and verified), their
//! indexes and orphan payments. Plain data behind the [`crate::Reservoir`]'s mutex.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use peerd_bitmark::difficulty::Difficulty;
use peerd_bitmark::payid::PayId;
use peerd_bitmark::transaction::{AssetData, AssetId, Link};

use crate::config::ReservoirConfig;
use crate::error::{ReservoirError, ReservoirFault};
use crate::payment::{acceptable, PaymentAlternative, PaymentDetail};

/// One transaction held in a group.
#[derive(Clone, Debug)]
pub(crate) struct PoolTx {
    /// Its id.
    pub id: Link,
    /// Its packed record.
    pub packed: Bytes,
    /// The asset an issue issues.
    pub asset: Option<AssetId>,
    /// The link a transfer, share or block-owner transfer spends.
    pub link: Option<Link>,
    /// Shares a grant or swap spends: share id, owner bytes, quantity.
    pub spends: Vec<(Link, Vec<u8>, u64)>,
}

/// What a group holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    /// Up to 100 issues under one pay id.
    Issues,
    /// One transfer, share, share grant or share swap.
    Transfer,
}

/// The transactions of one pay id.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub group: Group,
    pub txs: Vec<PoolTx>,
    /// What verifies the group by payment (empty for free issues).
    pub payments: Vec<PaymentAlternative>,
    /// Free issues: the proof-of-work difficulty.
    pub difficulty: Option<Difficulty>,
    /// Free issues: the accepted proof nonce.
    pub proof: Option<Bytes>,
    /// Unix time after which an unverified group is dropped.
    pub expires_at: u64,
    pub verified: bool,
    /// Arrival order.
    pub seq: u64,
}

/// An unconfirmed asset.
#[derive(Clone, Debug)]
pub(crate) struct CachedAsset {
    pub record: AssetData,
    pub packed: Bytes,
    pub expires_at: u64,
}

/// A payment that arrived before its transactions.
#[derive(Clone, Debug)]
pub(crate) struct Orphan {
    pub detail: PaymentDetail,
    pub expires_at: u64,
}

/// All pools.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub assets: HashMap<AssetId, CachedAsset>,
    pub entries: HashMap<PayId, Entry>,
    /// Transaction id → pay id of its group.
    pub index: HashMap<Link, PayId>,
    /// Spent link → id of the transaction spending it.
    pub links: HashMap<Link, Link>,
    /// (share id, owner) → quantity spent by held grants and swaps.
    pub spend: HashMap<(Link, Vec<u8>), u64>,
    pub orphans: HashMap<PayId, Orphan>,
    /// Transactions held in entries.
    pub held: usize,
    seq: u64,
}

impl State {
    /// The next arrival number.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Whether transaction `id` is held: `Some(true)` verified, `Some(false)` unverified.
    pub(crate) fn held_state(&self, id: &Link) -> Option<bool> {
        self.index.get(id).and_then(|p| self.entries.get(p)).map(|e| e.verified)
    }

    /// Adds a group and its index rows.
    pub(crate) fn insert(&mut self, pay_id: PayId, entry: Entry) {
        for tx in &entry.txs {
            self.index.insert(tx.id, pay_id);
            if let Some(link) = tx.link {
                self.links.insert(link, tx.id);
            }
            for (share, owner, quantity) in &tx.spends {
                *self.spend.entry((*share, owner.clone())).or_default() += quantity;
            }
        }
        self.held += entry.txs.len();
        self.entries.insert(pay_id, entry);
    }

    /// Removes a group and its index rows.
    pub(crate) fn remove(&mut self, pay_id: &PayId) -> Option<Entry> {
        let entry = self.entries.remove(pay_id)?;
        for tx in &entry.txs {
            self.index.remove(&tx.id);
            if let Some(link) = tx.link {
                if self.links.get(&link) == Some(&tx.id) {
                    self.links.remove(&link);
                }
            }
            for (share, owner, quantity) in &tx.spends {
                let key = (*share, owner.clone());
                if let Some(spent) = self.spend.get_mut(&key) {
                    *spent = spent.saturating_sub(*quantity);
                    if *spent == 0 {
                        self.spend.remove(&key);
                    }
                }
            }
        }
        self.held -= entry.txs.len();
        Some(entry)
    }

    /// Marks a group verified; returns its transaction count (0 if unknown or verified).
    pub(crate) fn verify(&mut self, pay_id: &PayId, proof: Option<Bytes>) -> usize {
        match self.entries.get_mut(pay_id) {
            Some(entry) if !entry.verified => {
                entry.verified = true;
                entry.proof = proof;
                entry.txs.len()
            }
            _ => 0,
        }
    }

    /// Quantity of a share held grants and swaps already spend for `owner`.
    pub(crate) fn spent(&self, share: &Link, owner: &[u8]) -> u64 {
        self.spend.get(&(*share, owner.to_vec())).copied().unwrap_or(0)
    }

    /// Holds a new group: verified at once if an orphan payment pays it (or, for paid
    /// groups, with auto-verify), else unverified. Returns whether it is verified.
    ///
    /// # Errors
    ///
    /// `buffer capacity limit` when the reservoir holds `max_pending` transactions.
    pub(crate) fn admit(
        &mut self,
        config: &ReservoirConfig,
        pay_id: PayId,
        mut entry: Entry,
    ) -> Result<bool, ReservoirError> {
        if self.held + entry.txs.len() > config.max_pending {
            return Err(ReservoirFault::BufferCapacityLimit.into());
        }
        let paid = entry.difficulty.is_none()
            && (config.auto_verify
                || self
                    .orphans
                    .get(&pay_id)
                    .is_some_and(|o| acceptable(&o.detail, &entry.payments)));
        if paid {
            self.orphans.remove(&pay_id);
            entry.verified = true;
        }
        self.insert(pay_id, entry);
        Ok(paid)
    }
}

/// Locks the reservoir's state; a panic while it was held leaves plain data, used as is.
pub(crate) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}
