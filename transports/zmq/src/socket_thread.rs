//! The socket thread: owns the ZeroMQ context and every socket (listeners, upstreams and
//! their monitors, publishers), polls them together with a wake-up pipe, and never blocks
//! on anything but `zmq_poll`.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use peerd_api::{Addr, CancellationToken, DialTarget, PeerId, TransportError, TransportEvent};

use peerd_wire::address::unpack46;
use tokio::sync::mpsc;

use crate::answers::{Answers, MAX_PENDING};
use crate::commands::{ToThread, Waker};
use crate::keys::KeyPair;
use crate::socket;
use crate::upstream::{Limits, Upstream};

/// Longest poll: the thread re-checks its stop token at least this often.
const MAX_POLL: Duration = Duration::from_secs(1);
/// Poll period while the kernel has no room for events.
const BACKLOG_POLL: Duration = Duration::from_millis(5);
/// Poll period while monitors of closed sockets wait for their last event (`retire.rs`).
const RETIRED_POLL: Duration = Duration::from_millis(50);

/// Everything the socket thread owns.
pub(crate) struct Io {
    pub(crate) ctx: zmq::Context,
    pub(crate) chain: String,
    pub(crate) keys: KeyPair,
    pub(crate) limits: Limits,
    pub(crate) prefer_ipv6: bool,
    pub(crate) heartbeat: Duration,
    /// The ZAP handler's socket (`zap.rs`): every CURVE handshake is admitted through it.
    pub(crate) zap: zmq::Socket,
    /// Keys the kernel banned: refused by ZAP, their requests dropped.
    pub(crate) bans: crate::zap::Bans,
    /// The kernel's client pool: who is admitted, who was evicted (`admit.rs`).
    pub(crate) admitted: crate::admit::Admitted,
    pub(crate) routers: Vec<zmq::Socket>,
    /// One monitor per listener that counts its inbound connections.
    pub(crate) listener_monitors: Vec<zmq::Socket>,
    pub(crate) publishers: Vec<zmq::Socket>,
    pub(crate) upstreams: HashMap<PeerId, Upstream>,
    /// Monitors of closed upstream sockets, read until their sockets stop (`retire.rs`).
    pub(crate) retired: crate::retire::Retired,
    pub(crate) inbox: mpsc::Receiver<ToThread>,
    /// The kernel's event channel; dropped when the thread ends.
    pub(crate) events: mpsc::Sender<TransportEvent>,
    /// Events and requests waiting for room in `events`.
    pub(crate) backlog: VecDeque<TransportEvent>,
    /// Inbound requests waiting for the kernel's answer.
    pub(crate) answers: Answers,
    pub(crate) wake: UnixStream,
    pub(crate) waker: Arc<Waker>,
    pub(crate) stop: CancellationToken,
    pub(crate) last_publish: Instant,
    pub(crate) monitor_seq: u64,
    /// The kernel's read-only answers and the threads that give the store-reading ones.
    pub(crate) server: Option<(Arc<dyn peerd_api::Server>, crate::serve::Pool)>,
}

/// Which sockets a poll found ready.
struct Ready {
    wake: bool,
    zap: bool,
    routers: Vec<usize>,
    listener_monitors: Vec<usize>,
    /// Upstreams with a readable socket (`.1`) and/or monitor (`.2`).
    upstreams: Vec<(PeerId, bool, bool)>,
}

