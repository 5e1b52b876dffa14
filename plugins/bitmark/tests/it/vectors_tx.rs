//! transactions.json: every record kind packed, signed, unpacked, truncated and rejected
//! exactly as bitmarkd does.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
#[allow(unreachable_pub, clippy::print_stdout)]
// shared loader: several test crates; prints its case count
use std::collections::HashMap;

use common::{expected_error, hex_field, str_field, u64_field};
use peerd_bitmark::account::{Account, PrivateKey, Signature};
use peerd_bitmark::currency::{Currency, CurrencyMap};
use peerd_bitmark::transaction::{
    AssetData, AssetId, BaseData, BitmarkIssue, BitmarkShare, BitmarkTransferCountersigned,
    BitmarkTransferUnratified, BlockFoundation, BlockOwnerTransfer, Link, Payment, ShareGrant,
    ShareSwap, Transaction,
};
use peerd_bitmark::Fault;
use serde_json::Value;

fn hex_of(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex string")).expect("hex")
}

fn account(value: &Value) -> Account {
    Account::from_bytes(&hex_of(&value["bytes"])).expect("vector account")
}

fn link(value: &Value) -> Link {
    Link::from_slice(&hex_of(value)).expect("vector link")
}

fn text(value: &Value) -> peerd_bitmark::transaction::Text {
    value.as_str().expect("text field").into()
}

fn signature(fields: &Value, name: &str) -> Signature {
    fields.get(name).map(|v| Signature(hex_of(v))).unwrap_or_default()
}

fn payments(value: &Value) -> CurrencyMap {
    let map = value.as_object().expect("payments map");
    map.iter()
        .map(|(k, v)| {
            let currency =
                Currency::from_u64(k.parse().expect("currency number")).expect("currency");
            (currency, v.as_str().expect("address").to_owned())
        })
        .collect()
}

fn escrow(value: &Value) -> Option<Payment> {
    if value.is_null() {
        return None;
    }
    Some(Payment {
        currency: Currency::from_u64(u64_field(value, "currency")).expect("currency"),
        address: text(&value["address"]),
        amount: u64_field(value, "amount"),
    })
}

/// The record a vector's `fields` describe (signatures from the fields when present).
fn build(record_type: &str, f: &Value) -> Transaction {
    let sig = || signature(f, "signature");
    let counter = || signature(f, "countersignature");
    match record_type {
        "BaseData" => BaseData {
            currency: Currency::from_u64(u64_field(f, "currency")).expect("currency"),
            payment_address: text(&f["payment_address"]),
            owner: account(&f["owner"]),
            nonce: u64_field(f, "nonce"),
            signature: sig(),
        }
        .into(),
        "AssetData" => AssetData {
            name: text(&f["name"]),
            fingerprint: text(&f["fingerprint"]),
            metadata: text(&f["metadata"]),
            registrant: account(&f["registrant"]),
            signature: sig(),
        }
        .into(),
        "BitmarkIssue" => BitmarkIssue {
            asset_id: AssetId::from_slice(&hex_of(&f["asset_id"])).expect("asset id"),
            owner: account(&f["owner"]),
            nonce: u64_field(f, "nonce"),
            signature: sig(),
        }
        .into(),
        "BitmarkTransferUnratified" => BitmarkTransferUnratified {
            link: link(&f["link"]),
            escrow: escrow(&f["escrow"]),
            owner: account(&f["owner"]),
            signature: sig(),
        }
        .into(),
        "BitmarkTransferCountersigned" => BitmarkTransferCountersigned {
            link: link(&f["link"]),
            escrow: escrow(&f["escrow"]),
            owner: account(&f["owner"]),
            signature: sig(),
            countersignature: counter(),
        }
        .into(),
        "BlockFoundation" => BlockFoundation {
            version: u64_field(f, "version"),
            payments: payments(&f["payments"]),
            owner: account(&f["owner"]),
            nonce: u64_field(f, "nonce"),
            signature: sig(),
        }
        .into(),
        "BlockOwnerTransfer" => BlockOwnerTransfer {
            link: link(&f["link"]),
            escrow: escrow(&f["escrow"]),
            version: u64_field(f, "version"),
            payments: payments(&f["payments"]),
            owner: account(&f["owner"]),
            signature: sig(),
            countersignature: counter(),
        }
        .into(),
        "BitmarkShare" => BitmarkShare {
            link: link(&f["link"]),
            quantity: u64_field(f, "quantity"),
            signature: sig(),
        }
        .into(),
        "ShareGrant" => ShareGrant {
            share_id: link(&f["share_id"]),
            quantity: u64_field(f, "quantity"),
            owner: account(&f["owner"]),
            recipient: account(&f["recipient"]),
            before_block: u64_field(f, "before_block"),
            signature: sig(),
            countersignature: counter(),
        }
        .into(),
        "ShareSwap" => ShareSwap {
            share_id_one: link(&f["share_id_one"]),
            quantity_one: u64_field(f, "quantity_one"),
            owner_one: account(&f["owner_one"]),
            share_id_two: link(&f["share_id_two"]),
            quantity_two: u64_field(f, "quantity_two"),
            owner_two: account(&f["owner_two"]),
            before_block: u64_field(f, "before_block"),
            signature: sig(),
            countersignature: counter(),
        }
        .into(),
        other => panic!("unknown record type {other}"),
    }
}

