//! The kernel's async shell around the [`Connector`]: it only moves bytes.
//!
//! - Transport events: `Connected` starts an upstream task (`kernel/upstream.rs`: register
//!   `R`, then poll `N` and `H(local height)` every `poll_interval`, re-registering on every
//!   reconnect); `Disconnected` stops it and tells the connector; inbound requests are
//!   answered from the chain (`kernel/serve.rs`).
//! - Connector actions: requests are sent on the right transport and their replies fed
//!   back as events; `Apply`/`DeleteDown` go, in order, to the chain worker
//!   (`kernel/apply.rs`); `SetMode` writes the shared [`ModeCell`]; `Reconnect` asks the
//!   peer layer for a rebalance ([`Kernel::with_rebalance`]) and re-dials the configured
//!   and dynamic targets that are not connected.
//! - Upstreams (protocol §3.5): configured peers ([`Kernel::with_statics`]) get dedicated
//!   upstreams and vote first, in configuration order; up to `max_dynamic_upstreams`
//!   dynamic ones are reused least recently used (`kernel/dynamic.rs`), driven by
//!   [`NodeRequest::Connect`] and [`NodeRequest::Release`] ([`Kernel::with_node_requests`]).
//! - Block production ([`Kernel::with_producer`], `kernel/produce.rs`): through the chain
//!   worker, only while in sync.
//! - Time: a `cycle_interval` tick, and a wake-up at the connector's earliest request
//!   deadline.
//!
//! A standalone node (`[sync] min_upstreams = 0`) does not run the connector: it is in
//! Normal mode from the start (bitmarkd's standalone mode), serves its chain and produces.
//!
//! - Gossip ([`Kernel::with_handlers`]): received items are deduplicated, mode-gated and
//!   dispatched to the handler of their kind (`kernel/inbound.rs`, `kernel/dispatch.rs`);
//!   what a handler accepts as new is relayed on every transport (`kernel/fanout.rs`,
//!   bitmarkd's last-100 dedup and 1000-slot per-peer queues, `kernel/relay.rs`). Every
//!   block stored or deleted, by any path, is a [`peerd_api::NodeEvent`] for the handlers
//!   (`kernel/observed.rs`); produced blocks are gossiped.
//! - Status ([`Kernel::with_status`], `kernel/snapshot.rs`) and [`Metrics`] counters.
//!
//! The main loop polls its sources in a fixed order (shutdown, timers, transport events,
//! internal events): with [`Kernel::with_inline_chain`] on a current-thread runtime with
//! paused time, a run is reproducible from its seeds.

mod apply;
mod budget;
mod dialer;
mod dispatch;
mod dynamic;
mod fanout;
mod fastsync;
mod inbound;
pub(crate) mod observed;
mod pool;
mod produce;
mod rejected;
mod relay;
mod serve;
mod shell;
mod snapshot;
mod upstream;

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    Chain, Clock, DialTarget, HandlerContext, LocalIdentity, Mode, ModeCell, NodeLink, NodeRequest,
    Registry, Store, SystemClock, TransactionPool, TransportEvent, TransportHandle,
};
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::connector::{Connector, Event, SyncConfig};
use crate::status::{Metrics, StatusQuery};
use crate::KernelError;

/// Most reservoir transactions offered to one produced block.
pub const MAX_BLOCK_TRANSACTIONS: usize = 1000;

/// How long a stopping kernel waits for its handlers to save their state.
pub const HANDLER_STOP_GRACE: Duration = Duration::from_secs(5);

/// Transport events handled in one turn of the kernel's loop before it looks at its timers
/// and other channels again.
const EVENT_BURST: usize = 32;

/// Node events buffered for each handler before a slow one misses some.
const NODE_EVENT_BUFFER: usize = 4096;

pub use dynamic::RebalanceRequest;
pub use produce::{ProducerSwitch, Production};

/// The kernel, configured and ready to run.
pub struct Kernel {
    chain: Arc<dyn Chain>,
    sync: SyncConfig,
    mode: ModeCell,
    clock: Arc<dyn Clock>,
    seed: u64,
    version: String,
    statics: Vec<DialTarget>,
    requests: Option<mpsc::Receiver<NodeRequest>>,
    rebalance: Option<mpsc::Sender<RebalanceRequest>>,
    production: Option<Production>,
    inline: bool,
    handlers: Option<(Registry, Arc<dyn Store>)>,
    pool: Option<Arc<dyn TransactionPool>>,
    status: Option<mpsc::Receiver<StatusQuery>>,
    metrics: Arc<Metrics>,
    clients: Option<crate::clients::ValidClients>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel").field("chain", &self.chain.name()).finish_non_exhaustive()
    }
}