impl Io {
    /// Runs until the stop token is cancelled, then fails what it holds and closes every
    /// socket (the context terminates when this returns).
    pub(crate) fn run(mut self, listening: Vec<Addr>, peers: Vec<DialTarget>) {
        for addr in listening {
            self.emit(TransportEvent::Listening(addr));
        }
        for target in peers {
            self.dial(target);
        }
        while !self.stop.is_cancelled() {
            let ready = match self.poll() {
                Ok(ready) => ready,
                Err(e) => {
                    tracing::error!(error = %e, "zmq poll failed; the transport stops");
                    self.stop.cancel();
                    break;
                }
            };
            if ready.wake {
                // Drain first, then clear: a wake-up that comes in between leaves its byte
                // in the pipe, so none is lost.
                let mut sink = [0u8; 64];
                while matches!((&self.wake).read(&mut sink), Ok(n) if n > 0) {}
                self.waker.clear();
            }
            if ready.zap {
                self.read_zap();
            }
            self.take_inbox();
            for (socket, envelope, frames) in self.answers.take(Instant::now()) {
                self.send_reply(socket, envelope, frames);
            }
            for index in ready.listener_monitors {
                self.read_listener_monitor(index);
            }
            for index in ready.routers {
                self.read_router(index);
            }
            for (peer, readable, monitor) in ready.upstreams {
                self.service_upstream(&peer, readable, monitor);
            }
            let now = Instant::now();
            for upstream in self.upstreams.values_mut() {
                upstream.on_tick(now, &self.limits);
            }
            self.retired.drain(now);
            self.heartbeat(now);
            self.admitted.sweep(now);
            self.flush();
        }
        self.shutdown();
    }

    fn poll(&mut self) -> zmq::Result<Ready> {
        let now = Instant::now();
        let mut timeout = MAX_POLL;
        let deadlines = self.upstreams.values().filter_map(Upstream::deadline);
        for at in deadlines.chain(self.heartbeat_due()).chain(self.answers.next_deadline()) {
            timeout = timeout.min(at.saturating_duration_since(now));
        }
        if !self.backlog.is_empty() {
            timeout = timeout.min(BACKLOG_POLL);
        }
        if !self.retired.is_empty() {
            timeout = timeout.min(RETIRED_POLL);
        }
        let listen = self.may_read();
        let mut items = vec![
            zmq::PollItem::from_fd(self.wake.as_raw_fd(), zmq::POLLIN),
            self.zap.as_poll_item(zmq::POLLIN),
        ];
        if listen {
            items.extend(self.routers.iter().map(|r| r.as_poll_item(zmq::POLLIN)));
        }
        items.extend(self.listener_monitors.iter().map(|m| m.as_poll_item(zmq::POLLIN)));
        let monitors = self.listener_monitors.len();
        let mut order = Vec::with_capacity(self.upstreams.len());
        for (peer, upstream) in &self.upstreams {
            if let Some(conn) = &upstream.conn {
                items.push(conn.socket.as_poll_item(zmq::POLLIN));
                items.push(conn.monitor.as_poll_item(zmq::POLLIN));
                order.push(peer.clone());
            }
        }
        let ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
        // Round up so that a deadline 0.4 ms away does not spin.
        let ms = if timeout > Duration::from_millis(ms as u64) { ms + 1 } else { ms };
        zmq::poll(&mut items, ms)?;
        let routers = if listen { self.routers.len() } else { 0 };
        let ready = Ready {
            wake: items[0].is_readable(),
            zap: items[1].is_readable(),
            routers: (0..routers).filter(|i| items[2 + i].is_readable()).collect(),
            listener_monitors: (0..monitors)
                .filter(|i| items[2 + routers + i].is_readable())
                .collect(),
            upstreams: order
                .into_iter()
                .enumerate()
                .map(|(i, peer)| {
                    let at = 2 + routers + monitors + 2 * i;
                    (peer, items[at].is_readable(), items[at + 1].is_readable())
                })
                .filter(|(_, a, b)| *a || *b)
                .collect(),
        };
        Ok(ready)
    }

