//! The async side of the kernel's commands: they are checked, encoded and handed to the
//! socket thread over a bounded channel, and the thread is woken through its pipe.
//!
//! The thread sends events and inbound requests to the kernel itself (`try_send` on the
//! kernel's bounded channel); when the kernel has no room, it stops reading requests
//! (libzmq then queues them and pushes back on TCP) until there is room again.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use peerd_api::{
    CancellationToken, DialTarget, Item, PeerId, Request, RequestId, Response, TransportCommand,
    TransportError, MAX_MESSAGE_BYTES,
};
use tokio::sync::{mpsc, oneshot};

use crate::wire::{encode_request, frames_size};

/// Wakes the socket thread, which polls the other end of a socket pair.
#[derive(Debug)]
pub(crate) struct Waker {
    tx: UnixStream,
    pending: AtomicBool,
}

impl Waker {
    /// A waker and the end the socket thread polls (non-blocking).
    pub(crate) fn pair() -> std::io::Result<(Waker, UnixStream)> {
        let (tx, rx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok((Waker { tx, pending: AtomicBool::new(false) }, rx))
    }

    /// Makes the thread's next poll return; one byte per batch of wake-ups.
    pub(crate) fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            // A full pipe means the thread has wake-ups waiting already.
            let _ = (&self.tx).write(&[1]);
        }
    }

    /// Called by the thread after it drained the pipe and before it drains its queues.
    pub(crate) fn clear(&self) {
        self.pending.store(false, Ordering::Release);
    }
}

/// A request for an upstream, encoded and size-checked.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) id: RequestId,
    pub(crate) peer: PeerId,
    pub(crate) request: Request,
    pub(crate) frames: Vec<Bytes>,
    pub(crate) reply: oneshot::Sender<Result<Response, TransportError>>,
}

/// Work for the socket thread.
#[derive(Debug)]
pub(crate) enum ToThread {
    Dial(DialTarget),
    Disconnect(PeerId),
    Publish(Item),
    Request(Outgoing),
    Serve(std::sync::Arc<dyn peerd_api::Server>),
    /// Admit clients through the kernel's pool (`admit.rs`).
    Admit(std::sync::Arc<dyn peerd_api::Gate>),
    /// The pool evicted this client.
    Evict(PeerId),
    /// Refuse this CURVE key until then (`zap::Bans`).
    Ban {
        peer: PeerId,
        until: std::time::Instant,
    },
}

fn fail(message: ToThread, error: TransportError) {
    if let ToThread::Request(out) = message {
        let _ = out.reply.send(Err(error));
    }
}

/// Forwards the kernel's commands to the thread until stopped or the kernel hangs up;
/// then stops the transport and fails whatever it still holds.
pub(crate) async fn run(
    mut rx: mpsc::Receiver<TransportCommand>,
    inbox: mpsc::Sender<ToThread>,
    waker: std::sync::Arc<Waker>,
    chain: String,
    stop: CancellationToken,
) {
    loop {
        let command = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            command = rx.recv() => match command { Some(c) => c, None => break },
        };
        let message = match command {
            TransportCommand::Request { id, peer, request, reply } => {
                let frames = encode_request(&chain, &request);
                let size = frames_size(&frames);
                if size > MAX_MESSAGE_BYTES {
                    let _ =
                        reply.send(Err(TransportError::TooLarge { size, max: MAX_MESSAGE_BYTES }));
                    continue;
                }
                ToThread::Request(Outgoing { id, peer, request, frames, reply })
            }
            TransportCommand::Dial(target) => ToThread::Dial(target),
            TransportCommand::Disconnect(peer) => ToThread::Disconnect(peer),
            TransportCommand::Broadcast(item) => ToThread::Publish(item),
            TransportCommand::Serve(server) => ToThread::Serve(server),
            TransportCommand::Admit(gate) => ToThread::Admit(gate),
            TransportCommand::Evict(peer) => ToThread::Evict(peer),
            TransportCommand::Ban { peer, duration } => {
                ToThread::Ban { peer, until: std::time::Instant::now() + duration }
            }
        };
        let permit = tokio::select! {
            biased;
            () = stop.cancelled() => Err(()),
            permit = inbox.reserve() => permit.map_err(|_| ()),
        };
        match permit {
            Ok(permit) => {
                permit.send(message);
                waker.wake();
            }
            Err(()) => {
                fail(message, TransportError::Stopped);
                break;
            }
        }
    }
    stop.cancel();
    waker.wake();
    rx.close();
    while let Ok(command) = rx.try_recv() {
        if let TransportCommand::Request { reply, .. } = command {
            let _ = reply.send(Err(TransportError::Stopped));
        }
    }
}
