//! Relay: an item a handler accepted as new (or asked to broadcast) goes out once.
//!
//! After the dedup filter (`kernel/relay.rs`), every transport gets a
//! [`TransportCommand::Broadcast`] — gossipsub spreads it (and forwards the message it
//! held for validation), the ZeroMQ transport publishes it on its local publisher — and,
//! on transports that gossip per peer (bitmarkd), the item is queued for each registered
//! upstream (bitmarkd has no origin suppression either: the peer that sent it finds it a
//! duplicate). A bridge node thus relays every item between its transports, once.
//! `peer` announcements stay on one transport: only it understands their keys and
//! addresses.

use peerd_api::{GossipMode, Item, TransportCommand};

use super::relay::may_queue;
use super::shell::Shell;

impl Shell<'_> {
    /// Relays `item` on every transport, or on the one named `only`.
    pub(super) fn broadcast(&mut self, item: Item, only: Option<&str>) {
        if !self.recent.admit(&item) {
            return;
        }
        let kind = item.kind.clone();
        self.links.metrics.inc("peerd_gossip_relayed_total", &[("kind", kind.as_str())]);
        let registered: Vec<_> = self
            .connector
            .upstreams()
            .iter()
            .filter(|u| u.registered)
            .map(|u| u.peer.clone())
            .collect();
        for (index, transport) in self.transports.iter().enumerate() {
            if only.is_some_and(|name| name != transport.name) {
                continue;
            }
            if transport.commands.try_send(TransportCommand::Broadcast(item.clone())).is_err() {
                self.links.metrics.inc(
                    "peerd_gossip_dropped_total",
                    &[("transport", &transport.name), ("reason", "queue_full")],
                );
            }
            if transport.gossip != GossipMode::PerPeer {
                continue;
            }
            for peer in &registered {
                let Some(route) = self.routes.get(peer).filter(|r| r.transport == index) else {
                    continue;
                };
                let queued = may_queue(&item, route.push.capacity())
                    && route.push.try_send(item.clone()).is_ok();
                if !queued {
                    self.links.metrics.inc(
                        "peerd_gossip_dropped_total",
                        &[("transport", &transport.name), ("reason", "queue_full")],
                    );
                }
            }
        }
    }
}
