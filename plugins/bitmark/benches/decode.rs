//! Transaction unpack throughput for a realistic mix of record kinds.
//!
//! The mix (per 100 records): 30 issues, 25 unratified transfers, 15 countersigned
//! transfers, 10 assets, 10 block foundations, 5 shares, 3 share grants, 2 share swaps.
//! Reported per record (elements/s) and per byte (bytes/s).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
#![allow(missing_docs)] // `criterion_group!` generates an undocumented function

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use peerd_bitmark::account::PrivateKey;
use peerd_bitmark::currency::{Currency, CurrencyMap};
use peerd_bitmark::transaction::{
    AssetData, AssetId, BitmarkIssue, BitmarkShare, BitmarkTransferCountersigned,
    BitmarkTransferUnratified, BlockFoundation, Link, ShareGrant, ShareSwap, Transaction,
};

const BTC: &str = "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn";
const LTC: &str = "mmCKZS7toE69QgXNs1JZcjW6LFj8LfUbz6";

fn signed(mut tx: Transaction, key: &PrivateKey, counter: Option<&PrivateKey>) -> Vec<u8> {
    tx.sign_and_pack(key, counter).expect("sign and pack")
}

fn mix() -> Vec<Vec<u8>> {
    let one = PrivateKey::from_ed25519_seed(&[1; 32], true);
    let two = PrivateKey::from_ed25519_seed(&[2; 32], true);
    let (a1, a2) = (one.account().expect("account"), two.account().expect("account"));
    let sig = Default::default;
    let mut records = Vec::new();
    for i in 0..100u64 {
        let link = Link::of(&i.to_le_bytes());
        let other = Link::of(&(i + 1000).to_le_bytes());
        let (tx, counter): (Transaction, Option<&PrivateKey>) = match i {
            0..=29 => (
                BitmarkIssue {
                    asset_id: AssetId::of_fingerprint(b"fp"),
                    owner: a1,
                    nonce: i,
                    signature: sig(),
                }
                .into(),
                None,
            ),
            30..=54 => (
                BitmarkTransferUnratified { link, escrow: None, owner: a2, signature: sig() }
                    .into(),
                None,
            ),
            55..=69 => (
                BitmarkTransferCountersigned {
                    link,
                    escrow: None,
                    owner: a2,
                    signature: sig(),
                    countersignature: sig(),
                }
                .into(),
                Some(&two),
            ),
            70..=79 => (
                AssetData {
                    name: format!("asset {i}").into(),
                    fingerprint: format!("01{i:0>60}").into(),
                    metadata: "description\0a realistic asset description".into(),
                    registrant: a1,
                    signature: sig(),
                }
                .into(),
                None,
            ),
            80..=89 => {
                let payments = CurrencyMap::from([
                    (Currency::Bitcoin, BTC.into()),
                    (Currency::Litecoin, LTC.into()),
                ]);
                (
                    BlockFoundation { version: 1, payments, owner: a1, nonce: i, signature: sig() }
                        .into(),
                    None,
                )
            }
            90..=94 => (BitmarkShare { link, quantity: 100 + i, signature: sig() }.into(), None),
            95..=97 => (
                ShareGrant {
                    share_id: link,
                    quantity: i,
                    owner: a1,
                    recipient: a2,
                    before_block: 1000,
                    signature: sig(),
                    countersignature: sig(),
                }
                .into(),
                Some(&two),
            ),
            _ => (
                ShareSwap {
                    share_id_one: link,
                    quantity_one: i,
                    owner_one: a1,
                    share_id_two: other,
                    quantity_two: i,
                    owner_two: a2,
                    before_block: 1000,
                    signature: sig(),
                    countersignature: sig(),
                }
                .into(),
                Some(&two),
            ),
        };
        records.push(signed(tx, &one, counter));
    }
    records
}

fn unpack(c: &mut Criterion) {
    let records = mix();
    let bytes: usize = records.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("unpack_mix");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("records", |b| {
        b.iter(|| {
            for record in &records {
                let decoded =
                    Transaction::unpack(std::hint::black_box(record), true).expect("valid record");
                std::hint::black_box(decoded);
            }
        })
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("bytes", |b| {
        b.iter(|| {
            for record in &records {
                let decoded =
                    Transaction::unpack(std::hint::black_box(record), true).expect("valid record");
                std::hint::black_box(decoded);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, unpack);
criterion_main!(benches);
