use super::*;

fn addr(s: &str) -> Multiaddr {
    s.parse().unwrap()
}

#[test]
fn listener_lists_round_trip_without_p2p_suffixes() {
    let peer = PeerId::random();
    let with_suffix = addr(&format!("/ip4/10.0.0.1/tcp/2137/p2p/{peer}"));
    let list = vec![addr("/ip4/192.0.2.1/tcp/1"), addr("/ip6/2001:db8::1/tcp/2"), with_suffix];
    let decoded = decode_listeners(&encode_listeners(&list), &peer).unwrap();
    assert_eq!(
        decoded,
        vec![
            addr("/ip4/192.0.2.1/tcp/1"),
            addr("/ip6/2001:db8::1/tcp/2"),
            addr("/ip4/10.0.0.1/tcp/2137")
        ]
    );
    assert_eq!(decode_listeners(&encode_listeners(&[]), &peer).unwrap(), vec![]);
}

#[test]
fn bad_listener_lists_and_keys_are_refused() {
    let peer = PeerId::random();
    assert!(matches!(decode_listeners(b"\xff", &peer), Err(AddrError::Encoding(_))));
    let garbage = Bytes::from(crate::wire::encode_params(&[Bytes::from_static(b"\x99\x99")]));
    assert!(matches!(
        decode_listeners(&garbage, &peer),
        Err(AddrError::Multiaddr { index: 0, .. })
    ));
    let many: Vec<Bytes> =
        (0..=MAX_LISTENERS).map(|_| Bytes::from(addr("/ip4/1.2.3.4/tcp/1").to_vec())).collect();
    let many = crate::wire::encode_params(&many);
    assert_eq!(decode_listeners(&many, &peer), Err(AddrError::TooMany(MAX_LISTENERS + 1)));
    let other = encode_listeners(&[]);
    assert!(decode_listeners(&other, &peer).is_ok());
    let foreign = crate::wire::encode_params(&[Bytes::from(
        addr(&format!("/ip4/1.2.3.4/tcp/1/p2p/{}", PeerId::random())).to_vec(),
    )]);
    assert!(matches!(decode_listeners(&foreign, &peer), Err(AddrError::OtherPeer { .. })));
    assert_eq!(decode_key(&peer.to_bytes()), Ok(peer));
    assert!(matches!(decode_key(b"not a peer id"), Err(AddrError::Key(_))));
}

#[test]
fn only_dialable_addresses_are_announced() {
    let listen = [
        addr("/ip4/0.0.0.0/tcp/1"),
        addr("/ip4/127.0.0.1/tcp/1"),
        addr("/ip6/fe80::1/tcp/1"),
        addr("/ip4/192.0.2.5/tcp/1"),
        addr("/ip6/::1/tcp/1"),
        addr("/ip6/2001:db8::5/tcp/1"),
        addr("/ip4/192.0.2.5/tcp/1"),
    ];
    assert_eq!(
        announceable(&listen),
        vec![addr("/ip4/192.0.2.5/tcp/1"), addr("/ip6/2001:db8::5/tcp/1")]
    );
    // Loopback only when there is nothing else.
    let local = [addr("/ip4/127.0.0.1/tcp/7"), addr("/ip4/0.0.0.0/tcp/7")];
    assert_eq!(announceable(&local), vec![addr("/ip4/127.0.0.1/tcp/7")]);
    assert_eq!(announceable(&[addr("/ip4/0.0.0.0/tcp/7")]), vec![]);
}

#[test]
fn unspecified_addresses_expand_to_each_interface_of_their_family() {
    let ips: Vec<IpAddr> =
        vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap(), "192.0.2.9".parse().unwrap()];
    assert_eq!(
        expand(&addr("/ip4/0.0.0.0/tcp/5"), &ips),
        vec![addr("/ip4/127.0.0.1/tcp/5"), addr("/ip4/192.0.2.9/tcp/5")]
    );
    assert_eq!(expand(&addr("/ip6/::/tcp/5"), &ips), vec![addr("/ip6/::1/tcp/5")]);
    assert_eq!(expand(&addr("/ip4/192.0.2.1/tcp/5"), &ips), vec![addr("/ip4/192.0.2.1/tcp/5")]);
    assert!(interfaces().iter().any(IpAddr::is_loopback));
}