    /// Handles everything the bridge queued for the thread.
    fn take_inbox(&mut self) {
        while let Ok(message) = self.inbox.try_recv() {
            match message {
                ToThread::Request(out) => match self.upstreams.get_mut(&out.peer) {
                    Some(upstream) => upstream.request(out, &self.limits),
                    None => {
                        let _ = out.reply.send(Err(TransportError::NotConnected(out.peer)));
                    }
                },
                ToThread::Dial(target) => self.dial(target),
                ToThread::Disconnect(peer) => {
                    if let Some(mut upstream) = self.upstreams.remove(&peer) {
                        tracing::debug!(%peer, "zmq upstream closed");
                        upstream.fail_all(TransportError::NotConnected(peer));
                        if let Some(conn) = upstream.conn.take() {
                            self.retired.retire(conn, Instant::now());
                        }
                    }
                }
                ToThread::Publish(item) => self.publish(&item),
                ToThread::Ban { peer, until } => self.bans.ban(peer.as_bytes(), until),
                ToThread::Admit(gate) => self.admitted.install(gate),
                ToThread::Evict(peer) => self.admitted.evict(peer, Instant::now()),
                ToThread::Serve(server) => match crate::serve::Pool::start() {
                    Ok(pool) => self.server = Some((server, pool)),
                    Err(e) => tracing::warn!(error = %e, "zmq serving threads not started"),
                },
            }
        }
    }

    fn service_upstream(&mut self, peer: &PeerId, readable: bool, monitor: bool) {
        let Some(upstream) = self.upstreams.get_mut(peer) else { return };
        if readable {
            upstream.on_readable(&self.limits);
        }
        if monitor {
            let (events, reopen) = upstream.on_monitor();
            for event in events {
                self.emit(event);
            }
            if reopen {
                self.reopen(peer);
            }
        }
    }

    /// Closes an upstream's socket and opens a new one to the same address.
    fn reopen(&mut self, peer: &PeerId) {
        self.monitor_seq += 1;
        let seq = self.monitor_seq;
        let Some(upstream) = self.upstreams.get_mut(peer) else { return };
        if let Some(conn) = upstream.conn.take() {
            self.retired.retire(conn, Instant::now());
        }
        if let Err(e) = upstream.open(&self.ctx, &self.keys, &self.limits, seq) {
            tracing::warn!(%peer, error = %e, "zmq upstream cannot reopen its socket; closed");
            self.upstreams.remove(peer);
        }
    }

    /// Opens an upstream to `target`: its first IPv6 listener when it has one and IPv6 is
    /// preferred, else its first IPv4 one (bitmarkd's `connectUpstream`).
    pub(crate) fn dial(&mut self, target: DialTarget) {
        let Ok(key) = <[u8; 32]>::try_from(target.key.as_ref()) else {
            tracing::warn!(key = %hex::encode(&target.key), "zmq dial target key is not 32 bytes");
            return;
        };
        if key == self.keys.public {
            tracing::warn!("zmq dial refused: connecting to self forbidden");
            return;
        }
        let Some(addr) = choose_address(&target.listeners, self.prefer_ipv6) else {
            tracing::warn!(key = %hex::encode(key), "zmq dial refused: address is nil");
            return;
        };
        let peer = PeerId::new(Bytes::copy_from_slice(&key));
        if let Some(existing) = self.upstreams.get(&peer) {
            if existing.addr == addr {
                if existing.is_up() {
                    let target = existing.target.clone();
                    self.emit(TransportEvent::Connected { peer, target });
                }
                return;
            }
        }
        if let Some(mut old) = self.upstreams.remove(&peer) {
            old.fail_all(TransportError::NotConnected(peer.clone()));
            if let Some(conn) = old.conn.take() {
                self.retired.retire(conn, Instant::now());
            }
        }
        tracing::debug!(%peer, %addr, "zmq upstream dialling");
        self.upstreams.insert(peer.clone(), Upstream::new(target, key, addr));
        self.reopen(&peer);
    }

    /// True when the kernel can take more requests: nothing is waiting for room in its
    /// channel and fewer than [`MAX_PENDING`] requests wait for answers.
    pub(crate) fn may_read(&self) -> bool {
        self.backlog.is_empty()
            && self.answers.len() < MAX_PENDING
            && self.answers.bytes() < crate::answers::MAX_PENDING_BYTES
    }

    /// Queues an event or request for the kernel and sends what fits.
    pub(crate) fn emit(&mut self, message: TransportEvent) {
        self.backlog.push_back(message);
        self.flush();
    }

