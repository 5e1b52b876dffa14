//! Client ids and the `[clients]` section.

use super::*;

#[test]
fn client_ids_show_and_parse_as_transport_and_hex_key() {
    let a = ClientId::new("zmq", vec![0x00, 0xab, 0xff]);
    assert_eq!(a.to_string(), "zmq:00abff");
    assert_eq!("zmq:00ABff".parse::<ClientId>(), Ok(a.clone()));
    assert_eq!((a.transport(), a.key()), ("zmq", &[0x00, 0xab, 0xff][..]));
    assert_eq!("zmq".parse::<ClientId>(), Err(ClientIdError::NoSeparator));
    assert_eq!(":ab".parse::<ClientId>(), Err(ClientIdError::BadTransport));
    assert_eq!("z m:ab".parse::<ClientId>(), Err(ClientIdError::BadTransport));
    assert_eq!("zmq:".parse::<ClientId>(), Err(ClientIdError::BadKey));
    assert_eq!("zmq:abc".parse::<ClientId>(), Err(ClientIdError::BadKey));
    assert_eq!("zmq:+f".parse::<ClientId>(), Err(ClientIdError::BadKey));
    assert_eq!("zmq:zz".parse::<ClientId>(), Err(ClientIdError::BadKey));
}

#[test]
fn the_defaults_are_valid_and_deserialize_from_nothing() {
    let config: ClientsConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(config, ClientsConfig::default());
    let valid = config.validate().unwrap();
    assert_eq!((valid.max_inbound, valid.max_capacity), (50, 50));
    assert_eq!(valid.rates.negative_decay, std::time::Duration::from_secs(3_600));
    let unknown = serde_json::from_str::<ClientsConfig>(r#"{"max_clients": 3}"#);
    assert!(unknown.unwrap_err().to_string().contains("max_clients"));
}

#[test]
fn validation_lists_every_bad_pinned_entry() {
    let pinned = ["zmq:zz", "zmq:abcd", "nocolon", "libp2p:0102", ":ab"];
    let config = ClientsConfig {
        pinned: pinned.iter().map(ToString::to_string).collect(),
        ..ClientsConfig::default()
    };
    let Err(ClientsConfigError::BadPinned(bad)) = config.validate() else {
        panic!("bad pinned entries accepted");
    };
    let entries: Vec<&str> = bad.iter().map(|b| b.entry.as_str()).collect();
    assert_eq!(entries, ["zmq:zz", "nocolon", ":ab"]);
    let text = ClientsConfigError::BadPinned(bad).to_string();
    assert!(text.starts_with("[clients] pinned: `zmq:zz`: the key must be"), "{text}");
    assert!(text.contains("; `nocolon`: expected `transport:hexkey`; `:ab`: "), "{text}");
}

#[test]
fn validation_lists_every_bad_positive_entry() {
    let mut positive = std::collections::BTreeMap::new();
    positive.insert("zmq:01".to_string(), 5.0);
    positive.insert("zmq:02".to_string(), -1.0);
    positive.insert("zmq:03".to_string(), f64::INFINITY);
    positive.insert("zmq:x".to_string(), 1.0);
    let config = ClientsConfig { positive, ..ClientsConfig::default() };
    let Err(ClientsConfigError::BadPositive(bad)) = config.validate() else {
        panic!("bad positive entries accepted");
    };
    let entries: Vec<&str> = bad.iter().map(|b| b.entry.as_str()).collect();
    assert_eq!(entries, ["zmq:02", "zmq:03", "zmq:x"]);
}

#[test]
fn validation_checks_every_boundary() {
    let d = ClientsConfig::default;
    let error = |config: ClientsConfig| config.validate().err();
    assert_eq!(
        error(ClientsConfig { max_inbound: 0, ..d() }),
        Some(ClientsConfigError::ZeroLimit { field: "max_inbound" })
    );
    assert_eq!(
        error(ClientsConfig { max_capacity: 0, ..d() }),
        Some(ClientsConfigError::ZeroLimit { field: "max_capacity" })
    );
    for (field, config) in [
        ("time_price", ClientsConfig { time_price: -0.1, ..d() }),
        ("capacity_price", ClientsConfig { capacity_price: f64::NAN, ..d() }),
        ("request_price", ClientsConfig { request_price: f64::INFINITY, ..d() }),
    ] {
        let Some(ClientsConfigError::BadPrice { field: named, .. }) = error(config) else {
            panic!("{field} accepted");
        };
        assert_eq!(named, field);
    }
    assert_eq!(
        error(ClientsConfig { floor: -1.0, ..d() }),
        Some(ClientsConfigError::BadFloor(-1.0))
    );
    assert_eq!(
        error(ClientsConfig { evict_below: 1.0, ..d() }),
        Some(ClientsConfigError::BadEvictBelow(1.0))
    );
    assert!(matches!(
        error(ClientsConfig { evict_below: f64::NEG_INFINITY, ..d() }),
        Some(ClientsConfigError::BadEvictBelow(_))
    ));
    assert_eq!(error(ClientsConfig { evict_below: 0.0, floor: 0.0, ..d() }), None);
}

#[test]
fn the_config_gives_positive_balances_at_start() {
    let a = id("a");
    let mut positive = std::collections::BTreeMap::new();
    positive.insert(a.to_string(), 12.5);
    let pool = pool(ClientsConfig { positive, ..config() });
    assert_eq!(pool.balances(&a, T0), Some(Balances { positive: 12.5, negative: 0.0 }));
    assert!(!pool.is_connected(&a));
}
