//! The running transport: one task owning the swarm, driven by kernel commands, swarm events,
//! answered inbound requests and a maintenance tick.

mod clients;
mod discovery;
mod gossip;
mod inbound;
mod meters;
mod upstream;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm};
use peerd_api::{
    Addr, CancellationToken, TransportCommand, TransportContext, TransportError, TransportEvent,
};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;

use crate::behaviour::{Behaviour, BehaviourEvent};
use crate::settings::Settings;

pub(crate) use gossip::Gossip;
pub(crate) use inbound::Answer;
pub(crate) use upstream::Upstream;

/// How often redials, bans and held gossip are looked after.
const TICK: Duration = Duration::from_millis(250);

/// A running node.
pub(crate) struct Node {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) ctx: TransportContext,
    pub(crate) settings: Settings,
    /// Child of the kernel's shutdown token.
    pub(crate) stop: CancellationToken,
    /// Peers the kernel dialled: the only ones reported as `Connected`.
    pub(crate) upstreams: HashMap<PeerId, Upstream>,
    /// Which upstream each outgoing request went to.
    pub(crate) outbound: HashMap<OutboundRequestId, PeerId>,
    /// Peers whose connections we are closing (after `Disconnect`).
    pub(crate) closing: HashSet<PeerId>,
    /// Inbound requests waiting for the kernel's answer.
    pub(crate) answers: JoinSet<Answer>,
    pub(crate) gossip: Gossip,
    /// `libp2p-metrics` (swarm, gossipsub, identify, kad, ping) and the shared meters.
    pub(crate) meters: meters::Meters,
    /// The kernel's client pool, once handed over (`swarm/clients.rs`).
    pub(crate) gate: Option<Arc<dyn peerd_api::Gate>>,
    /// Inbound peers the pool admitted.
    pub(crate) clients: HashSet<PeerId>,
}

impl Node {
    pub(crate) fn new(swarm: Swarm<Behaviour>, ctx: TransportContext, settings: Settings) -> Self {
        let stop = ctx.shutdown.child_token();
        let gossip = Gossip::new(&ctx.chain, settings.gossip_rate);
        let meters = meters::Meters::new(&ctx.metrics);
        Self {
            swarm,
            ctx,
            settings,
            stop,
            upstreams: HashMap::new(),
            outbound: HashMap::new(),
            closing: HashSet::new(),
            answers: JoinSet::new(),
            gossip,
            meters,
            gate: None,
            clients: HashSet::new(),
        }
    }

