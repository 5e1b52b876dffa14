//! One outgoing connection (bitmarkd's upstream client, protocol §1.5, §1.7, §2.8), owned by
//! the socket thread: a CURVE REQ socket with a monitor, one request in flight, the rest
//! queued in order.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use peerd_api::{DialTarget, PeerId, TransportError, TransportEvent, MAX_MESSAGE_BYTES};

use crate::commands::Outgoing;
use crate::keys::KeyPair;
use crate::socket::{self, event};
use crate::wire::{decode_response, frames_size};

/// Settings shared by every upstream of a transport.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    pub(crate) timeout: Duration,
    pub(crate) reconnect: Duration,
    pub(crate) queue_limit: usize,
    /// Where the bytes of requests and replies are counted.
    pub(crate) meters: peerd_api::TransportMeters,
}

/// An open REQ socket and its monitor.
pub(crate) struct Conn {
    pub(crate) socket: zmq::Socket,
    pub(crate) monitor: zmq::Socket,
}

/// A request on the wire.
struct InFlight {
    out: Outgoing,
    deadline: Instant,
}

/// One upstream.
pub(crate) struct Upstream {
    pub(crate) peer: PeerId,
    pub(crate) target: DialTarget,
    pub(crate) addr: SocketAddr,
    server_key: [u8; 32],
    pub(crate) conn: Option<Conn>,
    up: bool,
    in_flight: Option<InFlight>,
    queue: VecDeque<Outgoing>,
}

impl Upstream {
    pub(crate) fn new(target: DialTarget, server_key: [u8; 32], addr: SocketAddr) -> Self {
        Self {
            peer: PeerId::new(Bytes::copy_from_slice(&server_key)),
            target,
            addr,
            server_key,
            conn: None,
            up: false,
            in_flight: None,
            queue: VecDeque::new(),
        }
    }

    /// Opens a fresh socket (new random identity) to the same address, with a monitor on
    /// `inproc://peerd-zmq-monitor-<seq>`. The caller retires the previous one first
    /// (`retire.rs`: its monitor must outlive it).
    pub(crate) fn open(
        &mut self,
        ctx: &zmq::Context,
        keys: &KeyPair,
        limits: &Limits,
        seq: u64,
    ) -> zmq::Result<()> {
        self.conn = None;
        let ipv6 = self.addr.is_ipv6();
        let socket = socket::client(ctx, keys, &self.server_key, ipv6, limits.reconnect)?;
        let endpoint = format!("inproc://peerd-zmq-monitor-{seq}");
        socket.monitor(&endpoint, event::ALL)?;
        let monitor = ctx.socket(zmq::PAIR)?;
        monitor.connect(&endpoint)?;
        socket.connect(&socket::endpoint(self.addr))?;
        self.conn = Some(Conn { socket, monitor });
        Ok(())
    }

    /// True once the CURVE handshake succeeded and until the connection drops.
    pub(crate) fn is_up(&self) -> bool {
        self.up
    }

