//! Unit tests of the connector's pure parts; the scripted-peer tests are in `node/tests/`.

use super::*;

#[test]
fn connector_starts_connecting_and_asks_for_upstreams() {
    struct Empty;
    impl LocalChain for Empty {
        fn height(&self) -> u64 {
            1
        }
        fn digest(&self, _: u64) -> Option<Digest> {
            None
        }
        fn block_number(&self, _: &[u8]) -> Option<u64> {
            None
        }
        fn prefers(&self, _: &Digest, _: &Digest) -> bool {
            false
        }
    }
    let mut c = Connector::new(SyncConfig::default(), 1);
    let now = Instant::now();
    assert_eq!(c.state(), State::Connecting);
    let out = c.on_event(Event::Tick, now, &Empty);
    assert_eq!(out, vec![Action::SetMode(Mode::Resynchronise), Action::Reconnect]);
    // The mode is only announced when it changes.
    let out = c.on_event(Event::Tick, now, &Empty);
    assert_eq!(out, vec![Action::Reconnect]);
}

#[test]
fn connector_upstream_table_order_cache_and_reset() {
    use std::time::Duration;

    let mut table = upstream::Upstreams::default();
    let p = |s: &str| PeerId::new(s.as_bytes().to_vec());
    let t0 = Instant::now();
    let d = |b: u8| Digest([b; 32]);
    table.register(p("dyn1"), UpstreamKind::Dynamic);
    table.register(p("static1"), UpstreamKind::Static);
    table.register(p("dyn2"), UpstreamKind::Dynamic);
    table.register(p("static2"), UpstreamKind::Static);
    let order: Vec<String> = table.all().iter().map(|u| u.peer.to_string()).collect();
    assert_eq!(order, ["static1", "static2", "dyn1", "dyn2"], "static upstreams vote first");

    table.polled(&p("dyn1"), t0, 40, Some((7, d(1))));
    table.polled(&p("dyn1"), t0, 41, None); // an `H` error keeps the old digest
    let u = table.get(&p("dyn1")).unwrap();
    assert_eq!((u.remote_height, u.local_height, u.digest_of_local), (41, 7, d(1)));
    assert!(u.active(t0 + Duration::from_secs(60), Duration::from_secs(60)));
    assert!(!u.active(t0 + Duration::from_secs(61), Duration::from_secs(60)));

    table.lose(&p("dyn1"));
    assert_eq!(table.registered_count(), 3);
    table.polled(&p("dyn1"), t0, 50, None); // unregistered: ignored
    assert_eq!(table.get(&p("dyn1")).unwrap().remote_height, 0);
    table.register(p("dyn1"), UpstreamKind::Dynamic); // a reconnect starts afresh
    let u = table.get(&p("dyn1")).unwrap();
    assert!(u.registered && u.digest_of_local.is_zero() && u.last_response.is_none());
    assert_eq!(table.voters(t0, Duration::from_secs(60)).count(), 0, "nobody polled since");
}

#[test]
fn connector_static_upstreams_vote_in_configuration_order() {
    let mut table = upstream::Upstreams::default();
    let p = |s: &str| PeerId::new(s.as_bytes().to_vec());
    table.rank(p("first"), 0);
    table.register(p("dyn"), UpstreamKind::Dynamic);
    table.register(p("third"), UpstreamKind::Static);
    table.register(p("unranked"), UpstreamKind::Static);
    table.register(p("first"), UpstreamKind::Static);
    table.rank(p("third"), 2); // ranked after it registered
    table.register(p("second"), UpstreamKind::Static);
    table.rank(p("second"), 1);
    let order: Vec<String> = table.all().iter().map(|u| u.peer.to_string()).collect();
    assert_eq!(order, ["first", "second", "third", "unranked", "dyn"]);
}
