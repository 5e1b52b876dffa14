//! Helpers shared by the integration tests: nodes on 127.0.0.1 with quick redials.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use peerd_transport_libp2p::libp2p::identity::Keypair;
use peerd_transport_libp2p::libp2p::Multiaddr;
use peerd_transport_libp2p::Libp2pTransport;

/// A fresh loopback address with a port chosen by the system.
pub fn loopback() -> Multiaddr {
    "/ip4/127.0.0.1/tcp/0".parse().unwrap()
}

/// A transport for `key` listening on `addrs`, redialling within a second.
pub fn transport(key: Keypair, addrs: Vec<Multiaddr>) -> Libp2pTransport {
    Libp2pTransport::new(key)
        .listen(addrs)
        .redial(Duration::from_millis(100), Duration::from_secs(1))
}

/// Log output for a failing test: `RUST_LOG=peerd_transport_libp2p=debug`.
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
