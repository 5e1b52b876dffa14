//! The running kernel's state: carries out connector actions, transport events and
//! handler requests.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{
    DialTarget, Item, Mode, NodeEvent, NodeRequest, PeerId, RequestId, Store, TransportCommand,
    TransportError, TransportHandle,
};
use tokio::sync::{broadcast, mpsc, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::apply::Op;
use super::dialer::{DialAction, DialPolicy, Dialer};
use super::dispatch::Dispatch;
use super::dynamic::{same_peer, RebalanceRequest, SlotChange, Slots};
use super::relay::{Recent, PUSH_QUEUE_SLOTS};
use super::{upstream, Kernel};
use crate::connector::{Action, ApplyDigest, ChainView, Connector, Event, State, UpstreamKind};
use crate::misbehaviour::{Offence, Policy, Scores};
use crate::status::Metrics;
use crate::KernelError;

mod discipline;

/// Shortest pause between two rounds of immediate polls ([`NodeRequest::Behind`]).
const BEHIND_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// One outgoing connection with a running upstream task.
pub(super) struct Route {
    /// Index of its transport.
    pub(super) transport: usize,
    /// What was dialled.
    pub(super) target: DialTarget,
    /// Gossip to push to it (bitmarkd's per-peer queue).
    pub(super) push: mpsc::Sender<Item>,
    /// Stops its upstream task.
    pub(super) cancel: CancellationToken,
    /// Makes its upstream task poll at once.
    pub(super) poll_now: Arc<Notify>,
}

/// What the shell shares with the chain worker, handlers and upstream tasks.
pub(super) struct Links {
    pub(super) event_tx: mpsc::Sender<Event>,
    pub(super) ops_tx: mpsc::Sender<Op>,
    /// Node events for the handlers.
    pub(super) node_events: broadcast::Sender<NodeEvent>,
    pub(super) dispatch: Dispatch,
    pub(super) metrics: Arc<Metrics>,
}

/// The running kernel's state.
pub(super) struct Shell<'a> {
    pub(super) kernel: Kernel,
    pub(super) connector: Connector,
    pub(super) transports: &'a [TransportHandle],
    pub(super) links: Links,
    pub(super) routes: HashMap<PeerId, Route>,
    slots: Slots,
    /// Our identity on each transport, never dialled.
    own: Vec<(String, Bytes)>,
    /// Targets closed by a release or slot reuse: a late `Connected` for one is closed again.
    closed: HashSet<(String, Bytes)>,
    upstream_ids: Arc<AtomicU64>,
    /// Recently relayed items (dedup).
    pub(super) recent: Recent,
    pub(super) started: Instant,
    /// Set when the kernel cannot go on; the loop stops and `run` returns it.
    pub(super) failed: Option<KernelError>,
    /// When upstreams were last asked to poll at once ([`NodeRequest::Behind`]).
    polled_now: Option<Instant>,
    /// Misbehaviour scores and bans.
    pub(super) scores: Scores,
    /// Where bans are kept across restarts (the handlers' store), if the kernel has one.
    pub(super) bans_store: Option<Arc<dyn Store>>,
    /// The peer each connector request in flight went to, to score its failure.
    asked: HashMap<RequestId, PeerId>,
    /// Every outgoing connection attempt.
    pub(super) dialer: Dialer,
    /// The inbound client pool, when configured (`kernel/pool.rs`).
    pub(super) clients: Option<crate::clients::Clients>,
    /// The first fast-synced block not yet covered by a finished session (`kernel/fastsync.rs`).
    pub(super) fast_pending: Option<u64>,
    stop: CancellationToken,
}

impl<'a> Shell<'a> {
    pub(super) fn new(
        connector: Connector,
        kernel: Kernel,
        transports: &'a [TransportHandle],
        links: Links,
        stop: CancellationToken,
    ) -> Self {
        let own = transports
            .iter()
            .map(|t| (t.name.clone(), Bytes::copy_from_slice(t.local_id.as_bytes())))
            .collect();
        let policy = Policy {
            threshold: f64::from(kernel.sync.ban_threshold),
            ban_duration: kernel.sync.ban_duration,
            half_life: kernel.sync.score_half_life,
        };
        let dials = DialPolicy {
            max_concurrent: kernel.sync.max_concurrent_dials,
            timeout: kernel.sync.dial_timeout,
            backoff: std::time::Duration::from_secs(1),
            max_backoff: std::time::Duration::from_secs(60),
            dynamic_attempts: 5,
        };
        Self {
            dialer: Dialer::new(dials, kernel.seed),
            slots: Slots::new(kernel.sync.max_dynamic_upstreams),
            scores: Scores::new(policy),
            bans_store: None,
            asked: HashMap::new(),
            kernel,
            connector,
            transports,
            links,
            routes: HashMap::new(),
            own,
            closed: HashSet::new(),
            upstream_ids: Arc::new(AtomicU64::new(1 << 48)),
            recent: Recent::default(),
            started: Instant::now(),
            failed: None,
            polled_now: None,
            clients: None,
            fast_pending: None,
            stop,
        }
    }

