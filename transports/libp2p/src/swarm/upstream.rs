//! Outgoing connections the kernel asked for: dialling, redialling, `Connected` and
//! `Disconnected`, and requests, one in flight per peer with the rest queued in order.

use std::collections::VecDeque;
use std::time::Duration;

use libp2p::request_response::{OutboundFailure, OutboundRequestId};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId};
use peerd_api::{
    DialFailure, DialTarget, Request, RequestId, Response, TransportError, TransportEvent,
    MAX_MESSAGE_BYTES,
};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::Node;
use crate::addrs::{decode_key, decode_listeners};
use crate::codec::{too_large, Frame};
use crate::wire::{decode_response, encode_request};
use crate::{api_peer, TRANSPORT_NAME};

type Reply = oneshot::Sender<Result<Response, TransportError>>;

/// A request waiting for its turn; pushes of gossip items have nobody waiting.
#[derive(Debug)]
struct Queued {
    id: RequestId,
    request: Request,
    reply: Option<Reply>,
}

/// The request on the wire.
#[derive(Debug)]
struct InFlight {
    outbound: OutboundRequestId,
    id: RequestId,
    reply: Option<Reply>,
}

fn answer(reply: Option<Reply>, result: Result<Response, TransportError>) {
    if let Some(reply) = reply {
        let _ = reply.send(result);
    }
}

/// One peer the kernel dialled.
#[derive(Debug)]
pub(crate) struct Upstream {
    target: DialTarget,
    addrs: Vec<Multiaddr>,
    /// `Connected` was reported and `Disconnected` not since.
    up: bool,
    queue: VecDeque<Queued>,
    in_flight: Option<InFlight>,
    backoff: Duration,
    redial_at: Option<Instant>,
    /// The kernel's dialer started the attempt under way (a `Dial` not yet answered by
    /// `Connected` or `DialFailed`). Only such attempts are reported: the transport's own
    /// redials after a loss are its business, so the kernel's dial counts stay its own.
    kernel_attempt: bool,
}

impl Upstream {
    fn fail_all(&mut self, error: &TransportError) {
        if let Some(flight) = self.in_flight.take() {
            answer(flight.reply, Err(error.clone()));
        }
        for queued in self.queue.drain(..) {
            answer(queued.reply, Err(error.clone()));
        }
    }
}

impl Node {
    /// `Dial`: remembers the target and connects (or reports the connection that is up).
    pub(crate) async fn dial(&mut self, target: DialTarget) {
        if target.transport != TRANSPORT_NAME {
            tracing::warn!(transport = %target.transport, "libp2p transport cannot dial another transport's target");
            return;
        }
        let peer = match decode_key(&target.key) {
            Ok(peer) => peer,
            Err(error) => return tracing::warn!(%error, "libp2p dial target refused"),
        };
        let addrs = match decode_listeners(&target.listeners, &peer) {
            Ok(addrs) => addrs,
            Err(error) => return tracing::warn!(%peer, %error, "libp2p dial target refused"),
        };
        self.dial_with(peer, addrs, target).await;
    }

    async fn dial_with(&mut self, peer: PeerId, addrs: Vec<Multiaddr>, target: DialTarget) {
        if peer == *self.swarm.local_peer_id() {
            return tracing::warn!(%peer, "libp2p transport does not dial itself");
        }
        for addr in &addrs {
            self.swarm.add_peer_address(peer, addr.clone());
        }
        let first = self.settings.redial.0;
        let upstream = self.upstreams.entry(peer).or_insert_with(|| Upstream {
            target: target.clone(),
            addrs: Vec::new(),
            up: false,
            queue: VecDeque::new(),
            in_flight: None,
            backoff: first,
            redial_at: None,
            kernel_attempt: false,
        });
        upstream.kernel_attempt = true;
        upstream.target = target.clone();
        upstream.addrs = addrs;
        upstream.backoff = first;
        if self.closing.contains(&peer) {
            return; // dialled once the old connections are gone (`closed`)
        }
        if self.swarm.is_connected(&peer) {
            upstream.up = true;
            upstream.kernel_attempt = false;
            self.emit(TransportEvent::Connected { peer: api_peer(&peer), target }).await;
            self.pump(peer);
        } else {
            self.connect(peer);
        }
    }

