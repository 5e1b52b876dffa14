//! `transfer`: one transfer, share, share grant or share swap (bitmarkd's
//! `processTransfer`, `storeTransfer`/`verifyTransfer`, `storeGrant`, `storeSwap`).

use std::sync::Mutex;

use bytes::Bytes;
use peerd_bitmark::account::Account;
use peerd_bitmark::ledger::query;
use peerd_bitmark::payid::PayId;
use peerd_bitmark::transaction::{self as record, Link, Transaction};
use peerd_bitmark::Fault;

use crate::config::ReservoirConfig;
use crate::error::{ReservoirError, ReservoirFault};
use crate::payment::{self, Payment, PaymentAlternative};
use crate::state::{Entry, Group, PoolTx, State};
use crate::view::{LedgerView, Submitted};

/// Validates and holds the record at the front of `packed` (trailing bytes are ignored,
/// as bitmarkd does).
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
    let (tx, _) = Transaction::unpack(packed, view.testnet)?;
    let mut state = crate::state::lock(state);
    let (pool_tx, payments) = match &tx {
        Transaction::BitmarkTransferUnratified(_)
        | Transaction::BitmarkTransferCountersigned(_)
        | Transaction::BlockOwnerTransfer(_)
        | Transaction::BitmarkShare(_) => verify_transfer(&state, view, &tx)?,
        Transaction::ShareGrant(r) => {
            let packed = tx.pack(&r.owner)?;
            let owner = r.owner.to_bytes();
            check_balance(&state, view, &r.share_id, &owner, r.quantity)?;
            let payments = share_payments(view, &r.share_id)?;
            (pool_tx(packed, None, vec![(r.share_id, owner, r.quantity)]), payments)
        }
        Transaction::ShareSwap(r) => {
            let packed = tx.pack(&r.owner_one)?;
            let (one, two) = (r.owner_one.to_bytes(), r.owner_two.to_bytes());
            check_balance(&state, view, &r.share_id_one, &one, r.quantity_one)?;
            check_balance(&state, view, &r.share_id_two, &two, r.quantity_two)?;
            let payments = share_payments(view, &r.share_id_one)?;
            let spends =
                vec![(r.share_id_one, one, r.quantity_one), (r.share_id_two, two, r.quantity_two)];
            (pool_tx(packed, None, spends), payments)
        }
        _ => return Err(Fault::TransactionIsNotATransfer.into()),
    };
    let duplicate = match state.held_state(&pool_tx.id) {
        Some(true) => return Err(Fault::TransactionAlreadyExists.into()),
        Some(false) => true,
        None => false,
    };
    if query::transaction(view.store, pool_tx.id.as_bytes())?.is_some() {
        return Err(Fault::TransactionAlreadyExists.into());
    }
    let pay_id = PayId::new([&pool_tx.packed]);
    if let Some(entry) = state.entries.get(&pay_id) {
        return Ok(Submitted {
            pay_id,
            duplicate: true,
            verified: entry.verified,
            payments: entry.payments.clone(),
            proof: None,
        });
    }
    if duplicate {
        return Err(Fault::TransactionAlreadyExists.into());
    }
    let entry = Entry {
        group: Group::Transfer,
        txs: vec![pool_tx],
        payments: payments.clone(),
        difficulty: None,
        proof: None,
        expires_at: now.saturating_add(config.expiry_seconds),
        verified: false,
        seq: state.next_seq(),
    };
    let verified = state.admit(config, pay_id, entry)?;
    tracing::debug!(%pay_id, verified, "transfer held");
    Ok(Submitted { pay_id, duplicate: false, verified, payments, proof: None })
}

fn pool_tx(packed: Vec<u8>, link: Option<Link>, spends: Vec<(Link, Vec<u8>, u64)>) -> PoolTx {
    PoolTx { id: Link::of(&packed), packed: Bytes::from(packed), asset: None, link, spends }
}

