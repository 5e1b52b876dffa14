//! `assets`: caching unconfirmed asset records (bitmarkd's `asset.Cache`).

use bytes::Bytes;
use peerd_bitmark::ledger::query;
use peerd_bitmark::transaction::{AssetData, AssetId, Transaction};
use peerd_bitmark::Fault;

use crate::config::ReservoirConfig;
use crate::error::{ReservoirError, ReservoirFault};
use crate::state::{CachedAsset, State};
use crate::view::LedgerView;

/// Caches every asset of `packed`; returns the number of new ones. Confirmed assets are
/// skipped; an identical record (same name, fingerprint, metadata and registrant) restarts
/// the cached one's expiry; a different record with a cached fingerprint is refused.
pub(crate) fn store(
    state: &mut State,
    config: &ReservoirConfig,
    view: &LedgerView<'_>,
    packed: &[u8],
    now: u64,
) -> Result<usize, ReservoirError> {
    if packed.is_empty() {
        return Err(ReservoirFault::MissingParameters.into());
    }
    let expires_at = now.saturating_add(config.asset_expiry_seconds);
    let mut rest = packed;
    let mut new = 0;
    while !rest.is_empty() {
        let (tx, used) = Transaction::unpack(rest, view.testnet)?;
        rest = rest.get(used..).unwrap_or_default();
        let Transaction::AssetData(record) = &tx else {
            return Err(Fault::TransactionIsNotAnAsset.into());
        };
        let repacked = tx.pack(&record.registrant)?;
        let id = AssetId::of_fingerprint(record.fingerprint.as_bytes());
        if query::asset(view.store, id.as_bytes())?.is_some() {
            continue;
        }
        match state.assets.get_mut(&id) {
            Some(cached) if same(&cached.record, record) => {
                cached.expires_at = cached.expires_at.max(expires_at);
            }
            Some(_) => return Err(ReservoirFault::AssetsAlreadyRegistered.into()),
            None => {
                if state.assets.len() >= config.max_assets {
                    return Err(ReservoirFault::BufferCapacityLimit.into());
                }
                let packed = Bytes::from(repacked);
                state.assets.insert(id, CachedAsset { record: record.clone(), packed, expires_at });
                new += 1;
            }
        }
    }
    Ok(new)
}

/// bitmarkd's identity of two asset records (the signature is not compared).
fn same(a: &AssetData, b: &AssetData) -> bool {
    a.name == b.name
        && a.fingerprint == b.fingerprint
        && a.metadata == b.metadata
        && a.registrant == b.registrant
}

/// True if the asset is confirmed or cached.
pub(crate) fn exists(
    state: &State,
    view: &LedgerView<'_>,
    id: &AssetId,
) -> Result<bool, ReservoirError> {
    Ok(state.assets.contains_key(id) || query::asset(view.store, id.as_bytes())?.is_some())
}
