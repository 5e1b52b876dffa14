//! account.json: accounts, private keys, Base58 and wallet recovery seeds.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
#[allow(unreachable_pub, clippy::print_stdout)]
// shared loader: several test crates; prints its case count
use common::{expected_error, hex_field, str_field, u64_field};
use peerd_bitmark::account::{Account, Algorithm, PrivateKey};
use peerd_bitmark::{base58, seed};
use serde_json::Value;

fn check_account(case: &Value, name: &str) {
    let bytes = hex_field(case, "account_bytes");
    let text = str_field(case, "base58");
    let account = Account::from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(account.to_bytes(), bytes, "{name}");
    assert_eq!(account.to_base58(), text, "{name}");
    assert_eq!(Account::from_base58(text), Ok(account), "{name}");
    assert_eq!(account.public_key(), hex_field(case, "public_key"), "{name}");
    assert_eq!(account.algorithm() as u64, u64_field(case, "algorithm"), "{name}");
    let algorithm =
        if u64_field(case, "algorithm") == 1 { Algorithm::Ed25519 } else { Algorithm::Nothing };
    assert_eq!(account.algorithm(), algorithm, "{name}");
    assert_eq!(account.is_testnet(), case["testnet"].as_bool().expect("testnet"), "{name}");
    assert_eq!(account.is_zero(), case["is_zero"].as_bool().expect("is_zero"), "{name}");
    assert_eq!(serde_json::to_value(account).expect("json"), case["json_text"], "{name}");
    let decoded = base58::decode(text);
    assert_eq!(decoded[decoded.len() - 4..], hex_field(case, "checksum"), "{name}: checksum");
}

fn check_private_key(case: &Value, name: &str) {
    let text = str_field(case, "base58");
    let key = PrivateKey::from_base58(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(key.key_bytes(), hex_field(case, "private_key"), "{name}");
    assert_eq!(key.to_bytes(), hex_field(case, "private_key_bytes"), "{name}");
    assert_eq!(key.to_base58(), text, "{name}");
    assert_eq!(key.is_testnet(), case["testnet"].as_bool().expect("testnet"), "{name}");
    assert_eq!(key.algorithm() as u64, u64_field(case, "algorithm"), "{name}");
    let account = key.account().expect("ed25519 account");
    assert_eq!(account.to_base58(), str_field(case, "derived_account_live"), "{name}");
    assert_eq!(PrivateKey::from_bytes(&key.to_bytes()), Ok(key.clone()), "{name}");
    // The key signs what its account verifies.
    let signature = key.sign(b"peerd").expect("sign");
    assert_eq!(account.check_signature(b"peerd", signature.as_bytes()), Ok(()), "{name}");
}

fn check_error(result: Result<(), String>, case: &Value, name: &str) {
    assert_eq!(result, Err(expected_error(case).expect("expected_error").to_owned()), "{name}");
}

#[test]
fn account_vectors() {
    common::run("account.json", |kind, case| {
        let name = str_field(case, "name");
        match kind {
            "account" => check_account(case, name),
            "private_key" => check_private_key(case, name),
            "account_invalid_base58" => {
                let result = Account::from_base58(str_field(case, "input"))
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                check_error(result, case, name);
            }
            "private_key_invalid_base58" => {
                let result = PrivateKey::from_base58(str_field(case, "input"))
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                check_error(result, case, name);
            }
            "base58_encode" => {
                assert_eq!(
                    base58::encode(&hex_field(case, "input")),
                    str_field(case, "expected"),
                    "{name}"
                );
            }
            "base58_decode" => {
                let input = str_field(case, "input");
                let expected = hex_field(case, "expected");
                assert_eq!(base58::decode(input), expected, "{name}");
                if expected.is_empty() {
                    assert_eq!(base58::try_decode(input), None, "{name}: invalid input");
                } else {
                    assert_eq!(base58::encode(&expected), input, "{name}: round trip");
                }
            }
            "seed" => {
                let key = seed::private_key_from_base58_seed(str_field(case, "seed"))
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(key.key_bytes(), hex_field(case, "expected_private_key"), "{name}");
                assert_eq!(key.is_testnet(), case["testnet"].as_bool().expect("testnet"), "{name}");
                let account = key.account().expect("account");
                assert_eq!(account.to_base58(), str_field(case, "expected_account"), "{name}");
            }
            "seed_invalid" => {
                let result = seed::Seed::from_base58(str_field(case, "seed"))
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                check_error(result, case, name);
            }
            "seed_phrase" => {
                let phrase = seed::phrase_from_base58_seed(str_field(case, "seed"))
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(phrase.join(" "), str_field(case, "expected_phrase"), "{name}");
            }
            _ => return false,
        }
        true
    });
}