fn key(seed_hex: &Value) -> PrivateKey {
    let seed: [u8; 32] = hex_of(seed_hex).try_into().expect("32-byte seed");
    PrivateKey::from_ed25519_seed(&seed, true)
}

/// Checks one field of our JSON against the vector's `expected_unpacked` form.
fn check_json_field(name: &str, expected: &Value, ours: &Value, case: &str) {
    let ok = match (name, expected) {
        (_, Value::Object(o)) if o.contains_key("base58") => ours == &o["base58"],
        ("link" | "share_id" | "share_id_one" | "share_id_two", Value::String(raw)) => {
            let mut bytes = hex::decode(raw).expect("hex");
            bytes.reverse();
            ours.as_str() == Some(hex::encode(bytes).as_str())
        }
        ("payments", Value::Object(map)) => map.iter().all(|(number, address)| {
            let code =
                Currency::from_u64(number.parse().expect("number")).expect("currency").code();
            &ours[code] == address
        }),
        ("currency", Value::Number(n)) => {
            ours.as_str()
                == Some(Currency::from_u64(n.as_u64().expect("n")).expect("currency").code())
        }
        ("escrow", Value::Object(e)) => {
            let code =
                Currency::from_u64(e["currency"].as_u64().expect("n")).expect("currency").code();
            ours["currency"] == code
                && ours["address"] == e["address"]
                && ours["amount"] == e["amount"]
        }
        _ => ours == expected,
    };
    assert!(ok, "{case}: JSON field {name}: expected {expected}, ours {ours}");
}

