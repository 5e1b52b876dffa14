//! `issues`: up to 100 issues under one pay id (bitmarkd's `processIssues` and
//! `storeIssues`).
//!
//! Issues whose nonces are all zero are *free*: they are verified by a proof of work
//! (`proof`) at [`crate::proof::scaled_difficulty`] against the current pay nonce, which
//! is how a client issues bitmarks of an asset it registers in the same submission. Any
//! other issues are *paid*: they must all be of one asset confirmed in a block above the
//! genesis, and are verified by a payment of the fee × count to that block's owner.

use std::sync::Mutex;

use bytes::Bytes;
use peerd_bitmark::ledger::query;
use peerd_bitmark::payid::PayId;
use peerd_bitmark::transaction::{Link, Transaction};
use peerd_bitmark::Fault;

use crate::config::ReservoirConfig;
use crate::error::{ReservoirError, ReservoirFault};
use crate::state::{Entry, Group, PoolTx, State};
use crate::view::{LedgerView, Submitted};
use crate::{assets, payment, proof};

/// Most issues in one message (bitmarkd's `MaximumIssues`).
pub const MAXIMUM_ISSUES: usize = 100;

/// Validates and holds the issues of `packed`.
pub(crate) fn store(
    state: &Mutex<State>,
    config: &ReservoirConfig,
    view: &LedgerView<'_>,
    packed: &[u8],
    now: u64,
) -> Result<Submitted, ReservoirError> {
    if packed.is_empty() {
        return Err(ReservoirFault::MissingParameters.into());
    }
    let mut records = Vec::new();
    let mut rest = packed;
    while !rest.is_empty() {
        let (tx, used) = Transaction::unpack(rest, view.testnet)?;
        rest = rest.get(used..).unwrap_or_default();
        match tx {
            Transaction::BitmarkIssue(issue) => records.push(issue),
            _ => return Err(Fault::TransactionIsNotAnIssue.into()),
        }
    }
    if records.is_empty() {
        return Err(ReservoirFault::MissingParameters.into());
    }
    if records.len() > MAXIMUM_ISSUES {
        return Err(ReservoirFault::TooManyItemsToProcess.into());
    }
    // Signatures first, outside the lock.
    let mut txs = Vec::with_capacity(records.len());
    for issue in &records {
        if issue.owner.is_testnet() != view.testnet {
            return Err(Fault::WrongNetworkForPublicKey.into());
        }
        let packed = Transaction::from(issue.clone()).pack(&issue.owner)?;
        txs.push(PoolTx {
            id: Link::of(&packed),
            packed: Bytes::from(packed),
            asset: Some(issue.asset_id),
            link: None,
            spends: Vec::new(),
        });
    }
    let free = records.iter().all(|issue| issue.nonce == 0);
    let pay_id = PayId::new(txs.iter().map(|t| &t.packed));
    let mut state = crate::state::lock(state);

    let mut duplicate = false;
    for (issue, tx) in records.iter().zip(&txs) {
        if !assets::exists(&state, view, &issue.asset_id)? {
            return Err(Fault::AssetNotFound.into());
        }
        match state.held_state(&tx.id) {
            Some(true) => return Err(Fault::TransactionAlreadyExists.into()),
            Some(false) => duplicate = true,
            None => {}
        }
        if query::transaction(view.store, tx.id.as_bytes())?.is_some() {
            return Err(Fault::TransactionAlreadyExists.into());
        }
    }
    if let Some(entry) = state.entries.get(&pay_id) {
        // Exactly this group again: a client's resubmission.
        return Ok(Submitted {
            pay_id,
            duplicate: true,
            verified: entry.verified,
            payments: entry.payments.clone(),
            proof: entry.difficulty.map(|d| (d, Default::default())),
        });
    }
    if duplicate {
        // Overlaps a held group under another pay id.
        return Err(Fault::TransactionAlreadyExists.into());
    }

    let (payments, proof) = if free {
        let nonce = proof::current_pay_nonce(view)?;
        (Vec::new(), Some((proof::scaled_difficulty(txs.len(), view.testnet), nonce)))
    } else {
        let asset_id = records.first().map(|r| r.asset_id).ok_or(Fault::AssetNotFound)?;
        if records.iter().any(|issue| issue.asset_id != asset_id) {
            return Err(Fault::AssetNotFound.into());
        }
        let block = match query::asset(view.store, asset_id.as_bytes())? {
            Some((block, _)) if block > 1 => block,
            _ => return Err(Fault::AssetNotFound.into()),
        };
        let payments = payment::issue_payments(view.store, block, txs.len(), view.testnet)?
            .ok_or(Fault::AssetNotFound)?;
        (payments, None)
    };
    let entry = Entry {
        group: Group::Issues,
        txs,
        payments: payments.clone(),
        difficulty: proof.map(|(d, _)| d),
        proof: None,
        expires_at: now.saturating_add(config.expiry_seconds),
        verified: false,
        seq: state.next_seq(),
    };
    if free {
        // Keep the cached assets at least as long as the issues that need them.
        for tx in &entry.txs {
            if let Some(cached) = tx.asset.and_then(|a| state.assets.get_mut(&a)) {
                cached.expires_at = cached.expires_at.max(entry.expires_at);
            }
        }
    }
    let verified = state.admit(config, pay_id, entry)?;
    tracing::debug!(%pay_id, free, verified, "issues held");
    Ok(Submitted { pay_id, duplicate: false, verified, payments, proof })
}
