//! Block production for the test networks `dev` and `local` (chains without proof of work).
//!
//! A block is the foundation record (block owner, payment addresses, signed by the owner
//! key) followed by the given transactions, with the merkle root over their ids, a
//! timestamp from the injected clock (never earlier than the tip's), the difficulty bits
//! the chain requires and a zero nonce (proof of work is not checked on these chains).
//!
//! bitmarkd needs at least two transactions per block and produces nothing from an empty
//! pool. So that a test network can grow without clients, [`build_block`] given no
//! transactions adds one *filler* asset registration by the block owner, whose
//! fingerprint names the block position (`peerd-dev-block <number> <previous digest>`).
//!
//! [`select_acceptable`] picks, from a pool's candidate transactions, those the ledger
//! still accepts in one block (a stale pool entry — already confirmed, a double spend, an
//! unknown asset — is skipped instead of failing the whole block).

use std::collections::{HashMap, HashSet};

use peerd_api::{ChainError, Digest, DigestSource, Store};

use crate::account::{Account, PrivateKey};
use crate::currency::{Currency, CurrencyMap};
use crate::header::{self, Header, HEADER_LEN, MAXIMUM_TRANSACTIONS};
use crate::ledger::{self, tip, Tip};
use crate::params::ChainParams;
use crate::transaction::{
    AssetData, AssetId, BlockFoundation, Link, Transaction, FOUNDATION_VERSION,
};
use crate::{digest, merkle, rules, Fault};

/// Test-network Bitcoin address of the default producer (from bitmarkd's tests).
pub const DEV_BITCOIN_ADDRESS: &str = "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn";
/// Test-network Litecoin address of the default producer (from bitmarkd's tests).
pub const DEV_LITECOIN_ADDRESS: &str = "mmCKZS7toE69QgXNs1JZcjW6LFj8LfUbz6";

/// Who owns the produced blocks and where they are paid.
#[derive(Clone)]
pub struct ProducerConfig {
    /// The block owner's key; signs every foundation record.
    pub owner: PrivateKey,
    /// Payment addresses of the foundation record (one per currency, on the chain's network).
    pub payments: CurrencyMap,
}

impl std::fmt::Debug for ProducerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProducerConfig")
            .field("owner", &self.owner.account().map(|a| a.to_base58()))
            .field("payments", &self.payments)
            .finish()
    }
}

impl ProducerConfig {
    /// A deterministic owner key derived from a fixed phrase, with bitmarkd's test payment
    /// addresses. **For test networks only**: everyone knows this key.
    pub fn dev_default() -> Self {
        let seed = digest::sha3_256(b"peerd dev block owner - test networks only");
        let mut payments = CurrencyMap::new();
        payments.insert(Currency::Bitcoin, DEV_BITCOIN_ADDRESS.to_owned());
        payments.insert(Currency::Litecoin, DEV_LITECOIN_ADDRESS.to_owned());
        ProducerConfig { owner: PrivateKey::from_ed25519_seed(&seed.0, true), payments }
    }

    /// The block owner's account.
    ///
    /// # Errors
    ///
    /// `invalid key type` for a key without a public account.
    pub fn owner_account(&self) -> Result<Account, Fault> {
        self.owner.account().ok_or(Fault::InvalidKeyType)
    }
}

/// Builds a valid block on `tip` holding `transactions` (packed, verified records); with
/// none, a filler asset. Does not store it.
///
/// # Errors
///
/// [`ChainError::Unsupported`] on chains that check proof of work; [`ChainError::Invalid`]
/// when the owner key or payments do not fit the chain (e.g. a live key on a test chain)
/// or there are too many transactions.
pub fn build_block(
    store: &dyn Store,
    params: &ChainParams,
    tip: &Tip,
    config: &ProducerConfig,
    transactions: &[Vec<u8>],
    now_unix: u64,
) -> Result<Vec<u8>, ChainError> {
    if params.proof_of_work_checked() {
        return Err(ChainError::Unsupported("block production"));
    }
    let number = tip.height + 1;
    let owner = config.owner_account()?;
    let foundation = signed(
        BlockFoundation {
            version: FOUNDATION_VERSION,
            payments: config.payments.clone(),
            owner,
            nonce: number,
            signature: Default::default(),
        }
        .into(),
        config,
    )?;
    let filler;
    let transactions = if transactions.is_empty() {
        filler = [filler_asset(config, number, &tip.digest)?];
        &filler[..]
    } else {
        transactions
    };
    let count = u16::try_from(transactions.len() + 1)
        .ok()
        .filter(|c| *c <= MAXIMUM_TRANSACTIONS)
        .ok_or(Fault::TransactionCountOutOfRange)?;
    let mut ids = Vec::with_capacity(transactions.len() + 1);
    ids.push(Link::of(&foundation).into());
    ids.extend(transactions.iter().map(|t| Digest::from(Link::of(t))));
    let merkle_root = merkle::root(&ids).ok_or(Fault::MerkleRootDoesNotMatch)?;

    let version = header::CURRENT_VERSION.max(tip.version);
    let difficulty =
        if params.retarget_checked() && rules::is_block_to_adjust_difficulty(number, version) {
            tip::retarget(store, number)?
        } else {
            tip.difficulty
        };
    let header = Header {
        version,
        transaction_count: count,
        number,
        previous_block: tip.digest,
        merkle_root,
        timestamp: now_unix.max(tip.timestamp),
        difficulty_bits: difficulty.bits(),
        nonce: 0,
    };
    let size = HEADER_LEN + foundation.len() + transactions.iter().map(Vec::len).sum::<usize>();
    let mut block = Vec::with_capacity(size);
    block.extend_from_slice(&header.pack());
    block.extend_from_slice(&foundation);
    for t in transactions {
        block.extend_from_slice(t);
    }
    Ok(block)
}

