//! The listening side (protocol §2.1): ROUTER sockets answering REQ clients as bitmarkd's REP
//! does, but without serialising requesters: each request goes to the kernel on its own and
//! its reply is routed back by envelope whenever it is ready.
//!
//! A request from a REQ client arrives as `[routing id, (request id,) "", body…]`
//! (`REQ_CORRELATE` adds the request id); the envelope, everything up to the empty
//! delimiter, is echoed in front of the reply. A message without a delimiter is dropped,
//! as libzmq's REP drops it.

use std::time::Instant;

use bytes::Bytes;
use peerd_api::{InboundRequest, PeerId, Request, Response, TransportEvent, MAX_MESSAGE_BYTES};

use crate::socket::{self, event};
use crate::socket_thread::Io;
use crate::wire::{decode_request, encode_response, frames_size, Decoded};

/// The answer to a request from a client whose own pending budget is full (peerd's;
/// bitmarkd serves one request at a time and never needs it).
const BUSY: &str = "node busy";

/// Requests read from one socket before the thread looks at its other sockets.
const BATCH: usize = 64;

impl Io {
    /// Watches every listener's connections (`ACCEPTED`, `DISCONNECTED`) to count inbound
    /// peers; a listener whose monitor cannot start is logged and not counted.
    pub(crate) fn monitor_listeners(&mut self) {
        let events = i32::from(event::ACCEPTED | event::DISCONNECTED);
        for (index, router) in self.routers.iter().enumerate() {
            let endpoint = format!("inproc://peerd-zmq-listener-monitor-{index}");
            let monitor = router.monitor(&endpoint, events).and_then(|()| {
                let pair = self.ctx.socket(zmq::PAIR)?;
                pair.connect(&endpoint)?;
                Ok(pair)
            });
            match monitor {
                Ok(pair) => self.listener_monitors.push(pair),
                Err(e) => tracing::warn!(error = %e, "zmq listener monitor not started"),
            }
        }
    }

    /// Counts the connections listener monitor `index` reports.
    pub(crate) fn read_listener_monitor(&mut self, index: usize) {
        let Some(monitor) = self.listener_monitors.get(index) else { return };
        while let Some(id) = socket::read_event(monitor) {
            match id {
                event::ACCEPTED => self.limits.meters.inbound.inc(),
                event::DISCONNECTED => self.limits.meters.inbound.dec(),
                _ => 0,
            };
        }
    }

    /// Answers the ZAP requests waiting (see `zap.rs`).
    pub(crate) fn read_zap(&mut self) {
        while let Ok(request) = self.zap.recv_multipart(zmq::DONTWAIT) {
            // REP must answer every request before it may read the next.
            let now = Instant::now();
            let reply = crate::zap::answer(&request, &mut self.bans, &mut self.admitted, now)
                .unwrap_or_else(|| {
                    tracing::warn!(frames = request.len(), "unreadable ZAP request refused");
                    crate::zap::refusal()
                });
            if let Err(e) = self.zap.send_multipart(reply, 0) {
                tracing::warn!(error = %e, "ZAP reply not sent");
            }
        }
    }

