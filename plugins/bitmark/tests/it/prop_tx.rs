//! Property tests: every record kind round-trips through pack → unpack, and the
//! decoders never panic on arbitrary or mutated bytes.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use peerd_bitmark::account::{Account, PrivateKey, Signature};
use peerd_bitmark::currency::{Currency, CurrencyMap};
use peerd_bitmark::genesis;
use peerd_bitmark::transaction::{
    AssetData, AssetId, BaseData, BitmarkIssue, BitmarkShare, BitmarkTransferCountersigned,
    BitmarkTransferUnratified, BlockFoundation, BlockOwnerTransfer, Link, Payment, ShareGrant,
    ShareSwap, Text, Transaction,
};
use peerd_bitmark::{base58, Fault};
use proptest::prelude::*;

/// Valid addresses (Bitcoin, Litecoin) for the live and the test network.
const LIVE: (&str, &str) =
    ("17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem", "LdwLvykqj2nUH3MWcut6mtjHxVxVFC7st5");
const TEST: (&str, &str) =
    ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "mmCKZS7toE69QgXNs1JZcjW6LFj8LfUbz6");

fn addresses(testnet: bool) -> (&'static str, &'static str) {
    if testnet {
        TEST
    } else {
        LIVE
    }
}

fn payments(testnet: bool) -> CurrencyMap {
    let (btc, ltc) = addresses(testnet);
    CurrencyMap::from([(Currency::Bitcoin, btc.to_owned()), (Currency::Litecoin, ltc.to_owned())])
}

fn escrow(testnet: bool) -> impl Strategy<Value = Option<Payment>> {
    let (btc, ltc) = addresses(testnet);
    prop_oneof![
        Just(None),
        (any::<bool>(), any::<u64>()).prop_map(move |(bitcoin, amount)| {
            let (currency, address) =
                if bitcoin { (Currency::Bitcoin, btc) } else { (Currency::Litecoin, ltc) };
            Some(Payment { currency, address: address.into(), amount })
        }),
    ]
}

/// Metadata that is a valid map: `key NUL value …`, no empty part, ≤ 2048 runes.
fn metadata() -> impl Strategy<Value = Text> {
    prop::collection::vec(("[a-z]{1,8}", "[^\u{0}]{1,16}"), 0..6).prop_map(|pairs| {
        let parts: Vec<String> = pairs.into_iter().flat_map(|(k, v)| [k, v]).collect();
        Text::from(parts.join("\0"))
    })
}

/// A record kind with valid fields, its signer and countersigner (None: none needed).
#[derive(Debug, Clone)]
struct Case {
    tx: Transaction,
    signer: PrivateKey,
    countersigner: Option<PrivateKey>,
}

fn record(testnet: bool) -> impl Strategy<Value = Case> {
    let keys = (any::<[u8; 32]>(), any::<[u8; 32]>())
        .prop_filter("two different keys", |(a, b)| a != b)
        .prop_map(move |(a, b)| {
            (PrivateKey::from_ed25519_seed(&a, testnet), PrivateKey::from_ed25519_seed(&b, testnet))
        });
    let fields =
        (any::<[u8; 32]>(), any::<[u8; 32]>(), 1..=u64::MAX, any::<u64>(), escrow(testnet));
    let texts = (prop::collection::vec(any::<u8>(), 0..=64), "[^\u{0}]{1,64}", metadata());
    (keys, 0u8..10, fields, texts).prop_map(move |((one, two), kind, fields, texts)| {
        let (link, other, quantity, number, escrow) = fields;
        let (name, fingerprint, metadata) = texts;
        let (a1, a2) = (one.account().expect("ed25519"), two.account().expect("ed25519"));
        let (link, other, sig) = (Link(link), Link(other), Signature::default);
        let (tx, countersigned): (Transaction, bool) = match kind {
            0 => {
                let (btc, _) = addresses(testnet);
                let tx = BaseData {
                    currency: Currency::Bitcoin,
                    payment_address: btc.into(),
                    owner: a1,
                    nonce: number,
                    signature: sig(),
                };
                (tx.into(), false)
            }
            1 => {
                let tx = AssetData {
                    name: name.into(),
                    fingerprint: fingerprint.into(),
                    metadata,
                    registrant: a1,
                    signature: sig(),
                };
                (tx.into(), false)
            }
            2 => {
                let asset_id = AssetId::of_fingerprint(fingerprint.as_bytes());
                (
                    BitmarkIssue { asset_id, owner: a1, nonce: number, signature: sig() }.into(),
                    false,
                )
            }
            3 => (
                BitmarkTransferUnratified { link, escrow, owner: a2, signature: sig() }.into(),
                false,
            ),
            4 => {
                let tx = BitmarkTransferCountersigned {
                    link,
                    escrow,
                    owner: a2,
                    signature: sig(),
                    countersignature: sig(),
                };
                (tx.into(), true)
            }
            5 => {
                let tx = BlockFoundation {
                    version: 1,
                    payments: payments(testnet),
                    owner: a1,
                    nonce: number,
                    signature: sig(),
                };
                (tx.into(), false)
            }
            6 => {
                let tx = BlockOwnerTransfer {
                    link,
                    escrow,
                    version: 1,
                    payments: payments(testnet),
                    owner: a2,
                    signature: sig(),
                    countersignature: sig(),
                };
                (tx.into(), true)
            }
            7 => (BitmarkShare { link, quantity, signature: sig() }.into(), false),
            8 => {
                let tx = ShareGrant {
                    share_id: link,
                    quantity,
                    owner: a1,
                    recipient: a2,
                    before_block: number,
                    signature: sig(),
                    countersignature: sig(),
                };
                (tx.into(), true)
            }
            _ => {
                let share_id_two = if other == link { Link::of(&link.0) } else { other };
                let tx = ShareSwap {
                    share_id_one: link,
                    quantity_one: quantity,
                    owner_one: a1,
                    share_id_two,
                    quantity_two: number.max(1),
                    owner_two: a2,
                    before_block: number,
                    signature: sig(),
                    countersignature: sig(),
                };
                (tx.into(), true)
            }
        };
        Case { tx, signer: one, countersigner: countersigned.then_some(two) }
    })
}

