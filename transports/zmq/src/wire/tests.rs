use peerd_api::ItemKind;

use super::*;

fn frames(parts: &[&[u8]]) -> Vec<Bytes> {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}

fn err(text: &str) -> Decoded {
    Decoded::Reply(frames(&[b"E", text.as_bytes()]))
}

fn forward(command: &str, request: Request) -> Decoded {
    Decoded::Forward { command: Bytes::copy_from_slice(command.as_bytes()), request }
}

#[test]
fn envelope_errors_are_bitmarkds() {
    assert_eq!(decode_request("bitmark", frames(&[])), err("packet too short"));
    assert_eq!(decode_request("bitmark", frames(&[b"bitmark"])), err("packet too short"));
    assert_eq!(
        decode_request("bitmark", frames(&[b"testing", b"N"])),
        err("invalid chain: actual: \"testing\"  expect: bitmark")
    );
    assert_eq!(
        decode_request("local", frames(&[b"a\"\xff\n", b"N"])),
        err("invalid chain: actual: \"a\\\"\\xff\\n\"  expect: local")
    );
}

#[test]
fn queries_decode_with_their_parameter_rules() {
    let be = 7u64.to_be_bytes();
    let chain = "bitmark";
    assert_eq!(
        decode_request(chain, frames(&[b"bitmark", b"I", b"x"])),
        forward("I", Request::Info)
    );
    assert_eq!(decode_request(chain, frames(&[b"bitmark", b"N"])), forward("N", Request::Height));
    assert_eq!(
        decode_request(chain, frames(&[b"bitmark", b"H", &be])),
        forward("H", Request::Digest(7))
    );
    assert_eq!(
        decode_request(chain, frames(&[b"bitmark", b"B", &be])),
        forward("B", Request::Block(7))
    );
    for cmd in [&b"H"[..], b"B"] {
        assert_eq!(decode_request(chain, frames(&[b"bitmark", cmd])), err("missing parameters"));
        assert_eq!(
            decode_request(chain, frames(&[b"bitmark", cmd, &be, &be])),
            err("missing parameters")
        );
        assert_eq!(
            decode_request(chain, frames(&[b"bitmark", cmd, b"1234567"])),
            err("block not found")
        );
    }
}

#[test]
fn registration_checks_count_chain_and_timestamp() {
    let ts = 1_700_000_000u64.to_be_bytes();
    let ok =
        decode_request("bitmark", frames(&[b"bitmark", b"R", b"bitmark", b"key", b"lst", &ts]));
    let reg = Registration {
        chain: "bitmark".into(),
        public_key: Bytes::from_static(b"key"),
        listeners: Bytes::from_static(b"lst"),
        timestamp: 1_700_000_000,
    };
    assert_eq!(ok, forward("R", Request::Register(reg)));
    let three = frames(&[b"bitmark", b"R", b"bitmark", b"key", b"lst"]);
    assert_eq!(decode_request("bitmark", three), err("missing parameters"));
    let other = frames(&[b"bitmark", b"R", b"testing", b"key", b"lst", &ts]);
    assert_eq!(decode_request("bitmark", other), err("incorrect chain"));
    let short = frames(&[b"bitmark", b"R", b"bitmark", b"key", b"lst", b"1234"]);
    assert_eq!(decode_request("bitmark", short), err("invalid timestamp"));
}

#[test]
fn other_commands_are_gossip_or_acknowledged() {
    let got = decode_request("bitmark", frames(&[b"bitmark", b"peer", b"a", b"b"]));
    let item = Item::new(ItemKind::Peer, frames(&[b"a", b"b"]));
    assert_eq!(got, forward("peer", Request::Gossip(item)));
    let odd = decode_request("bitmark", frames(&[b"bitmark", b"\xfe\xff", b"a"]));
    assert_eq!(odd, Decoded::Reply(frames(&[b"\xfe\xff", b"A"])));
}

#[test]
fn responses_encode_as_bitmarkd_frames() {
    let cmd = Bytes::from_static(b"transfer");
    let info =
        NodeInfo { version: "v<1>&".into(), chain: "bitmark".into(), normal: true, height: 9 };
    assert_eq!(
        encode_response(&cmd, Response::Info(info))[1],
        &br#"{"version":"v\u003c1\u003e\u0026","chain":"bitmark","normal":true,"height":9}"#[..]
    );
    assert_eq!(encode_response(&cmd, Response::Ack), frames(&[b"transfer", b"A"]));
    assert_eq!(
        encode_response(&cmd, Response::Height(258)),
        frames(&[b"N", &258u64.to_be_bytes()])
    );
    assert_eq!(
        encode_response(&cmd, Response::Error("block not found".into())),
        frames(&[b"E", b"block not found"])
    );
    let reg = Registration {
        chain: "bitmark".into(),
        public_key: Bytes::from_static(b"k"),
        listeners: Bytes::from_static(b"l"),
        timestamp: 5,
    };
    let encoded = encode_response(&cmd, Response::Register(reg));
    assert_eq!(encoded, frames(&[b"R", b"bitmark", b"k", b"l", &5u64.to_be_bytes()]));
}

#[test]
fn client_checks_replies() {
    let n = Request::Height;
    assert_eq!(decode_response(&n, frames(&[b"N", &3u64.to_be_bytes()])), Ok(Response::Height(3)));
    assert!(decode_response(&n, frames(&[b"N", b"123"])).is_err());
    assert!(decode_response(&n, frames(&[b"H", &3u64.to_be_bytes()])).is_err());
    assert!(decode_response(&n, frames(&[b"N"])).is_err());
    assert_eq!(
        decode_response(&n, frames(&[b"E", b"not available during synchronise"])),
        Ok(Response::Error("not available during synchronise".into()))
    );
    let push = Request::Gossip(Item::new(ItemKind::Block, vec![]));
    assert_eq!(decode_response(&push, frames(&[b"block", b"A"])), Ok(Response::Ack));
    let reg = Request::Register(Registration {
        chain: "bitmark".into(),
        public_key: Bytes::new(),
        listeners: Bytes::new(),
        timestamp: 0,
    });
    assert!(decode_response(&reg, frames(&[b"R", b"bitmark", b"k", b"l"])).is_err());
}

#[test]
fn request_frames_round_trip_through_the_server_decoder() {
    let requests = [
        Request::Info,
        Request::Height,
        Request::Digest(0),
        Request::Block(u64::MAX),
        Request::Gossip(Item::new(ItemKind::Custom("note".into()), frames(&[b"", b"x"]))),
    ];
    for request in requests {
        let command = Bytes::copy_from_slice(request.command().as_bytes());
        let decoded = decode_request("dev", encode_request("dev", &request));
        assert_eq!(decoded, Decoded::Forward { command, request });
    }
}
