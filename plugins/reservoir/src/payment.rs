//! What a pay id must be paid, and whether an observed payment covers it
//! (bitmarkd's `reservoir/payment.go`, `acceptablePayment`, `currency/fees.go`).

use std::collections::BTreeMap;

use peerd_api::Store;
use peerd_bitmark::currency::{unpack_map, Currency};
use peerd_bitmark::ledger::query;

use crate::error::ReservoirError;

/// One payment to one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// The currency.
    pub currency: Currency,
    /// The address to pay.
    pub address: String,
    /// Amount in the currency's smallest unit.
    pub amount: u64,
}

/// Payments that must all be made in one currency transaction. A pay id's requirement is a
/// list of alternatives (one per currency); any one of them suffices.
pub type PaymentAlternative = Vec<Payment>;

/// A payment seen on a currency chain (bitmarkd's `PaymentDetail`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentDetail {
    /// The currency paid in.
    pub currency: Currency,
    /// The transaction id on the currency chain (for logs).
    pub tx_id: String,
    /// Amount paid to each address.
    pub amounts: BTreeMap<String, u64>,
}

/// bitmarkd's fee per record (`GetFee`): 10000 satoshi in Bitcoin, 100000 in Litecoin.
pub fn fee(currency: Currency) -> u64 {
    match currency {
        Currency::Nothing => 0,
        Currency::Bitcoin => 10_000,
        Currency::Litecoin => 100_000,
    }
}

/// True if `detail` pays every item of one alternative in its currency
/// (bitmarkd's `acceptablePayment` without auto-verify).
pub fn acceptable(detail: &PaymentDetail, alternatives: &[PaymentAlternative]) -> bool {
    alternatives.iter().any(|alternative| {
        !alternative.is_empty()
            && alternative.iter().all(|p| p.currency == detail.currency)
            && alternative
                .iter()
                .all(|p| detail.amounts.get(&p.address).copied().unwrap_or(0) >= p.amount)
    })
}

/// The fee of one record to the owner of block `number`, one entry per currency in packing
/// order; `None` for block 0 (no transfer yet) or a block without payment data.
pub(crate) fn block_segment(
    store: &dyn Store,
    number: u64,
    testnet: bool,
) -> Result<Option<Vec<Payment>>, ReservoirError> {
    if number == 0 {
        return Ok(None);
    }
    let Some(packed) = query::block_payments(store, number)? else {
        return Ok(None);
    };
    let (map, _) = unpack_map(&packed, testnet)?;
    Ok(Some(
        Currency::ALL
            .iter()
            .filter_map(|c| {
                map.get(c).map(|address| Payment {
                    currency: *c,
                    address: address.clone(),
                    amount: fee(*c),
                })
            })
            .collect(),
    ))
}

/// What `count` issues of an asset confirmed in block `asset_block` must pay: per currency,
/// the fee × `count` to that block's owner. `None` without payment data.
pub(crate) fn issue_payments(
    store: &dyn Store,
    asset_block: u64,
    count: usize,
    testnet: bool,
) -> Result<Option<Vec<PaymentAlternative>>, ReservoirError> {
    let Some(segment) = block_segment(store, asset_block, testnet)? else {
        return Ok(None);
    };
    let count = count as u64;
    Ok(Some(
        segment
            .into_iter()
            .map(|p| vec![Payment { amount: p.amount.saturating_mul(count), ..p }])
            .collect(),
    ))
}

/// bitmarkd's `getPayments` for a transfer: the issue block's owner, plus the last transfer
/// block's owner (or the issue block's owner twice when there is none; merged when the
/// addresses are equal), plus the escrow of the previous transfer, which restricts the
/// alternatives to its currency.
pub(crate) fn transfer_payments(
    store: &dyn Store,
    transfer_block: u64,
    issue_block: u64,
    escrow: Option<&Payment>,
    testnet: bool,
) -> Result<Vec<PaymentAlternative>, ReservoirError> {
    let issue = block_segment(store, issue_block, testnet)?.unwrap_or_default();
    let transfer = block_segment(store, transfer_block, testnet)?;
    let mut alternatives: Vec<PaymentAlternative> = Vec::with_capacity(issue.len());
    for first in issue {
        let mut alternative = vec![first.clone()];
        match transfer.as_ref().and_then(|t| t.iter().find(|p| p.currency == first.currency)) {
            None => alternative[0].amount = first.amount.saturating_mul(2),
            Some(t) if t.address == first.address => {
                alternative[0].amount = first.amount.saturating_add(t.amount)
            }
            Some(t) => alternative.push(t.clone()),
        }
        alternatives.push(alternative);
    }
    if let Some(escrow) = escrow {
        alternatives.retain(|a| a.first().is_some_and(|p| p.currency == escrow.currency));
        if let Some(alternative) = alternatives.first_mut() {
            alternative.push(escrow.clone());
        }
    }
    Ok(alternatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(currency: Currency, address: &str, amount: u64) -> Payment {
        Payment { currency, address: address.into(), amount }
    }

    #[test]
    fn a_payment_must_cover_one_whole_alternative() {
        let alternatives = vec![
            vec![pay(Currency::Bitcoin, "b1", 20), pay(Currency::Bitcoin, "b2", 5)],
            vec![pay(Currency::Litecoin, "l1", 200)],
        ];
        let detail = |currency, amounts: &[(&str, u64)]| PaymentDetail {
            currency,
            tx_id: "t".into(),
            amounts: amounts.iter().map(|(a, n)| (a.to_string(), *n)).collect(),
        };
        assert!(acceptable(&detail(Currency::Bitcoin, &[("b1", 20), ("b2", 5)]), &alternatives));
        assert!(!acceptable(&detail(Currency::Bitcoin, &[("b1", 20)]), &alternatives));
        assert!(!acceptable(&detail(Currency::Bitcoin, &[("b1", 19), ("b2", 5)]), &alternatives));
        assert!(acceptable(&detail(Currency::Litecoin, &[("l1", 250)]), &alternatives));
        assert!(!acceptable(&detail(Currency::Litecoin, &[("b1", 250)]), &alternatives));
        assert!(!acceptable(&detail(Currency::Bitcoin, &[("b1", 99)]), &[]));
    }
}
