//! Keys in bitmarkd's file format and the `[[transports]] kind = "zmq"` section: every bad
//! value is a configuration error that names the key and the reason.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use peerd_api::{Transport, TransportError};
use peerd_transport_zmq::keys::{self, format_key, KeyError, KeyKind, KeyPair};
use peerd_transport_zmq::{build, default_port, Config, PeerConfig};

fn reason(result: Result<impl Transport, TransportError>) -> String {
    match result {
        Err(TransportError::Config { transport, reason }) => {
            assert_eq!(transport, "zmq");
            reason
        }
        Err(other) => panic!("not a config error: {other}"),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn generate_writes_bitmarkd_key_files_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys");
    let files = keys::generate(&out).unwrap();
    let public = std::fs::read_to_string(&files.public).unwrap();
    let private = std::fs::read_to_string(&files.private).unwrap();
    assert_eq!(public, format!("PUBLIC:{}\n", hex::encode(files.pair.public)));
    assert_eq!(private, format!("PRIVATE:{}\n", hex::encode(files.pair.private)));
    assert!(public[7..71].chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    let mode = std::fs::metadata(&files.private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The files load back, by path, into the same pair.
    let config = Config {
        public_key: Some(files.public.display().to_string()),
        private_key: Some(files.private.display().to_string()),
        ..Config::default()
    };
    assert_eq!(config.key_pair().unwrap(), files.pair);
    assert!(matches!(keys::generate(&out), Err(KeyError::Exists(_))));
    assert_eq!(std::fs::read_to_string(&files.private).unwrap(), private, "left untouched");
}

#[test]
fn bad_keys_are_config_errors_that_say_which_and_why() {
    let pair = KeyPair::generate().unwrap();
    let private = format_key(KeyKind::Private, &pair.private);
    let base = Config { private_key: Some(private.clone()), ..Config::default() };
    assert!(build(&base, "bitmark").is_ok());
    assert!(reason(build(&Config::default(), "bitmark")).contains("private_key is required"));
    let swapped =
        Config { private_key: Some(format_key(KeyKind::Public, &pair.public)), ..base.clone() };
    assert_eq!(
        reason(build(&swapped, "bitmark")),
        "private_key: invalid private key: found a public key (PUBLIC:…)"
    );
    let short = Config { public_key: Some("PUBLIC:abcd".into()), ..base.clone() };
    assert!(reason(build(&short, "bitmark")).starts_with("public_key: invalid public key: 2 bytes"));
    let other = KeyPair::generate().unwrap();
    let mismatch =
        Config { public_key: Some(format_key(KeyKind::Public, &other.public)), ..base.clone() };
    assert!(reason(build(&mismatch, "bitmark")).contains("does not belong"));
    let missing = Config { private_key: Some("/nonexistent/peer.private".into()), ..base.clone() };
    assert!(reason(build(&missing, "bitmark")).contains("cannot read private key file"));
    let peer = |key: String, address: &str| PeerConfig { public_key: key, address: address.into() };
    let bare_hex =
        Config { peers: vec![peer(hex::encode(other.public), "127.0.0.1:2136")], ..base.clone() };
    assert!(reason(build(&bare_hex, "bitmark")).contains("missing the PUBLIC: prefix"));
    let good_key = format_key(KeyKind::Public, &other.public);
    let no_port = Config { peers: vec![peer(good_key.clone(), "127.0.0.1")], ..base.clone() };
    assert!(reason(build(&no_port, "bitmark")).contains("missing port"));
    let me = Config {
        peers: vec![peer(format_key(KeyKind::Public, &pair.public), "127.0.0.1:1")],
        ..base.clone()
    };
    assert!(reason(build(&me, "bitmark")).contains("connecting to self forbidden"));
    let listen = Config { listen: vec!["localhost:2136".into()], ..base.clone() };
    assert!(reason(build(&listen, "bitmark")).starts_with("listen \"localhost:2136\""));
    let zero = Config { request_timeout_secs: Some(0), ..base.clone() };
    assert_eq!(reason(build(&zero, "bitmark")), "request_timeout_secs must be at least 1");
    let fine = Config { peers: vec![peer(good_key, "[::1]:2136")], ..base };
    let targets = fine.static_targets().unwrap();
    assert_eq!(targets[0].key.as_ref(), other.public);
    assert_eq!(targets[0].listeners.len(), 19, "one packed IPv6 listener record");
}

/// As bitmarkd's `compositeError`: every malformed peer is reported in one error.
#[test]
fn every_malformed_peer_is_listed_at_once() {
    let pair = KeyPair::generate().unwrap();
    let good = format_key(KeyKind::Public, &KeyPair::generate().unwrap().public);
    let peer =
        |key: &str, address: &str| PeerConfig { public_key: key.into(), address: address.into() };
    let config = Config {
        private_key: Some(format_key(KeyKind::Private, &pair.private)),
        peers: vec![
            peer(&good, "127.0.0.1:2136"),
            peer("PUBLIC:zz", "not-an-address"),
            peer(&good, "127.0.0.1"),
        ],
        ..Config::default()
    };
    let reason = reason(build(&config, "bitmark"));
    let first = "2 malformed peers entries: peers[1]: public_key of \"not-an-address\": invalid";
    assert!(reason.starts_with(first), "{reason}");
    let both = ", address \"not-an-address\": missing port in address; ";
    assert!(reason.contains(both), "both problems of one entry: {reason}");
    let last = "; peers[2]: address \"127.0.0.1\": missing port in address";
    assert!(reason.ends_with(last), "{reason}");
    assert!(!reason.contains("peers[0]"), "{reason}");
}

#[test]
fn config_deserialises_with_defaults_and_rejects_unknown_keys() {
    let config: Config = serde_json::from_value(serde_json::json!({
        "listen": ["*:2136"],
        "peers": [{ "public_key": "PUBLIC:00", "address": "1.2.3.4:2136" }],
    }))
    .unwrap();
    assert!(config.prefer_ipv6, "bitmarkd prefers IPv6 by default");
    assert_eq!(config.peers[0].address, "1.2.3.4:2136");
    assert!(serde_json::from_value::<Config>(serde_json::json!({ "listne": [] })).is_err());
    assert_eq!(
        (default_port("bitmark"), default_port("testing"), default_port("local")),
        (2136, 12136, 22136)
    );
}