fn check_pack(case: &Value, name: &str) {
    let record_type = str_field(case, "record_type");
    let mut tx = build(record_type, &case["fields"]);
    let mut signer = None;
    for s in case["signers"].as_array().expect("signers") {
        let k = key(&s["ed25519_seed"]);
        match str_field(s, "role") {
            "signature" => {
                tx.sign(&k).expect("sign");
                signer = k.account();
            }
            "countersignature" => {
                assert!(tx.countersign(&k).expect("countersign"), "{name}: countersign")
            }
            role => panic!("{name}: unknown signer role {role}"),
        }
    }
    let signer = signer.expect("a signer");
    assert_eq!(tx.signing_message(true).unwrap(), hex_field(case, "unsigned"), "{name}: unsigned");
    assert_eq!(tx.signature().as_bytes(), hex_field(case, "signature"), "{name}: signature");
    if case.get("countersignature").is_some() {
        let message = tx.countersigning_message(true).unwrap().expect("countersigned kind");
        assert_eq!(
            message,
            hex_field(case, "countersigned_message"),
            "{name}: countersigned message"
        );
        let countersignature = tx.countersignature().expect("countersignature");
        assert_eq!(countersignature.as_bytes(), hex_field(case, "countersignature"), "{name}");
    } else {
        assert_eq!(tx.countersigning_message(true).unwrap(), None, "{name}");
    }
    let packed = hex_field(case, "packed");
    assert_eq!(tx.pack(&signer).unwrap(), packed, "{name}: packed");
    assert_eq!(packed.len() as u64, u64_field(case, "packed_length"), "{name}");
    let id = Link::of(&packed);
    assert_eq!(id.as_bytes().to_vec(), hex_field(case, "txid_raw"), "{name}: txid");
    assert_eq!(id.to_string(), str_field(case, "txid_display"), "{name}: txid display");
    assert_eq!(id.to_string().parse::<Link>(), Ok(id));

    // Unpack, for the test network and (expected to fail or not) the live one.
    let (unpacked, used) =
        Transaction::unpack(&packed, true).unwrap_or_else(|e| panic!("{name}: unpack: {e}"));
    assert_eq!((&unpacked, used), (&tx, packed.len()), "{name}: unpacked");
    let expected = &case["expected_unpacked"];
    assert_eq!(unpacked.tag(), u64_field(expected, "tag"), "{name}");
    assert_eq!(unpacked.record_type(), str_field(expected, "type"), "{name}");
    let json = serde_json::to_value(&unpacked).expect("json");
    assert_eq!(json["record"], unpacked.record_name(), "{name}");
    for (field, value) in expected.as_object().expect("object") {
        if field != "tag" && field != "type" {
            check_json_field(field, value, &json[field], name);
        }
    }
    let live = Transaction::unpack(&packed, false).map(|_| ()).map_err(|e| e.to_string());
    match expected_error_named(case, "expected_unpack_error_with_testnet_false") {
        None => assert!(live.is_ok(), "{name}: live unpack {live:?}"),
        Some(text) => assert_eq!(live, Err(text.to_owned()), "{name}: live unpack"),
    }

    // Trailing bytes are left for the caller; `unpack_exact` refuses them.
    let mut longer = packed.clone();
    longer.extend_from_slice(&[0x01, 0x02]);
    assert_eq!(Transaction::unpack(&longer, true).map(|(_, n)| n), Ok(packed.len()), "{name}");
    assert_eq!(Transaction::unpack_exact(&longer, true), Err(Fault::NotTransactionPack), "{name}");
    assert_eq!(Transaction::unpack_exact(&packed, true).as_ref(), Ok(&tx), "{name}");

    assert_eq!(case["all_strict_prefixes_fail"], true, "{name}");
    let prefix_error = str_field(case, "strict_prefix_error");
    for i in 0..packed.len() {
        let result = Transaction::unpack(&packed[..i], true).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(result, Err(prefix_error.to_owned()), "{name}: prefix of {i} bytes");
    }
    if let Some(asset_id) = case.get("asset_id") {
        let Transaction::AssetData(asset) = &tx else { panic!("{name}: asset id on a non-asset") };
        let id = AssetId::of_fingerprint(asset.fingerprint.as_bytes());
        assert_eq!(id.to_string(), asset_id.as_str().expect("hex"), "{name}: asset id");
    }
}

fn expected_error_named<'a>(case: &'a Value, field: &str) -> Option<&'a str> {
    case.get(field).and_then(Value::as_str)
}

