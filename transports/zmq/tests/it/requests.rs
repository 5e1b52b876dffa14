//! Every request form and error text of protocol §2, sent by an independent libzmq CURVE REQ
//! client (`REQ_CORRELATE`, `REQ_RELAXED`) to a listener served by the real kernel over a
//! dev chain of height 12.

#![allow(clippy::unwrap_used)]

use crate::common;
use common::{blocking, dev_chain, serve, text, RawClient};
use peerd_api::Chain;

const HEIGHT: u64 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_answered_as_bitmarkd_does() {
    let chain = dev_chain(HEIGHT);
    let served = serve(chain.clone());
    let (addr, key) = (served.addr, served.keys.public);
    let genesis = chain.genesis_digest();
    let digest5 = chain.digest(5).unwrap().unwrap();
    let block5 = chain.block(5).unwrap().unwrap();
    blocking(move || {
        let c = RawClient::curve(addr, &key);
        let be = |n: u64| n.to_be_bytes().to_vec();
        // I: JSON with bitmarkd's field order; extra frames are ignored.
        let info = c.ask(&[b"dev", b"I", b"extra"]);
        assert_eq!(
            text(&info),
            ["I", r#"{"version":"peerd-test 1.0","chain":"dev","normal":true,"height":12}"#]
        );
        // N: BE64 height.
        assert_eq!(c.ask(&[b"dev", b"N"]), [b"N".to_vec(), be(HEIGHT)]);
        // H: 0 and 1 are the genesis digest, raw order; above the height: not found.
        for n in [0, 1] {
            assert_eq!(c.ask(&[b"dev", b"H", &be(n)]), [b"H".to_vec(), genesis.0.to_vec()]);
        }
        assert_eq!(c.ask(&[b"dev", b"H", &be(5)]), [b"H".to_vec(), digest5.0.to_vec()]);
        assert_eq!(text(&c.ask(&[b"dev", b"H", &be(HEIGHT + 1)])), ["E", "block not found"]);
        // B: the stored bytes; block 1 (genesis) is never served.
        assert_eq!(c.ask(&[b"dev", b"B", &be(5)]), [b"B".to_vec(), block5.to_vec()]);
        assert_eq!(text(&c.ask(&[b"dev", b"B", &be(1)])), ["E", "block not found"]);
        assert_eq!(text(&c.ask(&[b"dev", b"B", &be(HEIGHT + 1)])), ["E", "block not found"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_and_gossip_are_answered() {
    let served = serve(dev_chain(3));
    let (addr, key, listeners) = (served.addr, served.keys.public, served.handle_listeners.clone());
    blocking(move || {
        let c = RawClient::curve(addr, &key);
        let ts = 1_750_000_000u64.to_be_bytes();
        // Under another key than the connection's CURVE key: refused (a departure from
        // bitmarkd, which cannot check it; docs/protocol.md).
        let foreign = c.ask(&[b"dev", b"R", b"dev", &[7; 32], &[], &ts]);
        assert_eq!(text(&foreign), ["E", "invalid public key"]);
        let own = c.public.unwrap();
        let reply = c.ask(&[b"dev", b"R", b"dev", &own, &[], &ts]);
        assert_eq!(reply.len(), 5, "R is answered with 5 frames: {:?}", text(&reply));
        assert_eq!(&reply[..4], [b"R".to_vec(), b"dev".to_vec(), key.to_vec(), listeners.to_vec()]);
        assert_eq!(reply[4].len(), 8, "BE64 timestamp");
        // Gossip, any command: [cmd, "A"] after the kernel handled it.
        for cmd in
            [&b"block"[..], b"assets", b"issues", b"transfer", b"proof", b"rpc", b"peer", b"note"]
        {
            assert_eq!(c.ask(&[b"dev", cmd, b"payload"]), [cmd.to_vec(), b"A".to_vec()]);
        }
        // A command no handler could take is still acknowledged.
        assert_eq!(c.ask(&[b"dev", b"\xff\xfe"]), [b"\xff\xfe".to_vec(), b"A".to_vec()]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_bitmarkds_error_texts() {
    let served = serve(dev_chain(3));
    let (addr, key) = (served.addr, served.keys.public);
    blocking(move || {
        let c = RawClient::curve(addr, &key);
        let ts = 1_750_000_000u64.to_be_bytes();
        let cases: Vec<(Vec<&[u8]>, &str)> = vec![
            (vec![b""], "packet too short"),
            (vec![b"dev"], "packet too short"),
            (vec![b"bitmark", b"N"], "invalid chain: actual: \"bitmark\"  expect: dev"),
            (vec![b"de\"v\n", b"N"], "invalid chain: actual: \"de\\\"v\\n\"  expect: dev"),
            (vec![b"dev", b"H"], "missing parameters"),
            (vec![b"dev", b"B", b"12345678", b"x"], "missing parameters"),
            (vec![b"dev", b"H", b"1234567"], "block not found"),
            (vec![b"dev", b"B", b"123456789"], "block not found"),
            (vec![b"dev", b"R", b"dev", b"k", b"l"], "missing parameters"),
            (vec![b"dev", b"R", b"testing", b"k", b"l", &ts], "incorrect chain"),
            // bitmarkd panics on a short timestamp; peerd answers with an error.
            (vec![b"dev", b"R", b"dev", b"k", b"l", b"1234"], "invalid timestamp"),
        ];
        for (frames, expect) in cases {
            assert_eq!(
                text(&c.ask(&frames)),
                ["E", expect],
                "request {:?}",
                text(&frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>())
            );
        }
        // The listener still serves this client normally afterwards.
        assert_eq!(text(&c.ask(&[b"dev", b"N"]))[0], "N");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_connections_and_bytes_are_counted() {
    let served = serve(dev_chain(3));
    let (addr, key) = (served.addr, served.keys.public);
    let meters = served.metrics.transport("zmq");
    let limit = std::time::Duration::from_secs(10);
    let (first, second) = blocking(move || {
        let (a, b) = (RawClient::curve(addr, &key), RawClient::curve(addr, &key));
        // `dev` `N`: 3 + 1 bytes in; the envelope and `N` + BE64 out.
        assert_eq!(a.ask(&[b"dev", b"N"]).len(), 2);
        assert_eq!(b.ask(&[b"dev", b"N"]).len(), 2);
        (a, b)
    })
    .await;
    let inbound = meters.inbound.clone();
    peerd_testkit::wait::wait_until("two inbound connections", limit, || inbound.get() == 2).await;
    assert!(meters.bytes_in.get() >= 8, "request frames counted: {}", meters.bytes_in.get());
    assert!(meters.bytes_out.get() >= 18, "reply frames counted: {}", meters.bytes_out.get());
    drop(first);
    peerd_testkit::wait::wait_until("one left", limit, || inbound.get() == 1).await;
    drop(second);
    peerd_testkit::wait::wait_until("none left", limit, || inbound.get() == 0).await;
}

/// One multipart message whose frames pass the 5 MB total is refused whole: it is read and
/// dropped frame by frame (never answered), and the listener goes on serving, the sender's
/// next request included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_message_over_the_total_is_dropped_whole() {
    let served = serve(dev_chain(3));
    let (addr, key) = (served.addr, served.keys.public);
    let meters = served.metrics.transport("zmq");
    let frame = vec![7u8; 1_000_000];
    let bomb: Vec<&[u8]> =
        [&b"dev"[..], b"block"].into_iter().chain(std::iter::repeat_n(&frame[..], 12)).collect();
    let bomb: Vec<Vec<u8>> = bomb.into_iter().map(<[u8]>::to_vec).collect();
    let (after, other) = blocking(move || {
        let c = RawClient::curve(addr, &key);
        c.socket.send_multipart(&bomb, 0).unwrap();
        // REQ_RELAXED lets the client ask again; the answer it gets is the `N`'s.
        let after = c.ask(&[b"dev", b"N"]);
        let other = RawClient::curve(addr, &key).ask(&[b"dev", b"N"]);
        (after, other)
    })
    .await;
    assert_eq!(after, [b"N".to_vec(), 3u64.to_be_bytes().to_vec()]);
    assert_eq!(other, [b"N".to_vec(), 3u64.to_be_bytes().to_vec()]);
    assert!(meters.bytes_in.get() >= 12_000_000, "the bomb was read: {}", meters.bytes_in.get());
}