impl Kernel {
    /// A kernel for `chain` with the `[sync]` settings; mode cell, clock, seed, version,
    /// peers, the peer-layer seams and production have defaults changed by the `with_*`
    /// methods.
    pub fn new(chain: Arc<dyn Chain>, sync: SyncConfig) -> Self {
        Self {
            chain,
            sync,
            mode: ModeCell::new(Mode::Resynchronise),
            clock: Arc::new(SystemClock),
            seed: 0,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            statics: Vec::new(),
            requests: None,
            rebalance: None,
            production: None,
            inline: false,
            handlers: None,
            pool: None,
            status: None,
            metrics: Arc::new(Metrics::default()),
            clients: None,
        }
    }

    /// The handlers to dispatch gossip to, and the store they keep their state in. The
    /// registry's transaction pool, if any, feeds local block production.
    pub fn with_handlers(mut self, registry: Registry, store: Arc<dyn Store>) -> Self {
        self.pool = registry.transaction_pool().cloned();
        self.handlers = Some((registry, store));
        self
    }

    /// Admit inbound clients through a client pool with these settings (`[clients]`, see
    /// [`crate::clients`]): every transport gets it as its gate, balances are kept in the
    /// handlers' store, static peers are pinned. Without it every client is admitted.
    pub fn with_clients(mut self, clients: crate::clients::ValidClients) -> Self {
        self.clients = Some(clients);
        self
    }

    /// Answer status queries from this channel (see [`crate::status::StatusHandle`]).
    pub fn with_status(mut self, queries: mpsc::Receiver<StatusQuery>) -> Self {
        self.status = Some(queries);
        self
    }

    /// Count into these metrics (shared with whoever renders them).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The mode cell handlers read.
    pub fn with_mode(mut self, mode: ModeCell) -> Self {
        self.mode = mode;
        self
    }

    /// The wall clock for registration and block timestamps.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The connector's seed (forgery-check choices).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The version string reported by `I`.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Configured peers: dialled at start; their connections are static upstreams, which
    /// vote in this order.
    pub fn with_statics(mut self, statics: Vec<DialTarget>) -> Self {
        self.statics = statics;
        self
    }

    /// Requests from handlers (the receiving end of their [`peerd_api::NodeLink`]):
    /// `Connect` and `Release` manage the dynamic upstreams.
    pub fn with_node_requests(mut self, requests: mpsc::Receiver<NodeRequest>) -> Self {
        self.requests = Some(requests);
        self
    }

    /// Where to send a [`RebalanceRequest`] when the connector has too few upstreams (the
    /// peer layer reads it and answers with `Connect` requests). Without it the kernel only
    /// re-dials the targets it knows.
    pub fn with_rebalance(mut self, rebalance: mpsc::Sender<RebalanceRequest>) -> Self {
        self.rebalance = Some(rebalance);
        self
    }

    /// Produce blocks locally (`dev`, `local`); see `kernel/produce.rs` for when.
    pub fn with_producer(mut self, production: Production) -> Self {
        self.production = Some(production);
        self
    }

    /// Call the chain on the runtime thread instead of the blocking pool. For simulations
    /// on a current-thread runtime with a fast chain (memory store, `dev` digests): every
    /// step then runs on one thread in a reproducible order. Not for production nodes.
    pub fn with_inline_chain(mut self, inline: bool) -> Self {
        self.inline = inline;
        self
    }

