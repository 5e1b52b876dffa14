//! Leaving the reservoir (confirmation in a block, expiry) and what it offers: transactions
//! for a block ([`Reservoir::ready`]) and items to re-broadcast.

use std::collections::HashSet;

use bytes::Bytes;
use peerd_api::{Item, ItemKind};
use peerd_bitmark::header::HEADER_LEN;
use peerd_bitmark::payid::PayId;
use peerd_bitmark::transaction::{AssetId, Link, Transaction};

use peerd_bitmark::ledger::query;

use crate::error::ReservoirError;
use crate::reservoir::Reservoir;
use crate::state::{Entry, Group};
use crate::transfer::spent_link;
use crate::view::LedgerView;

/// What one expiry sweep dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expired {
    /// Unverified groups.
    pub groups: usize,
    /// Cached assets no held issue needs.
    pub assets: usize,
    /// Orphan payments.
    pub orphans: usize,
}

impl Reservoir {
    /// A block was stored: drops every held group with a transaction of the block, every
    /// group spending a link the block spends, and the block's assets from the cache.
    /// Returns the number of groups dropped. Records after an undecodable one are ignored
    /// (the chain accepted the block, so that does not happen).
    pub fn block_accepted(&self, block: &[u8], testnet: bool) -> usize {
        let mut ids = Vec::new();
        let mut links = Vec::new();
        let mut assets = Vec::new();
        let mut rest = block.get(HEADER_LEN..).unwrap_or_default();
        while !rest.is_empty() {
            let Ok((tx, used)) = Transaction::unpack(rest, testnet) else {
                break;
            };
            ids.push(Link::of(&rest[..used]));
            links.extend(spent_link(&tx));
            if let Transaction::AssetData(asset) = &tx {
                assets.push(AssetId::of_fingerprint(asset.fingerprint.as_bytes()));
            }
            rest = &rest[used..];
        }
        let mut state = self.lock();
        let mut doomed: HashSet<PayId> =
            ids.iter().filter_map(|id| state.index.get(id)).copied().collect();
        for link in &links {
            if let Some(pay_id) = state.links.get(link).and_then(|tx| state.index.get(tx)) {
                doomed.insert(*pay_id);
            }
        }
        for pay_id in &doomed {
            state.remove(pay_id);
        }
        for asset in &assets {
            state.assets.remove(asset);
        }
        if !doomed.is_empty() {
            tracing::debug!(groups = doomed.len(), "confirmed transactions left the reservoir");
        }
        doomed.len()
    }

    /// Re-checks every held group against the ledger (bitmarkd's `Rescan`) and drops those
    /// it no longer accepts: a transaction already confirmed, a link no longer a current
    /// head (spent, or its block deleted), an issue's asset neither confirmed nor cached.
    /// Returns the number of groups dropped.
    ///
    /// # Errors
    ///
    /// A store error; nothing is dropped then.
    pub fn rescan(&self, view: &LedgerView<'_>) -> Result<usize, ReservoirError> {
        let mut state = self.lock();
        let mut doomed = Vec::new();
        for (pay_id, entry) in &state.entries {
            for tx in &entry.txs {
                let confirmed = query::transaction(view.store, tx.id.as_bytes())?.is_some();
                let link_gone = match tx.link {
                    Some(link) => query::owner_data(view.store, link.as_bytes())?.is_none(),
                    None => false,
                };
                let asset_gone = match tx.asset {
                    Some(asset) => {
                        !state.assets.contains_key(&asset)
                            && query::asset(view.store, asset.as_bytes())?.is_none()
                    }
                    None => false,
                };
                if confirmed || link_gone || asset_gone {
                    doomed.push(*pay_id);
                    break;
                }
            }
        }
        for pay_id in &doomed {
            state.remove(pay_id);
        }
        if !doomed.is_empty() {
            tracing::debug!(
                groups = doomed.len(),
                "rescan dropped transactions the ledger no longer accepts"
            );
        }
        Ok(doomed.len())
    }

    /// Drops unverified groups, unneeded cached assets and orphan payments whose time
    /// (Unix seconds) is up.
    pub fn expire(&self, now: u64) -> Expired {
        let mut state = self.lock();
        let old: Vec<PayId> = state
            .entries
            .iter()
            .filter(|(_, e)| !e.verified && e.expires_at <= now)
            .map(|(p, _)| *p)
            .collect();
        for pay_id in &old {
            state.remove(pay_id);
        }
        let needed: HashSet<AssetId> =
            state.entries.values().flat_map(|e| e.txs.iter().filter_map(|t| t.asset)).collect();
        let assets_before = state.assets.len();
        state.assets.retain(|id, a| a.expires_at > now || needed.contains(id));
        let orphans_before = state.orphans.len();
        state.orphans.retain(|_, o| o.expires_at > now);
        let expired = Expired {
            groups: old.len(),
            assets: assets_before - state.assets.len(),
            orphans: orphans_before - state.orphans.len(),
        };
        if expired != Expired::default() {
            tracing::debug!(?expired, "reservoir items expired");
        }
        expired
    }

