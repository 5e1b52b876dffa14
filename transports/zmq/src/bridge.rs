//! The async side: the kernel's commands go to the socket thread, and the thread's events
//! and inbound requests go to the kernel, whose answers go back to the thread.
//!
//! Every hop is a bounded channel. The socket thread never blocks on the kernel: when the
//! bridge has no room, the thread stops reading requests (libzmq then queues them and
//! pushes back on TCP) until there is room again.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use peerd_api::{
    CancellationToken, DialTarget, InboundRequest, Item, PeerId, Request, RequestId, Response,
    TransportCommand, TransportError, TransportEvent, MAX_MESSAGE_BYTES,
};
use tokio::sync::{mpsc, oneshot};

use crate::wire::{encode_request, encode_response, frames_size, texts};

/// How long an inbound request may wait for the kernel's answer (bitmarkd's server send
/// timeout); after that the requester gets `["E", "request not answered"]`.
pub(crate) const ANSWER_LIMIT: Duration = Duration::from_secs(120);

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
    /// The kernel's answer to an inbound request, for the listener socket `socket`.
    Reply {
        socket: usize,
        envelope: Vec<Vec<u8>>,
        frames: Vec<Bytes>,
    },
}

/// What the socket thread reports.
#[derive(Debug)]
pub(crate) enum FromThread {
    Event(TransportEvent),
    Inbound { socket: usize, envelope: Vec<Vec<u8>>, command: Bytes, request: Request },
}

fn fail(message: ToThread, error: TransportError) {
    if let ToThread::Request(out) = message {
        let _ = out.reply.send(Err(error));
    }
}

/// Forwards the kernel's commands to the thread until stopped or the kernel hangs up;
/// then stops the transport and fails whatever it still holds.
pub(crate) async fn commands(
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

/// Delivers the thread's events and inbound requests to the kernel and the kernel's answers
/// to the thread, until stopped.
pub(crate) async fn bridge(
    mut from_thread: mpsc::Receiver<FromThread>,
    inbox: mpsc::Sender<ToThread>,
    waker: std::sync::Arc<Waker>,
    events: mpsc::Sender<TransportEvent>,
    stop: CancellationToken,
) {
    let mut waiting = FuturesUnordered::new();
    let mut pending: Option<TransportEvent> = None;
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => break,
            Some(reply) = waiting.next(), if !waiting.is_empty() => {
                let (socket, envelope, frames) = reply;
                if inbox.send(ToThread::Reply { socket, envelope, frames }).await.is_err() {
                    break;
                }
                waker.wake();
            }
            permit = events.reserve(), if pending.is_some() => {
                let event = pending.take();
                match (permit, event) {
                    (Ok(permit), Some(event)) => permit.send(event),
                    // The kernel is gone: a dropped reply slot is answered as unanswered.
                    _ => tracing::debug!("zmq event not delivered: the kernel is gone"),
                }
            }
            message = from_thread.recv(), if pending.is_none() => match message {
                None => break,
                Some(FromThread::Event(event)) => pending = Some(event),
                Some(FromThread::Inbound { socket, envelope, command, request }) => {
                    let (reply, answer) = oneshot::channel();
                    pending = Some(TransportEvent::Inbound(InboundRequest { peer: None, request, reply }));
                    waiting.push(async move {
                        let response = match tokio::time::timeout(ANSWER_LIMIT, answer).await {
                            Ok(Ok(response)) => response,
                            _ => Response::Error(texts::UNANSWERED.to_owned()),
                        };
                        (socket, envelope, encode_response(&command, response))
                    });
                }
            },
        }
    }
}
