//! The kernel's client pool on the ZeroMQ listener ([`peerd_api::Gate`]).
//!
//! A client is admitted when its CURVE handshake reaches the ZAP handler (`zap.rs`),
//! which refuses the handshake with the pool's reason (`400 pool full`) when the pool
//! has no room for it. libzmq never says which key a closed connection had, so a client
//! counts as connected while it is heard from: one silent for [`IDLE`] (four of
//! bitmarkd's 30-second polls) has left, and its next request asks the pool again, as
//! does a request on a connection made before the pool was handed over. An evicted client
//! has its requests dropped unanswered, as a closed connection would, until it connects
//! again and is admitted anew (a REQ client that gets no answer reconnects).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peerd_api::{Gate, PeerId, Refused};

/// Silence after which a client has left the pool.
pub(crate) const IDLE: Duration = Duration::from_secs(120);

/// How long an eviction is remembered when the client never reconnects.
const EVICTION: Duration = Duration::from_secs(3600);

/// Most evictions remembered; past it the oldest is forgotten.
const MAX_EVICTED: usize = 65_536;

/// Clients admitted and evicted, and the gate that decides.
#[derive(Debug, Default)]
pub(crate) struct Admitted {
    gate: Option<Arc<dyn Gate>>,
    /// Admitted clients and when each was last heard from.
    seen: HashMap<PeerId, Instant>,
    /// Evicted clients and when they were evicted.
    evicted: HashMap<PeerId, Instant>,
    last_sweep: Option<Instant>,
}

impl Admitted {
    /// Decides with `gate` from now on.
    pub(crate) fn install(&mut self, gate: Arc<dyn Gate>) {
        self.gate = Some(gate);
    }

    /// A CURVE handshake from `client`: admitted, or refused with the pool's reason.
    pub(crate) fn handshake(&mut self, client: &PeerId, now: Instant) -> Result<(), Refused> {
        let Some(gate) = &self.gate else { return Ok(()) };
        gate.admit(client)?;
        self.evicted.remove(client);
        self.seen.insert(client.clone(), now);
        Ok(())
    }

    /// A request from `client`: true if it is to be served (and is then charged for).
    pub(crate) fn request(&mut self, client: &PeerId, now: Instant) -> bool {
        let Some(gate) = &self.gate else { return true };
        if self.evicted.contains_key(client) {
            return false;
        }
        if !self.seen.contains_key(client) {
            if let Err(reason) = gate.admit(client) {
                tracing::debug!(%client, %reason, "request from a zmq client the pool refuses dropped");
                return false;
            }
        }
        self.seen.insert(client.clone(), now);
        gate.served(client, 1);
        true
    }

    /// The pool evicted `client`.
    pub(crate) fn evict(&mut self, client: PeerId, now: Instant) {
        self.seen.remove(&client);
        if self.evicted.len() >= MAX_EVICTED && !self.evicted.contains_key(&client) {
            let oldest = self.evicted.iter().min_by_key(|(_, at)| **at).map(|(c, _)| c.clone());
            if let Some(oldest) = oldest {
                self.evicted.remove(&oldest);
            }
        }
        self.evicted.insert(client, now);
    }

    /// Tells the pool about clients silent for [`IDLE`] and forgets old evictions; does
    /// its work at most once a second.
    pub(crate) fn sweep(&mut self, now: Instant) {
        let Some(gate) = &self.gate else { return };
        if self
            .last_sweep
            .is_some_and(|at| now.saturating_duration_since(at) < Duration::from_secs(1))
        {
            return;
        }
        self.last_sweep = Some(now);
        self.seen.retain(|client, at| {
            let idle = now.saturating_duration_since(*at) >= IDLE;
            if idle {
                gate.left(client);
            }
            !idle
        });
        self.evicted.retain(|_, at| now.saturating_duration_since(*at) < EVICTION);
    }

    /// Clients counted as connected.
    #[cfg(test)]
    pub(crate) fn connected(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A gate admitting up to `room` clients, recording what it is told.
    #[derive(Debug, Default)]
    struct Room {
        room: usize,
        log: Mutex<Vec<String>>,
        inside: Mutex<Vec<PeerId>>,
    }

    impl Gate for Room {
        fn admit(&self, client: &PeerId) -> Result<(), Refused> {
            let mut inside = self.inside.lock().unwrap();
            if inside.contains(client) {
                return Ok(());
            }
            if inside.len() >= self.room {
                return Err(Refused::PoolFull);
            }
            inside.push(client.clone());
            self.log.lock().unwrap().push(format!("admit {client}"));
            Ok(())
        }
        fn served(&self, client: &PeerId, requests: u64) {
            self.log.lock().unwrap().push(format!("served {client} {requests}"));
        }
        fn left(&self, client: &PeerId) {
            self.inside.lock().unwrap().retain(|c| c != client);
            self.log.lock().unwrap().push(format!("left {client}"));
        }
    }

    fn peer(n: u8) -> PeerId {
        PeerId::new(bytes::Bytes::from(vec![n; 32]))
    }

    #[test]
    fn without_a_gate_everyone_is_served() {
        let mut admitted = Admitted::default();
        assert!(admitted.handshake(&peer(1), Instant::now()).is_ok());
        assert!(admitted.request(&peer(2), Instant::now()));
    }

    #[test]
    fn the_pool_decides_idle_clients_leave_and_evicted_ones_are_dropped() {
        let room = Arc::new(Room { room: 1, ..Room::default() });
        let mut admitted = Admitted::default();
        admitted.install(room.clone());
        let t0 = Instant::now();
        assert!(admitted.handshake(&peer(1), t0).is_ok());
        assert_eq!(admitted.handshake(&peer(2), t0), Err(Refused::PoolFull));
        assert!(admitted.request(&peer(1), t0));
        assert!(!admitted.request(&peer(2), t0), "a refused client is not served");
        admitted.sweep(t0 + IDLE);
        assert_eq!(admitted.connected(), 0, "silent for IDLE: left");
        assert!(admitted.request(&peer(2), t0 + IDLE), "the room is free again");
        admitted.evict(peer(2), t0 + IDLE);
        assert!(!admitted.request(&peer(2), t0 + IDLE), "evicted: dropped");
        assert!(admitted.handshake(&peer(2), t0 + IDLE).is_ok(), "a new handshake re-admits");
        assert!(admitted.request(&peer(2), t0 + IDLE));
        let log = room.log.lock().unwrap().join("\n");
        let p1 = peer(1).to_string();
        let p2 = peer(2).to_string();
        assert_eq!(
            log,
            format!(
                "admit {p1}\nserved {p1} 1\nleft {p1}\nadmit {p2}\nserved {p2} 1\nserved {p2} 1"
            )
        );
    }
}
