//! Inbound requests waiting for the kernel's answer, owned by the socket thread.
//!
//! Each request's reply slot is a oneshot channel whose receiver the thread polls with a
//! waker of its own: when the kernel answers (from whatever thread), the waker records the
//! request as ready and wakes the socket thread through its pipe. No task sits between the
//! kernel and the socket, so an answer costs one thread switch.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake};
use std::time::{Duration, Instant};

use bytes::Bytes;
use peerd_api::{PeerId, Response};
use tokio::sync::oneshot;

use crate::commands::Waker as Pipe;
use crate::wire::{encode_response, texts};

/// How long an inbound request may wait for the kernel's answer (bitmarkd's server send
/// timeout); after that the requester gets `["E", "request not answered"]`.
pub(crate) const ANSWER_LIMIT: Duration = Duration::from_secs(120);

/// Requests that may wait for answers at once; beyond this the listener stops reading
/// (libzmq queues the rest and pushes back on TCP).
pub(crate) const MAX_PENDING: usize = 4096;

/// Bytes of requests that may wait for answers at once, over all clients; beyond this the
/// listener stops reading, as at [`MAX_PENDING`].
pub(crate) const MAX_PENDING_BYTES: usize = 256 << 20;

/// Requests one client may have waiting at once; more are answered `node busy` at once,
/// so that one client pipelining requests never fills the slots every client shares.
pub(crate) const CLIENT_PENDING: usize = 64;

/// Request bytes one client may have waiting at once (three 5 MB blocks and change).
pub(crate) const CLIENT_PENDING_BYTES: usize = 16 << 20;

/// A reply ready to be sent: the listener socket, the envelope and the frames.
pub(crate) type Ready = (usize, Vec<Vec<u8>>, Vec<Bytes>);

struct Pending {
    socket: usize,
    client: Option<PeerId>,
    bytes: usize,
    envelope: Vec<Vec<u8>>,
    command: Bytes,
    answer: oneshot::Receiver<Response>,
    waker: std::task::Waker,
}

/// Wakes the socket thread for one request.
struct AnswerWake {
    id: u64,
    ready: Arc<Mutex<Vec<u64>>>,
    pipe: Arc<Pipe>,
}

impl Wake for AnswerWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.lock().unwrap_or_else(|p| p.into_inner()).push(self.id);
        self.pipe.wake();
    }
}

/// The requests waiting for answers.
pub(crate) struct Answers {
    pending: HashMap<u64, Pending>,
    deadlines: VecDeque<(Instant, u64)>,
    ready: Arc<Mutex<Vec<u64>>>,
    pipe: Arc<Pipe>,
    next_id: u64,
    /// Requests and bytes waiting, per client (clients a listener cannot name share one).
    clients: HashMap<Option<PeerId>, (usize, usize)>,
    bytes: usize,
}

impl Answers {
    pub(crate) fn new(pipe: Arc<Pipe>) -> Self {
        Self {
            pending: HashMap::new(),
            deadlines: VecDeque::new(),
            ready: Arc::default(),
            pipe,
            next_id: 0,
            clients: HashMap::new(),
            bytes: 0,
        }
    }

    /// Requests waiting.
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Bytes of the requests waiting.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether `client` may have one more request of `bytes` waiting.
    pub(crate) fn has_room(&self, client: Option<&PeerId>, bytes: usize) -> bool {
        let (count, held) = self.clients.get(&client.cloned()).copied().unwrap_or((0, 0));
        count < CLIENT_PENDING && held.saturating_add(bytes) <= CLIENT_PENDING_BYTES
    }

    /// Registers a request of `client` of `bytes`; returns the reply slot for the kernel.
    pub(crate) fn insert(
        &mut self,
        socket: usize,
        envelope: Vec<Vec<u8>>,
        command: Bytes,
        (client, bytes): (Option<PeerId>, usize),
    ) -> oneshot::Sender<Response> {
        let share = self.clients.entry(client.clone()).or_insert((0, 0));
        share.0 += 1;
        share.1 = share.1.saturating_add(bytes);
        self.bytes = self.bytes.saturating_add(bytes);
        let (reply, answer) = oneshot::channel();
        self.next_id += 1;
        let id = self.next_id;
        let wake = AnswerWake { id, ready: self.ready.clone(), pipe: self.pipe.clone() };
        let waker = std::task::Waker::from(Arc::new(wake));
        let mut pending = Pending { socket, client, bytes, envelope, command, answer, waker };
        // Register the waker now: nothing can be answered before the slot leaves.
        let _ = poll(&mut pending);
        self.pending.insert(id, pending);
        self.deadlines.push_back((Instant::now() + ANSWER_LIMIT, id));
        if self.deadlines.len() > 4 * MAX_PENDING {
            // Answered requests behind a slow one: drop their deadlines.
            let pending = &self.pending;
            self.deadlines.retain(|(_, id)| pending.contains_key(id));
        }
        reply
    }

    /// The earliest answer deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.front().map(|(at, _)| *at)
    }

    /// Takes the answers that arrived, and answers the requests past their deadline.
    pub(crate) fn take(&mut self, now: Instant) -> Vec<Ready> {
        let ids = std::mem::take(&mut *self.ready.lock().unwrap_or_else(|p| p.into_inner()));
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(pending) = self.pending.get_mut(&id) else { continue };
            let response = match poll(pending) {
                Poll::Pending => continue,
                Poll::Ready(Ok(response)) => response,
                Poll::Ready(Err(_)) => Response::Error(texts::UNANSWERED.to_owned()),
            };
            if let Some(done) = self.remove(id) {
                out.push((done.socket, done.envelope, encode_response(&done.command, response)));
            }
        }
        while let Some(&(at, id)) = self.deadlines.front() {
            if self.pending.contains_key(&id) && at > now {
                break;
            }
            self.deadlines.pop_front();
            if let Some(late) = self.remove(id) {
                tracing::warn!("inbound zmq request not answered in time");
                let response = Response::Error(texts::UNANSWERED.to_owned());
                out.push((late.socket, late.envelope, encode_response(&late.command, response)));
            }
        }
        out
    }
}

impl Answers {
    /// Takes request `id` out, giving its client's share back.
    fn remove(&mut self, id: u64) -> Option<Pending> {
        let done = self.pending.remove(&id)?;
        self.bytes = self.bytes.saturating_sub(done.bytes);
        if let Some(share) = self.clients.get_mut(&done.client) {
            share.0 = share.0.saturating_sub(1);
            share.1 = share.1.saturating_sub(done.bytes);
            if share.0 == 0 {
                self.clients.remove(&done.client);
            }
        }
        Some(done)
    }
}

fn poll(pending: &mut Pending) -> Poll<Result<Response, oneshot::error::RecvError>> {
    let mut cx = Context::from_waker(&pending.waker);
    Pin::new(&mut pending.answer).poll(&mut cx)
}