    fn flush(&mut self) {
        while let Some(message) = self.backlog.pop_front() {
            match self.events.try_send(message) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(message)) => {
                    self.backlog.push_front(message);
                    return;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    // The kernel is gone: dropped reply slots are answered as unanswered.
                    self.backlog.clear();
                    return;
                }
            }
        }
    }

    fn shutdown(mut self) {
        for (_, mut upstream) in self.upstreams.drain() {
            upstream.fail_all(TransportError::Stopped);
        }
        self.inbox.close();
        while let Ok(message) = self.inbox.try_recv() {
            if let ToThread::Request(out) = message {
                let _ = out.reply.send(Err(TransportError::Stopped));
            }
        }
        self.listener_monitors.clear();
        self.routers.clear();
        self.publishers.clear();
        tracing::debug!("zmq socket thread stopped");
    }
}

/// bitmarkd's address choice from a packed listener list (`Unpack46`, then prefer IPv6).
pub(crate) fn choose_address(listeners: &[u8], prefer_ipv6: bool) -> Option<SocketAddr> {
    let (v4, v6) = unpack46(listeners);
    match (v4, v6) {
        (_, Some(v6)) if prefer_ipv6 => Some(v6.socket_addr()),
        (Some(v4), _) => Some(v4.socket_addr()),
        _ => None,
    }
}

/// Binds one socket per address family (bitmarkd's `NewBind`) and returns the sockets and
/// the addresses actually bound (port 0 resolved).
pub(crate) fn bind_all(
    ctx: &zmq::Context,
    kind: zmq::SocketType,
    keys: &KeyPair,
    zap_domain: &str,
    addrs: &[SocketAddr],
) -> Result<(Vec<zmq::Socket>, Vec<SocketAddr>), TransportError> {
    let mut sockets = Vec::new();
    let mut bound = Vec::new();
    for ipv6 in [false, true] {
        let family: Vec<&SocketAddr> = addrs.iter().filter(|a| a.is_ipv6() == ipv6).collect();
        if family.is_empty() {
            continue;
        }
        let io = |e: zmq::Error| TransportError::io("zmq socket", e);
        let socket = socket::server(ctx, kind, keys, zap_domain, ipv6).map_err(io)?;
        for addr in family {
            let endpoint = socket::endpoint(*addr);
            let failed = |reason: String| TransportError::Bind { addr: addr.to_string(), reason };
            socket.bind(&endpoint).map_err(|e| failed(e.to_string()))?;
            let last = socket.get_last_endpoint().map_err(|e| failed(e.to_string()))?;
            let last = last.map_err(|_| failed("unreadable endpoint".into()))?;
            let actual = last.strip_prefix("tcp://").and_then(|a| a.parse().ok());
            bound.push(actual.ok_or_else(|| failed(format!("unexpected endpoint {last}")))?);
        }
        sockets.push(socket);
    }
    Ok((sockets, bound))
}

#[cfg(test)]
mod tests {
    use peerd_wire::address::{pack_list, Connection};

    use super::choose_address;

    #[test]
    fn address_choice_follows_bitmarkd() {
        let v4 = Connection::parse("10.0.0.1:2136").unwrap();
        let v6 = Connection::parse("[2001:db8::1]:2136").unwrap();
        let both = pack_list(&[v4, v6]);
        assert_eq!(choose_address(&both, true), Some(v6.socket_addr()));
        assert_eq!(choose_address(&both, false), Some(v4.socket_addr()));
        let only_v6 = pack_list(&[v6]);
        assert_eq!(choose_address(&only_v6, true), Some(v6.socket_addr()));
        assert_eq!(choose_address(&only_v6, false), None, "address is nil");
        assert_eq!(choose_address(&[], true), None);
        // The first record of each family counts; garbage ends the list.
        let second = Connection::parse("10.0.0.2:1").unwrap();
        let list = [pack_list(&[v4, second]), vec![3, 1, 2]].concat();
        assert_eq!(choose_address(&list, true), Some(v4.socket_addr()));
    }
}
