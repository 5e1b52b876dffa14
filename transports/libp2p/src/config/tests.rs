use super::*;
use crate::default_port;

fn reason(result: Result<Libp2pTransport, TransportError>) -> String {
    match result {
        Err(TransportError::Config { transport, reason }) => {
            assert_eq!(transport, TRANSPORT_NAME);
            reason
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn defaults_build_and_bad_values_are_named() {
    let dir = tempfile::tempdir().unwrap();
    assert!(build(&Config::default(), dir.path()).is_ok());

    let config = Config { listen: Some(vec!["/ip4/1.2.3.4/tcp/x".into()]), ..Config::default() };
    let text = reason(transport(&config, dir.path()));
    assert!(text.starts_with("listen: \"/ip4/1.2.3.4/tcp/x\""), "{text}");

    let config = Config { bootstrap: vec!["/ip4/1.2.3.4/tcp/5".into()], ..Config::default() };
    let text = reason(transport(&config, dir.path()));
    assert!(text.contains("bootstrap") && text.contains("/p2p/"), "{text}");

    let config = Config { listen: Some(vec![]), ..Config::default() };
    assert!(reason(transport(&config, dir.path())).contains("listen"));

    let config = Config { queue_limit: 0, ..Config::default() };
    assert_eq!(reason(transport(&config, dir.path())), "queue_limit must be at least 1");
    let config = Config { request_timeout_secs: 0, ..Config::default() };
    assert_eq!(reason(transport(&config, dir.path())), "request_timeout_secs must be at least 1");

    let config = Config { identity: Some("missing.key".into()), ..Config::default() };
    let text = reason(transport(&config, dir.path()));
    assert!(text.starts_with("identity: ") && text.contains("missing.key"), "{text}");
}

#[test]
fn bootstrap_peers_and_identity_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = keys::generate(dir.path()).unwrap();
    let expected = keys::peer_id(&path).unwrap();
    let relative = path.file_name().unwrap().to_str().unwrap().to_owned();
    let peer = PeerId::random();
    let config = Config {
        identity: Some(relative),
        bootstrap: vec![format!("/ip4/192.0.2.1/tcp/2137/p2p/{peer}")],
        listen: Some(vec!["/ip4/127.0.0.1/tcp/0".into()]),
        ..Config::default()
    };
    let built = transport(&config, dir.path()).unwrap();
    assert_eq!(built.peer_id(), expected);
    let settings = config.settings().unwrap();
    assert_eq!(settings.bootstrap, vec![(peer, "/ip4/192.0.2.1/tcp/2137".parse().unwrap())]);
}

#[test]
fn config_parses_with_unknown_keys_refused() {
    let config: Config =
        serde_json::from_str(r#"{"listen": ["/ip4/0.0.0.0/tcp/1"], "gossip_rate": 5}"#).unwrap();
    assert_eq!(config.gossip_rate, 5);
    assert_eq!(config.max_connections, Config::default().max_connections);
    let error = serde_json::from_str::<Config>(r#"{"listn": []}"#).unwrap_err();
    assert!(error.to_string().contains("listn"), "{error}");
    assert_eq!(default_port("bitmark"), 2137);
    assert_eq!(default_port("dev"), 32137);
}

#[test]
fn features_not_built_in_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    if !cfg!(feature = "mdns") {
        let config = Config { mdns: true, ..Config::default() };
        assert!(reason(transport(&config, dir.path())).contains("mdns"));
    }
    if !cfg!(feature = "quic") {
        let config = Config { quic: true, ..Config::default() };
        assert!(reason(transport(&config, dir.path())).contains("quic"));
    }
}
