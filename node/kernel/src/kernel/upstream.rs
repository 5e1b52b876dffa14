//! One task per outgoing connection: register (`R`), then poll `N` and `H(local height)`
//! and push the gossip queued for this peer, one request at a time (bitmarkd's REQ
//! discipline: pushes and polls share the connection).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Chain, Clock, Item, NodeEvent, PeerId, Registration, Request, RequestId, Response,
    TransportCommand, TransportError,
};
use tokio::sync::{broadcast, mpsc, oneshot, Notify};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::connector::{Event, UpstreamKind};

/// Sends `request` to `peer` and waits at most `timeout` for the answer, counting it in
/// `peerd_requests_sent_total{command, result}`.
pub(crate) async fn ask(
    commands: &mpsc::Sender<TransportCommand>,
    metrics: &crate::status::Metrics,
    id: RequestId,
    peer: PeerId,
    request: Request,
    timeout: Duration,
) -> Result<Response, TransportError> {
    let command_name = request.command().to_owned();
    let (reply, answer) = oneshot::channel();
    let command = TransportCommand::Request { id, peer: peer.clone(), request, reply };
    let result = match commands.send(command).await {
        Err(_) => Err(TransportError::Stopped),
        Ok(()) => match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(TransportError::Stopped),
            Err(_) => Err(TransportError::Timeout { peer, secs: timeout.as_secs() }),
        },
    };
    let outcome = match &result {
        Ok(Response::Error(_)) => "error",
        Ok(_) => "ok",
        Err(TransportError::Timeout { .. }) => "timeout",
        Err(_) => "failed",
    };
    metrics.inc("peerd_requests_sent_total", &[("command", &command_name), ("result", outcome)]);
    result
}

/// What an upstream task needs.
pub(crate) struct Upstream {
    pub(crate) peer: PeerId,
    pub(crate) kind: UpstreamKind,
    /// Its transport's name and the key it was dialled with (for node events).
    pub(crate) transport: String,
    pub(crate) key: Bytes,
    pub(crate) commands: mpsc::Sender<TransportCommand>,
    pub(crate) events: mpsc::Sender<Event>,
    /// Node events for the handlers (liveness, introduced peers).
    pub(crate) node_events: broadcast::Sender<NodeEvent>,
    /// Gossip to push to this peer once registered.
    pub(crate) pushes: mpsc::Receiver<Item>,
    /// Poll now, without waiting for the period ([`peerd_api::NodeRequest::Behind`]).
    pub(crate) poll_now: Arc<Notify>,
    pub(crate) chain: Arc<dyn Chain>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Our own registration on this transport (the timestamp is refreshed per send).
    pub(crate) me: Registration,
    pub(crate) poll_interval: Duration,
    pub(crate) timeout: Duration,
    /// Ids for the upstream tasks' own requests (a range apart from the connector's).
    pub(crate) ids: Arc<AtomicU64>,
    /// Read the local height on the runtime thread instead of the blocking pool.
    pub(crate) inline: bool,
    /// Counts this task while it lives.
    pub(crate) metrics: Arc<crate::status::Metrics>,
}

impl Upstream {
    /// Spawns the task; it ends when `cancel` is cancelled or the kernel is gone.
    pub(crate) fn spawn(self, cancel: CancellationToken) {
        let span = tracing::info_span!("upstream", peer = %self.peer);
        tokio::spawn(
            async move {
                let _alive = crate::status::TaskGuard::new(self.metrics.clone());
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => {}
                    () = self.run() => {}
                }
            }
            .instrument(span),
        );
    }

    async fn request(&self, request: Request) -> Result<Response, TransportError> {
        let id = RequestId(self.ids.fetch_add(1, Ordering::Relaxed));
        ask(&self.commands, &self.metrics, id, self.peer.clone(), request, self.timeout).await
    }

    /// Registers, then polls every `poll_interval` (the first poll right after registering;
    /// bitmarkd waits a full period) and pushes queued gossip in between. A failed
    /// registration is retried at the next period, where bitmarkd waits for a reconnect.
    async fn run(mut self) {
        let mut ticks = tokio::time::interval(self.poll_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut registered = false;
        let mut pushes = std::mem::replace(&mut self.pushes, mpsc::channel(1).1);
        loop {
            if registered {
                let poll_now = self.poll_now.clone();
                tokio::select! {
                    biased;
                    _ = ticks.tick() => {}
                    () = poll_now.notified() => {}
                    Some(item) = pushes.recv() => {
                        self.push(item).await;
                        continue;
                    }
                }
            } else {
                ticks.tick().await;
            }
            if !registered {
                registered = self.register().await;
                if registered {
                    let event = Event::Registered { peer: self.peer.clone(), kind: self.kind };
                    if self.events.send(event).await.is_err() {
                        return;
                    }
                } else {
                    continue;
                }
            }
            if let Some(event) = self.poll().await {
                if self.events.send(event).await.is_err() {
                    return;
                }
            }
        }
    }

    /// Pushes one gossip item; the answer (`A`, or an error text) is only logged.
    async fn push(&self, item: Item) {
        let kind = item.kind.clone();
        match self.request(Request::Gossip(item)).await {
            Ok(Response::Ack | Response::Reply(_)) => {}
            other => tracing::debug!(%kind, reply = ?other, "push not acknowledged"),
        }
    }

    async fn register(&self) -> bool {
        let me = Registration { timestamp: self.clock.unix_now(), ..self.me.clone() };
        match self.request(Request::Register(me)).await {
            Ok(Response::Register(them)) if them.chain == self.me.chain => {
                if them.public_key != self.me.public_key {
                    let transport = self.transport.clone();
                    let _ =
                        self.node_events.send(NodeEvent::PeerIntroduced { transport, peer: them });
                }
                true
            }
            other => {
                tracing::warn!(reply = ?other, "registration failed");
                false
            }
        }
    }

    /// `N`, then `H(our height)`; `None` if `N` failed (the cache then ages out).
    async fn poll(&self) -> Option<Event> {
        let remote_height = match self.request(Request::Height).await {
            Ok(Response::Height(h)) => h,
            other => {
                tracing::debug!(reply = ?other, "height poll failed");
                return None;
            }
        };
        let transport = self.transport.clone();
        let _ =
            self.node_events.send(NodeEvent::UpstreamAlive { transport, key: self.key.clone() });
        let local = if self.inline {
            self.chain.height().ok()?
        } else {
            let chain = self.chain.clone();
            tokio::task::spawn_blocking(move || chain.height()).await.ok()?.ok()?
        };
        let digest = match self.request(Request::Digest(local)).await {
            Ok(Response::Digest(d)) => Some((local, d)),
            _ => None,
        };
        Some(Event::Polled { peer: self.peer.clone(), remote_height, digest })
    }
}
