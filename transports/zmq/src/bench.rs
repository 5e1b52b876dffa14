//! Raw libzmq pieces for `peerd bench rpc`: a plain CURVE REP echo server with the
//! listener's socket options, and the client loop that drives a listener with bitmarkd's
//! requests (`N` and `B`), one in flight per connection.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod flood;

pub use flood::Flood;

use crate::keys::KeyPair;
use crate::socket;
use crate::socket_thread::bind_all;

/// Errors of the benchmark helpers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A libzmq call failed.
    #[error("zmq: {0}")]
    Zmq(String),
    /// A request got no reply within the client timeout.
    #[error("request {0} got no reply in time")]
    NoReply(usize),
    /// A reply was an error or malformed.
    #[error("bad reply to request {index}: {reason}")]
    BadReply {
        /// Which request.
        index: usize,
        /// What was wrong.
        reason: String,
    },
}

fn zmq_err(e: impl std::fmt::Display) -> BenchError {
    BenchError::Zmq(e.to_string())
}

/// A CURVE REP server on 127.0.0.1 that sends every request back unchanged. Stops when
/// dropped.
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoServer {
    /// Binds a free port on 127.0.0.1 with the listener's options and `keys`.
    ///
    /// # Errors
    ///
    /// [`BenchError::Zmq`] if the socket cannot be made or bound.
    pub fn start(keys: &KeyPair) -> Result<Self, BenchError> {
        let ctx = zmq::Context::new();
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        let (mut sockets, bound) =
            bind_all(&ctx, zmq::REP, keys, "listen", &[any]).map_err(zmq_err)?;
        let (Some(rep), Some(&addr)) = (sockets.pop(), bound.first()) else {
            return Err(BenchError::Zmq("no socket bound".into()));
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let _ctx = ctx;
            while !flag.load(Ordering::Acquire) {
                if !matches!(rep.poll(zmq::POLLIN, 100), Ok(n) if n > 0) {
                    continue;
                }
                if let Ok(frames) = rep.recv_multipart(zmq::DONTWAIT) {
                    let _ = rep.send_multipart(frames, 0);
                }
            }
        });
        Ok(Self { addr, stop, thread: Some(thread) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What [`drive`] sends and where.
#[derive(Clone, Debug)]
pub struct DriveOptions {
    /// The server.
    pub addr: SocketAddr,
    /// Its public key.
    pub server_key: [u8; 32],
    /// The chain-name prefix frame.
    pub chain: String,
    /// Requests in total, spread evenly over the connections.
    pub requests: usize,
    /// Connections in parallel, each with one request in flight.
    pub connections: usize,
    /// `B` asks for blocks `2..=top` in turn.
    pub top: u64,
    /// Check that replies are bitmarkd's (`N` with 8 bytes, `B` with a block); off for an
    /// echo server.
    pub check_replies: bool,
    /// The clients' key pair (`None`: a fresh one per connection).
    pub client_keys: Option<KeyPair>,
}

/// What [`drive`] measured.
#[derive(Clone, Debug)]
pub struct DriveResult {
    /// Requests answered.
    pub requests: usize,
    /// Wall time from the first request to the last reply (connections already up).
    pub elapsed: Duration,
    /// Round-trip time of each request, in microseconds.
    pub latencies_us: Vec<u64>,
}

/// Drives `opts.connections` REQ clients (CURVE, `REQ_CORRELATE`, `REQ_RELAXED`, fresh
/// keys), each sending alternately `N` and `B(n)` and waiting for each reply.
///
/// # Errors
///
/// The first client's error.
pub fn drive(opts: &DriveOptions) -> Result<DriveResult, BenchError> {
    let ctx = zmq::Context::new();
    let connections = opts.connections.max(1);
    let per = opts.requests.div_ceil(connections);
    let barrier = Arc::new(Barrier::new(connections + 1));
    let mut threads = Vec::new();
    for c in 0..connections {
        let (ctx, opts, barrier) = (ctx.clone(), opts.clone(), barrier.clone());
        threads.push(std::thread::spawn(move || client(&ctx, &opts, c, per, &barrier)));
    }
    barrier.wait();
    let started = Instant::now();
    let mut latencies_us = Vec::with_capacity(per * connections);
    let mut first_error = None;
    for thread in threads {
        match thread.join() {
            Ok(Ok(mut lat)) => latencies_us.append(&mut lat),
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(_) => first_error = first_error.or(Some(BenchError::Zmq("client panicked".into()))),
        }
    }
    let elapsed = started.elapsed();
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(DriveResult { requests: latencies_us.len(), elapsed, latencies_us })
}

fn client(
    ctx: &zmq::Context,
    opts: &DriveOptions,
    conn: usize,
    count: usize,
    barrier: &Barrier,
) -> Result<Vec<u64>, BenchError> {
    let keys = match &opts.client_keys {
        Some(keys) => Ok(keys.clone()),
        None => KeyPair::generate().map_err(zmq_err),
    };
    let setup = keys.and_then(|keys| {
        let s = socket::client(
            ctx,
            &keys,
            &opts.server_key,
            opts.addr.is_ipv6(),
            Duration::from_millis(100),
        )
        .map_err(zmq_err)?;
        s.connect(&socket::endpoint(opts.addr)).map_err(zmq_err)?;
        // One untimed request so that the connection and handshake are done.
        ask(&s, opts, usize::MAX, 0)?;
        Ok(s)
    });
    barrier.wait();
    let socket = setup?;
    let mut latencies = Vec::with_capacity(count);
    for i in 0..count {
        let started = Instant::now();
        ask(&socket, opts, i, conn + i)?;
        latencies.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    Ok(latencies)
}

fn ask(
    socket: &zmq::Socket,
    opts: &DriveOptions,
    index: usize,
    n: usize,
) -> Result<(), BenchError> {
    let number = 2 + (n as u64 / 2) % opts.top.saturating_sub(1).max(1);
    let be = number.to_be_bytes();
    let block = n % 2 == 1;
    let frames: Vec<&[u8]> = if block {
        vec![opts.chain.as_bytes(), b"B", &be]
    } else {
        vec![opts.chain.as_bytes(), b"N"]
    };
    socket.send_multipart(frames, 0).map_err(zmq_err)?;
    let reply = match socket.recv_multipart(0) {
        Ok(reply) => reply,
        Err(zmq::Error::EAGAIN) => return Err(BenchError::NoReply(index)),
        Err(e) => return Err(zmq_err(e)),
    };
    if opts.check_replies {
        let bad = |reason: String| BenchError::BadReply { index, reason };
        match (reply.first().map(Vec::as_slice), reply.get(1)) {
            (Some(b"N"), Some(p)) if !block && p.len() == 8 => {}
            (Some(b"B"), Some(p)) if block && p.len() >= 100 => {}
            _ => {
                return Err(bad(format!(
                    "{:?}",
                    reply
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect::<Vec<_>>()
                )))
            }
        }
    }
    Ok(())
}
