//! A handshake flood for `peerd bench flood`: threads that keep opening CURVE REQ
//! connections under fresh keys, each asking one `N`, and count how many connections they
//! opened and how many were answered.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::keys::KeyPair;
use crate::socket;

/// How long a flood client waits for its handshake and answer before it gives up.
const PATIENCE_MS: i32 = 200;

/// Flood clients at work. Stops when dropped.
#[derive(Debug)]
pub struct Flood {
    stop: Arc<AtomicBool>,
    opened: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<()>>,
}

impl Flood {
    /// Starts `threads` threads flooding `addr` (the server's key `server_key`) until
    /// `connections` connections have been opened or the flood is stopped.
    pub fn start(
        addr: SocketAddr,
        server_key: [u8; 32],
        threads: usize,
        connections: usize,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let opened = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(AtomicUsize::new(0));
        let threads = (0..threads.max(1))
            .map(|_| {
                let (stop, opened, answered) = (stop.clone(), opened.clone(), answered.clone());
                std::thread::spawn(move || {
                    let ctx = zmq::Context::new();
                    while !stop.load(Ordering::Acquire) {
                        if opened.fetch_add(1, Ordering::AcqRel) >= connections {
                            opened.fetch_sub(1, Ordering::AcqRel);
                            break;
                        }
                        if one(&ctx, addr, &server_key) {
                            answered.fetch_add(1, Ordering::AcqRel);
                        }
                    }
                })
            })
            .collect();
        Self { stop, opened, answered, threads }
    }

    /// Connections opened so far.
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::Acquire)
    }

    /// Connections whose `N` was answered (the pool admitted them).
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::Acquire)
    }

    /// Stops the threads and waits for them; returns (opened, answered).
    pub fn finish(mut self) -> (usize, usize) {
        self.stop_threads();
        (self.opened(), self.answered())
    }

    fn stop_threads(&mut self) {
        self.stop.store(true, Ordering::Release);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

/// One connection under a fresh key: true if its `N` was answered.
fn one(ctx: &zmq::Context, addr: SocketAddr, server_key: &[u8; 32]) -> bool {
    let Ok(keys) = KeyPair::generate() else { return false };
    let reconnect = Duration::from_millis(100);
    let Ok(socket) = socket::client(ctx, &keys, server_key, addr.is_ipv6(), reconnect) else {
        return false;
    };
    let ready = socket.set_sndtimeo(PATIENCE_MS).and_then(|()| socket.set_rcvtimeo(PATIENCE_MS));
    if ready.is_err() || socket.connect(&socket::endpoint(addr)).is_err() {
        return false;
    }
    socket.send_multipart([&b"dev"[..], b"N"], 0).is_ok() && socket.recv_multipart(0).is_ok()
}