    /// The earliest deadline of the request in flight.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.in_flight.as_ref().map(|f| f.deadline)
    }

    /// Reads the monitor. Returns the events for the kernel and whether the socket must be
    /// reopened (the connection that was up went down: bitmarkd's `Reconnect`).
    pub(crate) fn on_monitor(&mut self) -> (Vec<TransportEvent>, bool) {
        let mut events = Vec::new();
        loop {
            let Some(conn) = &self.conn else { return (events, false) };
            let Some(code) = socket::read_event(&conn.monitor) else { return (events, false) };
            tracing::trace!(peer = %self.peer, event = code, "zmq upstream event");
            if code == event::HANDSHAKE_SUCCEEDED && !self.up {
                self.up = true;
                tracing::debug!(peer = %self.peer, addr = %self.addr, "zmq upstream connected");
                let target = self.target.clone();
                events.push(TransportEvent::Connected { peer: self.peer.clone(), target });
            } else if event::is_failure(code) && self.up {
                self.up = false;
                tracing::debug!(peer = %self.peer, event = code, "zmq upstream disconnected");
                self.fail_all(TransportError::NotConnected(self.peer.clone()));
                events.push(TransportEvent::Disconnected { peer: self.peer.clone() });
                return (events, true);
            }
        }
    }

    /// Takes a request: sends it now, queues it behind the one in flight, or fails it.
    pub(crate) fn request(&mut self, out: Outgoing, limits: &Limits) {
        if !self.up || self.conn.is_none() {
            let _ = out.reply.send(Err(TransportError::NotConnected(self.peer.clone())));
            return;
        }
        if self.in_flight.is_none() {
            self.send(out, limits);
        } else if self.queue.len() >= limits.queue_limit {
            let error =
                TransportError::QueueFull { peer: self.peer.clone(), limit: limits.queue_limit };
            let _ = out.reply.send(Err(error));
        } else {
            self.queue.push_back(out);
        }
    }

    fn send(&mut self, out: Outgoing, limits: &Limits) {
        let Some(conn) = &self.conn else {
            let _ = out.reply.send(Err(TransportError::NotConnected(self.peer.clone())));
            return;
        };
        let parts = out.frames.iter().map(|f| &f[..]);
        match conn.socket.send_multipart(parts, zmq::DONTWAIT) {
            Ok(()) => {
                limits.meters.bytes_out.inc_by(crate::wire::wire_bytes(&out.frames));
                tracing::trace!(peer = %self.peer, id = %out.id, "zmq request sent");
                self.in_flight = Some(InFlight { out, deadline: Instant::now() + limits.timeout });
            }
            Err(e) => {
                tracing::debug!(peer = %self.peer, error = %e, "zmq request not sent");
                let _ = out.reply.send(Err(TransportError::NotConnected(self.peer.clone())));
            }
        }
    }

    /// Sends queued requests until one is in flight.
    fn next(&mut self, limits: &Limits) {
        while self.in_flight.is_none() {
            let Some(out) = self.queue.pop_front() else { return };
            self.send(out, limits);
        }
    }

    /// Reads replies; answers the request in flight and sends the next one.
    pub(crate) fn on_readable(&mut self, limits: &Limits) {
        loop {
            let Some(conn) = &self.conn else { return };
            let frames = match conn.socket.recv_multipart(zmq::DONTWAIT) {
                Ok(frames) => frames,
                // EFSM: nothing was asked (no request in flight on the REQ socket).
                Err(zmq::Error::EAGAIN | zmq::Error::EFSM) => return,
                Err(e) => {
                    tracing::debug!(peer = %self.peer, error = %e, "zmq upstream receive failed");
                    return;
                }
            };
            let Some(flight) = self.in_flight.take() else {
                tracing::debug!(peer = %self.peer, "zmq reply without a request ignored");
                continue;
            };
            let frames: Vec<Bytes> = frames.into_iter().map(Bytes::from).collect();
            limits.meters.bytes_in.inc_by(crate::wire::wire_bytes(&frames));
            let size = frames_size(&frames);
            let result = if size > MAX_MESSAGE_BYTES {
                Err(TransportError::TooLarge { size, max: MAX_MESSAGE_BYTES })
            } else {
                decode_response(&flight.out.request, frames).map_err(|reason| {
                    tracing::debug!(peer = %self.peer, %reason, "invalid peer response");
                    let reason = reason.to_string();
                    TransportError::InvalidResponse { peer: self.peer.clone(), reason }
                })
            };
            let _ = flight.out.reply.send(result);
            self.next(limits);
        }
    }

    /// Times out the request in flight if its deadline passed, then sends the next one.
    pub(crate) fn on_tick(&mut self, now: Instant, limits: &Limits) {
        if self.in_flight.as_ref().is_some_and(|f| f.deadline <= now) {
            if let Some(flight) = self.in_flight.take() {
                let secs = limits.timeout.as_millis().div_ceil(1000);
                let secs = u64::try_from(secs).unwrap_or(u64::MAX);
                tracing::debug!(peer = %self.peer, id = %flight.out.id, "zmq request timed out");
                let _ = flight
                    .out
                    .reply
                    .send(Err(TransportError::Timeout { peer: self.peer.clone(), secs }));
            }
            self.next(limits);
        }
    }

    /// Fails the request in flight and every queued one.
    pub(crate) fn fail_all(&mut self, error: TransportError) {
        if let Some(flight) = self.in_flight.take() {
            let _ = flight.out.reply.send(Err(error.clone()));
        }
        for out in self.queue.drain(..) {
            let _ = out.reply.send(Err(error.clone()));
        }
    }
}
