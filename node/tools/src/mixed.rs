//! A mixed-transport network in one process, on real loopback sockets: ZeroMQ-only nodes,
//! libp2p-only nodes and bridge nodes that run both. Used by the mixed-network tests and
//! by `peerd bench gossip` (gossip propagation across the bridges).
//!
//! Topology: every ZeroMQ node has every other ZeroMQ-speaking node (bridges included) as
//! a configured peer on ZeroMQ; every libp2p node likewise on libp2p; a bridge has both.
//! Node 0 is a ZeroMQ node and the producer; each node lists the producer first and the
//! bridges next, the voting order `peerd testnet` writes. Each node runs the real kernel over a `dev`
//! chain in a memory store with the `block` handler, so blocks spread by gossip (relayed
//! by the bridges from one transport to the other) as well as by sync.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use peerd_api::{
    CancellationToken, Chain, DialTarget, Mode, ModeCell, NodeEvent, Registry, SystemClock,
    Transport, TransportContext, TransportError, TransportHandle, CHANNEL_CAPACITY,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_transport_libp2p::libp2p::identity::Keypair;
use peerd_transport_libp2p::Libp2pTransport;
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use peerd_kernel::connector::SyncConfig;
use peerd_kernel::status::Metrics;
use peerd_kernel::Observed;
use peerd_kernel::{Kernel, ProducerSwitch, Production};

/// The network to build.
#[derive(Clone, Debug)]
pub struct MixedSpec {
    /// ZeroMQ-only nodes (at least 1: node 0 produces).
    pub zmq: usize,
    /// libp2p-only nodes.
    pub libp2p: usize,
    /// Nodes running both transports.
    pub bridges: usize,
    /// `[sync]` of every node.
    pub sync: SyncConfig,
    /// Time between two blocks of the producer.
    pub block_interval: Duration,
}

impl MixedSpec {
    /// Issue 6's network: 3 ZeroMQ-only, 3 libp2p-only and 2 bridge nodes, with `[sync]`
    /// lowered for its size (2 registered upstreams and 2 agreeing votes instead of
    /// bitmarkd's 5 and 3) and second-scale timers.
    pub fn three_three_two(block_interval: Duration) -> Self {
        Self {
            zmq: 3,
            libp2p: 3,
            bridges: 2,
            sync: SyncConfig {
                min_upstreams: 2,
                min_votes: 2,
                cycle_interval: Duration::from_secs(1),
                poll_interval: Duration::from_secs(1),
                request_timeout: Duration::from_secs(10),
                active_time: Duration::from_secs(10),
                ..SyncConfig::default()
            },
            block_interval,
        }
    }
}

/// Which transports a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// ZeroMQ only.
    Zmq,
    /// libp2p only.
    Libp2p,
    /// Both: relays between the two networks.
    Bridge,
}

/// One running node.
pub struct MixedNode {
    /// `zmq-0`, `libp2p-1`, `bridge-0`, …
    pub label: String,
    /// Its transports.
    pub role: Role,
    /// Its chain (read it to watch the node).
    pub chain: Arc<BitmarkChain>,
    /// Its mode.
    pub mode: ModeCell,
    /// Its kernel's counters.
    pub metrics: Arc<Metrics>,
    /// When each block number was stored here (the last time, if stored twice).
    pub stored_at: Arc<Mutex<HashMap<u64, Instant>>>,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for MixedNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MixedNode").field("label", &self.label).finish_non_exhaustive()
    }
}

impl MixedNode {
    /// Height of its chain (0 if unreadable).
    pub fn height(&self) -> u64 {
        self.chain.height().unwrap_or(0)
    }

    /// Digest of its tip, as text.
    pub fn tip(&self) -> String {
        let height = self.height();
        self.chain.digest(height).ok().flatten().map(|d| d.to_string()).unwrap_or_default()
    }

