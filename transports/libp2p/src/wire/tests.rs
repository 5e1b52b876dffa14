use peerd_api::bytes::Bytes;

use super::*;

fn requests() -> Vec<Request> {
    vec![
        Request::Info,
        Request::Height,
        Request::Digest(u64::MAX),
        Request::Block(2),
        Request::Register(Registration {
            chain: "dev".into(),
            public_key: Bytes::from_static(&[7; 38]),
            listeners: Bytes::from_static(b"\x81\x42ab"),
            timestamp: 1_700_000_000,
        }),
        Request::Gossip(Item::new(
            ItemKind::Proof,
            vec![Bytes::from_static(&[1; 48]), Bytes::new()],
        )),
        Request::Gossip(Item::new(ItemKind::Custom("note-v1".into()), vec![])),
    ]
}

#[test]
fn requests_round_trip_with_their_chain() {
    for request in requests() {
        let bytes = encode_request("testing", request.clone());
        assert_eq!(decode_request(&bytes), Ok(("testing".to_owned(), request)));
    }
}

#[test]
fn responses_round_trip() {
    let mut raw = [0u8; 32];
    raw[0] = 0xab;
    let responses = vec![
        Response::Info(NodeInfo {
            version: "v".into(),
            chain: "dev".into(),
            normal: true,
            height: 9,
        }),
        Response::Height(1),
        Response::Digest(Digest(raw)),
        Response::Block(Bytes::from_static(&[3; 300])),
        Response::Ack,
        Response::Reply(vec![Bytes::from_static(b"a"), Bytes::new()]),
        Response::Error("invalid chain: actual: \"x\"  expect: dev".into()),
    ];
    for response in responses {
        assert_eq!(decode_response(&encode_response(response.clone())), Ok(response));
    }
}

#[test]
fn the_layout_is_the_documented_one() {
    // {"chain": "dev", "body": {"digest": 5}}
    let expected = [
        0xa2, 0x65, b'c', b'h', b'a', b'i', b'n', 0x63, b'd', b'e', b'v', 0x64, b'b', b'o', b'd',
        b'y', 0xa1, 0x66, b'd', b'i', b'g', b'e', b's', b't', 0x05,
    ];
    assert_eq!(encode_request("dev", Request::Digest(5)), expected);
    // "ack"
    assert_eq!(encode_response(Response::Ack), [0x63, b'a', b'c', b'k']);
}

#[test]
fn bad_bytes_give_errors_not_panics() {
    assert!(matches!(decode_request(b""), Err(WireError::Cbor(_))));
    assert!(matches!(decode_request(&[0xff, 0x00, 0x13]), Err(WireError::Cbor(_))));
    assert!(matches!(decode_response(&[0x9f; 1000]), Err(WireError::Cbor(_))));
    // A reply of the right shape with a short digest.
    let short = ciborium_bytes(&WireResponse::Digest(Bytes::from_static(&[1; 31])));
    assert_eq!(decode_response(&short), Err(WireError::DigestLength(31)));
    // A gossip item whose kind is reserved for requests.
    let wire = WireRequest {
        chain: "dev".into(),
        body: Body::Gossip { kind: "B".into(), params: vec![] },
    };
    assert!(matches!(decode_request(&ciborium_bytes(&wire)), Err(WireError::Kind(_))));
    // Every prefix of a valid message is refused.
    let full = encode_request("dev", requests()[4].clone());
    for end in 0..full.len() {
        assert!(decode_request(&full[..end]).is_err(), "prefix of {end} bytes");
    }
}

fn ciborium_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    to_cbor(value)
}

#[test]
fn the_largest_allowed_block_fits_in_a_frame() {
    let block = Response::Block(Bytes::from(vec![0; MAX_MESSAGE_BYTES - 1]));
    assert_eq!(block.wire_size(), MAX_MESSAGE_BYTES);
    assert!(encode_response(block).len() <= MAX_FRAME_BYTES);
}