    /// Whether the kernel runs a client pool.
    pub(super) fn has_clients(&self) -> bool {
        self.clients.is_some()
    }

    /// Stops every upstream task and the handlers, and waits for the handlers to finish.
    pub(super) async fn stop(&mut self) {
        self.stop.cancel();
        self.links.dispatch.finish(super::HANDLER_STOP_GRACE).await;
    }

    /// Records why the kernel cannot go on (the first reason wins).
    pub(super) fn fail(&mut self, error: KernelError) {
        if self.failed.is_none() {
            tracing::error!(%error, "kernel stopping");
            self.failed = Some(error);
        }
    }

    /// Publishes the mode to handlers.
    pub(super) fn set_mode(&self, mode: Mode) {
        tracing::info!(?mode, "mode");
        self.kernel.mode.set(mode);
    }

    /// Dials every configured peer (never ourselves).
    pub(super) async fn dial_statics(&mut self) {
        for target in self.kernel.statics.clone() {
            self.dial(target).await;
        }
    }

    pub(super) async fn feed(&mut self, event: Event) {
        if let Event::Applied { result: Ok(_), .. } = &event {
            self.links.metrics.inc("peerd_blocks_fetched_total", &[]);
        }
        if let Event::Response { id, result } = &event {
            let peer = self.asked.remove(id);
            if let (Some(peer), Some(offence)) = (peer, discipline::offence_of(result)) {
                let detail = result.as_ref().err().map(ToString::to_string).unwrap_or_default();
                self.penalize(&peer, offence, &detail).await;
            }
        }
        let view = ChainView(self.kernel.chain.as_ref());
        let done = self.connector.fetches_done();
        let actions = self.connector.on_event(event, Instant::now(), &view);
        for action in actions {
            self.perform(action).await;
        }
        if self.connector.fetches_done() > done {
            self.fast_range_checked();
        } else {
            self.fast_checked_up_to(self.connector.forgery_checked());
        }
    }

    async fn perform(&mut self, action: Action) {
        match action {
            Action::SetMode(mode) => self.set_mode(mode),
            Action::Request { id, peer, request } => {
                let events = self.links.event_tx.clone();
                let Some(route) = self.routes.get(&peer) else {
                    // Answered from a task: this loop is the only reader of `events`.
                    let result = Err(TransportError::NotConnected(peer));
                    tokio::spawn(async move { events.send(Event::Response { id, result }).await });
                    return;
                };
                let commands = self.transports[route.transport].commands.clone();
                let timeout = self.kernel.sync.request_timeout + std::time::Duration::from_secs(1);
                self.asked.insert(id, peer.clone());
                let metrics = self.links.metrics.clone();
                tokio::spawn(async move {
                    let result =
                        upstream::ask(&commands, &metrics, id, peer, request, timeout).await;
                    let _ = events.send(Event::Response { id, result }).await;
                });
            }
            Action::Apply { number, digest: ApplyDigest::NextBlock(_), .. } => {
                self.fast_block_coming(number);
                if self.links.ops_tx.send(Op::Chain(action)).await.is_err() {
                    self.fail(KernelError::ChainWorkerStopped);
                }
            }
            Action::Apply { .. } | Action::DeleteDown { .. } => {
                if self.links.ops_tx.send(Op::Chain(action)).await.is_err() {
                    self.fail(KernelError::ChainWorkerStopped);
                }
            }
            Action::Reconnect => self.reconnect().await,
            Action::DropPeer { peer, offence, fault } => {
                tracing::warn!(%peer, %fault, "left the fetch session");
                self.penalize(&peer, offence, &fault).await;
            }
        }
    }

    /// Too few upstreams: ask the peer layer for a rebalance, and re-dial every known
    /// target (configured or dynamic) that has no connection.
    async fn reconnect(&mut self) {
        let registered = self.connector.upstreams().iter().filter(|u| u.registered).count();
        let wanted = self.kernel.sync.min_upstreams;
        tracing::info!(registered, wanted, "too few upstreams; asking for more");
        if let Some(rebalance) = &self.kernel.rebalance {
            if rebalance.try_send(RebalanceRequest { registered, wanted }).is_err() {
                tracing::debug!("rebalance request dropped: the peer layer is busy or gone");
            }
        }
        let known: Vec<DialTarget> =
            self.kernel.statics.iter().chain(self.slots.targets()).cloned().collect();
        for target in known {
            let connected = self.routes.values().any(|r| r.target == target);
            if !connected {
                self.dial(target).await;
            }
        }
    }

