//! The memory transport runs the whole transport conformance suite, under paused time.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use peerd_api::{Transport, TransportHandle};
use peerd_testkit::transport::TransportHarness;
use peerd_transport_memory::MemoryNet;

/// Nodes named by their label on a fresh net per check.
struct Harness(MemoryNet);

impl TransportHarness for Harness {
    fn node(&mut self, label: &str) -> Box<dyn Transport> {
        Box::new(self.0.transport(label))
    }

    fn restart(&mut self, label: &str, _previous: &TransportHandle) -> Box<dyn Transport> {
        Box::new(self.0.transport(label))
    }
}

peerd_testkit::transport_suite!(Harness(MemoryNet::new(7)); #[tokio::test(start_paused = true)]);
