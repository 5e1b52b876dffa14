//! `[handlers.announce]`: defaults, validation, registration.

use std::time::Duration;

use peerd_announce::{AnnouncePlugin, Config, ConfigError};
use peerd_api::{ItemKind, Plugin, PluginConfig, PluginError, Registry};
use serde_json::json;

fn section(options: serde_json::Value) -> PluginConfig {
    PluginConfig { enabled: true, options }
}

fn reason(options: serde_json::Value) -> String {
    match AnnouncePlugin::new().register(&section(options), &mut Registry::new()) {
        Err(PluginError::Config { plugin, reason }) => {
            assert_eq!(plugin, "announce");
            reason
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn defaults_are_bitmarkds() {
    let settings = Config::default().validate().unwrap();
    assert_eq!(settings.initial_delay, Duration::from_secs(120));
    assert_eq!(settings.broadcast_interval, Duration::from_secs(660));
    assert_eq!((settings.expiry_secs, settings.rebroadcast_secs), (3300, 420));
    assert_eq!(settings.rpc, None);
    assert_eq!(settings, peerd_announce::Settings::default());
}

#[test]
fn plugin_registers_peer_rpc_and_heart() {
    let mut registry = Registry::new();
    AnnouncePlugin::new().register(&PluginConfig::default(), &mut registry).unwrap();
    for kind in [ItemKind::Peer, ItemKind::Rpc, ItemKind::Heart] {
        assert_eq!(registry.handler_for(&kind).map(|h| h.name()), Some("announce"));
    }
    let mut off = Registry::new();
    let disabled = PluginConfig { enabled: false, ..PluginConfig::default() };
    AnnouncePlugin::new().register(&disabled, &mut off).unwrap();
    AnnouncePlugin::new().register(&section(json!({"enabled": false})), &mut off).unwrap();
    assert_eq!(off.handlers().len(), 0);
}

#[test]
fn rpc_announcement_is_configured_from_hex_and_addresses() {
    let options = json!({
        "rpc_fingerprint": "01".repeat(32),
        "rpc_announce": ["127.0.0.1:1234", "[::1]:1234"],
        "expiry_secs": 600,
    });
    let config: Config = section(options).parse("announce").unwrap();
    let settings = config.validate().unwrap();
    let rpc = settings.rpc.unwrap();
    assert_eq!(rpc.fingerprint.as_ref(), &[1; 32]);
    // Spec §3.4 test vectors: 127.0.0.1:1234 and [::1]:1234.
    let want = "1304d200000000000000000000ffff7f000001\
                1304d200000000000000000000000000000001";
    assert_eq!(hex::encode(&rpc.listeners), want);
    assert_eq!(settings.expiry_secs, 600);
}

#[test]
fn bad_sections_are_named() {
    assert!(reason(json!({"expiry": 5})).contains("unknown field `expiry`"));
    let short = reason(json!({"rpc_fingerprint": "abcd", "rpc_announce": ["1.2.3.4:1"]}));
    assert_eq!(short, "rpc_fingerprint must be 64 hex digits (32 bytes): got 2 bytes");
    let half = reason(json!({"rpc_fingerprint": "00".repeat(32)}));
    assert_eq!(half, "rpc_fingerprint and rpc listeners must be set together");
    let both = json!({"rpc_announce": ["1.2.3.4:1"], "rpc_listeners_hex": "00"});
    assert_eq!(reason(both), "set either rpc_announce or rpc_listeners_hex, not both");
    let six: Vec<String> = (1..=6).map(|i| format!("10.0.0.{i}:2130")).collect();
    let long = reason(json!({"rpc_fingerprint": "00".repeat(32), "rpc_announce": six}));
    assert_eq!(long, "announced rpc listeners take 114 bytes packed; bitmarkd accepts at most 100");
    assert_eq!(
        reason(json!({"broadcast_interval_secs": 0})),
        "broadcast_interval_secs must be greater than zero"
    );
    let host =
        reason(json!({"rpc_fingerprint": "00".repeat(32), "rpc_announce": ["localhost:80"]}));
    assert_eq!(host, ConfigError::Address("localhost:80".into()).to_string());
}
