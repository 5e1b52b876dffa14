//! Vector tests for the block-level encodings: varint.json, address.json, digest.json,
//! merkle.json (see tests/vectors/README.md).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
#[allow(unreachable_pub, clippy::print_stdout)] // shared loader; it prints the case counts
use common::{expected_error, hex_field, run, str_field, u64_field};
use peerd_api::Digest;
use peerd_bitmark::difficulty::Difficulty;
use peerd_bitmark::digest;
use peerd_bitmark::merkle;
use peerd_bitmark::varint;
use peerd_wire::address::{self, Connection};
use serde_json::Value;

fn digest_field(case: &Value, field: &str) -> Digest {
    Digest::from_slice(&hex_field(case, field)).unwrap()
}

fn digest_list(case: &Value, field: &str) -> Vec<Digest> {
    case[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Digest::from_slice(&hex::decode(v.as_str().unwrap()).unwrap()).unwrap())
        .collect()
}

fn i64_field(case: &Value, field: &str) -> i64 {
    case[field].as_i64().unwrap()
}

#[test]
fn varint_vectors() {
    run("varint.json", |kind, case| {
        match kind {
            "encode_decode" => {
                let value = u64_field(case, "value");
                let encoded = hex_field(case, "encoded");
                assert_eq!(varint::encode(value), encoded, "{case}");
                let count = u64_field(case, "decoded_count") as usize;
                assert_eq!(varint::from_varint64(&encoded), (value, count), "{case}");
                let suffix = &case["suffix_check"];
                let input = hex_field(suffix, "input");
                let (v, n) = varint::from_varint64(&input);
                assert_eq!((v, n as u64), (u64_field(suffix, "value"), u64_field(suffix, "count")));
                assert_eq!(input[n..], hex_field(suffix, "remainder")[..]);
            }
            "decode_truncated" => {
                let encoded = hex_field(case, "encoded");
                assert_eq!(varint::decode(&encoded), None, "{case}");
                let expected =
                    (u64_field(case, "expected_value"), u64_field(case, "expected_count"));
                let (v, n) = varint::from_varint64(&encoded);
                assert_eq!((v, n as u64), expected, "{case}");
            }
            "clipped" => {
                let encoded = hex_field(case, "encoded");
                let (min, max) = (i64_field(case, "minimum"), i64_field(case, "maximum"));
                let expected =
                    (i64_field(case, "expected_value"), i64_field(case, "expected_count"));
                let (v, n) = varint::clipped_varint64(&encoded, min, max);
                assert_eq!((v, n as i64), expected, "{case}");
                assert_eq!(
                    varint::decode_clipped(&encoded, min, max).is_some(),
                    expected != (0, 0)
                );
                let swapped = &case["swapped_range_expected"];
                let (v, n) = varint::clipped_varint64(
                    &encoded,
                    i64_field(swapped, "minimum"),
                    i64_field(swapped, "maximum"),
                );
                assert_eq!(
                    (v, n as i64),
                    (i64_field(swapped, "value"), i64_field(swapped, "count"))
                );
            }
            _ => return false,
        }
        true
    });
}

fn opt_text(case: &Value, field: &str) -> Option<String> {
    case[field].as_str().map(str::to_owned)
}

