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
