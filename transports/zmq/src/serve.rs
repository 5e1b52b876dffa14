//! Answers `I N H B` without the kernel's loop, once the kernel has handed over its
//! [`Server`] ([`peerd_api::TransportCommand::Serve`]).
//!
//! `I` and `N` come from memory and are answered on the socket thread at once. `H` and `B`
//! read the store, so they go to a small pool of serving threads (a slow read never holds
//! up the socket thread) whose answers come back through the same reply slots as the
//! kernel's. When the pool's queue is full, requests take the kernel's path as before.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};

use peerd_api::{Request, Response, Server};
use tokio::sync::oneshot;

use crate::wire::texts;

/// Serving threads.
const THREADS: usize = 2;

/// Requests waiting for a serving thread.
const QUEUE: usize = 256;

/// A store read for a serving thread.
pub(crate) struct Job {
    pub(crate) server: Arc<dyn Server>,
    pub(crate) request: Request,
    pub(crate) reply: oneshot::Sender<Response>,
}

/// The serving threads; they end when this is dropped.
#[derive(Debug)]
pub(crate) struct Pool {
    jobs: SyncSender<Job>,
}

impl Pool {
    /// Starts the threads.
    pub(crate) fn start() -> std::io::Result<Self> {
        let (jobs, queue) = sync_channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..THREADS {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("zmq-serve-{n}"))
                .spawn(move || work(&queue))?;
        }
        Ok(Self { jobs })
    }

    /// Queues a job; gives it back when the queue is full.
    pub(crate) fn try_send(&self, job: Job) -> Result<(), Job> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(job) | TrySendError::Disconnected(job) => job,
        })
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(Job { server, request, reply }) = job else { return };
        let response = server
            .answer_blocking(&request)
            .unwrap_or_else(|| Response::Error(texts::UNANSWERED.to_owned()));
        let _ = reply.send(response);
    }
}

/// True for the requests the pool takes.
pub(crate) fn reads_store(request: &Request) -> bool {
    matches!(request, Request::Digest(_) | Request::Block(_))
}
