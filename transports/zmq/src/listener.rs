//! The listening side (protocol §2.1): ROUTER sockets answering REQ clients as bitmarkd's REP
//! does, but without serialising requesters: each request goes to the kernel on its own and
//! its reply is routed back by envelope whenever it is ready.
//!
//! A request from a REQ client arrives as `[routing id, (request id,) "", body…]`
//! (`REQ_CORRELATE` adds the request id); the envelope, everything up to the empty
//! delimiter, is echoed in front of the reply. A message without a delimiter is dropped,
//! as libzmq's REP drops it.

use bytes::Bytes;
use peerd_api::{InboundRequest, Request, Response, TransportEvent, MAX_MESSAGE_BYTES};

use crate::socket::{self, event};
use crate::socket_thread::Io;
use crate::wire::{decode_request, encode_response, frames_size, Decoded};

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

    /// Reads and handles requests waiting on listener `index`, while the kernel has room.
    pub(crate) fn read_router(&mut self, index: usize) {
        for _ in 0..BATCH {
            if !self.may_read() {
                return; // backpressure: the rest waits in libzmq
            }
            let Some(router) = self.routers.get(index) else { return };
            let frames = match router.recv_multipart(zmq::DONTWAIT) {
                Ok(frames) => {
                    self.limits.meters.bytes_in.inc_by(crate::wire::wire_bytes(&frames));
                    frames
                }
                Err(zmq::Error::EAGAIN) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "zmq listener receive failed");
                    return;
                }
            };
            self.on_request(index, frames);
        }
    }

    fn on_request(&mut self, index: usize, mut frames: Vec<Vec<u8>>) {
        let Some(delimiter) = frames.iter().skip(1).position(Vec::is_empty) else {
            tracing::debug!(frames = frames.len(), "zmq request without an envelope dropped");
            return;
        };
        let body: Vec<Bytes> =
            frames.split_off(delimiter + 2).into_iter().map(Bytes::from).collect();
        let envelope = frames;
        let size = frames_size(&body);
        if size > MAX_MESSAGE_BYTES {
            // libzmq drops single frames above MAXMSGSIZE itself; this catches multipart ones.
            tracing::warn!(size, "oversized zmq request dropped");
            return;
        }
        match decode_request(&self.chain, body) {
            Decoded::Reply(reply) => self.send_reply(index, envelope, reply),
            Decoded::Forward { command, request } => {
                self.forward(index, envelope, command, request)
            }
        }
    }

    /// Answers a request from the kernel's [`peerd_api::Server`] when it can (`I`, `N` at
    /// once; `H`, `B` on a serving thread), else sends it to the kernel.
    fn forward(&mut self, index: usize, envelope: Vec<Vec<u8>>, command: Bytes, request: Request) {
        if let Some((server, pool)) = &self.server {
            if let Some(response) = server.answer_now(&request) {
                let frames = encode_response(&command, response);
                return self.send_reply(index, envelope, frames);
            }
            if crate::serve::reads_store(&request) {
                let reply = self.answers.insert(index, envelope, command);
                let job = crate::serve::Job { server: server.clone(), request, reply };
                match pool.try_send(job) {
                    Ok(()) => return,
                    // The serving threads are saturated: the kernel answers this one.
                    Err(job) => return self.hand_to_kernel(job.request, job.reply),
                }
            }
        }
        // R and gossip, or no server yet: the kernel's.
        let reply = self.answers.insert(index, envelope, command);
        self.hand_to_kernel(request, reply);
    }

    fn hand_to_kernel(&mut self, request: Request, reply: tokio::sync::oneshot::Sender<Response>) {
        self.emit(TransportEvent::Inbound(InboundRequest {
            transport: crate::TRANSPORT_NAME.to_owned(),
            peer: None,
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
