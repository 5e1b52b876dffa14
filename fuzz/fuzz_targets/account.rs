//! Accounts, private keys and recovery seeds, in bytes and in Base58 text (config files,
//! records and `peerd inspect`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_bitmark::account::{Account, PrivateKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(account) = Account::from_bytes(data) {
        // Variant bits bitmarkd does not read (and non-minimal varints) are accepted, as
        // bitmarkd accepts them, so the bytes need not come back; the account must.
        let canonical = account.to_bytes();
        assert_eq!(Account::from_bytes(&canonical).ok(), Some(account));
        let text = account.to_base58();
        assert_eq!(Account::from_base58(&text).ok(), Some(account));
    }
    let _ = PrivateKey::from_bytes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Account::from_base58(text);
        let _ = PrivateKey::from_base58(text);
        let _ = peerd_bitmark::seed::Seed::from_base58(text);
        let _ = peerd_bitmark::base58::decode(text);
    }
});
