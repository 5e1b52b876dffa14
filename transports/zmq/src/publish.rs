//! The local publisher (protocol §3.2): a CURVE PUB socket for monitoring services. Every item
//! the kernel hands over with `TransportCommand::Broadcast` is published as
//! `[chain, kind, params…]`; after [`crate::HEARTBEAT`] without items, `[chain, "heart",
//! "beat"]` is published. Sends never block (`DONTWAIT`): a slow subscriber loses items.

use std::time::Instant;

use peerd_api::Item;

use crate::socket_thread::Io;

impl Io {
    /// Publishes `item` on every publisher socket.
    pub(crate) fn publish(&mut self, item: &Item) {
        let kind = item.kind.as_str().as_bytes();
        let params = item.params.iter().map(|p| &p[..]);
        self.send_all(std::iter::once(kind).chain(params).collect());
    }

    fn send_all(&mut self, frames: Vec<&[u8]>) {
        if self.publishers.is_empty() {
            return;
        }
        self.last_publish = Instant::now();
        let size = crate::wire::wire_bytes(&frames) + self.chain.len() as u64;
        for publisher in &self.publishers {
            let parts = std::iter::once(self.chain.as_bytes()).chain(frames.iter().copied());
            match publisher.send_multipart(parts, zmq::DONTWAIT) {
                Ok(()) => {
                    self.limits.meters.bytes_out.inc_by(size);
                }
                Err(e) => tracing::debug!(error = %e, "zmq publish dropped"),
            }
        }
    }

    /// When the heartbeat is due, if a publisher exists.
    pub(crate) fn heartbeat_due(&self) -> Option<Instant> {
        (!self.publishers.is_empty()).then(|| self.last_publish + self.heartbeat)
    }

    /// Publishes the heartbeat if it is due.
    pub(crate) fn heartbeat(&mut self, now: Instant) {
        if self.heartbeat_due().is_some_and(|due| due <= now) {
            self.send_all(vec![b"heart", b"beat"]);
        }
    }
}