    /// When block `number` was stored here.
    pub fn stored(&self, number: u64) -> Option<Instant> {
        self.stored_at.lock().unwrap_or_else(PoisonError::into_inner).get(&number).copied()
    }

    /// Stops the node (kernel and transports).
    pub fn stop(&self) {
        self.shutdown.cancel();
    }

    /// True once [`MixedNode::stop`] was called.
    pub fn stopped(&self) -> bool {
        self.shutdown.is_cancelled()
    }
}

/// A running mixed network.
#[derive(Debug)]
pub struct MixedNet {
    /// Node 0 is the producer; then the other ZeroMQ nodes, the libp2p nodes, the bridges.
    pub nodes: Vec<MixedNode>,
    /// The producer's switch.
    pub producer: ProducerSwitch,
}

impl MixedNet {
    /// Starts the network; call on a multi-threaded tokio runtime.
    ///
    /// # Errors
    ///
    /// A transport that cannot start (bind failure, bad key).
    pub fn start(spec: &MixedSpec) -> Result<Self, TransportError> {
        let roles: Vec<Role> = std::iter::repeat_n(Role::Zmq, spec.zmq.max(1))
            .chain(std::iter::repeat_n(Role::Libp2p, spec.libp2p))
            .chain(std::iter::repeat_n(Role::Bridge, spec.bridges))
            .collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let mut started = Vec::new();
        for role in &roles {
            let name = match role {
                Role::Zmq => "zmq",
                Role::Libp2p => "libp2p",
                Role::Bridge => "bridge",
            };
            let n = counts.entry(name).or_default();
            let label = format!("{name}-{n}");
            *n += 1;
            started.push(Started::new(label, *role)?);
        }
        let targets: Vec<Vec<DialTarget>> = started.iter().map(Started::targets).collect();
        let producer = ProducerSwitch::new(true);
        let mut nodes = Vec::new();
        for (i, node) in started.into_iter().enumerate() {
            // The voting order `peerd testnet` writes: the producer first, then the bridges
            // (a libp2p node's only way to the producer's side), then the rest.
            let mut order: Vec<usize> = (0..targets.len()).filter(|j| *j != i).collect();
            order.sort_by_key(|j| (*j != 0, roles[*j] != Role::Bridge, *j));
            let statics = order
                .iter()
                .flat_map(|j| targets[*j].iter())
                .filter(|t| node.handles.iter().any(|h| h.name == t.transport))
                .cloned()
                .collect();
            let production =
                (i == 0).then(|| Production::new(spec.block_interval, producer.clone()));
            nodes.push(node.run(spec.sync.clone(), statics, production));
        }
        Ok(Self { nodes, producer })
    }

    /// The running nodes.
    pub fn live(&self) -> impl Iterator<Item = &MixedNode> {
        self.nodes.iter().filter(|n| !n.stopped())
    }

    /// True if every running node is in Normal mode at the same height and tip.
    pub fn converged(&self) -> bool {
        let first = &self.nodes[0];
        let (height, tip) = (first.height(), first.tip());
        self.live().all(|n| n.mode.get() == Mode::Normal && n.height() == height && n.tip() == tip)
    }

    /// Stops every node.
    pub fn stop(&self) {
        self.nodes.iter().for_each(MixedNode::stop);
    }
}

/// A node whose transports are up (their addresses are needed by the others).
struct Started {
    label: String,
    role: Role,
    handles: Vec<TransportHandle>,
    events: mpsc::Receiver<peerd_api::TransportEvent>,
    shutdown: CancellationToken,
}