    fn connect(&mut self, peer: PeerId) {
        let Some(upstream) = self.upstreams.get_mut(&peer) else { return };
        upstream.redial_at = None;
        let opts = DialOpts::peer_id(peer)
            .addresses(upstream.addrs.clone())
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .extend_addresses_through_behaviour()
            .build();
        if let Err(error) = self.swarm.dial(opts) {
            tracing::debug!(%peer, %error, "libp2p dial not started");
            self.dial_failed(peer);
        }
    }

    /// A dial of an upstream failed. An attempt the kernel started is reported to it (its
    /// dialer frees the slot and retries after its own backoff, so the transport does not
    /// retry too); a failed redial after a loss is retried here after the transport's backoff.
    pub(crate) async fn outgoing_failed(
        &mut self,
        peer: PeerId,
        failure: DialFailure,
        reason: String,
    ) {
        if self.swarm.is_connected(&peer) {
            return;
        }
        let Some(upstream) = self.upstreams.get_mut(&peer) else { return };
        if !std::mem::take(&mut upstream.kernel_attempt) {
            tracing::debug!(%peer, %reason, "libp2p redial failed; retrying after the backoff");
            self.dial_failed(peer);
            return;
        }
        let target = upstream.target.clone();
        self.emit(TransportEvent::DialFailed { target, failure, reason }).await;
    }

    /// A dial failed: try again after the backoff, doubling it up to the longest wait.
    pub(crate) fn dial_failed(&mut self, peer: PeerId) {
        if self.swarm.is_connected(&peer) {
            return;
        }
        let longest = self.settings.redial.1;
        if let Some(upstream) = self.upstreams.get_mut(&peer) {
            if upstream.redial_at.is_none() {
                upstream.redial_at = Some(Instant::now() + upstream.backoff);
                upstream.backoff = (upstream.backoff * 2).min(longest);
            }
        }
    }

    pub(crate) fn redial_due(&mut self, now: Instant) {
        let due: Vec<PeerId> = self
            .upstreams
            .iter()
            .filter(|(_, u)| u.redial_at.is_some_and(|at| at <= now))
            .map(|(p, _)| *p)
            .collect();
        for peer in due {
            self.connect(peer);
        }
    }

    /// A first connection to `peer` is up.
    pub(crate) async fn established(&mut self, peer: PeerId) {
        self.closing.remove(&peer);
        let first = self.settings.redial.0;
        let Some(upstream) = self.upstreams.get_mut(&peer) else { return };
        upstream.backoff = first;
        upstream.redial_at = None;
        upstream.kernel_attempt = false;
        if !upstream.up {
            upstream.up = true;
            let target = upstream.target.clone();
            self.emit(TransportEvent::Connected { peer: api_peer(&peer), target }).await;
        }
        self.pump(peer);
    }

    /// The last connection to `peer` closed.
    pub(crate) async fn closed(&mut self, peer: PeerId) {
        let was_closing = self.closing.remove(&peer);
        let Some(upstream) = self.upstreams.get_mut(&peer) else { return };
        if upstream.up {
            upstream.up = false;
            upstream.fail_all(&TransportError::NotConnected(api_peer(&peer)));
            self.emit(TransportEvent::Disconnected { peer: api_peer(&peer) }).await;
            self.dial_failed(peer);
        } else if was_closing {
            self.connect(peer);
        }
    }

    /// `Disconnect`: forgets the upstream and closes its connections.
    pub(crate) fn disconnect(&mut self, peer: &peerd_api::PeerId) {
        let Ok(id) = PeerId::from_bytes(peer.as_bytes()) else { return };
        if let Some(mut upstream) = self.upstreams.remove(&id) {
            upstream.fail_all(&TransportError::NotConnected(peer.clone()));
        }
        if self.swarm.disconnect_peer_id(id).is_ok() {
            self.closing.insert(id);
        }
    }

    /// Fails every request of every upstream (at shutdown).
    pub(crate) fn fail_all(&mut self, error: TransportError) {
        for upstream in self.upstreams.values_mut() {
            upstream.fail_all(&error);
        }
    }

