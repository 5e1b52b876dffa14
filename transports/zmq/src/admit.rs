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
//!
//! Before the pool is asked, the transport's own limit: at most `per_ip` clients counted
//! as connected from one IP address (the ZAP request names it), pinned clients excepted,
//! so that fresh keys from one host cannot take every place. It holds with or without a
//! pool, as does the bound on clients tracked ([`MAX_CLIENTS`]).

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

/// Most clients counted as connected at once; a newcomer past it is refused.
pub(crate) const MAX_CLIENTS: usize = 65_536;

/// One admitted client: when it was last heard from, and its address.
#[derive(Debug)]
struct Seen {
    at: Instant,
    address: String,
}

/// Clients admitted and evicted, and the gate that decides.
#[derive(Debug)]
pub(crate) struct Admitted {
    gate: Option<Arc<dyn Gate>>,
    /// Most clients connected from one address (pinned ones excepted).
    per_ip: usize,
    /// Admitted clients.
    seen: HashMap<PeerId, Seen>,
    /// Clients counted per address.
    addresses: HashMap<String, usize>,
    /// Evicted clients and when they were evicted.
    evicted: HashMap<PeerId, Instant>,
    last_sweep: Option<Instant>,
}

impl Default for Admitted {
    fn default() -> Self {
        Self::new(usize::MAX)
    }
}

impl Admitted {
    /// No pool yet, at most `per_ip` clients from one address.
    pub(crate) fn new(per_ip: usize) -> Self {
        Self {
            gate: None,
            per_ip,
            seen: HashMap::new(),
            addresses: HashMap::new(),
            evicted: HashMap::new(),
            last_sweep: None,
        }
    }

    /// Decides with `gate` from now on.
    pub(crate) fn install(&mut self, gate: Arc<dyn Gate>) {
        self.gate = Some(gate);
    }

    /// A CURVE handshake from `client` at `address`: admitted, or refused (the address is
    /// full, or the pool's reason).
    pub(crate) fn handshake(
        &mut self,
        client: &PeerId,
        address: &str,
        now: Instant,
    ) -> Result<(), Refused> {
        if !self.seen.contains_key(client) {
            let pinned = self.gate.as_ref().is_some_and(|g| g.is_pinned(client));
            let here = self.addresses.get(address).copied().unwrap_or(0);
            if here >= self.per_ip && !pinned {
                return Err(Refused::PerIp);
            }
            if self.seen.len() >= MAX_CLIENTS && !pinned {
                return Err(Refused::PoolFull);
            }
        }
        if let Some(gate) = &self.gate {
            gate.admit(client)?;
        }
        self.evicted.remove(client);
        self.mark(client, address, now);
        Ok(())
    }

    /// Counts `client` at `address` as heard from at `now`.
    fn mark(&mut self, client: &PeerId, address: &str, now: Instant) {
        match self.seen.get_mut(client) {
            Some(seen) => seen.at = now,
            None => {
                let address = address.to_owned();
                *self.addresses.entry(address.clone()).or_default() += 1;
                self.seen.insert(client.clone(), Seen { at: now, address });
            }
        }
    }

