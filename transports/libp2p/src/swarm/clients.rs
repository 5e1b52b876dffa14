//! The kernel's client pool on libp2p ([`peerd_api::Gate`]): a peer that connects to us is
//! put to the pool once its noise handshake is done, and disconnected if the pool refuses
//! it; its requests are charged to it; its last connection closing ends its place. Our own
//! upstreams are not clients (we chose them), even when they also connect to us.

use libp2p::PeerId;

use super::Node;
use crate::api_peer;

impl Node {
    /// An inbound connection from `peer` is up.
    pub(crate) fn client_connected(&mut self, peer: PeerId) {
        self.admit_client(peer);
    }

    /// A request from `peer`: true if it is to be served (and is then charged for). A peer
    /// that connected before the pool was handed over is put to it now.
    pub(crate) fn client_request(&mut self, peer: PeerId) -> bool {
        if !self.admit_client(peer) {
            return false;
        }
        if let Some(gate) = &self.gate {
            if self.clients.contains(&peer) {
                gate.served(&api_peer(&peer), 1);
            }
        }
        true
    }

    /// The last connection to `peer` closed.
    pub(crate) fn client_closed(&mut self, peer: PeerId) {
        if self.clients.remove(&peer) {
            if let Some(gate) = &self.gate {
                gate.left(&api_peer(&peer));
            }
        }
    }

    /// The pool evicted `peer`: its connections close (unless it is also our upstream).
    pub(crate) fn evict_client(&mut self, peer: &peerd_api::PeerId) {
        let Ok(peer) = PeerId::from_bytes(peer.as_bytes()) else { return };
        if self.clients.remove(&peer) && !self.upstreams.contains_key(&peer) {
            tracing::info!(%peer, "libp2p client evicted by the pool");
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }

    /// Puts `peer` to the pool unless it is already in or is one of our upstreams; false
    /// if the pool refused it (then it is disconnected).
    fn admit_client(&mut self, peer: PeerId) -> bool {
        let Some(gate) = &self.gate else { return true };
        if self.clients.contains(&peer) || self.upstreams.contains_key(&peer) {
            return true;
        }
        match gate.admit(&api_peer(&peer)) {
            Ok(()) => {
                self.clients.insert(peer);
                true
            }
            Err(reason) => {
                tracing::debug!(%peer, %reason, "libp2p client refused by the pool");
                let _ = self.swarm.disconnect_peer_id(peer);
                false
            }
        }
    }
}
