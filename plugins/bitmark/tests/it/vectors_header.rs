//! Vector tests for blocks: header.json, validator.json, genesis.json, difficulty.json
//! (see tests/vectors/README.md).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use crate::common;
#[allow(unreachable_pub, clippy::print_stdout)] // shared loader; it prints the case counts
use common::{expected_error, hex_field, run, str_field, u64_field};
use peerd_api::Digest;
use peerd_bitmark::difficulty::{self, Difficulty};
use peerd_bitmark::header::{self, Header, HEADER_LEN};
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::transaction::Transaction;
use peerd_bitmark::{digest, rules};
use serde_json::Value;

/// Injected "now" for header checks: after every vector timestamp.
const NOW: u64 = 1_700_000_000;

fn digest_field(case: &Value, field: &str) -> Digest {
    Digest::from_slice(&hex_field(case, field)).unwrap()
}

fn bits_field(case: &Value, field: &str) -> u64 {
    u64::from_str_radix(str_field(case, field), 16).unwrap()
}

fn f64_bits_field(case: &Value, field: &str) -> f64 {
    f64::from_bits(bits_field(case, field))
}

fn header_from_fields(fields: &Value) -> Header {
    Header {
        version: u64_field(fields, "version") as u16,
        transaction_count: u64_field(fields, "transaction_count") as u16,
        number: u64_field(fields, "number"),
        previous_block: digest_field(fields, "previous_block"),
        merkle_root: digest_field(fields, "merkle_root"),
        timestamp: u64_field(fields, "timestamp"),
        difficulty_bits: bits_field(fields, "difficulty_bits"),
        nonce: u64_field(fields, "nonce"),
    }
}

fn header_array(bytes: &[u8]) -> [u8; HEADER_LEN] {
    bytes[..HEADER_LEN].try_into().unwrap()
}

#[test]
fn header_vectors() {
    run("header.json", |kind, case| {
        match kind {
            "pack_digest" => {
                let header = header_from_fields(&case["fields"]);
                let packed = header.pack();
                assert_eq!(packed[..], hex_field(case, "packed")[..]);
                assert_eq!(Header::unpack_unchecked(&packed), header);
                let d = digest::argon2d(&packed).unwrap();
                assert_eq!(d, digest_field(case, "digest_raw"));
                assert_eq!(d.to_display_hex(), str_field(case, "digest_display"));
                assert_eq!(header.to_go_json(), str_field(case, "json"));
            }
            "extract_truncated" => {
                let packed = hex_field(case, "packed");
                let expected = str_field(case, "expected_error_for_every_strict_prefix");
                for i in 0..packed.len() {
                    let err = header::extract_header(&packed[..i], 0, NOW).unwrap_err();
                    assert_eq!(err.to_string(), expected, "prefix of {i} bytes");
                }
            }
            "extract_header" => {
                let block = hex_field(case, "block");
                let check_height = u64_field(case, "check_height");
                let result = header::extract_header(&block, check_height, NOW);
                match expected_error(case) {
                    Some(text) => assert_eq!(result.unwrap_err().to_string(), text, "{case}"),
                    None => {
                        let (h, rest) = result.unwrap();
                        if case.get("expected_fields").is_some() {
                            assert_eq!(h, header_from_fields(&case["expected_fields"]));
                        }
                        let remainder = case
                            .get("expected_remainder")
                            .map(|_| hex_field(case, "expected_remainder"));
                        assert_eq!(rest, remainder.as_deref().unwrap_or(&block[HEADER_LEN..]));
                        if case.get("expected_digest_raw_when_not_skipped").is_some() {
                            let d = digest::argon2d(&block[..HEADER_LEN]).unwrap();
                            assert_eq!(
                                d,
                                digest_field(case, "expected_digest_raw_when_not_skipped")
                            );
                        }
                    }
                }
            }
            "nonce_json" => {
                assert_eq!(
                    header::nonce_json_text(u64_field(case, "nonce")),
                    str_field(case, "json_text")
                );
            }
            "foundation_txid" => {
                let id = header::foundation_txid(
                    u64_field(case, "block_number"),
                    &digest_field(case, "block_digest_raw"),
                );
                assert_eq!(id, digest_field(case, "expected_txid_raw"));
                assert_eq!(id.to_display_hex(), str_field(case, "expected_txid_display"));
            }
            _ => return false,
        }
        true
    });
}

fn check_result(result: Result<(), peerd_bitmark::Fault>, case: &Value) {
    assert_eq!(result.err().map(|f| f.to_string()).as_deref(), expected_error(case), "{case}");
}

