//! Local block production for chains that allow it (`dev`, `local`).
//!
//! Every `interval` the shell asks the chain worker to build a block on the tip with
//! [`peerd_api::Chain::produce`] and store it with [`peerd_api::Chain::accept`]: the same
//! ordered path as sync applies, so a produced block is never stored concurrently with a
//! fetched one. A block is produced only when the node is in sync: in Normal mode with the
//! connector in Sampling (not while it walks down to a fork point or fetches, which Sampling
//! may start without leaving Normal mode), or always on a standalone node
//! (`[sync] min_upstreams = 0`), which is in Normal mode from the start as bitmarkd is
//! in standalone mode. A node that is behind therefore never builds on a stale tip.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Switches a node's block production on and off at run time. Cheap to clone; all clones
/// are the same switch.
#[derive(Clone, Debug)]
pub struct ProducerSwitch(Arc<AtomicBool>);

impl ProducerSwitch {
    /// A switch in position `on`.
    pub fn new(on: bool) -> Self {
        Self(Arc::new(AtomicBool::new(on)))
    }

    /// True if the node produces blocks.
    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Turns production on or off (takes effect at the next interval).
    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Release);
    }
}

/// How a node produces blocks.
#[derive(Clone, Debug)]
pub struct Production {
    /// Time between two blocks.
    pub interval: Duration,
    /// Production on or off.
    pub switch: ProducerSwitch,
}

impl Production {
    /// Produces every `interval` while `switch` is on.
    pub fn new(interval: Duration, switch: ProducerSwitch) -> Self {
        Self { interval, switch }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_is_shared_by_its_clones() {
        let switch = ProducerSwitch::new(true);
        let clone = switch.clone();
        clone.set(false);
        assert!(!switch.is_on());
        switch.set(true);
        assert!(clone.is_on());
    }
}