    /// Runs until the shutdown token is cancelled or the kernel drops the command channel.
    pub(crate) async fn run(
        mut self,
        early: Vec<Multiaddr>,
        mut commands: mpsc::Receiver<TransportCommand>,
        stopped: Arc<Notify>,
    ) {
        for addr in early {
            self.emit(TransportEvent::Listening(Addr::new(addr.to_string()))).await;
        }
        // The kernel dials the bootstrap peers (its static upstreams, in configuration
        // order); here they only seed the DHT.
        for (peer, addr) in self.settings.bootstrap.clone() {
            self.swarm.behaviour_mut().kad.add_address(&peer, addr);
        }
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = self.stop.cancelled() => break,
                Some(done) = self.answers.join_next(), if !self.answers.is_empty() => {
                    if let Ok(answer) = done {
                        self.answered(answer);
                    }
                }
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => break,
                },
                event = self.swarm.select_next_some() => self.swarm_event(event).await,
                _ = tick.tick() => self.maintain(),
            }
        }
        self.stop.cancel();
        self.fail_all(TransportError::Stopped);
        self.answers.abort_all();
        while self.answers.join_next().await.is_some() {}
        commands.close();
        while let Ok(command) = commands.try_recv() {
            if let TransportCommand::Request { reply, .. } = command {
                let _ = reply.send(Err(TransportError::Stopped));
            }
        }
        // Dropping the swarm closes the listeners and connections; dropping the context
        // closes the event channel.
        drop(self);
        tracing::info!("libp2p transport stopped");
        stopped.notify_waiters();
        stopped.notify_one();
    }

    /// Sends an event to the kernel, waiting for room; false if the transport is stopping.
    /// (The future owns what it needs: the swarm is not `Sync`, so no `&Node` may be held
    /// across an await.)
    pub(crate) fn emit(
        &self,
        event: TransportEvent,
    ) -> impl Future<Output = bool> + Send + 'static {
        let (events, stop) = (self.ctx.events.clone(), self.stop.clone());
        async move {
            tokio::select! {
                biased;
                () = stop.cancelled() => false,
                sent = events.send(event) => sent.is_ok(),
            }
        }
    }

    async fn command(&mut self, command: TransportCommand) {
        match command {
            TransportCommand::Dial(target) => self.dial(target).await,
            TransportCommand::Request { id, peer, request, reply } => {
                self.request(id, peer, request, reply)
            }
            TransportCommand::Broadcast(item) => self.broadcast(item),
            TransportCommand::Disconnect(peer) => self.disconnect(&peer),
            // Requests go to the kernel as events (the swarm task would only add a hop).
            TransportCommand::Serve(_) => {}
            TransportCommand::Ban { peer, duration } => self.kernel_ban(&peer, duration),
            TransportCommand::Admit(gate) => self.gate = Some(gate),
            TransportCommand::Evict(peer) => self.evict_client(&peer),
        }
    }

    async fn swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        self.meters.swarm_event(&event);
        match event {
            SwarmEvent::Behaviour(event) => self.behaviour_event(event).await,
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::debug!(%address, "libp2p listening");
                self.emit(TransportEvent::Listening(Addr::new(address.to_string()))).await;
            }
            SwarmEvent::ConnectionEstablished { peer_id, num_established, endpoint, .. } => {
                tracing::debug!(peer = %peer_id, address = %endpoint.get_remote_address(), "libp2p connection up");
                if num_established.get() == 1 {
                    self.established(peer_id).await;
                }
                if endpoint.is_listener() {
                    self.client_connected(peer_id);
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established, cause, .. } => {
                tracing::debug!(peer = %peer_id, cause = ?cause.map(|c| c.to_string()), "libp2p connection closed");
                if num_established == 0 {
                    self.closed(peer_id).await;
                    self.client_closed(peer_id);
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id: Some(peer), error, .. } => {
                tracing::debug!(%peer, %error, "libp2p dial failed");
                let failure = meters::dial_failure(&error);
                self.outgoing_failed(peer, failure, error.to_string()).await;
            }
            SwarmEvent::IncomingConnectionError { send_back_addr, error, .. } => {
                tracing::debug!(from = %send_back_addr, %error, "libp2p inbound connection failed");
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::warn!(%error, "libp2p listener error");
            }
            _ => {}
        }
    }

    async fn behaviour_event(&mut self, event: BehaviourEvent) {
        self.meters.behaviour_event(&event);
        match event {
            BehaviourEvent::Sync(event) => self.sync_event(event).await,
            BehaviourEvent::Gossip(event) => self.gossip_event(event),
            BehaviourEvent::Identify(event) => self.identify_event(event),
            BehaviourEvent::Kad(event) => self.kad_event(event),
            BehaviourEvent::Ping(event) => self.ping_event(event),
            #[allow(unreachable_patterns)]
            BehaviourEvent::Mdns(event) => self.mdns_event(event),
            BehaviourEvent::Limits(never) | BehaviourEvent::Blocked(never) => match never {},
        }
    }

    async fn sync_event(
        &mut self,
        event: request_response::Event<crate::codec::Frame, crate::codec::Frame>,
    ) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                self.inbound(peer, request, channel)
            }
            Event::Message {
                peer, message: Message::Response { request_id, response }, ..
            } => self.response(peer, request_id, Ok(response)),
            Event::OutboundFailure { peer, request_id, error, .. } => {
                self.response(peer, request_id, Err(error))
            }
            Event::InboundFailure { peer, error, .. } => self.inbound_failed(peer, error),
            Event::ResponseSent { .. } => {}
        }
    }

    /// Periodic work: redials, bans, held gossip.
    fn maintain(&mut self) {
        let now = tokio::time::Instant::now();
        self.redial_due(now);
        self.gossip_maintain(now);
    }
}