#[test]
fn validator_vectors() {
    run("validator.json", |kind, case| {
        let version = |field| u64_field(case, field) as u16;
        match kind {
            "time_spacing" => check_result(
                rules::time_spacing(version("version"), u64_field(case, "time_spacing")),
                case,
            ),
            "incoming_difficulty" => {
                let incoming =
                    Difficulty::from_bits(bits_field(case, "header_difficulty_bits")).unwrap();
                assert_eq!(incoming.value(), case["header_difficulty_value"].as_f64().unwrap());
                let current =
                    Difficulty::from_value(case["current_difficulty_value"].as_f64().unwrap());
                assert_eq!(current.bits(), bits_field(case, "current_difficulty_bits"));
                let params = ChainParams::by_name(str_field(case, "chain")).unwrap();
                let result = rules::incoming_difficulty(
                    version("header_version"),
                    &incoming,
                    &current,
                    params.retarget_checked(),
                );
                check_result(result, case);
            }
            "difficulty_applied_version" => {
                let expected = case["expected"].as_bool().unwrap();
                assert_eq!(rules::is_difficulty_applied_version(version("version")), expected);
            }
            "header_version" => check_result(
                rules::header_version(version("current_version"), version("incoming_version")),
                case,
            ),
            "block_linkage" => check_result(
                rules::block_linkage(
                    &digest_field(case, "current_digest"),
                    &digest_field(case, "incoming_previous_digest"),
                ),
                case,
            ),
            "block_to_adjust_difficulty" => {
                let expected = case["expected"].as_bool().unwrap();
                let got = rules::is_block_to_adjust_difficulty(
                    u64_field(case, "height"),
                    version("version"),
                );
                assert_eq!(got, expected, "{case}");
            }
            "next_height" => check_result(
                rules::next_height(
                    u64_field(case, "expected_next_height"),
                    u64_field(case, "incoming_height"),
                ),
                case,
            ),
            _ => return false,
        }
        true
    });
}

#[test]
fn genesis_vectors() {
    run("genesis.json", |kind, case| {
        match kind {
            "genesis_block" => {
                let block = hex_field(case, "block");
                let raw = digest_field(case, "digest_raw");
                for chain in case["chains"].as_array().unwrap() {
                    let params = ChainParams::by_name(chain.as_str().unwrap()).unwrap();
                    let genesis = params.genesis();
                    assert_eq!(genesis.block(), &block[..]);
                    assert_eq!(genesis.header_bytes(), &hex_field(case, "header")[..]);
                    assert_eq!(genesis.base_record(), &hex_field(case, "base_record")[..]);
                    assert_eq!(params.genesis_digest(), raw);
                }
                // Computed once per block (128 MiB, ~0.3 s).
                let computed = digest::argon2d(&block[..HEADER_LEN]).unwrap();
                assert_eq!(computed, raw);
                assert_eq!(computed.to_display_hex(), str_field(case, "digest_display"));
                assert!(digest::meets_difficulty(&computed, &Difficulty::ONE));
                let header = Header::unpack(&header_array(&block), NOW).unwrap();
                assert_eq!(header.number, u64_field(case, "block_number"));
                assert!(header.is_genesis());
                assert_eq!(header.merkle_root, digest::sha3_256(&block[HEADER_LEN..]));
            }
            "genesis_header_fields" => {
                let bytes = hex_field(case, "header");
                let header = Header::unpack(&header_array(&bytes), NOW).unwrap();
                let fields = &case["expected_fields"];
                assert_eq!(header, header_from_fields(fields));
                assert_eq!(header::nonce_json_text(header.nonce).len(), 16);
                assert_eq!(format!("{:016x}", header.nonce), str_field(fields, "nonce_hex"));
                assert_eq!(ChainParams::BITMARK.genesis().header(), header);
            }
            "genesis_base_record" => check_base_record(case),
            "chain_mapping" => {
                let mapping = case["mapping"].as_object().unwrap();
                for (chain, raw) in mapping {
                    let params = ChainParams::by_name(chain).unwrap();
                    assert_eq!(hex::encode(params.genesis_digest().0), raw.as_str().unwrap());
                }
            }
            _ => return false,
        }
        true
    });
}

