//! Transactions of deleted blocks come back: when a fork switch (or an operator's
//! delete-down) removes blocks, their records are held again, verified, so the producer
//! offers them for the winning chain and the rebroadcast cycle passes them on.
//!
//! bitmarkd does not do this: the records of a losing branch are gone until their senders
//! resubmit them. peerd holds them again because they were valid and paid for once (a
//! payment on the currency chain or a proof of work does not go away with our blocks).
//! Each record is checked against the ledger *after* the deletion, by the rescan that
//! follows: one already confirmed on the winning chain, or whose link the winning chain
//! spent or never had (a transfer of an issue that was itself in a deleted block), is
//! dropped again, exactly as a fresh submission would be refused.

use std::collections::HashSet;

use bytes::Bytes;
use peerd_bitmark::header::HEADER_LEN;
use peerd_bitmark::ledger::query;
use peerd_bitmark::payid::PayId;
use peerd_bitmark::transaction::{AssetId, Link, Transaction};

use crate::error::ReservoirError;
use crate::reservoir::Reservoir;
use crate::state::{CachedAsset, Entry, Group, PoolTx};
use crate::transfer::spent_link;
use crate::view::LedgerView;

/// What [`Reservoir::blocks_deleted`] held again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Returned {
    /// Issues, transfers, shares, grants and swaps held again as verified groups.
    pub transactions: usize,
    /// Unconfirmed assets cached again.
    pub assets: usize,
    /// Groups the ledger after the deletion no longer accepts, dropped by the rescan.
    pub dropped: usize,
}

impl Reservoir {
    /// Holds again the transactions of `blocks` (the deleted blocks, lowest first): the
    /// assets an issue needs are cached, every other record except the block owner's is
    /// held as its own verified group, then the reservoir is rescanned against `view` (the
    /// ledger after the deletion). Records already held, already confirmed, or past
    /// `max_pending` are skipped.
    ///
    /// # Errors
    ///
    /// A store error of the rescan; what was held again stays held.
    pub fn blocks_deleted(
        &self,
        blocks: &[Bytes],
        view: &LedgerView<'_>,
        now: u64,
    ) -> Result<Returned, ReservoirError> {
        let config = self.config();
        let mut returned = Returned::default();
        let records = records_of(blocks, view.testnet);
        {
            let mut state = self.lock();
            // An asset is only ever confirmed with an issue of it (`ready` offers cached
            // assets for the issues that need them): one no returned or held issue needs
            // (a producer's filler registration, say) is not cached again.
            let mut needed: HashSet<AssetId> = records
                .iter()
                .filter_map(|(tx, _)| match tx {
                    Transaction::BitmarkIssue(r) => Some(r.asset_id),
                    _ => None,
                })
                .collect();
            needed
                .extend(state.entries.values().flat_map(|e| e.txs.iter().filter_map(|t| t.asset)));
            for (tx, packed) in records {
                let id = Link::of(&packed);
                if let Transaction::AssetData(record) = &tx {
                    let asset = AssetId::of_fingerprint(record.fingerprint.as_bytes());
                    if needed.contains(&asset)
                        && query::asset(view.store, asset.as_bytes())?.is_none()
                        && !state.assets.contains_key(&asset)
                        && state.assets.len() < config.max_assets
                    {
                        let expires_at = now.saturating_add(config.asset_expiry_seconds);
                        let cached = CachedAsset { record: record.clone(), packed, expires_at };
                        state.assets.insert(asset, cached);
                        returned.assets += 1;
                    }
                    continue;
                }
                let Some(group) = group_of(&tx) else { continue };
                if state.held_state(&id).is_some()
                    || state.held >= config.max_pending
                    || query::transaction(view.store, id.as_bytes())?.is_some()
                {
                    continue;
                }
                let pool_tx = PoolTx {
                    id,
                    packed,
                    asset: match &tx {
                        Transaction::BitmarkIssue(r) => Some(r.asset_id),
                        _ => None,
                    },
                    link: spent_link(&tx),
                    spends: spends(&tx),
                };
                let pay_id = PayId::new([&pool_tx.packed]);
                let entry = Entry {
                    group,
                    txs: vec![pool_tx],
                    payments: Vec::new(),
                    difficulty: None,
                    proof: None,
                    expires_at: now.saturating_add(config.expiry_seconds),
                    verified: true,
                    seq: state.next_seq(),
                };
                state.insert(pay_id, entry);
                returned.transactions += 1;
            }
        }
        returned.dropped = self.rescan(view)?;
        if returned.transactions + returned.assets > 0 {
            tracing::info!(
                transactions = returned.transactions,
                assets = returned.assets,
                dropped = returned.dropped,
                "transactions of deleted blocks held again"
            );
        }
        Ok(returned)
    }
}

/// Every record of `blocks` with its bytes, in order; an undecodable record ends its block
/// (the chain had accepted it, so that does not happen).
fn records_of(blocks: &[Bytes], testnet: bool) -> Vec<(Transaction, Bytes)> {
    let mut records = Vec::new();
    for block in blocks {
        let mut rest = block.get(HEADER_LEN..).unwrap_or_default();
        while !rest.is_empty() {
            let Ok((tx, used)) = Transaction::unpack(rest, testnet) else { break };
            let Some(packed) = rest.get(..used) else { break };
            records.push((tx, Bytes::copy_from_slice(packed)));
            rest = rest.get(used..).unwrap_or_default();
        }
    }
    records
}

/// The group a returned record is held in; `None` for the block owner's records.
fn group_of(tx: &Transaction) -> Option<Group> {
    match tx {
        Transaction::BaseData(_) | Transaction::BlockFoundation(_) | Transaction::AssetData(_) => {
            None
        }
        Transaction::BitmarkIssue(_) => Some(Group::Issues),
        Transaction::BitmarkTransferUnratified(_)
        | Transaction::BitmarkTransferCountersigned(_)
        | Transaction::BlockOwnerTransfer(_)
        | Transaction::BitmarkShare(_)
        | Transaction::ShareGrant(_)
        | Transaction::ShareSwap(_) => Some(Group::Transfer),
    }
}

/// The share balances a grant or swap spends, as the transfer path records them.
fn spends(tx: &Transaction) -> Vec<(Link, Vec<u8>, u64)> {
    match tx {
        Transaction::ShareGrant(r) => vec![(r.share_id, r.owner.to_bytes(), r.quantity)],
        Transaction::ShareSwap(r) => vec![
            (r.share_id_one, r.owner_one.to_bytes(), r.quantity_one),
            (r.share_id_two, r.owner_two.to_bytes(), r.quantity_two),
        ],
        _ => Vec::new(),
    }
}