    /// Runs until `shutdown` is cancelled (then `Ok`), or until it cannot go on.
    ///
    /// # Errors
    ///
    /// [`KernelError::TransportsClosed`] when every transport's event channel closed
    /// first; [`KernelError::ChainWorkerStopped`] when blocks can no longer be stored.
    /// Handlers get their stop grace either way.
    pub async fn run(
        mut self,
        transports: &[TransportHandle],
        events: &mut mpsc::Receiver<TransportEvent>,
        shutdown: &CancellationToken,
    ) -> Result<(), KernelError> {
        let capacity = (4 * self.sync.fetch_window).max(peerd_api::CHANNEL_CAPACITY);
        let (event_tx, mut event_rx) = mpsc::channel(capacity);
        let (ops_tx, ops_rx) = mpsc::channel(self.sync.fetch_window + 64);
        let (node_events, _) = broadcast::channel(NODE_EVENT_BUFFER);
        self.chain = Arc::new(observed::Observed::new(self.chain.clone(), node_events.clone()));
        let (relay_tx, mut relay_rx) = mpsc::channel(peerd_api::CHANNEL_CAPACITY);
        let worker = apply::worker(
            self.chain.clone(),
            ops_rx,
            event_tx.clone(),
            relay_tx.clone(),
            self.metrics.clone(),
            self.inline,
        );
        tokio::spawn(worker);
        let stop = shutdown.child_token();
        // Bans are kept in the handlers' store (the node's one store).
        let bans_store = self.handlers.as_ref().map(|(_, store)| store.clone());
        let dispatch = match self.handlers.take() {
            Some((registry, store)) => {
                let ctx =
                    HandlerContext::new(self.chain.clone(), store, NodeLink::new(relay_tx.clone()))
                        .with_mode(self.mode.clone())
                        .with_clock(self.clock.clone())
                        .with_identities(identities(transports))
                        .with_shutdown(stop.clone())
                        .with_metrics(self.metrics.registry().clone());
                dispatch::Dispatch::start(&registry, &ctx, &relay_tx, &node_events, &self.metrics)
            }
            None => dispatch::Dispatch::default(),
        };
        let mut requests = self.requests.take();
        let mut status = self.status.take();
        let standalone = self.sync.min_upstreams == 0;
        let cycle = self.sync.cycle_interval.max(Duration::from_millis(1));
        let mut tick = tokio::time::interval_at(Instant::now() + cycle, cycle);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut clients_tick = tokio::time::interval_at(Instant::now() + pool::TICK, pool::TICK);
        clients_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut clients_ticks = 0u64;
        let mut produce = self.production.as_ref().map(|p| {
            let every = p.interval.max(Duration::from_millis(1));
            let mut timer = tokio::time::interval_at(Instant::now() + every, every);
            timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
            timer
        });
        let links =
            shell::Links { event_tx, ops_tx, node_events, dispatch, metrics: self.metrics.clone() };
        let connector = Connector::new(self.sync.clone(), self.seed);
        let mut shell = shell::Shell::new(connector, self, transports, links, stop);
        if let Some(store) = bans_store {
            shell.load_bans(store);
        }
        shell.start_clients();
        shell.reverify_fast_range().await;
        if standalone {
            shell.set_mode(Mode::Normal);
        }
        shell.offer_server();
        shell.dial_statics().await;
        // Futures that live across iterations: building them anew for every event (a timer
        // entry, a cancellation waiter) costs more than handling a request.
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);
        let wake = tokio::time::sleep_until(Instant::now());
        tokio::pin!(wake);
        let mut armed: Option<Instant> = None;
        let dial_wake = tokio::time::sleep_until(Instant::now());
        tokio::pin!(dial_wake);
        let mut dial_armed: Option<Instant> = None;
        let mut outcome = Ok(());
        loop {
            if let Some(error) = shell.failed.take() {
                outcome = Err(error);
                break;
            }
            let deadline = shell.connector.next_deadline();
            if deadline != armed {
                if let Some(at) = deadline {
                    wake.as_mut().reset(at);
                }
                armed = deadline;
            }
            let dial_deadline = shell.dialer.next_deadline();
            if dial_deadline != dial_armed {
                if let Some(at) = dial_deadline {
                    dial_wake.as_mut().reset(at);
                }
                dial_armed = dial_deadline;
            }
            tokio::select! {
                biased;
                () = &mut cancelled => break,
                _ = tick.tick(), if !standalone => {
                    shell.expire_bans();
                    shell.feed(Event::Tick).await;
                }
                _ = clients_tick.tick(), if shell.has_clients() => {
                    clients_ticks += 1;
                    shell.tick_clients(clients_ticks);
                }
                () = &mut wake, if armed.is_some() => {
                    armed = None;
                    shell.feed(Event::Wake).await;
                }
                () = &mut dial_wake, if dial_armed.is_some() => {
                    dial_armed = None;
                    shell.poll_dialer().await;
                }
                _ = next_tick(produce.as_mut()) => shell.produce().await,
                event = events.recv() => match event {
                    Some(event) => {
                        shell.transport_event(event).await;
                        // A burst of requests is handled without going round the loop.
                        for _ in 0..EVENT_BURST {
                            match events.try_recv() {
                                Ok(event) => shell.transport_event(event).await,
                                Err(_) => break,
                            }
                        }
                    }
                    None => {
                        outcome = Err(KernelError::TransportsClosed);
                        break;
                    }
                },
                Some(request) = relay_rx.recv() => shell.node_request(request).await,
                Some(request) = next_request(requests.as_mut()) => {
                    shell.node_request(request).await;
                }
                Some(query) = next_request(status.as_mut()) => shell.answer_status(query),
                Some(event) = event_rx.recv() => shell.feed(event).await,
            }
        }
        shell.save_clients();
        shell.stop().await;
        outcome
    }
}

async fn next_tick(timer: Option<&mut tokio::time::Interval>) {
    match timer {
        Some(timer) => {
            timer.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// This node's identity on each transport, for handlers.
fn identities(transports: &[TransportHandle]) -> Arc<[LocalIdentity]> {
    transports
        .iter()
        .map(|t| LocalIdentity {
            transport: t.name.clone(),
            key: t.local_id.as_bytes().to_vec().into(),
            listeners: t.listeners.clone(),
        })
        .collect()
}

/// The next message of an optional channel; pending forever without a channel or once it
/// closed.
async fn next_request<T>(requests: Option<&mut mpsc::Receiver<T>>) -> Option<T> {
    match requests {
        Some(rx) => match rx.recv().await {
            Some(request) => Some(request),
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}