fn check_base_record(case: &Value) {
    let record = hex_field(case, "base_record");
    let testnet = case["testnet"].as_bool().unwrap();
    let id = digest::sha3_256(&record);
    assert_eq!(id, digest_field(case, "txid_raw"));
    assert_eq!(id.to_display_hex(), str_field(case, "txid_display"));
    assert!(record.starts_with(&hex_field(case, "unsigned_part")));
    let genesis = if testnet { ChainParams::TESTING } else { ChainParams::BITMARK };
    assert_eq!(genesis.genesis().base_record(), &record[..]);
    assert_eq!(genesis.genesis().header().merkle_root, id);

    let fields = &case["expected_fields"];
    let Transaction::BaseData(base) = Transaction::unpack_exact(&record, testnet).unwrap() else {
        panic!("genesis base record is not BaseData");
    };
    assert_eq!(base.currency as u64, u64_field(fields, "currency"));
    assert_eq!(base.payment_address.as_str(), Some(str_field(fields, "payment_address")));
    assert_eq!(base.owner.to_bytes(), hex_field(fields, "owner_bytes"));
    assert_eq!(base.owner.to_base58(), str_field(fields, "owner_base58"));
    assert_eq!(base.nonce, u64_field(fields, "nonce"));
    assert_eq!(base.signature.as_bytes(), &hex_field(fields, "signature")[..]);
    let err = Transaction::unpack_exact(&record, !testnet).unwrap_err();
    assert_eq!(err.to_string(), str_field(case, "expected_unpack_error_with_other_network"));
}

#[test]
fn difficulty_vectors() {
    run("difficulty.json", |kind, case| {
        match kind {
            "bits_to_value" => {
                let d = Difficulty::from_bits(u64_field(case, "bits_u64")).unwrap();
                assert_eq!(d.bits(), bits_field(case, "bits"));
                let expected = f64_bits_field(case, "expected_value_f64_bits");
                assert_eq!(d.value().to_bits(), expected.to_bits(), "{}", case["name"]);
                assert_eq!(hex::encode(d.target()), str_field(case, "expected_target_hex"));
                assert_eq!(d.to_string(), str_field(case, "expected_string"));
                assert_eq!(d.json_text(), str_field(case, "expected_json_text"));
                assert_eq!(Difficulty::from_json_text(&d.json_text()), Some(d));
            }
            "value_to_bits" => {
                // The bit pattern is authoritative (serde_json's float parsing is not exact).
                let value = f64_bits_field(case, "value_f64_bits");
                let d = Difficulty::from_value(value);
                assert_eq!(d.bits(), u64_field(case, "expected_bits_u64"), "{}", case["name"]);
                assert_eq!(d.bits(), bits_field(case, "expected_bits"));
                assert_eq!(
                    hex::encode(d.target()),
                    str_field(case, "expected_big_hex"),
                    "{}",
                    case["name"]
                );
                assert_eq!(d.to_string(), str_field(case, "expected_string"));
                assert_eq!(d.value().to_bits(), value.to_bits());
            }
            "set_bytes" => {
                let le: [u8; 8] = hex_field(case, "le_bytes").try_into().unwrap();
                let d = Difficulty::from_le_bytes(le).unwrap();
                assert_eq!(d.bits(), bits_field(case, "expected_bits"));
                assert_eq!(d.value(), case["exact_value_f64"].as_f64().unwrap());
                let approx = case["expected_value_approx"].as_f64().unwrap();
                assert!((d.value() - approx).abs() <= case["tolerance"].as_f64().unwrap());
            }
            "initial" => {
                let d = Difficulty::default();
                assert_eq!(d.bits(), bits_field(case, "expected_bits"));
                assert_eq!(d.value(), case["expected_value"].as_f64().unwrap());
                assert_eq!(hex::encode(d.target()), str_field(case, "expected_target_hex"));
                assert_eq!(Difficulty::from_bits(difficulty::ONE_BITS), Ok(d));
            }
            "prev_timespan" => {
                let expected = (u64_field(case, "expected_begin"), u64_field(case, "expected_end"));
                assert_eq!(
                    difficulty::prev_timespan_range(u64_field(case, "height")),
                    expected,
                    "{case}"
                );
            }
            "hashrate" => {
                let rate = difficulty::hashrate(case["difficulty_value"].as_f64().unwrap());
                assert_eq!(rate, case["expected"].as_f64().unwrap());
            }
            "next_difficulty" => {
                let next = difficulty::next_difficulty(
                    u64_field(case, "timespan_seconds"),
                    case["current_value"].as_f64().unwrap(),
                );
                assert_eq!(
                    next.to_bits(),
                    f64_bits_field(case, "expected_value_f64_bits").to_bits(),
                    "{case}"
                );
            }
            _ => return false,
        }
        true
    });
}