/// The candidates (packed records, in inclusion order) that one block on `tip` can hold:
/// duplicates and records the ledger rejects are dropped, the order of the others kept.
///
/// The whole list is tried first (the usual case: one validation). If the ledger rejects
/// it, each candidate is tried on its own (an issue together with the asset of an earlier
/// accepted candidate it needs), a second spend of a link already spent by an accepted
/// candidate is dropped, and the survivors are tried together again; should that still
/// fail (share balances spent twice), they are added one at a time.
///
/// # Errors
///
/// As [`build_block`] (only errors that are not the candidates' fault: store errors,
/// an unusable producer configuration, a chain without production).
pub fn select_acceptable(
    store: &dyn Store,
    params: &ChainParams,
    tip: &Tip,
    config: &ProducerConfig,
    candidates: &[Vec<u8>],
    now_unix: u64,
) -> Result<Vec<Vec<u8>>, ChainError> {
    let limit = usize::from(MAXIMUM_TRANSACTIONS) - 1;
    let mut seen = HashSet::new();
    let unique: Vec<Vec<u8>> =
        candidates.iter().filter(|t| seen.insert(Link::of(t))).take(limit).cloned().collect();
    if unique.is_empty() || fits(store, params, tip, config, &unique, now_unix)? {
        return Ok(unique);
    }
    let testnet = params.is_testnet();
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(unique.len());
    let mut assets: HashMap<AssetId, Vec<u8>> = HashMap::new();
    let mut spent: HashSet<Link> = HashSet::new();
    for candidate in unique {
        let Ok(tx) = Transaction::unpack_exact(&candidate, testnet) else {
            continue;
        };
        let link = spent_link(&tx);
        if link.is_some_and(|l| spent.contains(&l)) {
            continue;
        }
        let mut trial = Vec::with_capacity(2);
        if let Transaction::BitmarkIssue(issue) = &tx {
            trial.extend(assets.get(&issue.asset_id).cloned());
        }
        trial.push(candidate.clone());
        if !fits(store, params, tip, config, &trial, now_unix)? {
            tracing::debug!(tx = %Link::of(&candidate), "producer skips a transaction the ledger rejects");
            continue;
        }
        if let Transaction::AssetData(asset) = &tx {
            assets.insert(AssetId::of_fingerprint(asset.fingerprint.as_bytes()), candidate.clone());
        }
        spent.extend(link);
        kept.push(candidate);
    }
    if fits(store, params, tip, config, &kept, now_unix)? {
        return Ok(kept);
    }
    let mut greedy: Vec<Vec<u8>> = Vec::with_capacity(kept.len());
    for candidate in kept {
        greedy.push(candidate);
        if !fits(store, params, tip, config, &greedy, now_unix)? {
            greedy.pop();
        }
    }
    Ok(greedy)
}

/// The link a record spends (transfers, shares, block-owner transfers).
fn spent_link(tx: &Transaction) -> Option<Link> {
    match tx {
        Transaction::BitmarkTransferUnratified(r) => Some(r.link),
        Transaction::BitmarkTransferCountersigned(r) => Some(r.link),
        Transaction::BlockOwnerTransfer(r) => Some(r.link),
        Transaction::BitmarkShare(r) => Some(r.link),
        _ => None,
    }
}

/// True if a block on `tip` holding `transactions` passes the ledger's checks.
fn fits(
    store: &dyn Store,
    params: &ChainParams,
    tip: &Tip,
    config: &ProducerConfig,
    transactions: &[Vec<u8>],
    now_unix: u64,
) -> Result<bool, ChainError> {
    let block = build_block(store, params, tip, config, transactions, now_unix)?;
    // The digest only names the block in the discarded batch; linkage is still checked.
    let now = now_unix.max(tip.timestamp);
    match ledger::prepare(store, params, tip, &block, DigestSource::Verified(Digest::ZERO), now) {
        Ok(_) => Ok(true),
        Err(ChainError::Invalid { fault }) => {
            tracing::debug!(%fault, count = transactions.len(), "candidate block refused");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Signs `tx` with the owner key and packs it.
fn signed(mut tx: Transaction, config: &ProducerConfig) -> Result<Vec<u8>, Fault> {
    tx.sign(&config.owner)?;
    tx.pack(&config.owner_account()?)
}

/// The filler asset of block `number` on top of `previous`.
fn filler_asset(config: &ProducerConfig, number: u64, previous: &Digest) -> Result<Vec<u8>, Fault> {
    let asset = AssetData {
        name: "peerd dev block".into(),
        fingerprint: format!("peerd-dev-block {number} {previous}").into(),
        metadata: "producer\0peerd".into(),
        registrant: config.owner_account()?,
        signature: Default::default(),
    };
    signed(asset.into(), config)
}
