//! Gossip dispatch: each handler of the [`Registry`] runs as one task that takes its items
//! in arrival order from a bounded queue, reacts to [`NodeEvent`]s, and has its background
//! [`Handler::run`] started next to it.
//!
//! The kernel's loop never waits for a handler: it queues with `try_send`, and a full queue
//! acknowledges the item unprocessed (counted as `queue_full`; bitmarkd's bus drops in the
//! same situation). A handler's [`Outcome::Relay`] goes back to the kernel as a
//! [`NodeRequest`], awaited — the kernel's loop always drains that channel, so the two
//! never wait on each other.

use std::collections::HashMap;
use std::sync::Arc;

use peerd_api::{
    Handler, HandlerContext, Item, ItemKind, NodeEvent, NodeRequest, Origin, Outcome, Registration,
    Registry, Response,
};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use super::budget::{Budget, Charge};
use super::rejected::Rejected;
use crate::status::Metrics;

/// Items waiting for one handler.
const JOB_QUEUE: usize = 1024;

/// Work for a handler task.
#[derive(Debug)]
pub(crate) enum Job {
    /// A gossip item; `reply` is the sender's acknowledgement slot, if it waits for one;
    /// `charge` holds its bytes against the queue's budget until it has been handled.
    Item {
        origin: Origin,
        item: Item,
        reply: Option<oneshot::Sender<Response>>,
        charge: Option<Charge>,
    },
    /// A registration (`R`) for the `peer` handler; `me` is the fallback introduction.
    Register {
        transport: String,
        registrant: Registration,
        me: Registration,
        reply: oneshot::Sender<Response>,
    },
}

/// Where each kind's items go.
#[derive(Debug, Default)]
pub(crate) struct Dispatch {
    queues: HashMap<ItemKind, (mpsc::Sender<Job>, Budget)>,
    /// The handler tasks and their background work.
    tasks: JoinSet<()>,
}

impl Dispatch {
    /// Starts one task per handler (and each handler's background work).
    pub(crate) fn start(
        registry: &Registry,
        ctx: &HandlerContext,
        relay: &mpsc::Sender<NodeRequest>,
        events: &broadcast::Sender<NodeEvent>,
        metrics: &Arc<Metrics>,
    ) -> Self {
        let mut queues = HashMap::new();
        let mut tasks = JoinSet::new();
        for handler in registry.handlers() {
            let (tx, rx) = mpsc::channel(JOB_QUEUE);
            let budget = Budget::default();
            for kind in handler.kinds() {
                queues.insert(kind, (tx.clone(), budget.clone()));
            }
            let worker = Worker {
                handler: handler.clone(),
                ctx: ctx.clone(),
                relay: relay.clone(),
                metrics: metrics.clone(),
                rejected: std::sync::Mutex::default(),
            };
            let span = tracing::info_span!("handler", name = handler.name());
            tasks.spawn(worker.run(rx, events.subscribe()).instrument(span.clone()));
            let (background, ctx) = (handler.clone(), ctx.clone());
            let run = async move {
                if let Err(error) = background.run(ctx).await {
                    tracing::error!(%error, "handler background task failed");
                }
            };
            tasks.spawn(run.instrument(span));
        }
        Self { queues, tasks }
    }

    /// Waits, at most `grace`, for the handlers to return after the shutdown token was
    /// cancelled (they save their state then, e.g. the peer cache); then aborts them.
    pub(crate) async fn finish(&mut self, grace: std::time::Duration) {
        self.queues.clear();
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!(grace_secs = grace.as_secs(), "handlers did not stop in time");
            self.tasks.abort_all();
        }
    }

    /// True if a handler takes `kind`.
    pub(crate) fn handles(&self, kind: &ItemKind) -> bool {
        self.queues.contains_key(kind)
    }

    /// Queues a job for the handler of `kind`; gives it back if there is none or its queue
    /// is full. A remote item is first charged to its sender against the queue's byte
    /// budget (`kernel/budget.rs`) and given back if it does not fit.
    pub(crate) fn submit(&self, kind: &ItemKind, mut job: Job) -> Result<(), Box<Job>> {
        let Some((queue, budget)) = self.queues.get(kind) else { return Err(Box::new(job)) };
        if let Job::Item { origin: Origin::Remote { transport, peer }, item, charge, .. } = &mut job
        {
            match budget.charge(transport, peer.as_ref(), item.payload_len()) {
                Some(taken) => *charge = Some(taken),
                None => return Err(Box::new(job)),
            }
        }
        queue.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(mut job)
            | mpsc::error::TrySendError::Closed(mut job) => {
                if let Job::Item { charge, .. } = &mut job {
                    *charge = None; // not queued: nothing is held
                }
                Box::new(job)
            }
        })
    }
}