    /// Sends a dial to the target's transport; never to ourselves.
    async fn dial(&mut self, target: DialTarget) {
        if self.own.iter().any(|(t, k)| same_peer(&target, t, k)) {
            tracing::warn!(key = ?target.key, "not connecting to ourselves");
            return;
        }
        if self.target_banned(&target) {
            tracing::info!(key = ?target.key, "not connecting to a banned peer");
            return;
        }
        if !self.transports.iter().any(|t| t.name == target.transport) {
            tracing::warn!(transport = %target.transport, "no transport for a dial target");
            return;
        }
        self.closed.remove(&(target.transport.clone(), target.key.clone()));
        let is_static =
            self.kernel.statics.iter().any(|s| same_peer(s, &target.transport, &target.key));
        let actions = self.dialer.request(target, is_static, Instant::now());
        self.dial_actions(actions).await;
    }

    /// Attempts that timed out end, retries that are due start.
    pub(super) async fn poll_dialer(&mut self) {
        let actions = self.dialer.poll(Instant::now());
        self.dial_actions(actions).await;
    }

    /// A transport could not reach `target`.
    pub(super) async fn dial_failed(&mut self, target: DialTarget, failure: &str, reason: &str) {
        tracing::debug!(transport = %target.transport, key = ?target.key, reason, "dial failed");
        self.links.metrics.inc("peerd_dials_total", &[("result", "failed")]);
        let labels = [("transport", target.transport.as_str()), ("reason", failure)];
        self.links.metrics.inc("peerd_dial_failures_total", &labels);
        let actions = self.dialer.failed(&target, Instant::now());
        self.dial_actions(actions).await;
    }

    /// Carries out what the dialer decided.
    async fn dial_actions(&mut self, actions: Vec<DialAction>) {
        for action in actions {
            match action {
                DialAction::Dial(target) => {
                    self.links.metrics.inc("peerd_dials_total", &[("result", "started")]);
                    let Some(t) = self.transports.iter().find(|t| t.name == target.transport)
                    else {
                        continue;
                    };
                    let _ = t.commands.send(TransportCommand::Dial(target)).await;
                }
                DialAction::Abort(target) => {
                    tracing::info!(transport = %target.transport, key = ?target.key,
                        "no connection within dial_timeout; retrying later");
                    self.links.metrics.inc("peerd_dials_total", &[("result", "timed_out")]);
                    let labels =
                        [("transport", target.transport.as_str()), ("reason", "timed_out")];
                    self.links.metrics.inc("peerd_dial_failures_total", &labels);
                    if let Some(t) = self.transports.iter().find(|t| t.name == target.transport) {
                        let peer = PeerId::new(target.key.clone());
                        let _ = t.commands.send(TransportCommand::Disconnect(peer)).await;
                    }
                }
                DialAction::GiveUp(target) => {
                    self.links.metrics.inc("peerd_dials_total", &[("result", "given_up")]);
                    if self.slots.release(&target.transport, &target.key).is_some() {
                        tracing::info!(key = ?target.key, "dynamic upstream released: it cannot be reached");
                    }
                }
            }
        }
    }

    /// Closes every connection to `target` and tells the connector.
    async fn close(&mut self, target: &DialTarget) {
        self.closed.insert((target.transport.clone(), target.key.clone()));
        let actions = self.dialer.cancel(target, Instant::now());
        Box::pin(self.dial_actions(actions)).await;
        let Some(index) = self.transports.iter().position(|t| t.name == target.transport) else {
            return;
        };
        let mut peers: Vec<PeerId> = self
            .routes
            .iter()
            .filter(|(_, r)| same_peer(&r.target, &target.transport, &target.key))
            .map(|(p, _)| p.clone())
            .collect();
        if peers.is_empty() {
            // Not connected yet: the transport names a peer by its key.
            peers.push(PeerId::new(target.key.clone()));
        }
        for peer in peers {
            let commands = &self.transports[index].commands;
            let _ = commands.send(TransportCommand::Disconnect(peer.clone())).await;
            if let Some(route) = self.routes.remove(&peer) {
                route.cancel.cancel();
                // Boxed: feeding the connector can ban a peer, which closes its connection.
                Box::pin(self.feed(Event::Lost { peer })).await;
            }
        }
    }

