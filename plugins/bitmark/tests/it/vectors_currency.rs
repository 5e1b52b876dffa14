//! currency.json: payments maps and Bitcoin/Litecoin address validation.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
#[allow(unreachable_pub, clippy::print_stdout)]
// shared loader: several test crates; prints its case count
use common::{expected_error, hex_field, str_field, u64_field};
use peerd_bitmark::currency::{self, Currency, CurrencyMap, CurrencySet};
use serde_json::Value;

fn map(value: &Value) -> CurrencyMap {
    value
        .as_object()
        .expect("map")
        .iter()
        .map(|(k, v)| {
            let currency = Currency::from_u64(k.parse().expect("number")).expect("currency");
            (currency, v.as_str().expect("address").to_owned())
        })
        .collect()
}

fn set(value: &Value) -> CurrencySet {
    let currencies: Vec<Currency> = value
        .as_array()
        .expect("set")
        .iter()
        .map(|n| Currency::from_u64(n.as_u64().expect("number")).expect("currency"))
        .collect();
    CurrencySet::of(&currencies)
}

fn check_address(case: &Value, name: &str) {
    let currency = Currency::from_u64(u64_field(case, "currency")).expect("currency");
    let address = str_field(case, "address");
    let info = match currency {
        Currency::Bitcoin => currency::validate_bitcoin(address.as_bytes()),
        Currency::Litecoin => currency::validate_litecoin(address.as_bytes()),
        Currency::Nothing => panic!("{name}: no address check for Nothing"),
    };
    if !case["expected_valid"].as_bool().expect("expected_valid") {
        let text = expected_error(case).expect("error");
        assert_eq!(info.map_err(|e| e.to_string()), Err(text.to_owned()), "{name}");
        // Both networks reject it with the same text.
        for testnet in [false, true] {
            let result =
                currency.validate_address(address.as_bytes(), testnet).map_err(|e| e.to_string());
            assert_eq!(result, Err(text.to_owned()), "{name}");
        }
        return;
    }
    let info = info.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(u64::from(info.version), u64_field(case, "expected_version"), "{name}");
    assert_eq!(info.hash160.to_vec(), hex_field(case, "expected_hash160"), "{name}");
    let testnet = case["is_testnet"].as_bool().expect("is_testnet");
    let is_testnet = match currency {
        Currency::Bitcoin => currency::bitcoin_is_testnet(info.version),
        _ => currency::litecoin_is_testnet(info.version),
    };
    assert_eq!(is_testnet, testnet, "{name}");
    assert_eq!(currency.validate_address(address.as_bytes(), testnet), Ok(()), "{name}");
    let wrong = currency.validate_address(address.as_bytes(), !testnet).map_err(|e| e.to_string());
    let wrong_text = match currency {
        Currency::Bitcoin => "bitcoin address for wrong network",
        _ => "litecoin address for wrong network",
    };
    assert_eq!(wrong, Err(wrong_text.to_owned()), "{name}");
    if let Some(transform) = case.get("expected_transform") {
        let ours = currency::litecoin_transform(address).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ours, transform.as_str().expect("text"), "{name}: transform");
    }
}

#[test]
fn currency_vectors() {
    common::run("currency.json", |kind, case| {
        let name = str_field(case, "name");
        let testnet = case["testnet"].as_bool().unwrap_or(false);
        match kind {
            "map_pack" => {
                let m = map(&case["map"]);
                let packed =
                    currency::pack_map(&m, testnet).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(packed, hex_field(case, "expected_packed"), "{name}");
                let (unpacked, s) = currency::unpack_map(&packed, testnet).expect("round trip");
                assert_eq!((&unpacked, s), (&m, set(&case["expected_set"])), "{name}");
                assert_eq!(
                    serde_json::to_string(&m).expect("json"),
                    str_field(case, "expected_json"),
                    "{name}"
                );
            }
            "map_unpack" => {
                let result = currency::unpack_map(&hex_field(case, "packed"), testnet);
                match expected_error(case) {
                    None => {
                        let (m, s) = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                        assert_eq!(m, map(&case["expected_map"]), "{name}");
                        assert_eq!(s, set(&case["expected_set"]), "{name}");
                    }
                    Some(text) => assert_eq!(
                        result.map(|_| ()).map_err(|e| e.to_string()),
                        Err(text.to_owned())
                    ),
                }
            }
            "map_pack_error" => {
                let result = currency::pack_map(&map(&case["map"]), testnet)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                assert_eq!(result, Err(expected_error(case).expect("error").to_owned()), "{name}");
            }
            "address_validate" => check_address(case, name),
            _ => return false,
        }
        true
    });
}
