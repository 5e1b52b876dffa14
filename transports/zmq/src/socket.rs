//! Socket set-up with bitmarkd's options (protocol §1.4, §1.5) and socket monitor events (§1.7).

use std::time::Duration;

use peerd_api::MAX_MESSAGE_BYTES;

use crate::keys::KeyPair;

/// `LINGER`: pending messages are dropped 100 ms after a socket closes.
pub const LINGER_MS: i32 = 100;
/// Server `SNDTIMEO`/`RCVTIMEO` (bitmarkd: 120 s; peerd never blocks on them).
pub const SERVER_TIMEOUT_MS: i32 = 120_000;
/// Client `SNDTIMEO`/`RCVTIMEO` (bitmarkd's `connectorTimeout`, 60 s).
pub const CLIENT_TIMEOUT_MS: i32 = 60_000;
/// TCP keepalive: count, idle seconds, interval seconds.
pub const KEEPALIVE: (i32, i32, i32) = (5, 60, 60);

/// libzmq's monitor event numbers (`zmq.h`); the handshake ones are those bitmarkd defines.
pub mod event {
    /// `ZMQ_EVENT_CONNECTED`.
    pub const CONNECTED: u16 = 0x0001;
    /// `ZMQ_EVENT_CONNECT_DELAYED`.
    pub const CONNECT_DELAYED: u16 = 0x0002;
    /// `ZMQ_EVENT_CONNECT_RETRIED`.
    pub const CONNECT_RETRIED: u16 = 0x0004;
    /// `ZMQ_EVENT_ACCEPTED`.
    pub const ACCEPTED: u16 = 0x0020;
    /// `ZMQ_EVENT_CLOSED`.
    pub const CLOSED: u16 = 0x0080;
    /// `ZMQ_EVENT_DISCONNECTED`.
    pub const DISCONNECTED: u16 = 0x0200;
    /// `ZMQ_EVENT_MONITOR_STOPPED`.
    pub const MONITOR_STOPPED: u16 = 0x0400;
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`.
    pub const HANDSHAKE_FAILED_NO_DETAIL: u16 = 0x0800;
    /// `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`.
    pub const HANDSHAKE_SUCCEEDED: u16 = 0x1000;
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`.
    pub const HANDSHAKE_FAILED_PROTOCOL: u16 = 0x2000;
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`.
    pub const HANDSHAKE_FAILED_AUTH: u16 = 0x4000;
    /// Every event.
    pub const ALL: i32 = 0xffff;

    /// True for the events after which bitmarkd's upstream reconnects.
    pub fn is_failure(event: u16) -> bool {
        matches!(
            event,
            DISCONNECTED
                | CLOSED
                | HANDSHAKE_FAILED_NO_DETAIL
                | HANDSHAKE_FAILED_PROTOCOL
                | HANDSHAKE_FAILED_AUTH
        )
    }
}

/// Reads one monitor event (`[u16 event, u32 value]` little-endian, then the endpoint) from a
/// monitor PAIR socket without blocking; `None` if nothing is waiting or it is malformed.
pub fn read_event(monitor: &zmq::Socket) -> Option<u16> {
    let frames = monitor.recv_multipart(zmq::DONTWAIT).ok()?;
    let first = frames.first()?;
    let id = first.get(..2)?;
    Some(u16::from_le_bytes([id[0], id[1]]))
}

fn common(socket: &zmq::Socket) -> zmq::Result<()> {
    socket.set_immediate(true)?;
    socket.set_linger(LINGER_MS)?;
    socket.set_tcp_keepalive(1)?;
    socket.set_tcp_keepalive_cnt(KEEPALIVE.0)?;
    socket.set_tcp_keepalive_idle(KEEPALIVE.1)?;
    socket.set_tcp_keepalive_intvl(KEEPALIVE.2)?;
    socket.set_maxmsgsize(MAX_MESSAGE_BYTES as i64)
}

/// A CURVE server socket as bitmarkd's `NewServerSocket` makes it: any client key is
/// accepted by the transport's ZAP handler (`zap.rs`, bitmarkd's `CURVE_ALLOW_ANY`), which
/// also records the key; routing id = public key, `IPV6` as given.
pub fn server(
    ctx: &zmq::Context,
    kind: zmq::SocketType,
    keys: &KeyPair,
    zap_domain: &str,
    ipv6: bool,
) -> zmq::Result<zmq::Socket> {
    let socket = ctx.socket(kind)?;
    socket.set_curve_server(true)?;
    socket.set_curve_secretkey(&keys.private)?;
    socket.set_zap_domain(zap_domain)?;
    socket.set_identity(&keys.public)?;
    socket.set_ipv6(ipv6)?;
    socket.set_sndtimeo(SERVER_TIMEOUT_MS)?;
    socket.set_rcvtimeo(SERVER_TIMEOUT_MS)?;
    if kind == zmq::ROUTER {
        socket.set_rcvhwm(LISTENER_RCVHWM)?;
        socket.set_sndhwm(LISTENER_SNDHWM)?;
    } else if kind == zmq::PUB {
        socket.set_sndhwm(PUBLISHER_SNDHWM)?;
    }
    common(&socket)?;
    Ok(socket)
}

/// Messages libzmq queues for us per inbound connection before it stops reading that
/// connection's TCP stream (default 1,000: up to 5 GB of 5 MB messages). A REQ client has
/// one request in flight; a pipelining one is held back by TCP, not by our memory.
pub const LISTENER_RCVHWM: i32 = 16;

/// Replies queued per inbound connection (default 1,000); above the 64 requests one client
/// may have waiting for answers (`answers::CLIENT_PENDING`).
pub const LISTENER_SNDHWM: i32 = 128;

/// Items queued per subscriber of the publisher before libzmq drops for it (default 1,000:
/// 5 GB of blocks for one slow subscriber).
pub const PUBLISHER_SNDHWM: i32 = 64;

/// An upstream REQ socket as bitmarkd's `openSocket` makes it: CURVE client with its own
/// keys and the server's, random 32-byte identity, `REQ_CORRELATE` and `REQ_RELAXED`,
/// reconnecting every `reconnect` (bitmarkd: 2 min, no back-off).
pub fn client(
    ctx: &zmq::Context,
    keys: &KeyPair,
    server_key: &[u8; 32],
    ipv6: bool,
    reconnect: Duration,
) -> zmq::Result<zmq::Socket> {
    let socket = ctx.socket(zmq::REQ)?;
    socket.set_curve_server(false)?;
    socket.set_curve_publickey(&keys.public)?;
    socket.set_curve_secretkey(&keys.private)?;
    socket.set_curve_serverkey(server_key)?;
    socket.set_identity(&rand::random::<[u8; 32]>())?;
    socket.set_req_correlate(true)?;
    socket.set_req_relaxed(true)?;
    socket.set_sndtimeo(CLIENT_TIMEOUT_MS)?;
    socket.set_rcvtimeo(CLIENT_TIMEOUT_MS)?;
    let ivl = i32::try_from(reconnect.as_millis()).unwrap_or(i32::MAX).max(1);
    socket.set_reconnect_ivl(ivl)?;
    socket.set_reconnect_ivl_max(0)?;
    socket.set_ipv6(ipv6)?;
    common(&socket)?;
    Ok(socket)
}

/// `tcp://ip:port` or `tcp://[ip6]:port`.
pub fn endpoint(addr: std::net::SocketAddr) -> String {
    format!("tcp://{addr}")
}
