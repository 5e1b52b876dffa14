//! The ZeroMQ transport runs the whole transport conformance suite over real CURVE sockets
//! on 127.0.0.1, with a reconnect interval of a fraction of a second.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use peerd_api::{Transport, TransportHandle};
use peerd_testkit::transport::TransportHarness;
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;

/// Nodes on 127.0.0.1:0, each with its own key pair, remembered by label for restarts.
#[derive(Default)]
struct Harness(HashMap<String, KeyPair>);

fn transport(keys: KeyPair, listen: SocketAddr) -> Box<dyn Transport> {
    Box::new(
        ZmqTransport::new(keys)
            .listen(vec![listen])
            .reconnect(Duration::from_millis(100))
            .timeout(Duration::from_secs(20)),
    )
}

impl TransportHarness for Harness {
    fn node(&mut self, label: &str) -> Box<dyn Transport> {
        // RUST_LOG=peerd_transport_zmq=trace shows the upstream's monitor events on a failure.
        let filter = tracing_subscriber::EnvFilter::from_default_env();
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let keys = KeyPair::generate().unwrap();
        self.0.insert(label.to_owned(), keys.clone());
        transport(keys, "127.0.0.1:0".parse().unwrap())
    }

    fn restart(&mut self, label: &str, previous: &TransportHandle) -> Box<dyn Transport> {
        let keys = self.0[label].clone();
        let addr = previous.listen_addrs[0].as_str().trim_start_matches("tcp://");
        transport(keys, addr.parse().unwrap())
    }
}

peerd_testkit::transport_suite!(Harness::default(); #[tokio::test]);
