//! # peerd-network-tests — simulated peerd networks
//!
//! A [`TestNet`] runs many complete nodes in one process: each is the real kernel
//! (`peerd_kernel::Kernel`) over the real dev chain ([`BitmarkChain`] on
//! `ChainParams::DEV`, SHA3 digests, no proof of work) in its own memory store, talking
//! through one [`MemoryNet`]. Tests run on a current-thread runtime in paused tokio time,
//! with the chain called inline ([`Kernel::with_inline_chain`]), so simulated minutes cost
//! milliseconds and every run is reproducible from its seed: the net's fault decisions,
//! each connector's random choices and the scenario's own choices all derive from it.
//!
//! The seed is printed when a net is created (visible when a test fails);
//! `PEERD_SIM_SEED=<n>` replays a run with seed `n`.
//!
//! ```no_run
//! # async fn demo() {
//! use std::time::Duration;
//! use peerd_network_tests::{Template, TestNet};
//!
//! let mut net = TestNet::new("demo", 1);
//! let chain = Template::dev(50);
//! let names = ["a", "b", "c", "d", "e", "f"];
//! for name in names {
//!     let others: Vec<&str> = names.iter().copied().filter(|n| *n != name).collect();
//!     let node = net.add(name).statics(&others);
//!     if name == "a" { node.chain(&chain).start(); } else { node.start(); }
//! }
//! net.wait_until("sync", Duration::from_secs(600), |n| n.converged(&names)).await;
//! # }
//! ```

mod adversary;
mod node;
mod template;

use std::time::Duration;

use peerd_api::{Mode, TokioClock};
use peerd_transport_memory::MemoryNet;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub use adversary::{DeleteWatch, Forger, HeightLiar};
pub use node::{Node, NodeBuilder};
pub use template::{copy_store, Template, CHAIN_START, CLOCK_START};

#[doc(no_inline)]
pub use peerd_bitmark::bitmark_chain::BitmarkChain;
#[doc(no_inline)]
pub use peerd_kernel::connector::SyncConfig;
#[doc(no_inline)]
pub use peerd_kernel::Kernel;

/// How often [`TestNet::wait_until`] checks its condition, in simulated time.
pub const WAIT_STEP: Duration = Duration::from_millis(100);

/// The environment variable that overrides a scenario's seed.
pub const SEED_VAR: &str = "PEERD_SIM_SEED";

/// A simulated network of nodes. See the crate docs.
pub struct TestNet {
    scenario: String,
    seed: u64,
    rng: StdRng,
    memory: MemoryNet,
    /// The one wall clock of the network: a node started late reads the same time as
    /// the others (a clock of its own would lag, and blocks would look future-dated).
    clock: TokioClock,
    nodes: Vec<Node>,
}

impl std::fmt::Debug for TestNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestNet")
            .field("scenario", &self.scenario)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl TestNet {
    /// An empty network for `scenario` with seed `default_seed`, or the seed in
    /// [`SEED_VAR`] if set. Prints the seed to stderr.
    ///
    /// # Panics
    ///
    /// If [`SEED_VAR`] is set but not a number.
    pub fn new(scenario: &str, default_seed: u64) -> Self {
        let seed = match std::env::var(SEED_VAR) {
            Ok(text) => text
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{SEED_VAR}={text:?} is not a number")),
            Err(_) => default_seed,
        };
        eprintln!("[sim] {scenario}: seed {seed} (replay with {SEED_VAR}={seed})");
        Self::with_seed(scenario, seed)
    }

    /// An empty network with exactly this seed ([`SEED_VAR`] is not read).
    pub fn with_seed(scenario: &str, seed: u64) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let mut rng = StdRng::seed_from_u64(seed);
        let memory = MemoryNet::new(rng.gen());
        let clock = TokioClock::starting_at(CLOCK_START);
        Self { scenario: scenario.to_owned(), seed, rng, memory, clock, nodes: Vec::new() }
    }

    /// The seed of this run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The scenario's generator (derived from the seed), for its own random choices.
    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// The network's wall clock, shared by every node.
    pub fn clock(&self) -> TokioClock {
        self.clock
    }

    /// The underlying memory network: faults, partitions, kills.
    pub fn memory(&self) -> &MemoryNet {
        &self.memory
    }

    /// Starts describing a node called `name`; [`NodeBuilder::start`] starts it.
    pub fn add(&mut self, name: &str) -> NodeBuilder<'_> {
        let seed = self.rng.gen();
        NodeBuilder::new(self, name, seed)
    }

    pub(crate) fn push(&mut self, node: Node) {
        self.nodes.push(node);
    }

    /// The node called `name`.
    ///
    /// # Panics
    ///
    /// If there is none.
    pub fn node(&self, name: &str) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.name() == name)
            .unwrap_or_else(|| panic!("no node called {name}"))
    }

    /// Every node, in the order they were added.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Waits, in simulated time, until `done` holds; returns the simulated time it took.
    ///
    /// # Panics
    ///
    /// If it does not hold within `limit` of simulated time; the message has the seed and
    /// every node's state.
    pub async fn wait_until(
        &self,
        what: &str,
        limit: Duration,
        done: impl Fn(&TestNet) -> bool,
    ) -> Duration {
        match peerd_testkit::wait::poll_until(what, limit, WAIT_STEP, || done(self)).await {
            Ok(took) => took,
            Err(timed_out) => {
                panic!("{}: {timed_out} (seed {})\n{}", self.scenario, self.seed, self.summary())
            }
        }
    }

    /// Runs the network for `time` of simulated time.
    pub async fn run_for(&self, time: Duration) {
        tokio::time::sleep(time).await;
    }

    /// True if the nodes `names` have the same height and tip digest and are all in
    /// Normal mode.
    pub fn converged(&self, names: &[&str]) -> bool {
        let Some(first) = names.first().map(|n| self.node(n)) else { return true };
        let (height, tip) = (first.height(), first.tip());
        names
            .iter()
            .map(|n| self.node(n))
            .all(|node| node.height() == height && node.tip() == tip && node.mode() == Mode::Normal)
    }

    /// Asserts [`TestNet::converged`] for `names`, with every node's state on failure.
    ///
    /// # Panics
    ///
    /// If the nodes differ.
    pub fn assert_converged(&self, names: &[&str]) {
        assert!(
            self.converged(names),
            "{}: {names:?} have not converged (seed {})\n{}",
            self.scenario,
            self.seed,
            self.summary()
        );
    }

    /// One line per node: name, height, tip digest, mode, and the first block where it
    /// differs from the first node.
    pub fn summary(&self) -> String {
        let first = self.nodes.first();
        let lines: Vec<String> = self
            .nodes
            .iter()
            .map(|n| {
                let top = first.map_or(0, |f| f.height().min(n.height()));
                let differs = first.and_then(|f| (1..=top).find(|&h| f.digest(h) != n.digest(h)));
                let (height, tip, mode) = (n.height(), n.tip(), n.mode());
                format!("  {:<8} h={height:<6} tip={tip} {mode:?} differs={differs:?}", n.name())
            })
            .collect();
        lines.join("\n")
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        for node in &self.nodes {
            node.stop();
        }
    }
}