    /// Forgets `client`'s place (and its address's count); true if it had one.
    fn forget(&mut self, client: &PeerId) -> bool {
        let Some(seen) = self.seen.remove(client) else { return false };
        if let Some(count) = self.addresses.get_mut(&seen.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.addresses.remove(&seen.address);
            }
        }
        true
    }

    /// A request from `client`: true if it is to be served (and is then charged for). A
    /// client not counted as connected (silent for [`IDLE`], or connected before the pool
    /// was handed over) is put to the pool again, under the address of its handshake.
    pub(crate) fn request(&mut self, client: &PeerId, now: Instant) -> bool {
        if self.evicted.contains_key(client) {
            return false;
        }
        if let Some(seen) = self.seen.get_mut(client) {
            seen.at = now;
        } else {
            let Some(gate) = &self.gate else { return true };
            if let Err(reason) = gate.admit(client) {
                tracing::debug!(%client, %reason, "request from a zmq client the pool refuses dropped");
                return false;
            }
            self.mark(client, "", now);
        }
        if let Some(gate) = &self.gate {
            gate.served(client, 1);
        }
        true
    }

    /// The pool evicted `client`.
    pub(crate) fn evict(&mut self, client: PeerId, now: Instant) {
        self.forget(&client);
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
        let second = Duration::from_secs(1);
        if self.last_sweep.is_some_and(|at| now.saturating_duration_since(at) < second) {
            return;
        }
        self.last_sweep = Some(now);
        let idle: Vec<PeerId> = self
            .seen
            .iter()
            .filter(|(_, seen)| now.saturating_duration_since(seen.at) >= IDLE)
            .map(|(client, _)| client.clone())
            .collect();
        for client in idle {
            self.forget(&client);
            if let Some(gate) = &self.gate {
                gate.left(&client);
            }
        }
        self.evicted.retain(|_, at| now.saturating_duration_since(*at) < EVICTION);
    }

    /// Clients counted as connected.
    #[cfg(test)]
    pub(crate) fn connected(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod per_ip {
    use super::*;

    fn peer(n: u8) -> PeerId {
        PeerId::new(bytes::Bytes::from(vec![n; 32]))
    }

    #[test]
    fn one_address_gets_per_ip_places_and_an_idle_one_frees_its_own() {
        let mut admitted = Admitted::new(2);
        let t0 = Instant::now();
        assert!(admitted.handshake(&peer(1), "10.0.0.1", t0).is_ok());
        assert!(admitted.handshake(&peer(2), "10.0.0.1", t0).is_ok());
        assert_eq!(admitted.handshake(&peer(3), "10.0.0.1", t0), Err(Refused::PerIp));
        assert!(admitted.handshake(&peer(1), "10.0.0.1", t0).is_ok(), "a known client reconnects");
        assert!(admitted.handshake(&peer(3), "10.0.0.2", t0).is_ok(), "another address has room");
        assert!(admitted.request(&peer(2), t0 + IDLE / 2));
        admitted.sweep(t0 + IDLE);
        assert_eq!(admitted.connected(), 1, "1 and 3 went silent; 2 was heard later");
        assert!(admitted.handshake(&peer(4), "10.0.0.1", t0 + IDLE).is_ok(), "1's place is free");
        assert_eq!(admitted.handshake(&peer(5), "10.0.0.1", t0 + IDLE), Err(Refused::PerIp));
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
        assert!(admitted.handshake(&peer(1), "127.0.0.1", Instant::now()).is_ok());
        assert!(admitted.request(&peer(2), Instant::now()));
    }

    #[test]
    fn the_pool_decides_idle_clients_leave_and_evicted_ones_are_dropped() {
        let room = Arc::new(Room { room: 1, ..Room::default() });
        let mut admitted = Admitted::default();
        admitted.install(room.clone());
        let t0 = Instant::now();
        assert!(admitted.handshake(&peer(1), "10.0.0.1", t0).is_ok());
        assert_eq!(admitted.handshake(&peer(2), "10.0.0.2", t0), Err(Refused::PoolFull));
        assert!(admitted.request(&peer(1), t0));
        assert!(!admitted.request(&peer(2), t0), "a refused client is not served");
        admitted.sweep(t0 + IDLE);
        assert_eq!(admitted.connected(), 0, "silent for IDLE: left");
        assert!(admitted.request(&peer(2), t0 + IDLE), "the room is free again");
        admitted.evict(peer(2), t0 + IDLE);
        assert!(!admitted.request(&peer(2), t0 + IDLE), "evicted: dropped");
        assert!(
            admitted.handshake(&peer(2), "10.0.0.2", t0 + IDLE).is_ok(),
            "a new handshake re-admits"
        );
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
