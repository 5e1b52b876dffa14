//! payid.json: pay ids (SHA3-384 of packed records) and pay nonces.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
#[allow(unreachable_pub, clippy::print_stdout)]
// shared loader: several test crates; prints its case count
use common::{expected_error, str_field, u64_field};
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::payid::{PayId, PayNonce};
use serde_json::Value;

fn hex_list(value: &Value) -> Vec<Vec<u8>> {
    value
        .as_array()
        .expect("list")
        .iter()
        .map(|p| hex::decode(p.as_str().expect("hex")).expect("hex"))
        .collect()
}

#[test]
fn payid_vectors() {
    common::run("payid.json", |kind, case| {
        let name = str_field(case, "name");
        match kind {
            "payid" => {
                let parts = hex_list(&case["parts"]);
                let id = PayId::new(&parts);
                assert_eq!(id.to_string(), str_field(case, "expected_payid"), "{name}");
                // Only the concatenation matters.
                assert_eq!(PayId::new([parts.concat()]), id, "{name}");
                if let Some(json) = case.get("expected_json") {
                    assert_eq!(
                        serde_json::to_string(&id).expect("json"),
                        json.as_str().expect("text"),
                        "{name}"
                    );
                }
            }
            "payid_text" => {
                let result = str_field(case, "input").parse::<PayId>().map_err(|e| e.to_string());
                match expected_error(case) {
                    None => assert_eq!(
                        result.map(|id| id.to_string()),
                        Ok(str_field(case, "expected_payid").to_owned())
                    ),
                    Some(text) => assert_eq!(result.map(|_| ()), Err(text.to_owned()), "{name}"),
                }
            }
            "pay_nonce_text" => match case.get("nonce") {
                Some(nonce) => {
                    let nonce: PayNonce = nonce.as_str().expect("hex").parse().expect("nonce");
                    let json = serde_json::to_string(&nonce).expect("json");
                    assert_eq!(json, str_field(case, "expected_json"), "{name}");
                    assert_eq!(json.trim_matches('"').parse::<PayNonce>(), Ok(nonce), "{name}");
                }
                None => {
                    let result =
                        str_field(case, "input").parse::<PayNonce>().map_err(|e| e.to_string());
                    assert_eq!(
                        result,
                        Err(expected_error(case).expect("error").to_owned()),
                        "{name}"
                    );
                }
            },
            "pay_nonce_from_chain" => {
                let chain = ChainParams::by_name(str_field(case, "chain")).expect("known chain");
                let height = u64_field(case, "height");
                assert_eq!(
                    PayNonce::rounded_height(height),
                    u64_field(case, "rounded_height"),
                    "{name}"
                );
                // At a fresh chain the only digest known is the genesis one (block 1).
                let genesis = chain.genesis_digest();
                let nonce = PayNonce::for_height(height, |n| (n == 1).then_some(genesis.0));
                assert_eq!(nonce.to_string(), str_field(case, "expected_nonce"), "{name}");
                assert_eq!(
                    serde_json::to_string(&nonce).expect("json"),
                    str_field(case, "expected_json"),
                    "{name}"
                );
            }
            "pay_nonce_rounded_height" => {
                let height = u64_field(case, "height");
                assert_eq!(
                    PayNonce::rounded_height(height),
                    u64_field(case, "expected_rounded_height"),
                    "{name}"
                );
            }
            _ => return false,
        }
        true
    });
}