#[test]
fn address_vectors() {
    run("address.json", |kind, case| {
        match kind {
            "canonical" => {
                let conn = Connection::parse(str_field(case, "input")).unwrap();
                assert_eq!(conn.to_string(), str_field(case, "canonical"), "{case}");
                assert_eq!(conn.is_ipv6(), case["is_ipv6"].as_bool().unwrap(), "{case}");
                let packed = hex_field(case, "packed");
                assert_eq!(conn.pack(), packed, "{case}");
                let (back, used) = Connection::unpack(&packed).unwrap();
                assert_eq!((back, used), (conn, packed.len()));
                assert_eq!(back.to_string(), str_field(case, "canonical"));
            }
            "parse_error" => {
                let input = str_field(case, "input");
                let result = Connection::parse(input);
                assert!(result.is_err(), "{input:?} must be rejected, got {result:?}");
                if case["error_origin"] == "fault" {
                    assert_eq!(result.unwrap_err().to_string(), expected_error(case).unwrap());
                }
            }
            "unpack_list" => {
                let packed = hex_field(case, "packed");
                let (list, used) = address::unpack_list(&packed);
                let texts: Vec<String> = list.iter().map(ToString::to_string).collect();
                let expected: Vec<String> = case["addresses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(texts, expected, "{case}");
                assert_eq!(used as u64, u64_field(case, "consumed_bytes"));
                let (v4, v6) = address::unpack46(&packed);
                assert_eq!(v4.map(|c| c.to_string()), opt_text(case, "first_ipv4"));
                assert_eq!(v6.map(|c| c.to_string()), opt_text(case, "first_ipv6"));
                assert_eq!(address::pack_list(&list), packed[..used]);
            }
            _ => return false,
        }
        true
    });
}

#[test]
fn digest_vectors() {
    run("digest.json", |kind, case| {
        match kind {
            "argon2d" => {
                let d = digest::argon2d(&hex_field(case, "input")).unwrap();
                assert_eq!(d, digest_field(case, "raw"));
                assert_eq!(d.to_display_hex(), str_field(case, "display_hex"));
                assert_eq!(digest::json_text(&d), str_field(case, "json_text"));
            }
            "display_order" => {
                let d: Digest = str_field(case, "display_hex").parse().unwrap();
                assert_eq!(d, digest_field(case, "raw"));
                assert_eq!(digest::go_string(&d), str_field(case, "go_string"));
                assert_eq!(hex::encode(digest::to_big_endian(&d)), str_field(case, "big_int_hex"));
            }
            "smaller_digest_than" => {
                let (a, b) = (digest_field(case, "a"), digest_field(case, "b"));
                let expected = case["expected"].as_bool().unwrap();
                assert_eq!(digest::smaller_digest_than(&a, &b), expected, "{case}");
            }
            "valid_by_difficulty" => {
                let bits = u64::from_str_radix(str_field(case, "difficulty_bits"), 16).unwrap();
                let difficulty = Difficulty::from_bits(bits).unwrap();
                assert_eq!(hex::encode(difficulty.target()), str_field(case, "target_hex"));
                assert_eq!(difficulty.value(), case["difficulty_value"].as_f64().unwrap());
                let params =
                    peerd_bitmark::params::ChainParams::by_name(str_field(case, "chain")).unwrap();
                let d = digest_field(case, "digest");
                let expected = case["expected"].as_bool().unwrap();
                assert_eq!(params.proof_of_work_ok(&d, &difficulty), expected, "{case}");
            }
            "is_empty" => {
                let d = digest_field(case, "digest");
                assert_eq!(digest::is_empty(&d), case["expected"].as_bool().unwrap());
            }
            _ => return false,
        }
        true
    });
}

#[test]
fn smaller_digest_quirk_differs_from_numeric_order() {
    // a is numerically larger (its top byte wins) but has a smaller byte lower down.
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    a[31] = 2;
    b[31] = 1;
    b[0] = 9;
    let (a, b) = (Digest(a), Digest(b));
    assert!(digest::smaller_digest_than(&a, &b));
    assert_eq!(digest::numeric_cmp(&a, &b), std::cmp::Ordering::Greater);
    assert!(digest::smaller_digest_than(&b, &a));
}

#[test]
fn merkle_vectors() {
    run("merkle.json", |kind, case| {
        match kind {
            "sha3_256" => {
                let d = digest::sha3_256(&hex_field(case, "input"));
                assert_eq!(d, digest_field(case, "raw"));
                assert_eq!(d.to_display_hex(), str_field(case, "display_hex"));
            }
            "display_order" => {
                let link = merkle::parse_link(str_field(case, "display_hex")).unwrap();
                assert_eq!(link, digest_field(case, "raw"));
                assert_eq!(merkle::go_string(&link), str_field(case, "go_string"));
                if let Some(text) = case["json_text"].as_str() {
                    assert_eq!(digest::json_text(&link), text);
                    assert_eq!(merkle::link_from_json_text(text), Ok(link));
                }
                if let Some(json) = case["json_struct"].as_str() {
                    assert_eq!(json, format!("{{\"Link\":\"{}\"}}", digest::json_text(&link)));
                }
            }
            "invalid_link_text" => {
                let err = merkle::parse_link(str_field(case, "input")).unwrap_err();
                assert_eq!(err.to_string(), expected_error(case).unwrap());
            }
            "digest_from_bytes" => {
                let input = hex_field(case, "input");
                assert_eq!(merkle::link_from_bytes(&input), Ok(digest_field(case, "expected_raw")));
                assert_eq!(expected_error(case), None);
                let err = merkle::link_from_bytes(&input[1..]).unwrap_err();
                assert_eq!(err.to_string(), "not link");
            }
            "full_tree" => {
                let leaves = digest_list(case, "leaves_raw");
                let tree = merkle::full_tree(&leaves);
                assert_eq!(tree, digest_list(case, "expected_tree_raw"), "{}", case["name"]);
                let root = digest_field(case, "expected_root_raw");
                assert_eq!(tree.last(), Some(&root));
                assert_eq!(merkle::root(&leaves), Some(root));
            }
            "minimum_tree" => {
                let ids = digest_list(case, "ids_raw");
                let expected = digest_list(case, "expected_raw");
                assert_eq!(merkle::minimum_tree(&ids), Some(expected), "{}", case["name"]);
            }
            "path_fold" => {
                let start = digest_field(case, "start_raw");
                let siblings = digest_list(case, "siblings_raw");
                assert_eq!(
                    merkle::fold_path(&start, &siblings),
                    digest_field(case, "expected_root_raw")
                );
            }
            _ => return false,
        }
        true
    });
}
