//! The payments map (`currency/mapped.go`): one address per currency.
//!
//! Packed as, for Bitcoin then Litecoin when present: `varint(currency) ‖ varint(len) ‖
//! address`. Unpacking accepts any order and, like bitmarkd, keeps the last address of a
//! repeated currency.

use std::collections::BTreeMap;

use super::Currency;
use crate::{varint, Fault};

/// Payment addresses by currency; serializes as `{"BTC": "...", "LTC": "..."}`.
pub type CurrencyMap = BTreeMap<Currency, String>;

/// A set of currencies (bitmarkd's `currency.Set`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CurrencySet(u8);

impl CurrencySet {
    /// The set holding `currencies`.
    pub fn of(currencies: &[Currency]) -> Self {
        let mut set = CurrencySet::default();
        for &currency in currencies {
            set.add(currency);
        }
        set
    }

    /// Adds `currency`; true when it was already there.
    pub fn add(&mut self, currency: Currency) -> bool {
        let bit = 1u8 << (currency as u8);
        let present = self.0 & bit != 0;
        self.0 |= bit;
        present
    }

    /// True when `currency` is in the set.
    pub fn contains(&self, currency: Currency) -> bool {
        self.0 & (1u8 << (currency as u8)) != 0
    }

    /// Number of currencies in the set.
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// True for the empty set.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
}

/// Packs `map` (bitmarkd's `Map.Pack`), validating each address for the network.
///
/// # Errors
/// An address error of [`Currency::validate_address`]; `invalid currency` when an entry
/// could not be packed (the `Nothing` currency or an empty address).
pub fn pack_map(map: &CurrencyMap, testnet: bool) -> Result<Vec<u8>, Fault> {
    let mut out = Vec::with_capacity(40 * map.len());
    let mut packed = 0;
    for currency in Currency::ALL {
        let Some(address) = map.get(&currency).filter(|a| !a.is_empty()) else {
            continue;
        };
        currency.validate_address(address.as_bytes(), testnet)?;
        varint::encode_into(currency.as_u64(), &mut out);
        varint::encode_into(address.len() as u64, &mut out);
        out.extend_from_slice(address.as_bytes());
        packed += 1;
    }
    if packed != map.len() {
        return Err(Fault::InvalidCurrency);
    }
    Ok(out)
}

/// Unpacks a whole buffer (bitmarkd's `UnpackMap`), validating each address.
///
/// # Errors
/// `invalid buffer` (< 2 bytes), `invalid currency`, `invalid count` (address length
/// not 1…255 or past the end), or an address error.
pub fn unpack_map(buffer: &[u8], testnet: bool) -> Result<(CurrencyMap, CurrencySet), Fault> {
    unpack_map_within(buffer, 0, buffer.len(), testnet).map_err(|fault| match fault {
        Fault::NotTransactionPack => Fault::InvalidCount,
        other => other,
    })
}

/// Unpacks the map in `record[start..end]` as bitmarkd does inside a transaction record:
/// an address may run past `end` into the rest of `record` (Go slices up to capacity);
/// running past the record is `not transaction pack`.
///
/// # Errors
/// As [`unpack_map`], with `not transaction pack` for an address past the record.
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub fn unpack_map_within(
    record: &[u8],
    start: usize,
    end: usize,
    testnet: bool,
) -> Result<(CurrencyMap, CurrencySet), Fault> {
    let end = end.min(record.len());
    if end < start.saturating_add(2) {
        return Err(Fault::InvalidBuffer);
    }
    let mut map = CurrencyMap::new();
    let mut set = CurrencySet::default();
    let mut n = start;
    let within = |n: usize| record.get(n..end).unwrap_or_default();
    while n < end {
        let (number, used) = varint::decode(within(n)).ok_or(Fault::InvalidCurrency)?;
        let currency = Currency::from_u64(number)?;
        if currency == Currency::Nothing {
            return Err(Fault::InvalidCurrency);
        }
        set.add(currency);
        n = n.saturating_add(used);
        let (length, used) =
            varint::decode_clipped(within(n), 1, 255).ok_or(Fault::InvalidCount)?;
        n = n.saturating_add(used);
        let length = usize::try_from(length).map_err(|_| Fault::InvalidCount)?;
        let address_end = n.checked_add(length).ok_or(Fault::NotTransactionPack)?;
        let address = record.get(n..address_end).ok_or(Fault::NotTransactionPack)?;
        n = address_end;
        currency.validate_address(address, testnet)?;
        // Valid addresses are Base58, hence ASCII: the conversion is lossless.
        map.insert(currency, String::from_utf8_lossy(address).into_owned());
    }
    Ok((map, set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_bad_buffers() {
        assert_eq!(unpack_map(&[1], true), Err(Fault::InvalidBuffer));
        assert_eq!(unpack_map(&[3, 0], true), Err(Fault::InvalidCurrency));
        assert_eq!(unpack_map(&[1, 0], true), Err(Fault::InvalidCount));
        assert_eq!(unpack_map(&[1, 5, b'a'], true), Err(Fault::InvalidCount));
    }

    #[test]
    fn nothing_cannot_be_packed() {
        let map = CurrencyMap::from([(Currency::Nothing, "x".to_owned())]);
        assert_eq!(pack_map(&map, true), Err(Fault::InvalidCurrency));
    }
}