fn check_pack_list(case: &Value, name: &str) {
    let k = key(&case["ed25519_seed"]);
    for record in case["records"].as_array().expect("records") {
        let mut fields = case["fields_common"].clone();
        fields["nonce"] = record["nonce"].clone();
        let mut tx = build(str_field(case, "record_type"), &fields);
        let packed = tx.sign_and_pack(&k, None).expect("sign and pack");
        assert_eq!(packed, hex_field(record, "packed"), "{name}: nonce {}", record["nonce"]);
        assert_eq!(Link::of(&packed).as_bytes().to_vec(), hex_field(record, "txid_raw"), "{name}");
    }
}

fn check_test_key(case: &Value, keys: &mut HashMap<String, Account>, name: &str) {
    let public_key = hex_field(case, "public_key");
    for (field, testnet) in [("account_testnet", true), ("account_live", false)] {
        let expected = &case[field];
        let account = Account::ed25519(public_key.clone().try_into().expect("32 bytes"), testnet);
        assert_eq!(account.to_bytes(), hex_of(&expected["bytes"]), "{name}: {field}");
        assert_eq!(account.to_base58(), str_field(expected, "base58"), "{name}: {field}");
        assert_eq!(Account::from_base58(str_field(expected, "base58")), Ok(account), "{name}");
        assert_eq!(account.is_testnet(), testnet);
    }
    let private = key(&case["ed25519_seed"]);
    if public_key.iter().any(|&b| b != 0) {
        assert_eq!(
            private.key_bytes(),
            hex_field(case, "private_key_go64"),
            "{name}: Go private key"
        );
    }
    let short = name.strip_prefix("key_").expect("key_ name");
    keys.insert(short.to_owned(), account(&case["account_testnet"]));
}

#[test]
fn transactions_vectors() {
    let mut keys = HashMap::new();
    // Keys first: pack_error cases name their signer.
    for case in common::cases("transactions.json") {
        if case["kind"] == "test_key" {
            check_test_key(&case, &mut keys, str_field(&case, "name"));
        }
    }
    common::run("transactions.json", |kind, case| {
        let name = str_field(case, "name");
        match kind {
            "test_key" => assert!(keys.contains_key(name.trim_start_matches("key_"))),
            "pack" => check_pack(case, name),
            "pack_list" => check_pack_list(case, name),
            "pack_error" => {
                let tx = build(str_field(case, "record_type"), &case["fields"]);
                let signer = keys.get(str_field(case, "signer_account")).expect("known signer");
                let result = tx.pack(signer).map(|_| ()).map_err(|e| e.to_string());
                assert_eq!(result, Err(expected_error(case).expect("error").to_owned()), "{name}");
            }
            "unpack_error" => {
                let testnet = case["testnet"].as_bool().expect("testnet");
                let result = Transaction::unpack(&hex_field(case, "record"), testnet)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                assert_eq!(result, Err(expected_error(case).expect("error").to_owned()), "{name}");
            }
            "asset_id_text" => {
                let id: AssetId = str_field(case, "text").parse().expect("asset id");
                assert_eq!(id.as_bytes().to_vec(), hex_field(case, "raw"), "{name}");
                assert_eq!(id.to_string(), str_field(case, "text"), "{name}");
                let json = serde_json::json!({ "AssetIdentifier": id }).to_string();
                assert_eq!(json, str_field(case, "json_struct"), "{name}");
            }
            "asset_id_invalid_text" => {
                let result = str_field(case, "input").parse::<AssetId>().map_err(|e| e.to_string());
                assert_eq!(result, Err(expected_error(case).expect("error").to_owned()), "{name}");
            }
            "asset_id_from_bytes" => {
                let result =
                    AssetId::from_slice(&hex_field(case, "input")).map_err(|e| e.to_string());
                match expected_error(case) {
                    None => assert_eq!(
                        result.map(|id| id.as_bytes().to_vec()),
                        Ok(hex_field(case, "expected_raw"))
                    ),
                    Some(text) => assert_eq!(result, Err(text.to_owned()), "{name}"),
                }
            }
            _ => return false,
        }
        true
    });
}