impl Started {
    fn new(label: String, role: Role) -> Result<Self, TransportError> {
        let shutdown = CancellationToken::new();
        let (events_tx, events) = mpsc::channel(CHANNEL_CAPACITY);
        let ctx = TransportContext {
            chain: ChainParams::DEV.name().to_owned(),
            version: format!("mixed-{label}"),
            events: events_tx,
            shutdown: shutdown.clone(),
            metrics: Default::default(),
        };
        let mut transports: Vec<Box<dyn Transport>> = Vec::new();
        if role != Role::Libp2p {
            let keys =
                KeyPair::generate().map_err(|e| TransportError::io("generating CURVE keys", e))?;
            let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let zmq = ZmqTransport::new(keys)
                .listen(vec![loopback])
                .reconnect(Duration::from_millis(500))
                .timeout(Duration::from_secs(10));
            transports.push(Box::new(zmq));
        }
        if role != Role::Zmq {
            let addr = "/ip4/127.0.0.1/tcp/0"
                .parse()
                .map_err(|e| TransportError::io("parsing a listen address", e))?;
            let libp2p = Libp2pTransport::new(Keypair::generate_ed25519())
                .listen(vec![addr])
                // Every node of the network is on this host.
                .inbound_limits(96, 96)
                .discover(false)
                .redial(Duration::from_millis(100), Duration::from_secs(1));
            transports.push(Box::new(libp2p));
        }
        let mut handles = Vec::new();
        for transport in transports {
            match transport.start(ctx.clone()) {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    shutdown.cancel();
                    return Err(e);
                }
            }
        }
        Ok(Self { label, role, handles, events, shutdown })
    }

    fn targets(&self) -> Vec<DialTarget> {
        self.handles
            .iter()
            .map(|h| DialTarget {
                transport: h.name.clone(),
                key: h.local_id.as_bytes().to_vec().into(),
                listeners: h.listeners.clone(),
            })
            .collect()
    }

    fn run(
        self,
        sync: SyncConfig,
        statics: Vec<DialTarget>,
        production: Option<Production>,
    ) -> MixedNode {
        let store = Arc::new(peerd_store_memory::Store::new());
        let chain = BitmarkChain::open(store.clone(), ChainParams::DEV, Arc::new(SystemClock));
        let chain = Arc::new(chain.unwrap_or_else(|e| unreachable!("a new memory store: {e}")));
        let (stamps_tx, stamps) = broadcast::channel(4096);
        let observed: Arc<dyn Chain> = Arc::new(Observed::new(chain.clone(), stamps_tx));
        let stored_at = Arc::new(Mutex::new(HashMap::new()));
        tokio::spawn(record(stamps, stored_at.clone()));
        let mut registry = Registry::new();
        let block: Arc<dyn peerd_api::Handler> =
            Arc::new(peerd_handlers::block::BlockHandler::new());
        let _ = registry.add_handler(block);
        let mode = ModeCell::new(Mode::Resynchronise);
        let metrics = Arc::new(Metrics::default());
        let mut kernel = Kernel::new(observed, sync)
            .with_mode(mode.clone())
            .with_seed(rand::random())
            .with_version(format!("mixed-{}", self.label))
            .with_statics(statics)
            .with_metrics(metrics.clone())
            .with_handlers(registry, store);
        if let Some(production) = production {
            kernel = kernel.with_producer(production);
        }
        let (shutdown, handles, mut events) = (self.shutdown.clone(), self.handles, self.events);
        tokio::spawn(async move {
            if let Err(error) = kernel.run(&handles, &mut events, &shutdown).await {
                tracing::warn!(%error, "kernel stopped");
            }
            shutdown.cancel();
        });
        MixedNode {
            label: self.label,
            role: self.role,
            chain,
            mode,
            metrics,
            stored_at,
            shutdown: self.shutdown,
        }
    }
}

/// Notes when each block is stored.
async fn record(
    mut events: broadcast::Receiver<NodeEvent>,
    stored_at: Arc<Mutex<HashMap<u64, Instant>>>,
) {
    loop {
        match events.recv().await {
            Ok(NodeEvent::BlockAccepted { number, .. }) => {
                let mut map = stored_at.lock().unwrap_or_else(PoisonError::into_inner);
                map.insert(number, Instant::now());
            }
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