/// Signs a case and packs it with the right signer.
fn signed(case: &Case) -> (Transaction, Vec<u8>) {
    let mut tx = case.tx.clone();
    let packed =
        tx.sign_and_pack(&case.signer, case.countersigner.as_ref()).expect("sign and pack");
    (tx, packed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_record_round_trips(case in any::<bool>().prop_flat_map(record)) {
        let net = case.signer.is_testnet();
        let (tx, packed) = signed(&case);
        let (unpacked, used) = Transaction::unpack(&packed, net).expect("unpack");
        prop_assert_eq!(used, packed.len());
        prop_assert_eq!(&unpacked, &tx);
        let signer = case.signer.account().expect("account");
        prop_assert_eq!(unpacked.pack(&signer).expect("re-pack"), packed.clone());
        // A record with an account is bound to its network (shares carry none).
        let other = Transaction::unpack(&packed, !net);
        if !matches!(tx, Transaction::BitmarkShare(_)) {
            prop_assert!(other.is_err());
        }
    }

    #[test]
    fn a_wrong_signature_is_rejected(case in any::<bool>().prop_flat_map(record), flip in 0usize..64) {
        let (tx, _) = signed(&case);
        let mut bad = tx.clone();
        let signature = match &mut bad {
            Transaction::AssetData(r) => &mut r.signature,
            Transaction::BitmarkIssue(r) => &mut r.signature,
            Transaction::BitmarkShare(r) => &mut r.signature,
            Transaction::ShareGrant(r) => &mut r.countersignature,
            Transaction::ShareSwap(r) => &mut r.countersignature,
            Transaction::BitmarkTransferCountersigned(r) => &mut r.countersignature,
            _ => return Ok(()),
        };
        signature.0[flip] ^= 0x01;
        let signer = case.signer.account().expect("account");
        prop_assert_eq!(bad.pack(&signer), Err(Fault::InvalidSignature));
    }

    #[test]
    fn unpack_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for testnet in [false, true] {
            if let Ok((_, used)) = Transaction::unpack(&bytes, testnet) {
                prop_assert!(used <= bytes.len());
            }
        }
    }

    #[test]
    fn unpack_never_panics_on_mutated_records(
        case in any::<bool>().prop_flat_map(record),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let (_, mut bytes) = signed(&case);
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        let net = case.signer.is_testnet();
        if let Ok((tx, used)) = Transaction::unpack(&bytes, net) {
            prop_assert!(used <= bytes.len());
            // What was read decodes the same on its own.
            prop_assert_eq!(Transaction::unpack_exact(&bytes[..used], net), Ok(tx));
        }
    }

    #[test]
    fn accounts_and_base58_round_trip(key in any::<[u8; 32]>(), testnet in any::<bool>(), bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        let account = Account::ed25519(key, testnet);
        prop_assert_eq!(Account::from_bytes(&account.to_bytes()), Ok(account));
        prop_assert_eq!(Account::from_base58(&account.to_base58()), Ok(account));
        prop_assert_eq!(base58::decode(&base58::encode(&bytes)), bytes);
    }

    #[test]
    fn text_decoders_never_panic(text in "\\PC{0,120}") {
        let _ = base58::decode(&text);
        let _ = Account::from_base58(&text);
        let _ = PrivateKey::from_base58(&text);
        let _ = peerd_bitmark::seed::Seed::from_base58(&text);
        let _ = text.parse::<Link>();
        let _ = text.parse::<AssetId>();
    }
}

#[test]
fn genesis_base_records_unpack() {
    for (block, testnet) in [(genesis::LIVE, false), (genesis::TEST, true)] {
        let record = block.base_record();
        let tx = Transaction::unpack_exact(record, testnet).expect("genesis base record");
        assert_eq!(tx.record_name(), "BaseData");
        assert_eq!(
            Transaction::unpack(record, !testnet).map(|_| ()),
            Err(Fault::WrongNetworkForPublicKey)
        );
    }
}
