//! A started transport under test, seen from the kernel's side of its channels.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use peerd_api::{
    CancellationToken, DialTarget, InboundRequest, PeerId, Request, RequestId, Response,
    TransportCommand, TransportContext, TransportError, TransportEvent, TransportHandle,
    CHANNEL_CAPACITY,
};
use tokio::sync::{mpsc, oneshot};

use super::TransportHarness;

/// How long any single step may take before the check fails instead of hanging. Under
/// paused time this passes in an instant once nothing else can happen.
pub const GUARD: Duration = Duration::from_secs(120);

/// The chain every node runs on unless a check says otherwise.
pub const CHAIN: &str = "bitmark";

/// Awaits `future`, failing the check with `what` if it takes longer than [`GUARD`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, future).await {
        Ok(value) => value,
        Err(_) => panic!("transport conformance: timed out waiting for {what}"),
    }
}

/// A running transport plus the kernel-side ends of its channels.
#[derive(Debug)]
pub struct TestNode {
    /// The harness's label for this node.
    pub label: String,
    /// The chain it was started on.
    pub chain: String,
    /// The transport's handle.
    pub handle: TransportHandle,
    /// Its events.
    pub events: mpsc::Receiver<TransportEvent>,
    /// Its shutdown token.
    pub shutdown: CancellationToken,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl TestNode {
    /// Starts the harness's node `label` on `chain`.
    pub fn start<H: TransportHarness>(harness: &mut H, label: &str, chain: &str) -> TestNode {
        let transport = harness.node(label);
        Self::launch(transport, label, chain)
    }

    /// Starts the harness's node `label` again after `previous` (its earlier run) stopped.
    pub fn restart<H: TransportHarness>(harness: &mut H, previous: &TestNode) -> TestNode {
        let transport = harness.restart(&previous.label, &previous.handle);
        Self::launch(transport, &previous.label, &previous.chain)
    }

    /// Starts `transport` as the node `label` on `chain`, for tests outside the suite.
    pub fn launch(transport: Box<dyn peerd_api::Transport>, label: &str, chain: &str) -> TestNode {
        let (events, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let shutdown = CancellationToken::new();
        let ctx = TransportContext {
            chain: chain.to_owned(),
            version: "peerd-conformance 0.1".to_owned(),
            events,
            shutdown: shutdown.clone(),
            metrics: Default::default(),
        };
        let handle = match transport.start(ctx) {
            Ok(handle) => handle,
            Err(e) => panic!("transport conformance: node {label} failed to start: {e}"),
        };
        TestNode { label: label.to_owned(), chain: chain.to_owned(), handle, events: rx, shutdown }
    }

    /// This node's identity.
    pub fn id(&self) -> PeerId {
        self.handle.local_id.clone()
    }

    /// How other nodes dial this one, built from its handle as the kernel would announce it.
    pub fn target(&self) -> DialTarget {
        DialTarget {
            transport: self.handle.name.clone(),
            key: peerd_api::bytes::Bytes::copy_from_slice(self.handle.local_id.as_bytes()),
            listeners: self.handle.listeners.clone(),
        }
    }

    /// Sends a command to the transport.
    pub async fn command(&self, command: TransportCommand) {
        let sent =
            within("the transport to take a command", self.handle.commands.send(command)).await;
        assert!(sent.is_ok(), "transport conformance: node {} stopped taking commands", self.label);
    }

    /// Dials `other` and waits for `Connected` with its identity and target.
    pub async fn connect(&mut self, other: &TestNode) {
        self.command(TransportCommand::Dial(other.target())).await;
        self.expect_connected(&other.id()).await;
    }

    /// Sends a request and returns where its answer will arrive.
    pub async fn send(
        &self,
        peer: &PeerId,
        request: Request,
    ) -> oneshot::Receiver<Result<Response, TransportError>> {
        let (reply, answer) = oneshot::channel();
        let id = RequestId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        self.command(TransportCommand::Request { id, peer: peer.clone(), request, reply }).await;
        answer
    }

    /// Sends a request and waits for its answer.
    pub async fn request(
        &self,
        peer: &PeerId,
        request: Request,
    ) -> Result<Response, TransportError> {
        let answer = self.send(peer, request).await;
        answer_of(answer).await
    }

    /// The next event, whatever it is.
    pub async fn next_event(&mut self) -> TransportEvent {
        match within("a transport event", self.events.recv()).await {
            Some(event) => event,
            None => panic!("transport conformance: node {} closed its event channel", self.label),
        }
    }

    /// Skips events until `Connected` from `peer`, which must come with a target naming it.
    pub async fn expect_connected(&mut self, peer: &PeerId) {
        loop {
            if let TransportEvent::Connected { peer: got, target } = self.next_event().await {
                if &got == peer {
                    assert_eq!(
                        target.key.as_ref(),
                        peer.as_bytes(),
                        "Connected names the dialled target"
                    );
                    return;
                }
            }
        }
    }

    /// Skips events until `Disconnected` from `peer`; a `Connected` from it first is a failure.
    pub async fn expect_disconnected(&mut self, peer: &PeerId) {
        loop {
            match self.next_event().await {
                TransportEvent::Disconnected { peer: got } if &got == peer => return,
                TransportEvent::Connected { peer: got, .. } if &got == peer => {
                    panic!("transport conformance: Connected from {got} while waiting for Disconnected")
                }
                _ => {}
            }
        }
    }

    /// Skips events until an inbound request arrives.
    pub async fn next_inbound(&mut self) -> InboundRequest {
        loop {
            if let TransportEvent::Inbound(inbound) = self.next_event().await {
                return inbound;
            }
        }
    }

    /// Cancels the node's shutdown token and waits until the transport says it stopped.
    pub async fn stop(&self) {
        let stopped = self.handle.stopped.clone();
        let notified = stopped.notified();
        self.shutdown.cancel();
        within("the transport to stop", notified).await;
    }

    /// Hands the node's events to a task that answers every inbound request with
    /// `answer(&request)` (`None` drops the reply slot) and reports each request on the
    /// returned channel. Other events are discarded.
    /// The node keeps its handle, so it can still be stopped.
    pub fn serve<F>(&mut self, answer: F) -> mpsc::Receiver<(Option<PeerId>, Request)>
    where
        F: Fn(&Request) -> Option<Response> + Send + 'static,
    {
        let (seen_tx, seen) = mpsc::channel(CHANNEL_CAPACITY);
        let (_, closed) = mpsc::channel(1);
        let mut events = std::mem::replace(&mut self.events, closed);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let TransportEvent::Inbound(inbound) = event {
                    if let Some(response) = answer(&inbound.request) {
                        let _ = inbound.reply.send(response);
                    }
                    let _ = seen_tx.send((inbound.peer, inbound.request)).await;
                }
            }
        });
        seen
    }
}

/// Awaits a request's answer; a dropped reply slot is a failure (it must always be answered).
pub async fn answer_of(
    answer: oneshot::Receiver<Result<Response, TransportError>>,
) -> Result<Response, TransportError> {
    match within("the answer to a request", answer).await {
        Ok(result) => result,
        Err(_) => panic!("transport conformance: the transport dropped a request's reply slot"),
    }
}

/// `len` bytes of a fixed pseudo-random pattern, different for each `seed`.
pub fn pattern(len: usize, seed: u64) -> peerd_api::bytes::Bytes {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    bytes.into()
}
