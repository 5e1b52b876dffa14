//! Payment currencies (`currency/`): the enumeration, address validation and the
//! payments map carried by block-foundation and block-owner-transfer records.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::transaction::text::rune_count;
use crate::Fault;

mod address;
mod map;

pub use address::{
    bitcoin_is_testnet, litecoin_is_testnet, litecoin_transform, validate_bitcoin,
    validate_litecoin, AddressInfo,
};
pub use map::{pack_map, unpack_map, unpack_map_within, CurrencyMap, CurrencySet};

/// Longest payment address, in Go runes.
pub const MAX_PAYMENT_ADDRESS_LENGTH: usize = 64;

/// A payment currency, numbered as on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// No currency (genesis records only).
    Nothing = 0,
    /// Bitcoin (`BTC`).
    Bitcoin = 1,
    /// Litecoin (`LTC`).
    Litecoin = 2,
}

impl Currency {
    /// The real currencies, in packing order.
    pub const ALL: [Currency; 2] = [Currency::Bitcoin, Currency::Litecoin];

    /// The currency with wire number `n` (bitmarkd's `FromUint64`; 0 is `Nothing`).
    ///
    /// # Errors
    /// `invalid currency` for numbers ≥ 3.
    pub fn from_u64(n: u64) -> Result<Self, Fault> {
        match n {
            0 => Ok(Currency::Nothing),
            1 => Ok(Currency::Bitcoin),
            2 => Ok(Currency::Litecoin),
            _ => Err(Fault::InvalidCurrency),
        }
    }

    /// The wire number.
    pub fn as_u64(self) -> u64 {
        self as u64
    }

    /// bitmarkd's text: `""`, `"BTC"`, `"LTC"`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Nothing => "",
            Currency::Bitcoin => "BTC",
            Currency::Litecoin => "LTC",
        }
    }

    /// Checks that `address` is a valid address of this currency for the network
    /// (bitmarkd's `ValidateAddress`; `Nothing` accepts anything short enough).
    ///
    /// # Errors
    /// `payment address too long` (> 64 runes), `invalid bitcoin address`,
    /// `bitcoin address for wrong network`, `invalid litecoin address`,
    /// `litecoin address for wrong network`.
    pub fn validate_address(self, address: &[u8], testnet: bool) -> Result<(), Fault> {
        if rune_count(address) > MAX_PAYMENT_ADDRESS_LENGTH {
            return Err(Fault::PaymentAddressTooLong);
        }
        match self {
            Currency::Nothing => Ok(()),
            Currency::Bitcoin => {
                let info = validate_bitcoin(address)?;
                if bitcoin_is_testnet(info.version) != testnet {
                    return Err(Fault::BitcoinAddressForWrongNetwork);
                }
                Ok(())
            }
            Currency::Litecoin => {
                let info = validate_litecoin(address)?;
                if litecoin_is_testnet(info.version) != testnet {
                    return Err(Fault::LitecoinAddressForWrongNetwork);
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// bitmarkd's text parse: case-insensitive `btc`/`bitcoin`, `ltc`/`litecoin`, `""`.
impl FromStr for Currency {
    type Err = Fault;

    fn from_str(text: &str) -> Result<Self, Fault> {
        match text.to_ascii_lowercase().as_str() {
            "" => Ok(Currency::Nothing),
            "btc" | "bitcoin" => Ok(Currency::Bitcoin),
            "ltc" | "litecoin" => Ok(Currency::Litecoin),
            _ => Err(Fault::InvalidCurrency),
        }
    }
}

/// Serialized as its code (`"BTC"`), also as a JSON map key.
impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_codes() {
        assert_eq!(Currency::from_u64(3), Err(Fault::InvalidCurrency));
        assert_eq!("Bitcoin".parse::<Currency>(), Ok(Currency::Bitcoin));
        assert_eq!(Currency::Litecoin.to_string(), "LTC");
        assert_eq!(Currency::Nothing.validate_address(b"anything", true), Ok(()));
        assert_eq!(
            Currency::Nothing.validate_address(&[b'a'; 65], true),
            Err(Fault::PaymentAddressTooLong)
        );
    }
}
