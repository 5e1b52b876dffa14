//! One simulated node: the real kernel over a dev chain in a memory store.

use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    Chain, Digest, Mode, ModeCell, NodeLink, NodeRequest, Plugin, PluginConfig, Registry,
    Transport, TransportContext, CHANNEL_CAPACITY,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_handlers::block::BlockPlugin;
use peerd_handlers::{Reservoir, ReservoirPlugin};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::status::{Snapshot, StatusHandle};
use peerd_kernel::{Kernel, ProducerSwitch, Production};
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::adversary::{DeleteWatch, Forger, HeightLiar};
use crate::template::Template;
use crate::TestNet;

/// Describes a node before it starts. Defaults: an empty chain (genesis only), no peers,
/// `SyncConfig::default()` (bitmarkd's constants), no block production.
pub struct NodeBuilder<'a> {
    net: &'a mut TestNet,
    name: String,
    seed: u64,
    store: Option<Arc<peerd_store_memory::Store>>,
    statics: Vec<String>,
    sync: SyncConfig,
    production: Option<Duration>,
    forge: Option<RangeInclusive<u64>>,
    claim_extra: Option<u64>,
    handlers: bool,
}

impl<'a> NodeBuilder<'a> {
    pub(crate) fn new(net: &'a mut TestNet, name: &str, seed: u64) -> Self {
        Self {
            net,
            name: name.to_owned(),
            seed,
            store: None,
            statics: Vec::new(),
            sync: SyncConfig::default(),
            production: None,
            forge: None,
            claim_extra: None,
            handlers: false,
        }
    }

    /// Runs the `block` and `reservoir` handler plugins: gossiped blocks and transactions
    /// are processed and relayed, and a producer includes the reservoir's verified
    /// transactions.
    pub fn handlers(mut self) -> Self {
        self.handlers = true;
        self
    }

    /// Starts with a copy of `template`'s chain.
    pub fn chain(mut self, template: &Template) -> Self {
        self.store = Some(template.store_copy());
        self
    }

    /// The configured peers (static upstreams), in voting order.
    pub fn statics(mut self, names: &[&str]) -> Self {
        self.statics = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    /// Changes the `[sync]` settings, e.g. a lower `min_upstreams` for a small network.
    pub fn sync(mut self, change: impl FnOnce(&mut SyncConfig)) -> Self {
        change(&mut self.sync);
        self
    }

    /// Produces a block every `interval` while in sync.
    pub fn producer(mut self, interval: Duration) -> Self {
        self.production = Some(interval);
        self
    }

    /// Serves forged blocks for `range` ([`Forger`]).
    pub fn forge(mut self, range: RangeInclusive<u64>) -> Self {
        self.forge = Some(range);
        self
    }

    /// Claims `extra` blocks more than it has ([`HeightLiar`]).
    pub fn claim_extra(mut self, extra: u64) -> Self {
        self.claim_extra = Some(extra);
        self
    }

    /// Starts the node's transport and kernel.
    ///
    /// # Panics
    ///
    /// If the name is taken or the chain cannot be opened.
    pub fn start(self) -> &'a Node {
        let Self {
            net,
            name,
            seed,
            store,
            statics,
            sync,
            production,
            forge,
            claim_extra,
            handlers,
        } = self;
        let store = store.unwrap_or_default();
        let clock = Arc::new(net.clock());
        let chain = BitmarkChain::open(store.clone(), ChainParams::DEV, clock.clone())
            .unwrap_or_else(|e| panic!("{name}: open chain: {e}"));
        let chain = Arc::new(chain);
        let watch = Arc::new(DeleteWatch::new(chain.clone()));
        let served: Arc<dyn Chain> = match (forge, claim_extra) {
            (Some(range), _) => Arc::new(Forger::new(watch.clone(), range)),
            (None, Some(extra)) => Arc::new(HeightLiar::new(watch.clone(), extra)),
            (None, None) => watch.clone(),
        };
        let shutdown = CancellationToken::new();
        let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
        let ctx = TransportContext {
            chain: served.name().to_owned(),
            version: "sim".into(),
            events: events_tx,
            shutdown: shutdown.clone(),
            metrics: Default::default(),
        };
        let transport = Box::new(net.memory().transport(&name))
            .start(ctx)
            .unwrap_or_else(|e| panic!("{name}: start transport: {e}"));
        let mode = ModeCell::new(Mode::Stopped);
        let switch = ProducerSwitch::new(production.is_some());
        let (requests_tx, requests) = mpsc::channel::<NodeRequest>(CHANNEL_CAPACITY);
        let (status, queries) = StatusHandle::channel();
        let mut kernel = Kernel::new(served, sync)
            .with_mode(mode.clone())
            .with_seed(seed)
            .with_clock(clock)
            .with_version("sim")
            .with_statics(statics.iter().map(|s| MemoryNet::target(s)).collect())
            .with_node_requests(requests)
            .with_status(queries)
            .with_inline_chain(true);
        if let Some(interval) = production {
            kernel = kernel.with_producer(Production::new(interval, switch.clone()));
        }
        let mut reservoir = None;
        if handlers {
            let plugin = ReservoirPlugin::new();
            let mut registry = Registry::new();
            let config = PluginConfig::default();
            BlockPlugin.register(&config, &mut registry).unwrap_or_else(|e| panic!("{e}"));
            plugin.register(&config, &mut registry).unwrap_or_else(|e| panic!("{e}"));
            // The ledger the reservoir checks against is in the chain's store.
            kernel = kernel.with_handlers(registry, store.clone());
            reservoir = Some(plugin.reservoir());
        }
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let transports = vec![transport];
            if let Err(error) = kernel.run(&transports, &mut events, &stop).await {
                tracing::warn!(%error, "kernel stopped");
            }
            stop.cancel();
        });
        let node = Node {
            name,
            chain,
            watch,
            mode,
            producer: switch,
            link: NodeLink::new(requests_tx),
            status,
            reservoir,
            shutdown,
        };
        net.push(node);
        net.nodes().last().unwrap_or_else(|| unreachable!("just pushed"))
    }
}