    /// Reads and handles requests waiting on listener `index`, while the kernel has room.
    pub(crate) fn read_router(&mut self, index: usize) {
        for _ in 0..BATCH {
            if !self.may_read() {
                return; // backpressure: the rest waits in libzmq
            }
            let Some(router) = self.routers.get(index) else { return };
            let message = match receive(router) {
                Ok(Some(message)) => message,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "zmq listener receive failed");
                    return;
                }
            };
            self.limits.meters.bytes_in.inc_by(message.wire_bytes);
            if message.discarded > 0 {
                // libzmq drops single frames above MAXMSGSIZE itself; this catches multipart
                // ones, keeping at most one message's worth of their frames.
                let client = message.client.as_ref().map(ToString::to_string);
                tracing::warn!(
                    size = message.wire_bytes,
                    discarded = message.discarded,
                    ?client,
                    "oversized zmq request dropped"
                );
                continue;
            }
            if let Some(client) = &message.client {
                let now = Instant::now();
                if self.bans.is_banned(client.as_bytes(), now) {
                    // Connected before its ban: unanswered, as a closed connection would be.
                    tracing::debug!(%client, "request from a banned zmq client dropped");
                    continue;
                }
                if !self.admitted.request(client, now) {
                    continue; // evicted, or refused by the pool (logged there)
                }
            }
            self.on_request(index, message);
        }
    }

    fn on_request(&mut self, index: usize, message: Received) {
        let Received { mut frames, client, .. } = message;
        let Some(delimiter) = frames.iter().skip(1).position(Vec::is_empty) else {
            tracing::debug!(frames = frames.len(), "zmq request without an envelope dropped");
            return;
        };
        let body: Vec<Bytes> =
            frames.split_off(delimiter + 2).into_iter().map(Bytes::from).collect();
        let envelope = frames;
        let size = frames_size(&body);
        if size > MAX_MESSAGE_BYTES {
            tracing::warn!(size, "oversized zmq request dropped");
            return;
        }
        match decode_request(&self.chain, body) {
            Decoded::Reply(reply) => self.send_reply(index, envelope, reply),
            Decoded::Forward { command, request } => {
                self.forward(index, envelope, command, request, (client, size))
            }
        }
    }

    /// Answers a request from the kernel's [`peerd_api::Server`] when it can (`I`, `N` at
    /// once; `H`, `B` on a serving thread), else sends it to the kernel.
    fn forward(
        &mut self,
        index: usize,
        envelope: Vec<Vec<u8>>,
        command: Bytes,
        request: Request,
        (client, size): (Option<PeerId>, usize),
    ) {
        if let Some((server, _)) = &self.server {
            if let Some(response) = server.answer_now(&request) {
                let frames = encode_response(&command, response);
                return self.send_reply(index, envelope, frames);
            }
        }
        if !self.answers.has_room(client.as_ref(), size) {
            // This client's own backlog is full: it waits, nobody else does.
            tracing::debug!(?client, size, "zmq client over its pending budget: answered busy");
            let frames = encode_response(&command, Response::Error(BUSY.to_owned()));
            return self.send_reply(index, envelope, frames);
        }
        let share = (client.clone(), size);
        if let Some((server, pool)) = &self.server {
            if crate::serve::reads_store(&request) {
                let reply = self.answers.insert(index, envelope, command, share);
                let job = crate::serve::Job { server: server.clone(), request, reply };
                match pool.try_send(job) {
                    Ok(()) => return,
                    // The serving threads are saturated: the kernel answers this one.
                    Err(job) => return self.hand_to_kernel(job.request, job.reply, client),
                }
            }
        }
        // R and gossip, or no server yet: the kernel's.
        let reply = self.answers.insert(index, envelope, command, share);
        self.hand_to_kernel(request, reply, client);
    }

    /// Sends a request to the kernel, named by the CURVE key that sent it (from ZAP).
    fn hand_to_kernel(
        &mut self,
        request: Request,
        reply: tokio::sync::oneshot::Sender<Response>,
        peer: Option<PeerId>,
    ) {
        self.emit(TransportEvent::Inbound(InboundRequest {
            transport: crate::TRANSPORT_NAME.to_owned(),
            peer,
            request,
            reply,
        }));
    }

    /// Sends a reply behind its envelope. A requester that is gone is skipped silently
    /// (ROUTER drops messages for unknown peers).
    pub(crate) fn send_reply(&mut self, index: usize, envelope: Vec<Vec<u8>>, reply: Vec<Bytes>) {
        let Some(router) = self.routers.get(index) else { return };
        let size = crate::wire::wire_bytes(&envelope) + crate::wire::wire_bytes(&reply);
        let parts = envelope
            .into_iter()
            .map(zmq::Message::from)
            .chain(reply.iter().map(|f| zmq::Message::from(&f[..])));
        match router.send_multipart(parts, zmq::DONTWAIT) {
            Ok(()) => {
                self.limits.meters.bytes_out.inc_by(size);
            }
            Err(e) => tracing::debug!(error = %e, "zmq reply not sent"),
        }
    }
}

/// Room for the envelope (routing id, request id, delimiter) beside a whole message's body.
const ENVELOPE_BYTES: usize = 1024;

/// One message read from a listener, frame by frame.
pub(crate) struct Received {
    /// The frames kept: all of them, unless the message passed its budget.
    pub(crate) frames: Vec<Vec<u8>>,
    /// The CURVE key that sent it (the ZAP user id libzmq stamps on its frames).
    pub(crate) client: Option<PeerId>,
    /// Bytes on the wire, frames of the discarded remainder included.
    pub(crate) wire_bytes: u64,
    /// Frames read and thrown away once the total passed [`MAX_MESSAGE_BYTES`].
    pub(crate) discarded: usize,
}

/// Reads one whole message without blocking; `None` if none is waiting. Frames are taken
/// one at a time: once their total passes the message budget, the rest are read and
/// dropped at once, so the thread never holds more than one message's worth of them.
///
/// libzmq delivers a multipart message whole, so the parts are already in its queue: the
/// budget bounds what this process copies out of it, and the oversized message is gone
/// from libzmq's queue as soon as it has been drained here.
pub(crate) fn receive(router: &zmq::Socket) -> zmq::Result<Option<Received>> {
    let mut first = match router.recv_msg(zmq::DONTWAIT) {
        Ok(message) => message,
        Err(zmq::Error::EAGAIN) => return Ok(None),
        Err(e) => return Err(e),
    };
    // The routing id frame is libzmq's own; the properties come with the peer's frames.
    let mut client = crate::zap::client_of(first.gets("User-Id"));
    let budget = MAX_MESSAGE_BYTES.saturating_add(ENVELOPE_BYTES);
    let mut total = first.len();
    let mut wire_bytes = first.len() as u64;
    let mut frames = vec![first.to_vec()];
    let mut discarded = 0;
    while router.get_rcvmore()? {
        let mut part = router.recv_msg(0)?;
        if client.is_none() {
            client = crate::zap::client_of(part.gets("User-Id"));
        }
        total = total.saturating_add(part.len());
        wire_bytes = wire_bytes.saturating_add(part.len() as u64);
        if total > budget {
            discarded += 1;
            frames.clear(); // the kept part goes too: the message is refused whole
        } else {
            frames.push(part.to_vec());
        }
    }
    Ok(Some(Received { frames, client, wire_bytes, discarded }))
}