    /// Verified groups in arrival order.
    fn verified(&self) -> Vec<Entry> {
        let state = self.lock();
        let mut entries: Vec<Entry> =
            state.entries.values().filter(|e| e.verified).cloned().collect();
        entries.sort_by_key(|e| e.seq);
        entries
    }

    /// Up to `limit` verified transactions in an order one block can hold them: the cached
    /// assets the verified issues need, then the issues, then transfers, shares, grants
    /// and swaps; each group in arrival order. An issue is never offered without its
    /// unconfirmed asset before it.
    pub fn ready(&self, limit: usize) -> Vec<Bytes> {
        let entries = self.verified();
        let cached: Vec<(AssetId, Bytes)> = {
            let state = self.lock();
            let mut seen = HashSet::new();
            entries
                .iter()
                .filter(|e| e.group == Group::Issues)
                .flat_map(|e| e.txs.iter().filter_map(|t| t.asset))
                .filter(|a| seen.insert(*a))
                .filter_map(|a| state.assets.get(&a).map(|c| (a, c.packed.clone())))
                .collect()
        };
        let issues: Vec<_> = entries.iter().filter(|e| e.group == Group::Issues).collect();
        let others = entries.iter().filter(|e| e.group == Group::Transfer);
        // Assets first, but only as many as the issues that fit need.
        let mut chosen_issues = Vec::new();
        let mut needed: Vec<Bytes> = Vec::new();
        let mut needed_ids = HashSet::new();
        for tx in issues.iter().flat_map(|e| &e.txs) {
            let extra = tx
                .asset
                .filter(|a| !needed_ids.contains(a))
                .and_then(|a| cached.iter().find(|(id, _)| *id == a));
            let cost = 1 + usize::from(extra.is_some());
            if needed.len() + chosen_issues.len() + cost > limit {
                break;
            }
            if let Some((id, packed)) = extra {
                needed_ids.insert(*id);
                needed.push(packed.clone());
            }
            chosen_issues.push(tx.packed.clone());
        }
        let mut out = needed;
        out.extend(chosen_issues);
        out.extend(others.flat_map(|e| e.txs.iter().map(|t| t.packed.clone())));
        out.truncate(limit);
        out
    }

    /// The gossip items re-announcing every verified, unconfirmed group (bitmarkd's
    /// `reservoir/broadcast.go`): first `assets` (the cached assets of free issues), then
    /// `issues` (one item per group), the `proof` of each proven group, then `transfer`
    /// (one per record).
    pub fn rebroadcast_items(&self) -> Vec<Item> {
        let entries = self.verified();
        let state = self.lock();
        let mut assets = Vec::new();
        let mut issues = Vec::new();
        let mut proofs = Vec::new();
        let mut transfers = Vec::new();
        for entry in &entries {
            let pay_id = entry.txs.first().and_then(|t| state.index.get(&t.id)).copied();
            match entry.group {
                Group::Issues => {
                    let mut packed_assets = Vec::new();
                    for asset in entry.txs.iter().filter_map(|t| t.asset) {
                        if let Some(cached) = state.assets.get(&asset) {
                            packed_assets.extend_from_slice(&cached.packed);
                        }
                    }
                    if !packed_assets.is_empty() {
                        assets.push(item(ItemKind::Assets, packed_assets));
                    }
                    let packed: Vec<u8> =
                        entry.txs.iter().flat_map(|t| t.packed.to_vec()).collect();
                    issues.push(item(ItemKind::Issues, packed));
                    if let (Some(nonce), Some(pay_id)) = (&entry.proof, pay_id) {
                        let mut payload = pay_id.as_bytes().to_vec();
                        payload.extend_from_slice(nonce);
                        proofs.push(item(ItemKind::Proof, payload));
                    }
                }
                Group::Transfer => {
                    transfers.extend(
                        entry.txs.iter().map(|t| item(ItemKind::Transfer, t.packed.to_vec())),
                    );
                }
            }
        }
        assets.into_iter().chain(issues).chain(proofs).chain(transfers).collect()
    }
}

fn item(kind: ItemKind, payload: Vec<u8>) -> Item {
    Item::new(kind, vec![Bytes::from(payload)])
}
