//! Shared scenario helpers.

use std::time::Duration;

use peerd_network_tests::TestNet;
use peerd_transport_memory::Faults;

/// `names` without `name`.
pub(crate) fn others<'a>(names: &[&'a str], name: &str) -> Vec<&'a str> {
    names.iter().copied().filter(|n| *n != name).collect()
}

/// Every message takes 1 to 20 ms, drawn from the net's seeded generator: requests overlap
/// and finish in an order that depends on the seed, and a fetch takes simulated time.
pub(crate) fn jitter(net: &TestNet) {
    let faults = Faults::default().with_delay(Duration::from_millis(1), Duration::from_millis(20));
    net.memory().set_faults(faults);
}
