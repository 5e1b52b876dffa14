//! Block digest and header decode throughput.
//!
//! `cargo bench -p peerd-bitmark --bench digest -- --warm-up-time 1 --measurement-time 5`

#![allow(missing_docs, clippy::unwrap_used)] // benchmark harness

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use peerd_bitmark::batch_digests::verify_digests;
use peerd_bitmark::digest::{sha3_256, Argon2dHasher};
use peerd_bitmark::header::{self, Header};
use peerd_bitmark::params::ChainParams;

fn block(number: u64) -> Bytes {
    let header = Header {
        version: 5,
        transaction_count: 2,
        number,
        timestamp: 1_700_000_000,
        difficulty_bits: peerd_bitmark::difficulty::ONE_BITS,
        nonce: number.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        ..Header::default()
    };
    let mut b = header.pack().to_vec();
    b.extend_from_slice(&[0u8; 200]);
    Bytes::from(b)
}

fn argon2d(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2d");
    group.sample_size(10);
    let one = block(2);
    let mut hasher = Argon2dHasher::new();
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_core", |b| b.iter(|| hasher.digest(&one[..100]).unwrap()));

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let run: Vec<Bytes> = (2..2 + 2 * cores as u64).map(block).collect();
    group.throughput(Throughput::Elements(run.len() as u64));
    // `local`: Argon2d digests, proof of work not checked (these headers are not mined).
    group.bench_function(format!("all_cores_{cores}"), |b| {
        b.iter(|| verify_digests(&ChainParams::LOCAL, &run).unwrap())
    });
    group.finish();
}

fn dev(c: &mut Criterion) {
    let mut group = c.benchmark_group("dev_sha3");
    let one = block(2);
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_header", |b| b.iter(|| sha3_256(&one[..100])));
    let run: Vec<Bytes> = (2..10_002).map(block).collect();
    group.throughput(Throughput::Elements(run.len() as u64));
    group.bench_function("verify_10000", |b| {
        b.iter(|| verify_digests(&ChainParams::DEV, &run).unwrap())
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("header");
    let one = block(2);
    group.throughput(Throughput::Elements(1));
    group.bench_function("extract", |b| {
        b.iter(|| header::extract_header(std::hint::black_box(&one), 3, 1_700_000_000).unwrap())
    });
    group.finish();
}

criterion_group!(benches, argon2d, dev, decode);
criterion_main!(benches);
