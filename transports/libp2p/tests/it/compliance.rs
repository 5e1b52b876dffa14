//! The libp2p transport runs the whole transport conformance suite on real sockets
//! (127.0.0.1, ports chosen by the system).

#![allow(clippy::unwrap_used)]

use crate::common;
use std::collections::HashMap;

use peerd_api::{Transport, TransportHandle};
use peerd_testkit::transport::TransportHarness;
use peerd_transport_libp2p::addrs::decode_listeners;
use peerd_transport_libp2p::libp2p::identity::Keypair;

/// Nodes with fresh Ed25519 identities; a restarted node keeps its key and its address.
#[derive(Default)]
struct Harness {
    keys: HashMap<String, Keypair>,
}

impl TransportHarness for Harness {
    fn node(&mut self, label: &str) -> Box<dyn Transport> {
        common::logs();
        let key = Keypair::generate_ed25519();
        self.keys.insert(label.to_owned(), key.clone());
        Box::new(common::transport(key, vec![common::loopback()]))
    }

    fn restart(&mut self, label: &str, previous: &TransportHandle) -> Box<dyn Transport> {
        let key = self.keys[label].clone();
        let addrs = decode_listeners(&previous.listeners, &key.public().to_peer_id()).unwrap();
        assert!(!addrs.is_empty(), "the node announced where it listens");
        Box::new(common::transport(key, addrs))
    }
}

peerd_testkit::transport_suite!(Harness::default(); #[tokio::test]);
