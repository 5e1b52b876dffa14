//! The kernel's async shell around the [`Connector`]: it only moves bytes.
//!
//! - Transport events: `Connected` starts an upstream task (`kernel/upstream.rs`: register
//!   `R`, then poll `N` and `H(local height)` every `poll_interval`, re-registering on every
//!   reconnect); `Disconnected` stops it and tells the connector; inbound requests are
//!   answered from the chain on a blocking thread (`kernel/serve.rs`).
//! - Connector actions: requests are sent on the right transport and their replies fed
//!   back as events; `Apply`/`DeleteDown` go, in order, to the chain worker
//!   (`kernel/apply.rs`); `SetMode` writes the shared [`ModeCell`].
//! - Time: a `cycle_interval` tick, and a wake-up at the connector's earliest request
//!   deadline.
//!
//! Not here yet: gossip dispatch to handlers, `NodeEvent`s to handlers, the rebalance of
//! dynamic upstreams on [`Action::Reconnect`] (it is only logged). An inbound `R` is answered
//! with the first transport's identity (inbound requests do not say which transport they
//! came on).

mod apply;
mod serve;
mod upstream;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use peerd_api::{
    Chain, Clock, DialTarget, Mode, ModeCell, PeerId, Registration, SystemClock, TransportCommand,
    TransportEvent, TransportHandle,
};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::connector::{Action, ChainView, Connector, Event, SyncConfig, UpstreamKind};

/// The kernel, configured and ready to run.
pub struct Kernel {
    chain: Arc<dyn Chain>,
    sync: SyncConfig,
    mode: ModeCell,
    clock: Arc<dyn Clock>,
    seed: u64,
    version: String,
    statics: Vec<DialTarget>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel").field("chain", &self.chain.name()).finish_non_exhaustive()
    }
}

impl Kernel {
    /// A kernel for `chain` with the `[sync]` settings; mode cell, clock, seed, version and
    /// static peers have defaults changed by the `with_*` methods.
    pub fn new(chain: Arc<dyn Chain>, sync: SyncConfig) -> Self {
        Self {
            chain,
            sync,
            mode: ModeCell::new(Mode::Resynchronise),
            clock: Arc::new(SystemClock),
            seed: 0,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            statics: Vec::new(),
        }
    }

    /// The mode cell handlers read.
    pub fn with_mode(mut self, mode: ModeCell) -> Self {
        self.mode = mode;
        self
    }

    /// The wall clock for registration timestamps.
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

    /// Configured peers: dialled at start; their connections are static upstreams.
    pub fn with_statics(mut self, statics: Vec<DialTarget>) -> Self {
        self.statics = statics;
        self
    }

    /// Runs until `shutdown` is cancelled or every transport's event channel closes.
    pub async fn run(
        self,
        transports: &[TransportHandle],
        events: &mut mpsc::Receiver<TransportEvent>,
        shutdown: &CancellationToken,
    ) {
        let capacity = (4 * self.sync.fetch_window).max(peerd_api::CHANNEL_CAPACITY);
        let (event_tx, mut event_rx) = mpsc::channel(capacity);
        let (ops_tx, ops_rx) = mpsc::channel(self.sync.fetch_window + 64);
        tokio::spawn(apply::worker(self.chain.clone(), ops_rx, event_tx.clone()));
        for target in &self.statics {
            if let Some(t) = transports.iter().find(|t| t.name == target.transport) {
                let _ = t.commands.send(TransportCommand::Dial(target.clone())).await;
            }
        }
        let mut shell = Shell {
            connector: Connector::new(self.sync.clone(), self.seed),
            kernel: self,
            transports,
            event_tx,
            ops_tx,
            routes: HashMap::new(),
            upstream_ids: Arc::new(AtomicU64::new(1 << 48)),
            stop: shutdown.child_token(),
        };
        let cycle = shell.kernel.sync.cycle_interval;
        let mut tick = tokio::time::interval_at(Instant::now() + cycle, cycle);
        loop {
            let deadline = shell.connector.next_deadline();
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => shell.feed(Event::Tick).await,
                () = sleep_until(deadline) => shell.feed(Event::Wake).await,
                Some(event) = event_rx.recv() => shell.feed(event).await,
                event = events.recv() => match event {
                    Some(event) => shell.transport_event(event).await,
                    None => break,
                },
            }
        }
        shell.stop.cancel();
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The running kernel's state.
struct Shell<'a> {
    kernel: Kernel,
    connector: Connector,
    transports: &'a [TransportHandle],
    event_tx: mpsc::Sender<Event>,
    ops_tx: mpsc::Sender<Action>,
    /// Per upstream: its transport and the token stopping its task.
    routes: HashMap<PeerId, (usize, CancellationToken)>,
    upstream_ids: Arc<AtomicU64>,
    stop: CancellationToken,
}

