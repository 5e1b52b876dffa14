//! Finding peers (identify feeds Kademlia; mDNS as an option) and keeping connections honest
//! (ping failures close the connection).

use libp2p::multiaddr::Protocol;
use libp2p::{identify, kad, ping, Multiaddr, PeerId};
use peerd_api::TransportEvent;

use super::Node;
use crate::behaviour::{identify_version, kad_protocol};

/// True for addresses worth keeping for a peer: not unspecified.
fn usable(addr: &Multiaddr) -> bool {
    match addr.iter().next() {
        Some(Protocol::Ip4(ip)) => !ip.is_unspecified(),
        Some(Protocol::Ip6(ip)) => !ip.is_unspecified(),
        Some(Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_)) => true,
        _ => false,
    }
}

impl Node {
    pub(crate) fn identify_event(&mut self, event: identify::Event) {
        let identify::Event::Received { peer_id, info, .. } = event else { return };
        tracing::debug!(peer = %peer_id, agent = %info.agent_version, "libp2p peer identified");
        if info.protocol_version != identify_version(&self.ctx.chain) {
            tracing::debug!(peer = %peer_id, version = %info.protocol_version, "peer of another chain kept out of the DHT");
            return;
        }
        let kad = kad_protocol(&self.ctx.chain);
        if !info.protocols.iter().any(|p| p.as_ref() == kad) {
            return;
        }
        for addr in info.listen_addrs.into_iter().filter(usable) {
            self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
        }
    }

    pub(crate) fn kad_event(&mut self, event: kad::Event) {
        if let kad::Event::RoutingUpdated { peer, is_new_peer: true, addresses, .. } = event {
            tracing::debug!(%peer, "libp2p peer discovered");
            self.discovered(peer, addresses.iter().cloned().collect());
        }
    }

    /// Hands a discovered peer to the kernel ([`TransportEvent::Discovered`]). The transport
    /// never dials it itself: the kernel's peer layer decides, and its dialer dials, under
    /// the same cap, timeout and backoff as every other target. Dropped (and found again
    /// later) when the kernel's event channel is full.
    fn discovered(&mut self, peer: PeerId, addrs: Vec<Multiaddr>) {
        let addrs: Vec<Multiaddr> = addrs.into_iter().filter(usable).collect();
        if !self.settings.discover || peer == *self.swarm.local_peer_id() || addrs.is_empty() {
            return;
        }
        let event = TransportEvent::Discovered(crate::dial_target(&peer, &addrs));
        if self.ctx.events.try_send(event).is_err() {
            tracing::debug!(%peer, "discovered peer not passed on: the kernel is busy");
        }
    }

    /// A ping timeout means a dead connection: close it (its upstream is then redialled).
    /// Peers that do not speak ping are tolerated.
    pub(crate) fn ping_event(&mut self, event: ping::Event) {
        match event.result {
            Err(ping::Failure::Timeout) => {
                tracing::debug!(peer = %event.peer, "libp2p ping timed out; closing the connection");
                self.swarm.close_connection(event.connection);
            }
            Err(error) => tracing::trace!(peer = %event.peer, %error, "libp2p ping failed"),
            Ok(_) => {}
        }
    }

    #[cfg(feature = "mdns")]
    pub(crate) fn mdns_event(&mut self, event: libp2p::mdns::Event) {
        if let libp2p::mdns::Event::Discovered(found) = event {
            for (peer, addr) in found {
                tracing::debug!(%peer, %addr, "libp2p peer found by mDNS");
                self.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
                self.discovered(peer, vec![addr]);
            }
        }
    }

    #[cfg(not(feature = "mdns"))]
    pub(crate) fn mdns_event(&mut self, event: std::convert::Infallible) {
        match event {}
    }
}