    /// `Request`: checks the size and the connection, then queues.
    pub(crate) fn request(
        &mut self,
        id: RequestId,
        peer: peerd_api::PeerId,
        request: Request,
        reply: Reply,
    ) {
        let size = request.wire_size(&self.ctx.chain);
        if size > MAX_MESSAGE_BYTES {
            let _ = reply.send(Err(TransportError::TooLarge { size, max: MAX_MESSAGE_BYTES }));
            return;
        }
        let upstream = PeerId::from_bytes(peer.as_bytes())
            .ok()
            .and_then(|id| self.upstreams.get_mut(&id).filter(|u| u.up).map(|u| (id, u)));
        let Some((libp2p_id, upstream)) = upstream else {
            let _ = reply.send(Err(TransportError::NotConnected(peer)));
            return;
        };
        let limit = self.settings.queue_limit;
        if upstream.queue.len() >= limit {
            let _ = reply.send(Err(TransportError::QueueFull { peer, limit }));
            return;
        }
        upstream.queue.push_back(Queued { id, request, reply: Some(reply) });
        self.pump(libp2p_id);
    }

    /// Queues a gossip push to every connected upstream; nobody waits for the
    /// acknowledgements. Upstreams whose queue is full are skipped.
    pub(crate) fn push_all(&mut self, request: &Request) {
        let limit = self.settings.queue_limit;
        let peers: Vec<PeerId> =
            self.upstreams.iter().filter(|(_, u)| u.up).map(|(p, _)| *p).collect();
        for peer in peers {
            let Some(upstream) = self.upstreams.get_mut(&peer) else { continue };
            if upstream.queue.len() >= limit {
                tracing::debug!(%peer, "gossip push skipped: the request queue is full");
                continue;
            }
            let queued = Queued { id: RequestId(0), request: request.clone(), reply: None };
            upstream.queue.push_back(queued);
            self.pump(peer);
        }
    }

    /// Sends the next queued request if none is in flight.
    pub(crate) fn pump(&mut self, peer: PeerId) {
        let Some(upstream) = self.upstreams.get_mut(&peer) else { return };
        if !upstream.up || upstream.in_flight.is_some() {
            return;
        }
        while let Some(queued) = upstream.queue.pop_front() {
            if queued.reply.as_ref().is_some_and(oneshot::Sender::is_closed) {
                continue; // the requester gave up waiting
            }
            let frame = Frame(encode_request(&self.ctx.chain, queued.request));
            let outbound = self.swarm.behaviour_mut().sync.send_request(&peer, frame);
            tracing::trace!(%peer, id = %queued.id, "libp2p request sent");
            self.outbound.insert(outbound, peer);
            upstream.in_flight = Some(InFlight { outbound, id: queued.id, reply: queued.reply });
            break;
        }
    }

    /// A reply (or failure) for an outgoing request.
    pub(crate) fn response(
        &mut self,
        peer: PeerId,
        request_id: OutboundRequestId,
        result: Result<Frame, OutboundFailure>,
    ) {
        self.outbound.remove(&request_id);
        let Some(upstream) = self.upstreams.get_mut(&peer) else { return };
        let Some(flight) = upstream.in_flight.take_if(|f| f.outbound == request_id) else {
            return;
        };
        let api = api_peer(&peer);
        let result = match result {
            Ok(frame) => match decode_response(&frame.0) {
                Ok(response) => match response.wire_size() {
                    size if size > MAX_MESSAGE_BYTES => {
                        Err(TransportError::TooLarge { size, max: MAX_MESSAGE_BYTES })
                    }
                    _ => Ok(response),
                },
                Err(e) => Err(TransportError::InvalidResponse { peer: api, reason: e.to_string() }),
            },
            Err(failure) => Err(self.failure(api, failure)),
        };
        if let Err(error) = &result {
            tracing::debug!(%peer, id = %flight.id, %error, "libp2p request failed");
        }
        answer(flight.reply, result);
        self.pump(peer);
    }

    fn failure(&self, peer: peerd_api::PeerId, failure: OutboundFailure) -> TransportError {
        match failure {
            OutboundFailure::Timeout => {
                TransportError::Timeout { peer, secs: self.settings.request_timeout.as_secs() }
            }
            OutboundFailure::DialFailure | OutboundFailure::ConnectionClosed => {
                TransportError::NotConnected(peer)
            }
            OutboundFailure::UnsupportedProtocols => TransportError::InvalidResponse {
                peer,
                reason: "the peer speaks no peerd sync protocol".into(),
            },
            OutboundFailure::Io(error) => match too_large(&error) {
                Some((size, max)) => TransportError::TooLarge { size, max },
                None => TransportError::io(format!("request to {peer}"), error),
            },
        }
    }
}