impl Shell<'_> {
    async fn feed(&mut self, event: Event) {
        let view = ChainView(self.kernel.chain.as_ref());
        let actions = self.connector.on_event(event, Instant::now(), &view);
        for action in actions {
            self.perform(action).await;
        }
    }

    async fn perform(&mut self, action: Action) {
        match action {
            Action::SetMode(mode) => {
                tracing::info!(?mode, "mode");
                self.kernel.mode.set(mode);
            }
            Action::Request { id, peer, request } => {
                let events = self.event_tx.clone();
                let Some((index, _)) = self.routes.get(&peer) else {
                    // Answered from a task: this loop is the only reader of `events`.
                    let result = Err(peerd_api::TransportError::NotConnected(peer));
                    tokio::spawn(async move { events.send(Event::Response { id, result }).await });
                    return;
                };
                let commands = self.transports[*index].commands.clone();
                let timeout = self.kernel.sync.request_timeout + std::time::Duration::from_secs(1);
                tokio::spawn(async move {
                    let result = upstream::ask(&commands, id, peer, request, timeout).await;
                    let _ = events.send(Event::Response { id, result }).await;
                });
            }
            Action::Apply { .. } | Action::DeleteDown { .. } => {
                if self.ops_tx.send(action).await.is_err() {
                    tracing::error!("chain worker stopped");
                }
            }
            Action::Reconnect => tracing::info!("too few upstreams; waiting for more connections"),
            Action::DropPeer { peer, fault } => {
                tracing::warn!(%peer, %fault, "invalid block; no longer fetching from it");
            }
        }
    }

    async fn transport_event(&mut self, event: TransportEvent) {
        match event {
            TransportEvent::Connected { peer, target } => self.connected(peer, &target),
            TransportEvent::Disconnected { peer } => {
                if let Some((_, cancel)) = self.routes.remove(&peer) {
                    cancel.cancel();
                }
                self.feed(Event::Lost { peer }).await;
            }
            TransportEvent::Inbound(inbound) => {
                let chain = self.kernel.chain.clone();
                let mode = self.kernel.mode.get();
                let version = self.kernel.version.clone();
                let me = self.registration(0);
                tokio::task::spawn_blocking(move || {
                    let response =
                        serve::answer(chain.as_ref(), mode, &version, &me, inbound.request);
                    let _ = inbound.reply.send(response);
                });
            }
            TransportEvent::Gossip { .. } | TransportEvent::Listening(_) => {}
        }
    }

    fn registration(&self, index: usize) -> Registration {
        let handle = self.transports.get(index);
        Registration {
            chain: self.kernel.chain.name().to_owned(),
            public_key: handle.map(|t| t.local_id.as_bytes().to_vec().into()).unwrap_or_default(),
            listeners: handle.map(|t| t.listeners.clone()).unwrap_or_default(),
            timestamp: self.kernel.clock.unix_now(),
        }
    }

    fn connected(&mut self, peer: PeerId, target: &DialTarget) {
        let Some(index) = self.transports.iter().position(|t| t.name == target.transport) else {
            let transport = &target.transport;
            tracing::warn!(%peer, %transport, "connection on an unknown transport");
            return;
        };
        if let Some((_, old)) = self.routes.remove(&peer) {
            old.cancel(); // a reconnect: register afresh
        }
        let kind = if self.kernel.statics.iter().any(|s| s.key == target.key) {
            UpstreamKind::Static
        } else {
            UpstreamKind::Dynamic
        };
        let cancel = self.stop.child_token();
        self.routes.insert(peer.clone(), (index, cancel.clone()));
        upstream::Upstream {
            peer,
            kind,
            commands: self.transports[index].commands.clone(),
            events: self.event_tx.clone(),
            chain: self.kernel.chain.clone(),
            clock: self.kernel.clock.clone(),
            me: self.registration(index),
            poll_interval: self.kernel.sync.poll_interval,
            timeout: self.kernel.sync.request_timeout,
            ids: self.upstream_ids.clone(),
        }
        .spawn(cancel);
    }
}
