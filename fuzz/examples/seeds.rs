//! Writes the seed inputs of every target into `corpus/<target>/seed-*`, made with the
//! node's own encoders: `cd fuzz && cargo run --example seeds` (docs/fuzzing.md).

use std::path::Path;
use std::sync::Arc;

use peerd_api::{Chain, Digest, Item, ItemKind, NodeInfo, Registration, Request, Response};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::header::HEADER_LEN;
use peerd_bitmark::params::ChainParams;
use peerd_bitmark::transaction::Transaction;
use peerd_fuzz::pack_frames;
use peerd_transport_libp2p::libp2p::{Multiaddr, PeerId};
use peerd_wire::address::{pack_list, Connection};

fn write(target: &str, seeds: &[Vec<u8>]) {
    let dir = Path::new("corpus").join(target);
    std::fs::create_dir_all(&dir).expect("the corpus directory is writable");
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i}")), seed).expect("a seed file is writable");
    }
}

/// Blocks 2 and 3 of a generated `dev` chain.
fn blocks() -> Vec<Vec<u8>> {
    let store = peerd_fuzz::memory_store();
    let chain = BitmarkChain::open(store, ChainParams::DEV, Arc::new(peerd_fuzz::Late))
        .expect("a fresh dev chain opens");
    let mut traffic = peerd_bitmark::traffic::Traffic::new().expect("traffic keys");
    traffic.grow(&chain, 3, 1_700_000_000).expect("generated blocks are valid");
    (2..=3).map(|n| chain.block(n).expect("memory reads").expect("stored").to_vec()).collect()
}

fn records(block: &[u8]) -> Vec<Vec<u8>> {
    let count = u16::from_le_bytes([block[2], block[3]]);
    let mut rest = &block[HEADER_LEN..];
    let mut out = Vec::new();
    for _ in 0..count {
        let (_, used) = Transaction::unpack(rest, true).expect("a generated record unpacks");
        out.push(rest[..used].to_vec());
        rest = &rest[used..];
    }
    out
}

fn main() {
    let blocks = blocks();
    let records: Vec<Vec<u8>> = blocks.iter().flat_map(|b| records(b)).collect();
    let genesis = ChainParams::DEV.genesis().block().to_vec();
    let key = [7u8; 32];
    let listeners = pack_list(&[
        Connection::parse("127.0.0.1:2136").expect("an address"),
        Connection::parse("[::1]:2136").expect("an address"),
    ]);
    let ts = 1_700_000_000u64.to_be_bytes();
    let chain = b"bitmark".as_slice();

    write(
        "zmq_request",
        &[
            pack_frames(&[chain, b"I"]),
            pack_frames(&[chain, b"N"]),
            pack_frames(&[chain, b"H", &5u64.to_be_bytes()]),
            pack_frames(&[chain, b"B", &2u64.to_be_bytes()]),
            pack_frames(&[chain, b"R", b"P", &key, &listeners, &ts]),
            pack_frames(&[chain, b"block", &blocks[0]]),
            pack_frames(&[chain, b"peer", &key, &listeners, &ts]),
            pack_frames(&[b"testing", b"I"]),
        ],
    );
    let info = br#"{"version":"0.1","chain":"bitmark","normal":true,"height":7}"#;
    let with = |selector: u8, frames: &[&[u8]]| [vec![selector], pack_frames(frames)].concat();
    write(
        "zmq_response",
        &[
            with(0, &[b"I", info]),
            with(1, &[b"N", &7u64.to_be_bytes()]),
            with(2, &[b"H", &[3u8; 32]]),
            with(3, &[b"B", &blocks[0]]),
            with(4, &[b"R", chain, &key, &listeners, &ts]),
            with(5, &[b"block", b"A"]),
            with(1, &[b"E", b"block not found"]),
        ],
    );

    let registration = Registration {
        chain: "bitmark".into(),
        public_key: key.to_vec().into(),
        listeners: listeners.clone().into(),
        timestamp: 1_700_000_000,
    };
    let item = Item::new(ItemKind::Block, vec![blocks[0].clone().into()]);
    let requests = [
        Request::Info,
        Request::Height,
        Request::Digest(5),
        Request::Block(2),
        Request::Register(registration.clone()),
        Request::Gossip(item.clone()),
    ];
    use peerd_transport_libp2p::wire::{encode_params, encode_request, encode_response};
    write("libp2p_request", &requests.map(|r| encode_request("bitmark", r)));
    let info = NodeInfo { version: "0.1".into(), chain: "bitmark".into(), normal: true, height: 7 };
    let responses = [
        Response::Info(info),
        Response::Height(7),
        Response::Digest(Digest([3; 32])),
        Response::Block(blocks[0].clone().into()),
        Response::Register(registration),
        Response::Ack,
        Response::Reply(vec![b"x".to_vec().into()]),
        Response::Error("block not found".into()),
    ];
    write("libp2p_response", &responses.map(encode_response));
    let peer = PeerId::random();
    let addr: Multiaddr = "/ip4/127.0.0.1/tcp/2136".parse().expect("a multiaddr");
    let encoded = peerd_transport_libp2p::addrs::encode_listeners(&[addr]);
    write(
        "libp2p_gossip",
        &[
            [vec![0], encode_params(&item.params)].concat(),
            [vec![1], peer.to_bytes()].concat(),
            [vec![2], encoded.to_vec()].concat(),
        ],
    );

    write("header", &[genesis[..HEADER_LEN].to_vec(), blocks[0][..HEADER_LEN].to_vec()]);
    write("block", &blocks);
    write("transaction", &records);
    let accounts: Vec<Vec<u8>> = [1u8, 2]
        .iter()
        .flat_map(|seed| {
            let private = peerd_bitmark::account::PrivateKey::from_ed25519_seed(&[*seed; 32], true);
            let account = private.account().expect("an ed25519 key has an account");
            [account.to_bytes(), account.to_base58().into_bytes()]
        })
        .collect();
    write("account", &accounts);
    write("address", &[listeners.clone(), b"127.0.0.1:2136".to_vec(), b"[::1]:2136".to_vec()]);
    write("varint", &[0u64, 127, 128, 300, u64::MAX].map(peerd_bitmark::varint::encode));

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let zmq = peerd_transport_zmq::keys::generate(tmp.path()).expect("zmq keys");
    let identity = peerd_transport_libp2p::keys::generate(tmp.path()).expect("a libp2p identity");
    write(
        "keys",
        &[
            std::fs::read(zmq.public).expect("the key file"),
            std::fs::read(zmq.private).expect("the key file"),
            std::fs::read(identity).expect("the identity file"),
        ],
    );

    let configs = [
        "../config/default.toml",
        "../config/examples/memory.toml",
        "../config/examples/notes.toml",
        "../config/examples/single-sled.toml",
    ];
    write("config", &configs.map(|path| std::fs::read(path).expect("a config example")));

    let mut file = Vec::new();
    let header = peerd_node::db::blockfile::Header { chain: "dev".into(), first: 2, last: 3 };
    peerd_node::db::blockfile::write_header(&mut file, &header).expect("writes to a Vec");
    for (n, block) in (2..).zip(&blocks) {
        peerd_node::db::blockfile::write_block(&mut file, n, block).expect("writes to a Vec");
    }
    write("blockfile", &[file]);
    write("stored_records", &[vec![0; 16], vec![3, 1, 0, 5, 1, 2, 3, 1, 9, 9]]);
}