/// One handler's task.
struct Worker {
    handler: Arc<dyn Handler>,
    ctx: HandlerContext,
    relay: mpsc::Sender<NodeRequest>,
    metrics: Arc<Metrics>,
    /// Items this handler rejected lately: refused again without running it.
    rejected: std::sync::Mutex<Rejected>,
}

impl Worker {
    async fn run(self, mut jobs: mpsc::Receiver<Job>, mut events: broadcast::Receiver<NodeEvent>) {
        loop {
            tokio::select! {
                biased;
                () = self.ctx.shutdown.cancelled() => return,
                event = events.recv() => match event {
                    Ok(event) => {
                        if let Err(error) = self.handler.on_event(&self.ctx, &event).await {
                            tracing::warn!(%error, "node event failed");
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "handler fell behind; node events were missed");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                job = jobs.recv() => match job {
                    Some(job) => self.process(job).await,
                    None => return,
                },
            }
        }
    }

    async fn process(&self, job: Job) {
        match job {
            Job::Item { origin, item, reply, charge } => {
                let response = self.item(&origin, item).await;
                drop(charge); // handled: its bytes are free again
                if let Some(reply) = reply {
                    let _ = reply.send(response);
                }
            }
            Job::Register { transport, registrant, me, reply } => {
                let introduced =
                    match self.handler.on_registration(&self.ctx, &transport, &registrant).await {
                        Ok(Some(peer)) => peer,
                        Ok(None) => me,
                        Err(error) => {
                            tracing::warn!(%error, "registration not recorded");
                            me
                        }
                    };
                let _ = reply.send(Response::Register(introduced));
            }
        }
    }

    /// A gossiped block that fails validation is the sender's fault: the kernel scores
    /// it. (Rejected transactions are not: double spends race honestly.)
    async fn report_invalid_block(&self, origin: &Origin, kind: &ItemKind, fault: &str) {
        if let (ItemKind::Block, Origin::Remote { peer: Some(peer), .. }) = (kind, origin) {
            let reason = format!("gossiped an invalid block: {fault}");
            let _ = self.relay.send(NodeRequest::Misbehaved { peer: peer.clone(), reason }).await;
        }
    }

    /// Runs the handler on one item and relays it if asked; the answer for its sender.
    async fn item(&self, origin: &Origin, item: Item) -> Response {
        let kind = item.kind.clone();
        let rejected = || self.rejected.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if rejected().contains(&item, Instant::now()) {
            self.report_invalid_block(origin, &kind, "sent again after it was rejected").await;
            let labels = [("kind", kind.as_str()), ("reason", "rejected_before")];
            self.metrics.inc("peerd_gossip_ignored_total", &labels);
            return Response::Ack;
        }
        match self.handler.handle(&self.ctx, origin, &item).await {
            Ok(Outcome::Relay) => {
                let request = match (origin.transport(), &kind) {
                    // A peer announcement only means something on its own transport.
                    (Some(transport), ItemKind::Peer) => {
                        NodeRequest::BroadcastOn { transport: transport.to_owned(), item }
                    }
                    _ => NodeRequest::Broadcast(item),
                };
                let _ = self.relay.send(request).await;
                Response::Ack
            }
            Ok(Outcome::Accepted) => Response::Ack,
            Ok(Outcome::Reply(frames)) => Response::Reply(frames),
            Err(error) => {
                tracing::debug!(%kind, %error, "item rejected");
                let reason = match &error {
                    peerd_api::HandlerError::Rejected(fault) => {
                        rejected().insert(&item, Instant::now());
                        self.report_invalid_block(origin, &kind, fault).await;
                        "rejected"
                    }
                    _ => "failed",
                };
                self.metrics.inc(
                    "peerd_gossip_ignored_total",
                    &[("kind", kind.as_str()), ("reason", reason)],
                );
                // bitmarkd acknowledges rejected items too (protocol §2.7).
                Response::Ack
            }
        }
    }
}