/// A running simulated node.
pub struct Node {
    name: String,
    chain: Arc<BitmarkChain>,
    watch: Arc<DeleteWatch>,
    mode: ModeCell,
    producer: ProducerSwitch,
    link: NodeLink,
    status: StatusHandle,
    reservoir: Option<Arc<Reservoir>>,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.name)
            .field("height", &self.height())
            .field("mode", &self.mode())
            .finish_non_exhaustive()
    }
}

impl Node {
    /// The node's name on the memory net.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its chain (as stored, not as served).
    pub fn chain(&self) -> &Arc<BitmarkChain> {
        &self.chain
    }

    /// Its height.
    pub fn height(&self) -> u64 {
        self.chain.height().unwrap_or(0)
    }

    /// Digest of its block `n`.
    pub fn digest(&self, n: u64) -> Option<Digest> {
        self.chain.digest(n).ok().flatten()
    }

    /// Digest of its tip.
    pub fn tip(&self) -> Digest {
        self.digest(self.height()).unwrap_or(Digest::ZERO)
    }

    /// Its mode.
    pub fn mode(&self) -> Mode {
        self.mode.get()
    }

    /// Its production switch (off for nodes that do not produce).
    pub fn producer(&self) -> &ProducerSwitch {
        &self.producer
    }

    /// Its handler link to the kernel (`Connect`, `Release`).
    pub fn link(&self) -> &NodeLink {
        &self.link
    }

    /// The lowest block its chain was asked to delete down to, if any.
    pub fn lowest_delete(&self) -> Option<u64> {
        self.watch.lowest_delete()
    }

    /// True if block `n` has the same digest on both nodes, for every `n` up to `height`.
    pub fn same_blocks(&self, other: &Node, height: u64) -> bool {
        (1..=height).all(|n| self.digest(n).is_some() && self.digest(n) == other.digest(n))
    }

    /// Its reservoir, when it runs the handlers ([`NodeBuilder::handlers`]).
    pub fn reservoir(&self) -> Option<&Arc<Reservoir>> {
        self.reservoir.as_ref()
    }

    /// Its kernel's status (peers with their scores, bans).
    ///
    /// # Panics
    ///
    /// If the kernel has stopped.
    pub async fn snapshot(&self) -> Snapshot {
        let name = &self.name;
        self.status.snapshot().await.unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Stops the node (kernel and transport).
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}