/// bitmarkd's `verifyTransfer`: the link must be a confirmed record this kind may follow,
/// still owned by its owner, not spent by another held transfer.
fn verify_transfer(
    state: &State,
    view: &LedgerView<'_>,
    tx: &Transaction,
) -> Result<(PoolTx, Vec<PaymentAlternative>), ReservoirError> {
    let link = spent_link(tx).ok_or(Fault::TransactionIsNotATransfer)?;
    let (_, previous) = query::transaction(view.store, link.as_bytes())?
        .ok_or(Fault::LinkToInvalidOrUnconfirmedTransaction)?;
    let (previous, _) = Transaction::unpack(&previous, view.testnet)
        .map_err(|_| Fault::LinkToInvalidOrUnconfirmedTransaction)?;
    let block_owner = matches!(tx, Transaction::BlockOwnerTransfer(_));
    let (owner, escrow): (Account, Option<&record::Payment>) = match (&previous, block_owner) {
        (Transaction::BitmarkIssue(p), false) => (p.owner, None),
        (Transaction::BitmarkTransferUnratified(p), false) => (p.owner, p.escrow.as_ref()),
        (Transaction::BitmarkTransferCountersigned(p), false) => (p.owner, p.escrow.as_ref()),
        (Transaction::BaseData(p), true) => (p.owner, None),
        (Transaction::BlockFoundation(p), true) => (p.owner, None),
        (Transaction::BlockOwnerTransfer(p), true) => (p.owner, p.escrow.as_ref()),
        _ => return Err(Fault::LinkToInvalidOrUnconfirmedTransaction.into()),
    };
    let packed = tx.pack(&owner)?;
    let id = Link::of(&packed);
    if id == link {
        return Err(ReservoirFault::TransactionLinksToSelf.into());
    }
    if state.links.get(&link).is_some_and(|spender| *spender != id) {
        return Err(Fault::DoubleTransferAttempt.into());
    }
    // Duplicates before ownership, as bitmarkd: a confirmed transfer is "already exists".
    if state.held_state(&id) == Some(true)
        || query::transaction(view.store, id.as_bytes())?.is_some()
    {
        return Err(Fault::TransactionAlreadyExists.into());
    }
    if !query::owns(view.store, &owner.to_bytes(), link.as_bytes())? {
        return Err(Fault::DoubleTransferAttempt.into());
    }
    let data =
        query::owner_data(view.store, link.as_bytes())?.ok_or(Fault::DoubleTransferAttempt)?;
    let escrow = escrow.map(|e| Payment {
        currency: e.currency,
        address: String::from_utf8_lossy(e.address.as_bytes()).into_owned(),
        amount: e.amount,
    });
    let payments = payment::transfer_payments(
        view.store,
        data.transfer_block,
        data.issue_block,
        escrow.as_ref(),
        view.testnet,
    )?;
    Ok((pool_tx(packed, Some(link), Vec::new()), payments))
}

/// The link a record spends.
pub(crate) fn spent_link(tx: &Transaction) -> Option<Link> {
    match tx {
        Transaction::BitmarkTransferUnratified(r) => Some(r.link),
        Transaction::BitmarkTransferCountersigned(r) => Some(r.link),
        Transaction::BlockOwnerTransfer(r) => Some(r.link),
        Transaction::BitmarkShare(r) => Some(r.link),
        _ => None,
    }
}

/// The confirmed balance less what held grants and swaps spend must cover `quantity`.
fn check_balance(
    state: &State,
    view: &LedgerView<'_>,
    share: &Link,
    owner: &[u8],
    quantity: u64,
) -> Result<(), ReservoirError> {
    if quantity == 0 {
        return Err(Fault::ShareQuantityTooSmall.into());
    }
    let balance = query::share_balance(view.store, share.as_bytes(), owner)?;
    if balance.saturating_sub(state.spent(share, owner)) < quantity {
        return Err(Fault::InsufficientShares.into());
    }
    Ok(())
}

/// Payments for a grant or swap: as for a transfer of the share's bitmark.
fn share_payments(
    view: &LedgerView<'_>,
    share: &Link,
) -> Result<Vec<PaymentAlternative>, ReservoirError> {
    let Some((_, share_tx)) = query::share(view.store, share.as_bytes())? else {
        return Err(Fault::InsufficientShares.into());
    };
    match query::owner_data(view.store, &share_tx)? {
        Some(data) => Ok(payment::transfer_payments(
            view.store,
            data.transfer_block,
            data.issue_block,
            None,
            view.testnet,
        )?),
        None => Ok(Vec::new()),
    }
}
