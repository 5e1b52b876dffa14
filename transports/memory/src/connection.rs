//! One outgoing connection: keeps the link state, reports it, and runs requests one at a time.

use std::time::Duration;

use peerd_api::CancellationToken;
use peerd_api::{
    DialTarget, PeerId, Request, RequestId, Response, TransportError, TransportEvent,
    MAX_MESSAGE_BYTES,
};
use tokio::sync::{mpsc, oneshot, watch};

use crate::wire::{Envelope, Parcel, Reply};
use crate::MemoryNet;

/// Replies that may be waiting on one connection: the current one plus late duplicates.
const REPLY_CAPACITY: usize = 64;

/// A request waiting for its turn on a connection.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) id: RequestId,
    pub(crate) request: Request,
    pub(crate) reply: oneshot::Sender<Result<Response, TransportError>>,
}

/// Everything an outgoing connection needs.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) net: MemoryNet,
    /// This node's name.
    pub(crate) local: String,
    /// The dialled node's name.
    pub(crate) remote: String,
    pub(crate) peer: PeerId,
    pub(crate) target: DialTarget,
    pub(crate) chain: String,
    pub(crate) timeout: Duration,
    pub(crate) events: mpsc::Sender<TransportEvent>,
    /// Cancelled when this connection closes.
    pub(crate) cancel: CancellationToken,
    /// Cancelled when the whole transport stops.
    pub(crate) stopping: CancellationToken,
}

/// How one request/reply exchange ended.
enum Exchange {
    Answered(Result<Response, TransportError>),
    LinkDown,
    Cancelled,
}

impl Connection {
    /// Runs until cancelled: reports `Connected`/`Disconnected` as the link comes and goes
    /// (redialling by itself) and serves queued requests in order, one in flight.
    pub(crate) async fn run(self, mut queue: mpsc::Receiver<Queued>) {
        let mut topology = self.net.subscribe();
        let (reply_tx, mut reply_rx) = mpsc::channel(REPLY_CAPACITY);
        let mut up: Option<u64> = None;
        let mut seq = 0u64;
        loop {
            let now = self.net.link(&self.local, &self.remote);
            if up.is_some() && now != up {
                up = None;
                tracing::debug!(peer = %self.peer, "memory connection down");
                self.fail_waiting(&mut queue, TransportError::NotConnected(self.peer.clone()));
                let event = TransportEvent::Disconnected { peer: self.peer.clone() };
                if !self.emit(event).await {
                    break;
                }
            }
            if up.is_none() && now.is_some() {
                up = now;
                tracing::debug!(peer = %self.peer, "memory connection up");
                let event = TransportEvent::Connected {
                    peer: self.peer.clone(),
                    target: self.target.clone(),
                };
                if !self.emit(event).await {
                    break;
                }
                // The link may have changed while the event waited for room.
                continue;
            }
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => break,
                changed = topology.changed() => if changed.is_err() { break },
                queued = queue.recv() => {
                    let Some(queued) = queued else { break };
                    let Some(epoch) = up else {
                        let _ = queued.reply.send(Err(TransportError::NotConnected(self.peer.clone())));
                        continue;
                    };
                    seq += 1;
                    let envelope = Envelope {
                        from: self.local.clone(),
                        chain: self.chain.clone(),
                        seq,
                        size: queued.request.wire_size(&self.chain),
                        request: queued.request,
                        reply_to: reply_tx.clone(),
                    };
                    tracing::trace!(peer = %self.peer, id = %queued.id, seq, "memory request sent");
                    match self.exchange(epoch, envelope, &mut reply_rx, &mut topology).await {
                        Exchange::Answered(result) => { let _ = queued.reply.send(result); }
                        Exchange::LinkDown => {
                            let _ = queued.reply.send(Err(TransportError::NotConnected(self.peer.clone())));
                        }
                        Exchange::Cancelled => {
                            let _ = queued.reply.send(Err(self.closing_error()));
                            break;
                        }
                    }
                }
            }
        }
        let error = self.closing_error();
        queue.close();
        self.fail_waiting(&mut queue, error);
    }

    /// Sends one request and waits for its reply, the timeout, or the link going down.
    /// Replies to earlier requests (late or duplicated) are discarded by sequence number.
    async fn exchange(
        &self,
        epoch: u64,
        envelope: Envelope,
        replies: &mut mpsc::Receiver<Reply>,
        topology: &mut watch::Receiver<u64>,
    ) -> Exchange {
        let seq = envelope.seq;
        self.net.transmit(&self.local, &self.remote, Parcel::Request { epoch, envelope });
        let deadline = tokio::time::sleep(self.timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Exchange::Cancelled,
                reply = replies.recv() => match reply {
                    Some(reply) if reply.seq == seq => return Exchange::Answered(self.accept(reply)),
                    Some(stale) => tracing::trace!(peer = %self.peer, seq = stale.seq, "stale memory reply ignored"),
                    None => return Exchange::Cancelled,
                },
                _ = &mut deadline => {
                    let secs = self.timeout.as_millis().div_ceil(1000);
                    let secs = u64::try_from(secs).unwrap_or(u64::MAX);
                    return Exchange::Answered(Err(TransportError::Timeout { peer: self.peer.clone(), secs }));
                }
                changed = topology.changed() => {
                    if changed.is_err() || self.net.link(&self.local, &self.remote) != Some(epoch) {
                        return Exchange::LinkDown;
                    }
                }
            }
        }
    }

    /// Checks a reply's size on receipt, as a ZeroMQ socket with `MAXMSGSIZE` does.
    fn accept(&self, reply: Reply) -> Result<Response, TransportError> {
        if reply.size > MAX_MESSAGE_BYTES {
            self.net.count_refused();
            tracing::warn!(peer = %self.peer, size = reply.size, "oversized memory reply refused");
            return Err(TransportError::TooLarge { size: reply.size, max: MAX_MESSAGE_BYTES });
        }
        Ok(reply.response)
    }

    /// Sends an event to the kernel; false if the connection closed while waiting for room.
    async fn emit(&self, event: TransportEvent) -> bool {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => false,
            sent = self.events.send(event) => sent.is_ok(),
        }
    }

    fn fail_waiting(&self, queue: &mut mpsc::Receiver<Queued>, error: TransportError) {
        while let Ok(queued) = queue.try_recv() {
            let _ = queued.reply.send(Err(error.clone()));
        }
    }

    fn closing_error(&self) -> TransportError {
        if self.stopping.is_cancelled() {
            TransportError::Stopped
        } else {
            TransportError::NotConnected(self.peer.clone())
        }
    }
}