    /// A request from a handler.
    pub(super) async fn node_request(&mut self, request: NodeRequest) {
        match request {
            NodeRequest::Connect(target) if self.target_banned(&target) => {
                tracing::debug!(key = ?target.key, "not taking a slot for a banned peer");
            }
            NodeRequest::Connect(target) => {
                match self.slots.connect(target, &self.kernel.statics, &self.own) {
                    SlotChange::Kept => {}
                    SlotChange::Connect { close, dial } => {
                        if let Some(old) = close {
                            self.close(&old).await;
                        }
                        tracing::info!(key = ?dial.key, "dynamic upstream connecting");
                        self.dial(dial).await;
                    }
                }
            }
            NodeRequest::Release { transport, key } => {
                if let Some(old) = self.slots.release(&transport, &key) {
                    tracing::info!(?key, "dynamic upstream released");
                    self.close(&old).await;
                }
            }
            NodeRequest::Behind { height } => self.behind(height),
            NodeRequest::Misbehaved { peer, reason } => {
                self.penalize(&peer, Offence::InvalidItem, &reason).await;
            }
            NodeRequest::Broadcast(item) => self.broadcast(item, None),
            NodeRequest::BroadcastOn { transport, item } => self.broadcast(item, Some(&transport)),
            NodeRequest::Reward { transport, peer, amount } => {
                self.reward(transport, &peer, amount)
            }
        }
    }

    /// A handler saw a block at `height` that does not connect: poll every upstream now
    /// (at most once a second), so the connector sees the higher chain and fetches it.
    fn behind(&mut self, height: u64) {
        let now = Instant::now();
        if self.polled_now.is_some_and(|at| now.saturating_duration_since(at) < BEHIND_PAUSE) {
            return;
        }
        let local = self.kernel.chain.height().unwrap_or(1);
        if height <= local + 1 {
            return;
        }
        self.polled_now = Some(now);
        tracing::info!(height, local, "gossip shows a higher chain; polling upstreams now");
        for route in self.routes.values() {
            route.poll_now.notify_one();
        }
    }

    /// The production timer fired: produce if in sync.
    pub(super) async fn produce(&mut self) {
        let Some(production) = &self.kernel.production else { return };
        let standalone = self.kernel.sync.min_upstreams == 0;
        let in_sync = self.kernel.mode.get() == Mode::Normal
            && (standalone || self.connector.state() == State::Sampling);
        if !production.switch.is_on() || !in_sync {
            return;
        }
        let now_unix = self.kernel.clock.unix_now();
        let transactions = match &self.kernel.pool {
            Some(pool) => pool.ready(super::MAX_BLOCK_TRANSACTIONS),
            None => Vec::new(),
        };
        if self.links.ops_tx.send(Op::Produce { now_unix, transactions }).await.is_err() {
            self.fail(KernelError::ChainWorkerStopped);
        }
    }

    pub(super) async fn connected(&mut self, peer: PeerId, target: DialTarget) {
        let Some(index) = self.transports.iter().position(|t| t.name == target.transport) else {
            let transport = &target.transport;
            tracing::warn!(%peer, %transport, "connection on an unknown transport");
            return;
        };
        let rank =
            self.kernel.statics.iter().position(|s| same_peer(s, &target.transport, &target.key));
        let closed = self.closed.contains(&(target.transport.clone(), target.key.clone()));
        if rank.is_none() && closed && !self.slots.holds(&target.transport, &target.key) {
            // Released while the connection came up.
            let _ = self.transports[index].commands.send(TransportCommand::Disconnect(peer)).await;
            return;
        }
        let actions = self.dialer.connected(&target, Instant::now());
        self.dial_actions(actions).await;
        if self.is_banned(&peer) {
            tracing::info!(%peer, "closing a connection to a banned peer");
            let _ = self.transports[index].commands.send(TransportCommand::Disconnect(peer)).await;
            return;
        }
        if let Some(old) = self.routes.remove(&peer) {
            old.cancel.cancel(); // a reconnect: register afresh
        }
        let kind = match rank {
            Some(rank) => {
                self.connector.rank_static(peer.clone(), rank);
                UpstreamKind::Static
            }
            None => UpstreamKind::Dynamic,
        };
        let cancel = self.stop.child_token();
        let (push, pushes) = mpsc::channel(PUSH_QUEUE_SLOTS);
        let poll_now = Arc::new(Notify::new());
        let transport = self.transports[index].name.clone();
        let key = target.key.clone();
        let route = Route {
            transport: index,
            target,
            push,
            cancel: cancel.clone(),
            poll_now: poll_now.clone(),
        };
        self.routes.insert(peer.clone(), route);
        upstream::Upstream {
            peer,
            kind,
            transport,
            key,
            commands: self.transports[index].commands.clone(),
            events: self.links.event_tx.clone(),
            node_events: self.links.node_events.clone(),
            pushes,
            poll_now,
            chain: self.kernel.chain.clone(),
            clock: self.kernel.clock.clone(),
            me: self.registration(index),
            poll_interval: self.kernel.sync.poll_interval,
            timeout: self.kernel.sync.request_timeout,
            ids: self.upstream_ids.clone(),
            inline: self.kernel.inline,
            metrics: self.links.metrics.clone(),
        }
        .spawn(cancel);
    }
}
